"""Any other CSV or JSONL log, read through a column mapping (``ColumnMapping``).

The mapping names which column (CSV) or key path (JSONL, dotted: ``usage.prompt_tokens``,
list positions as numbers: ``messages.0.content``) holds each field; see
``base.COLUMN_FIELDS``. Timestamps, tokens and latencies are required as for every format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from modelswap.inventory.errors import InventoryError
from modelswap.inventory.readers._access import (
    Access,
    file_records,
    header_value,
    lazy_of,
    named_workload,
    path_of,
)
from modelswap.inventory.readers.base import ReaderOptions, RecordQuery
from modelswap.inventory.readers.registry import log_format
from modelswap.inventory.rules import RuleInputs
from modelswap.inventory.sources import Source


def _keys(spec: str, layout: str) -> tuple[str | int, ...]:
    if layout == "csv":
        return (spec,)
    return tuple(int(part) if part.isdecimal() else part for part in spec.split("."))


@log_format("csv", "a CSV log read through a column mapping", layouts=("csv",))
@log_format("jsonl", "a JSON Lines log read through a column mapping", layouts=("jsonl", "json-array"))
def generic_records(source: Source, inputs: RuleInputs, options: ReaderOptions) -> RecordQuery:
    """Records of a CSV or JSONL log through the column mapping in ``options``."""
    cols = _mapped_columns(source, options)
    acc = Access(source.layout, source.columns, present=source.sample_paths, safe=options.safe)
    lz = Access(source.layout, source.columns, present=source.sample_paths, prefix="_lz", safe=options.safe)

    def get(name: str, access: Access = acc) -> str:
        return access.get(*_keys(cols[name], source.layout)) if name in cols else "NULL"

    def seconds_or_ms(ms: str, s: str) -> str:
        return f"coalesce(ms_num({get(ms)}), ms_num({get(s)}) * 1000)"

    error = get("error")
    fields = {
        "ts_raw": get("timestamp"),
        "model": get("model"),
        **named_workload([(f"column {cols['workload']}", get("workload"))] if "workload" in cols else []),
        "prompt_tokens": get("prompt_tokens"),
        "completion_tokens": get("completion_tokens"),
        "cached_tokens": get("cached_tokens"),
        "latency_ms": seconds_or_ms("latency_ms", "latency_s"),
        "ttft_ms": seconds_or_ms("ttft_ms", "ttft_s"),
        "logged_cost": get("cost_usd"),
        "is_error": f"coalesce(ms_int({get('status')}) >= 400, false) "
        f"OR coalesce({error}, '') NOT IN ('', 'null', 'false', '0', 'None')",
        "user_id": get("user"),
        "key_name": get("key_name"),
        "path": path_of(get("path")),
    }
    lazy = lazy_of(
        lz,
        {
            "system_prompt": get("system_prompt", lz),
            "user_text": get("user_message", lz),
            "tools": get("tools", lz),
            "request_id": get("request_id", lz),
        },
    )
    extra = _rule_columns(inputs, cols, get)
    return file_records(source, options, acc, fields, extra=extra, lazy=lazy)


def _mapped_columns(source: Source, options: ReaderOptions) -> Mapping[str, str]:
    """The column mapping (field → column), checked against the file's columns when it is a CSV."""
    if options.mapping is None:
        raise InventoryError(
            f"{source.location}: a generic {source.layout.upper()} log needs a column mapping, e.g. "
            "--column timestamp=created_at --column model=model --column prompt_tokens=input_tokens "
            "--column completion_tokens=output_tokens"
        )
    cols = options.mapping.columns
    if source.layout == "csv":
        missing = [f"{field}={col}" for field, col in cols.items() if col not in source.columns]
        if missing:
            raise InventoryError(
                f"{source.location}: the column mapping names column(s) the file does not have: "
                f"{', '.join(missing)}; its columns are: {', '.join(source.columns)}"
            )
    return cols


def _rule_columns(inputs: RuleInputs, cols: Mapping[str, str], get: Callable[[str], str]) -> list[tuple[str, str]]:
    """The ``meta_N`` / ``hdr_N`` columns the rules read, from mapped ``metadata.KEY``, ``metadata`` or ``headers``."""
    extra = []
    for key in inputs.metadata_keys:
        if f"metadata.{key}" in cols:
            expr = get(f"metadata.{key}")
        elif "metadata" in cols:
            expr = f"json_extract_string({get('metadata')}, {_quoted_key(key)})"
        else:
            expr = "NULL"
        extra.append((inputs.meta_column(key), expr))
    for name in inputs.header_names:
        expr = header_value(get("headers"), name) if "headers" in cols else "NULL"
        extra.append((inputs.header_column(name), expr))
    return extra


def _quoted_key(key: str) -> str:
    from modelswap.inventory.sqltext import key_path, lit

    return lit(key_path(key))
