"""One meaning for the report flags of every command: ``-f/--format`` the output format, ``-o/--output``
the file to write it to. Older spellings of ``inventory`` and ``spend`` still work (their help says so)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OUTPUT_FORMATS = ("table", "md", "json")
LOG_FORMATS = ("auto", "openai", "batch", "litellm", "langfuse", "csv", "jsonl", "store")  # inventory.sources.FORMATS


class FlagError(ValueError):
    """Flags that cannot be read one way: the message says which and what to write instead."""


@dataclass(frozen=True, slots=True)
class ReportFlags:
    """What to print or write, and (for ``inventory``) how to read the logs."""

    format: str = "table"
    output: Path | None = None
    log_format: str = "auto"


def report_flags(
    format: str | None, output: str | None, out: str | None = None, log_format: str | None = None
) -> ReportFlags:
    """Read ``-f``, ``-o``, the old ``--out`` and ``--log-format`` into one meaning (pure; no I/O).

    Old meanings kept: ``inventory -f LOGFORMAT`` (the value names a log format, never an output
    format) and ``-o table|md|json`` / ``--out`` (an output format, not a file).
    """
    if format is not None and format not in OUTPUT_FORMATS and format in LOG_FORMATS and log_format is None:
        log_format, format = format, None
    if output is not None and output in OUTPUT_FORMATS:
        out, output = output, None
    if out is not None:
        if format is not None and format != out:
            raise FlagError(f"two output formats given ({format} and {out}): use -f alone")
        format = out
    format = format or "table"
    if format not in OUTPUT_FORMATS:
        raise FlagError(f"-f/--format must be table, md or json; got {format!r}")
    # --log-format is checked by the inventory itself, against every registered log format
    if output is not None and format == "table":
        raise FlagError("-o/--output writes md or json: add -f md or -f json")
    return ReportFlags(format, Path(output) if output is not None else None, log_format or "auto")
