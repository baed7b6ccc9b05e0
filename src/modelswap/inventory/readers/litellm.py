"""LiteLLM proxy spend logs: the ``LiteLLM_SpendLogs`` table as CSV, or as JSON from ``/spend/logs``.

One row per call, with LiteLLM's own column names: ``request_id``, ``call_type``, ``api_key``
(hashed), ``spend`` (USD), ``total_tokens``, ``prompt_tokens``, ``completion_tokens``,
``startTime``, ``endTime``, ``completionStartTime``, ``model``, ``model_group``, ``user``,
``end_user``, ``metadata`` (JSON: ``user_api_key_alias``, ``requester_metadata``,
``usage_object``, ...), ``messages`` and ``proxy_server_request`` (the request body, when
LiteLLM stores prompts), ``status`` (``success``/``failure``) and more. JSON columns are JSON
text in CSV and objects in JSON.

Time to first token is read from ``completionStartTime`` only when it falls before
``endTime``: LiteLLM sets it to ``endTime`` for non-streaming calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelswap.inventory.readers._access import Access, file_records, lazy_of, named_workload, rule_columns
from modelswap.inventory.readers.base import ReaderOptions, RecordQuery
from modelswap.inventory.readers.registry import log_format
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Source

SIGNATURE = ("request_id", "call_type", "spend", "startTime")
"""Columns every LiteLLM SpendLogs export has; detection looks for them."""


def looks_like_litellm(keys: set[str], first: Mapping[str, Any]) -> bool:
    """At least three of LiteLLM's SpendLogs column names."""
    return len(set(SIGNATURE) & keys) >= 3


@log_format(
    "litellm",
    "a LiteLLM SpendLogs export (request_id, call_type, spend, startTime, ...)",
    detect=looks_like_litellm,
    priority=20,
)
def litellm_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    """Records of a LiteLLM SpendLogs export (CSV, JSON array or JSONL)."""
    acc = Access(source.layout, source.columns, present=source.sample_paths, safe=options.safe)
    lz = Access(source.layout, source.columns, present=source.sample_paths, prefix="_lz", safe=options.safe)
    start, end = acc.get("startTime"), acc.get("endTime")
    first_token = acc.get("completionStartTime")
    duration = acc.get("request_duration_ms")
    messages = ("messages",)
    request = ("proxy_server_request",)
    role0 = lz.first((*messages, 0, "role"), (*request, "messages", 0, "role"))
    content0 = lz.first((*messages, 0, "content"), (*request, "messages", 0, "content"))
    content1 = lz.first((*messages, 1, "content"), (*request, "messages", 1, "content"))
    fields = {
        "ts_raw": start,
        "model": f"coalesce(nullif({acc.get('model')}, ''), nullif({acc.get('model_group')}, ''))",
        "latency_ms": f"coalesce(ms_num({duration}), ms_between({start}, {end}))",
        "ttft_ms": f"CASE WHEN ms_ts({first_token}) < ms_ts({end}) THEN ms_between({start}, {first_token}) END",
        "prompt_tokens": acc.get("prompt_tokens"),
        "completion_tokens": acc.get("completion_tokens"),
        "cached_tokens": acc.first(
            ("metadata", "usage_object", "prompt_tokens_details", "cached_tokens"),
            ("metadata", "additional_usage_values", "prompt_tokens_details", "cached_tokens"),
        ),
        "logged_cost": acc.get("spend"),
        "is_error": f"lower({acc.get('status')}) IN ('failure', 'error', 'failed')",
        **named_workload(
            [
                ("metadata.requester_metadata.workload", acc.get("metadata", "requester_metadata", "workload")),
                ("request_tags", f"ms_tag({acc.get('request_tags')})"),
                ("metadata.tags", f"ms_tag({acc.get('metadata', 'tags')})"),
            ]
        ),
    }
    lazy = lazy_of(
        lz,
        {
            "system_prompt": f"CASE WHEN {role0} IN ('system', 'developer') THEN {content0} END",
            "user_text": f"CASE WHEN {role0} IN ('system', 'developer') THEN {content1} ELSE {content0} END",
            "tools": lz.get(*request, "tools"),
            "request_id": lz.get("request_id"),
        },
    )
    if inputs.user:
        fields["user_id"] = f"coalesce(nullif({acc.get('end_user')}, ''), nullif({acc.get('user')}, ''))"
    if inputs.key_name:
        fields["key_name"] = acc.first(("metadata", "user_api_key_alias"), ("metadata", "user_api_key_key_alias"))
    extra = rule_columns(
        acc,
        inputs,
        metadata=[("metadata", "requester_metadata"), ("metadata", "spend_logs_metadata"), (*request, "metadata")],
        headers=[("metadata", "headers"), (*request, "headers")],
    )
    return file_records(source, options, acc, fields, extra=extra, lazy=lazy)
