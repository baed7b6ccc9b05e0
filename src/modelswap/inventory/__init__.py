"""Inventory and baseline from real request logs: which workloads use the old model, at what volume,
cost and latency.

``take_inventory(["requests.jsonl"], migration=m)`` reads logs (modelswap's store, OpenAI-style
JSONL and Batch API output, LiteLLM SpendLogs, Langfuse observation exports, or any CSV/JSONL
through a column mapping), assigns workloads by the migration file's rules, proposes workloads
for untagged traffic, and computes each workload's figures. ``report`` renders them,
``evidence``/``baseline`` store them, ``spend`` tracks cost once traffic moves.
"""

from modelswap.inventory.baseline import baseline_figures, record_baseline
from modelswap.inventory.detect import Inputs, resolve_inputs, resolve_sources, sniff
from modelswap.inventory.errors import FormatMismatch, InventoryError
from modelswap.inventory.evidence import record_inventory
from modelswap.inventory.figures import Percentiles, Period, WorkloadFigures, percentiles
from modelswap.inventory.inventory import Inventory, build_inventory, take_inventory
from modelswap.inventory.proposals import Proposal, fingerprint
from modelswap.inventory.readers import ColumnMapping
from modelswap.inventory.report import (
    inventory_dict,
    render_spend,
    render_table,
    spend_dict,
    spend_markdown,
    to_json,
    to_markdown,
)
from modelswap.inventory.sources import Format, Malformed, ReadReport, SkippedFile, Source
from modelswap.inventory.spend import SpendDay, SpendReport, WorkloadSpend, spend_report
from modelswap.inventory.writeback import Accepted, accepted_fingerprints, add_workloads, write_accepted

__all__ = [
    "Accepted",
    "ColumnMapping",
    "Format",
    "FormatMismatch",
    "Inputs",
    "Inventory",
    "InventoryError",
    "Malformed",
    "Percentiles",
    "Period",
    "Proposal",
    "ReadReport",
    "SkippedFile",
    "Source",
    "SpendDay",
    "SpendReport",
    "WorkloadFigures",
    "WorkloadSpend",
    "accepted_fingerprints",
    "add_workloads",
    "baseline_figures",
    "build_inventory",
    "fingerprint",
    "inventory_dict",
    "percentiles",
    "record_baseline",
    "record_inventory",
    "render_spend",
    "render_table",
    "resolve_inputs",
    "resolve_sources",
    "sniff",
    "spend_dict",
    "spend_markdown",
    "spend_report",
    "take_inventory",
    "to_json",
    "to_markdown",
    "write_accepted",
]
