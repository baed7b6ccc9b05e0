"""The inventory, stored as evidence for the plan's first item ("which workloads use the old model").

One ``evidence`` row of kind ``inventory`` per workload (its figures) and one for the whole
migration (period, scope, sources, totals); each carries a ``summary`` line the plan shows.
"""

from __future__ import annotations

from typing import Any

from modelswap.inventory.figures import WorkloadFigures
from modelswap.inventory.inventory import Inventory
from modelswap.inventory.report import inventory_dict
from modelswap.store import Store
from modelswap.store.evidence import EvidenceRow, record_evidence

KIND = "inventory"
SOURCE = "modelswap inventory"


def _summary(w: WorkloadFigures) -> str:
    old = w.cost_per_day.get("old", w.cost_per_day.get("actual"))
    cost = f", ${old:,.2f}/day" if old is not None else ""
    p95 = f", p95 {w.latency_ms.p95:,.0f} ms" if w.latency_ms.p95 is not None else ""
    return f"{w.name}: {w.requests_per_day:,.1f} requests/day ({w.share:.1%}){cost}{p95}"


def record_inventory(store: Store, inventory: Inventory) -> list[int]:
    """Store the inventory as evidence (one row per workload and one overall); returns their ids."""
    data = inventory_dict(inventory)
    ids = []
    for w, wd in zip(inventory.workloads, data["workloads"], strict=True):
        figures: dict[str, Any] = {"summary": _summary(w), "period": data["period"], "scope": inventory.scope, **wd}
        ids.append(
            record_evidence(
                store,
                EvidenceRow(kind=KIND, ts=inventory.created_at, source=SOURCE, workload=w.name, figures=figures),
            )
        )
    refused = sum(r.malformed for r in inventory.reports)
    overall = {
        "summary": (
            f"{len(inventory.workloads)} workload(s), {inventory.total_requests:,} requests on {inventory.scope}"
            + (f", {len(inventory.proposals)} proposed" if inventory.proposals else "")
            + (f", {refused:,} records refused" if refused else "")
        ),
        **{k: v for k, v in data.items() if k != "workloads"},
        "workloads": [w.name for w in inventory.workloads],
    }
    ids.append(record_evidence(store, EvidenceRow(kind=KIND, ts=inventory.created_at, source=SOURCE, figures=overall)))
    return ids
