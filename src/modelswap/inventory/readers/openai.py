"""OpenAI-style request logs (JSONL) and the Batch API's output files.

A request log line holds one call: the Chat Completions (or Responses) request body, the
response body with its ``usage``, when it started and how long it took::

    {"timestamp": "2025-03-01T12:00:00Z", "latency_ms": 812.5, "ttft_ms": 140.2, "status": 200,
     "request": {"model": "gpt-4o", "messages": [...], "user": "...", "metadata": {...}},
     "response": {"id": "chatcmpl-...", "model": "gpt-4o-2024-08-06", "usage": {...}, ...}}

Also accepted: ``ts``/``created_at``/``start_time`` for the time (else ``response.created``, else
a top-level ``created``), ``duration_ms`` for the latency, ``status_code``, an ``error`` object,
``headers``, ``key_name``, ``path`` (or ``url``), and a top-level ``usage`` and ``model``. So
OpenAI's *stored chat completions* (a ``chat.completion`` object per line, as the list endpoint
returns them: ``id``, ``created``, ``model``, ``usage``, ``metadata``, ``choices``) read as they are.

A workload the log names itself (a top-level ``workload``, else ``metadata.workload`` of the
request or of the record) is used when no rule of the migration file matches.

A Batch API output line is ``{"id", "custom_id", "response": {"status_code", "body"}, "error"}``;
its prompt is in the batch's *input* file (``{"custom_id", "method", "url", "body"}``), joined on
``custom_id`` when given alongside. Batch calls carry no latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelswap.inventory.readers._access import (
    Access,
    jsonl_scan,
    lazy_of,
    named_workload,
    no_rule_columns,
    path_of,
    rule_columns,
)
from modelswap.inventory.readers._sql import jsonl_lines, record_select
from modelswap.inventory.readers.base import Lazy, ReaderOptions, RecordQuery
from modelswap.inventory.readers.registry import log_format
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Source

_SYSTEM_ROLES = "('system', 'developer')"


def _prompt_fields(acc: Access, body: tuple[str, ...]) -> dict[str, str]:
    """System prompt, an example user message and tools (lazy fields) from a request body at ``body``."""
    role0 = acc.get(*body, "messages", 0, "role")
    content0 = acc.get(*body, "messages", 0, "content")
    content1 = acc.get(*body, "messages", 1, "content")
    system = f"CASE WHEN {role0} IN {_SYSTEM_ROLES} THEN {content0} END"
    user = f"CASE WHEN {role0} IN {_SYSTEM_ROLES} THEN {content1} ELSE {content0} END"
    return {
        "system_prompt": f"coalesce({system}, {acc.first((*body, 'system'), (*body, 'instructions'))})",
        "user_text": f"coalesce({user}, {acc.first((*body, 'input'), (*body, 'prompt'))})",
        "tools": acc.get(*body, "tools"),
    }


def _usage_fields(acc: Access, *usages: tuple[str, ...]) -> dict[str, str]:
    return {
        "prompt_tokens": acc.first(*((*u, k) for u in usages for k in ("prompt_tokens", "input_tokens"))),
        "completion_tokens": acc.first(*((*u, k) for u in usages for k in ("completion_tokens", "output_tokens"))),
        "cached_tokens": acc.first(
            *((*u, d, "cached_tokens") for u in usages for d in ("prompt_tokens_details", "input_tokens_details"))
        ),
    }


def looks_like_openai(keys: set[str], first: Mapping[str, Any]) -> bool:
    """A request/response log: a response with usage or choices, a request with messages, or usage + model + time."""
    response, request = first.get("response"), first.get("request")
    if isinstance(response, dict) and ({"usage", "choices", "output"} & set(response)):
        return True
    if isinstance(request, dict) and ({"messages", "model", "input"} & set(request)):
        return True
    if {"usage", "model"} <= keys and ({"timestamp", "ts", "created_at", "created"} & keys):
        return True
    return first.get("object") == "chat.completion" and {"created", "model"} <= keys  # stored chat completions


def looks_like_batch_output(keys: set[str], first: Mapping[str, Any]) -> bool:
    """A Batch API output file: ``custom_id`` and a ``response`` with ``body`` or ``status_code``."""
    response = first.get("response")
    return "custom_id" in keys and isinstance(response, dict) and bool({"body", "status_code"} & set(response))


@log_format(
    "openai",
    "an OpenAI-style request log (JSONL: request, response with usage, timestamp, latency)",
    detect=looks_like_openai,
    layouts=("jsonl",),
    priority=90,
)
def openai_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    """Records of an OpenAI-style request log (one JSON object per line)."""
    acc = Access("jsonl", present=source.sample_paths, safe=options.safe)
    prompts = Access("jsonl", present=source.sample_paths, prefix="_lz", safe=options.safe)
    status = acc.first(("status",), ("status_code",), ("response_status",))
    error = acc.first(("error",), ("response", "error"))
    fields = {
        "ts_raw": acc.first(
            ("timestamp",),
            ("ts",),
            ("created_at",),
            ("start_time",),
            ("request_time",),
            ("response", "created"),
            ("created",),
        ),
        "model": acc.first(("response", "model"), ("request", "model"), ("model",)),
        **named_workload(
            [
                ("workload", acc.get("workload")),
                ("request.metadata.workload", acc.get("request", "metadata", "workload")),
                ("metadata.workload", acc.get("metadata", "workload")),
            ]
        ),
        "latency_ms": acc.first(("latency_ms",), ("duration_ms",), ("elapsed_ms",)),
        "ttft_ms": acc.first(("ttft_ms",), ("time_to_first_token_ms",)),
        "logged_cost": acc.first(("cost_usd",), ("cost",)),
        "is_error": f"coalesce(ms_int({status}) >= 400, false) OR coalesce({error}, 'null') NOT IN ('null', '')",
        **_usage_fields(acc, ("response", "usage"), ("usage",)),
    }
    if inputs.user:
        fields["user_id"] = acc.first(("request", "user"), ("user",))
    if inputs.key_name:
        fields["key_name"] = acc.first(("key_name",), ("api_key_name",))
    if inputs.path:
        fields["path"] = path_of(acc.first(("path",), ("url",), ("endpoint",)))
    extra = rule_columns(
        acc, inputs, metadata=[("request", "metadata"), ("metadata",)], headers=[("headers",), ("request_headers",)]
    )
    request_id = prompts.first(("response", "id"), ("id",), ("request_id",))
    lazy = lazy_of(prompts, {**_prompt_fields(prompts, ("request",)), "request_id": request_id})
    scan = jsonl_scan(source, acc, options)
    sql = record_select(scan.from_sql, fields, extra=extra, flags=scan.flags, carry=lazy.carry)
    return RecordQuery(sql, "line", lazy=lazy, numbered=options.numbered)


@log_format(
    "batch",
    "an OpenAI Batch API output file (custom_id, response.body)",
    detect=looks_like_batch_output,
    layouts=("jsonl",),
    priority=10,
)
def batch_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    """Records of a Batch API output file, joined to its input file (``source.companion``) if given."""
    out = Access("jsonl", present=source.sample_paths, prefix="_o", safe=options.safe)
    body = ("response", "body")
    status = out.get("response", "status_code")
    error = out.first(("error",), (*body, "error"))
    fields = {
        "ts_raw": out.get(*body, "created"),
        "model": out.get(*body, "model"),
        **named_workload([("response.body.metadata.workload", out.get(*body, "metadata", "workload"))]),
        "is_error": f"coalesce(ms_int({status}) >= 400, false) OR coalesce({error}, 'null') NOT IN ('null', '')",
        **_usage_fields(out, (*body, "usage")),
    }
    out_id = out.get("custom_id")
    extra = no_rule_columns(inputs)
    joined = ""
    lazy = Lazy()
    if source.companion is not None:
        inp = Access("jsonl", text="k", prefix="_i")
        prompts = Access("jsonl", text="k", prefix="_lz")
        lazy = lazy_of(prompts, {**_prompt_fields(prompts, ("body",)), "request_id": prompts.get("custom_id")})
        fields["model"] = f"coalesce({fields['model']}, {inp.get('body', 'model')})"
        if inputs.user:
            fields["user_id"] = inp.get("body", "user")
        if inputs.path:
            fields["path"] = path_of(inp.get("url"))
        extra = rule_columns(inp, inputs, metadata=[("body", "metadata")])
        fields |= named_workload(
            [
                ("body.metadata.workload (input file)", inp.get("body", "metadata", "workload")),
                ("response.body.metadata.workload", out.get(*body, "metadata", "workload")),
            ]
        )
        in_id = inp.get("custom_id")
        lines = jsonl_lines(source.companion, "k", numbered=False, max_line=options.max_line)
        joined = (
            f" LEFT JOIN (SELECT k{inp.extractions()} FROM ({lines}) AS l WHERE k IS NOT NULL AND trim(k) <> '')"
            f" AS inp ON {out_id} = {in_id}"
        )
    scan = jsonl_scan(source, out, options)
    from_sql = f"SELECT * FROM ({scan.from_sql}) AS o{joined}"
    sql = record_select(from_sql, fields, extra=extra, flags=scan.flags, carry=lazy.carry)
    return RecordQuery(sql, "line", lazy=lazy, numbered=options.numbered)
