"""Langfuse observations exported from its UI (CSV, JSON or JSONL) or blob-storage export.

One row per observation with Langfuse's field names: ``id``, ``traceId``, ``type``
(``GENERATION`` for LLM calls; spans and events are skipped and counted), ``startTime``,
``endTime``, ``completionStartTime``, ``model``, ``input`` (the messages, or
``{"messages", "tools"}``), ``output``, ``metadata``, ``level`` (``ERROR`` marks a failure),
``usageDetails`` (``input``, ``output``, ``input_cached_tokens``, ...), ``costDetails``,
``latency`` and ``timeToFirstToken`` (seconds), ``inputUsage``/``outputUsage``, ``totalCost``,
``userId``, ``traceName``, ... Older exports name tokens ``promptTokens``/``completionTokens``
and cost ``calculatedTotalCost``; blob-storage exports use snake_case (``start_time``,
``usage_details``, ``provided_model_name``). All are read.

Langfuse's OpenAI integration stores cached prompt tokens apart (``input_cached_tokens``) and
the rest as ``input``, so prompt tokens are their sum (``inputUsage``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelswap.inventory.readers._access import Access, file_records, lazy_of, named_workload, rule_columns
from modelswap.inventory.readers.base import ReaderOptions, RecordQuery
from modelswap.inventory.readers.registry import log_format
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Source

SIGNATURE = ("traceId", "startTime")
"""Fields every Langfuse UI observations export has (blob exports: ``trace_id``, ``start_time``)."""


def looks_like_langfuse(keys: set[str], first: Mapping[str, Any]) -> bool:
    """A trace id and a start time, in either spelling Langfuse exports use."""
    return bool({"traceId", "trace_id"} & keys and {"startTime", "start_time"} & keys) or set(SIGNATURE) <= keys


@log_format(
    "langfuse",
    "a Langfuse observations export (id, traceId, type, startTime, model, usageDetails, ...)",
    detect=looks_like_langfuse,
    priority=30,
)
def langfuse_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    """Records of a Langfuse observations export; only ``GENERATION`` observations are LLM calls."""
    acc = Access(source.layout, source.columns, present=source.sample_paths, safe=options.safe)
    lz = Access(source.layout, source.columns, present=source.sample_paths, prefix="_lz", safe=options.safe)
    start = acc.first(("startTime",), ("start_time",))
    end = acc.first(("endTime",), ("end_time",))
    first_token = acc.first(("completionStartTime",), ("completion_start_time",))
    details = ("usageDetails", "usage_details")
    input_tokens = acc.first(*((d, k) for d in details for k in ("input", "prompt_tokens", "input_tokens")))
    cached = acc.first(*((d, k) for d in details for k in ("input_cached_tokens", "cache_read_input_tokens")))
    output_tokens = acc.first(*((d, k) for d in details for k in ("output", "completion_tokens", "output_tokens")))
    kind = acc.get("type")
    role0 = lz.first(("input", 0, "role"), ("input", "messages", 0, "role"))
    content0 = lz.first(("input", 0, "content"), ("input", "messages", 0, "content"))
    content1 = lz.first(("input", 1, "content"), ("input", "messages", 1, "content"))
    fields = {
        "ts_raw": start,
        "model": acc.first(("model",), ("provided_model_name",)),
        "latency_ms": f"coalesce(ms_num({acc.get('latency')}) * 1000, ms_between({start}, {end}))",
        "ttft_ms": (
            f"coalesce(ms_num({acc.get('timeToFirstToken')}) * 1000, "
            f"CASE WHEN ms_ts({first_token}) < ms_ts({end}) THEN ms_between({start}, {first_token}) END)"
        ),
        "prompt_tokens": (
            f"coalesce(ms_int({acc.get('inputUsage')}), ms_int({input_tokens}) + coalesce(ms_int({cached}), 0), "
            f"ms_int({acc.get('promptTokens')}))"
        ),
        "completion_tokens": f"coalesce(ms_int({acc.get('outputUsage')}), ms_int({output_tokens}), "
        f"ms_int({acc.get('completionTokens')}))",
        "cached_tokens": cached,
        "logged_cost": acc.first(
            ("totalCost",),
            ("calculatedTotalCost",),
            ("costDetails", "total"),
            ("cost_details", "total"),
            ("total_cost",),
        ),
        "is_error": f"upper({acc.get('level')}) = 'ERROR'",
        **named_workload(
            [
                ("metadata.workload", acc.get("metadata", "workload")),
                ("traceName", acc.first(("traceName",), ("trace_name",))),
            ]
        ),
    }
    lazy = lazy_of(
        lz,
        {
            "system_prompt": f"CASE WHEN {role0} IN ('system', 'developer') THEN {content0} END",
            "user_text": f"CASE WHEN {role0} IN ('system', 'developer') THEN {content1} ELSE {content0} END",
            "tools": lz.first(("input", "tools"), ("modelParameters", "tools")),
            "request_id": lz.get("id"),
        },
    )
    if inputs.user:
        fields["user_id"] = acc.first(("userId",), ("user_id",))
    extra = rule_columns(acc, inputs, metadata=[("metadata",)])
    skip = f"CASE WHEN upper(coalesce({kind}, 'GENERATION')) <> 'GENERATION' THEN 'not an LLM call' END"
    return file_records(source, options, acc, fields, extra=extra, lazy=lazy, skip=skip)
