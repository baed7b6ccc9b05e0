"""Fuzzing every log reader: generated and malformed lines are counted or refused with a reason.

Each log mixes valid records (with or without usage, failed or not, naming a workload or not)
with records that must be refused (negative, implausible or inconsistent token counts, no
model, an unreadable time) and lines that are not records at all. Whatever the mix: no
traceback, every line is accounted for (used + refused + skipped = lines), every valid
record is counted as a request, with its error and its unknown usage, and every line of bytes
that are not UTF-8 text is refused as such, never stopping the others.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelswap.inventory import ColumnMapping, InventoryError, take_inventory

T0 = datetime(2025, 3, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["support-chat", "x" * 150]),
)
tokens = st.integers(min_value=0, max_value=2_000_000)
NOT_UTF8 = "not UTF-8 text"
random_bytes = st.binary(min_size=1, max_size=60).map(
    lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ").replace(b"\x01", b" ")
)
garbage = st.one_of(
    random_bytes,
    st.text(alphabet=st.characters(exclude_characters="\r\n\x01", exclude_categories=("Cs",)), min_size=1, max_size=60),
    st.builds(json.dumps, st.one_of(st.integers(), st.lists(st.integers(), max_size=3), st.text(max_size=10))),
    st.builds(
        lambda d: json.dumps({f"x_{k}": v for k, v in d.items()}),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    ),
)


@dataclass
class Truth:
    """What a generated log holds: valid requests, their errors and unknown usage, and the line count."""

    lines: list[bytes] = field(default_factory=list)
    valid: int = 0
    errors: int = 0
    no_usage: int = 0

    def add(self, line: str | bytes, *, valid: bool, error: bool = False, usage: bool = True) -> None:
        self.lines.append(line if isinstance(line, bytes) else line.encode("utf-8"))
        if valid:
            self.valid += 1
            self.errors += error
            self.no_usage += not error and not usage


@dataclass(frozen=True)
class Spec:
    """One generated record: its fields, and how it is broken (``None``: a valid record)."""

    i: int
    error: bool
    usage: str  # "full", "none", "half"
    prompt: int
    completion: int
    cached: int
    name: str | None
    broken: str | None


specs = st.builds(
    Spec,
    i=st.integers(0, 10_000),
    error=st.booleans(),
    usage=st.sampled_from(["full", "full", "none", "half"]),
    prompt=tokens,
    completion=tokens,
    cached=tokens,
    name=names,
    broken=st.sampled_from([None, None, None, "negative", "implausible", "no model", "bad time", "cached"]),
)
items = st.lists(st.one_of(specs, garbage, st.just("")), min_size=0, max_size=25)


def _tokens(s: Spec) -> tuple[int | None, int | None, int]:
    prompt, completion, cached = s.prompt, s.completion, min(s.cached, s.prompt)
    if s.broken == "negative":
        prompt = -1 - prompt
    elif s.broken == "implausible":
        completion = 10**12 + completion
    elif s.broken == "cached":
        cached = prompt + 1
    if s.usage == "none":
        return None, None, 0
    if s.usage == "half":
        return prompt, None, 0
    return prompt, completion, cached


def _ts(s: Spec) -> str:
    return "not a time" if s.broken == "bad time" else (T0 + timedelta(minutes=s.i)).isoformat()


def _refused(s: Spec, cached_logged: bool) -> bool:
    """Whether the record must be refused (a broken token count only matters where it is logged)."""
    if s.broken in ("no model", "bad time"):
        return True
    if s.broken == "cached":
        return cached_logged and s.usage == "full"
    if s.broken in ("negative", "implausible"):
        return s.usage == "full" or (s.usage == "half" and s.broken == "negative")
    return False


def _write(
    truth_of: Callable[[Spec], tuple[dict[str, Any], bool]], first: Spec, entries: list[Any], *, cached: bool = True
) -> Truth:
    truth = Truth()
    for entry in [first, *entries]:
        if isinstance(entry, Spec):
            record, usage_logged = truth_of(entry)
            refused = _refused(entry, cached)
            truth.add(json.dumps(record), valid=not refused, error=entry.error, usage=usage_logged)
        else:
            truth.add(entry, valid=False)
    return truth


def _undecodable(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _check(path: Path, truth: Truth, **kw: Any) -> None:
    path.write_bytes(b"\n".join(truth.lines) + b"\n")
    try:
        inv = take_inventory([str(path)], **kw)
    except InventoryError as exc:  # only when nothing is left to inventory: said, not a traceback
        assert truth.valid == 0, str(exc)
        return
    (report,) = inv.reports
    assert report.records + report.malformed + sum(report.skipped.values()) == len(truth.lines)
    assert report.records == truth.valid == inv.total_requests
    bad = [n for n, line in enumerate(truth.lines, 1) if _undecodable(line)]
    assert report.by_reason.get(NOT_UTF8, 0) == len(bad), report.by_reason
    shown = {m.where for m in report.examples if m.reason == NOT_UTF8}
    assert shown <= {f"line {n}" for n in bad}, "a refused line is named by its own number"
    assert sum(w.errors for w in inv.workloads) == truth.errors
    assert sum(w.usage_unknown for w in inv.workloads) == truth.no_usage


GOOD = Spec(0, False, "full", 10, 5, 0, None, None)


def _openai(s: Spec) -> tuple[dict[str, Any], bool]:
    prompt, completion, cached = _tokens(s)
    usage: dict[str, Any] = {}
    if prompt is not None:
        usage["prompt_tokens"] = prompt
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    if completion is not None:
        usage["completion_tokens"] = completion
    record: dict[str, Any] = {
        "timestamp": _ts(s),
        "latency_ms": 100 + s.i,
        "status": 500 if s.error else 200,
        "request": {"model": "gpt-4o", "messages": [{"role": "system", "content": f"p{s.i % 3}"}]},
        "response": {"model": None if s.broken == "no model" else "gpt-4o", "usage": usage},
    }
    if s.broken == "no model":
        del record["request"]["model"]
    if s.name is not None:
        record["workload" if s.i % 2 else "metadata"] = s.name if s.i % 2 else {"workload": s.name}
    return record, prompt is not None and completion is not None


@SETTINGS
@given(entries=items)
def test_openai_reader(entries: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "log.jsonl", _write(_openai, GOOD, entries), fmt="openai")


def _stored(s: Spec) -> tuple[dict[str, Any], bool]:
    record, logged = _openai(s)
    flat: dict[str, Any] = {
        "object": "chat.completion",
        "id": f"chatcmpl-{s.i}",
        "created": "yesterday" if s.broken == "bad time" else int((T0 + timedelta(minutes=s.i)).timestamp()),
        "model": None if s.broken == "no model" else "gpt-4o",
        "usage": record["response"]["usage"],
        "metadata": {"workload": s.name} if s.name is not None else {},
        "choices": [],
    }
    if s.error:
        flat["error"] = {"message": "failed"}
    return flat, logged


@SETTINGS
@given(entries=items)
def test_openai_reader_on_stored_completions(entries: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "stored.jsonl", _write(_stored, GOOD, entries), fmt="openai")


def _batch(s: Spec) -> tuple[dict[str, Any], bool]:
    prompt, completion, _ = _tokens(s)
    usage = {k: v for k, v in (("prompt_tokens", prompt), ("completion_tokens", completion)) if v is not None}
    body: dict[str, Any] = {
        "created": "soon" if s.broken == "bad time" else int((T0 + timedelta(minutes=s.i)).timestamp()),
        "model": None if s.broken == "no model" else "gpt-4o",
        "usage": usage,
    }
    if s.name is not None:
        body["metadata"] = {"workload": s.name}
    response = {"status_code": 500 if s.error else 200, "body": body}
    return {"id": f"b{s.i}", "custom_id": f"r{s.i}", "response": response, "error": None}, bool(len(usage) == 2)


@SETTINGS
@given(entries=items)
def test_batch_reader(entries: list[Any]) -> None:
    # a failed batch call without a time is counted (as an error): make failures keep their time
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "out.jsonl", _write(_batch, GOOD, entries, cached=False), fmt="batch")


def _litellm(s: Spec) -> tuple[dict[str, Any], bool]:
    prompt, completion, cached = _tokens(s)
    start = _ts(s)
    record: dict[str, Any] = {
        "request_id": f"chatcmpl-{s.i}",
        "call_type": "acompletion",
        "spend": 0.001,
        "startTime": start,
        "endTime": start,
        "model": "" if s.broken == "no model" else "gpt-4o",
        "model_group": "" if s.broken == "no model" else "gpt-4o",
        "status": "failure" if s.error else "success",
        "request_tags": ["User-Agent: x", s.name] if s.name is not None else [],
        "metadata": {"usage_object": {"prompt_tokens_details": {"cached_tokens": cached}}},
    }
    if prompt is not None:
        record["prompt_tokens"] = prompt
    if completion is not None:
        record["completion_tokens"] = completion
    return record, prompt is not None and completion is not None


@SETTINGS
@given(entries=items)
def test_litellm_reader(entries: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "spend.jsonl", _write(_litellm, GOOD, entries), fmt="litellm")


def _langfuse(s: Spec) -> tuple[dict[str, Any], bool]:
    prompt, completion, cached = _tokens(s)
    details: dict[str, Any] = {}
    if prompt is not None:
        details["input"] = prompt - cached
        details["input_cached_tokens"] = cached
    if completion is not None:
        details["output"] = completion
    record: dict[str, Any] = {
        "id": f"obs-{s.i}",
        "traceId": f"t-{s.i}",
        "type": "GENERATION",
        "startTime": _ts(s),
        "model": None if s.broken == "no model" else "gpt-4o",
        "level": "ERROR" if s.error else "DEFAULT",
        "usageDetails": details,
        "traceName": s.name,
        "metadata": {},
    }
    return record, prompt is not None and completion is not None


@SETTINGS
@given(entries=items, spans=st.integers(0, 3))
def test_langfuse_reader(entries: list[Any], spans: int) -> None:
    truth = _write(_langfuse, GOOD, entries)
    for n in range(spans):  # spans are skipped, and counted apart
        truth.add(json.dumps({"id": f"s{n}", "traceId": "t", "type": "SPAN", "startTime": T0.isoformat()}), valid=False)
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "obs.jsonl", truth, fmt="langfuse")


MAPPING = ColumnMapping(
    {
        "timestamp": "at",
        "model": "m",
        "prompt_tokens": "u.in",
        "completion_tokens": "u.out",
        "status": "code",
        "workload": "feature",
    }
)


def _generic(s: Spec) -> tuple[dict[str, Any], bool]:
    prompt, completion, _ = _tokens(s)
    usage = {k: v for k, v in (("in", prompt), ("out", completion)) if v is not None}
    record = {
        "at": _ts(s),
        "m": None if s.broken == "no model" else "gpt-4o",
        "u": usage,
        "code": 500 if s.error else 200,
    }
    if s.name is not None:
        record["feature"] = s.name
    return record, len(usage) == 2


@SETTINGS
@given(entries=items)
def test_generic_jsonl_reader(entries: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "any.jsonl", _write(_generic, GOOD, entries, cached=False), fmt="jsonl", mapping=MAPPING)


not_utf8 = st.binary(max_size=60).map(lambda b: b"\xff" + b.replace(b"\n", b" ").replace(b"\r", b" "))


@SETTINGS
@given(
    entries=st.lists(st.one_of(specs.filter(lambda s: s.broken is None), not_utf8), max_size=25), at=st.integers(0, 25)
)
def test_lines_not_utf8_anywhere_never_stop_the_inventory(entries: list[Spec | bytes], at: int) -> None:
    """Wherever lines of bytes that are not UTF-8 fall (first lines included), the format is still
    detected, each such line is refused by its number, and every record is read."""
    entries = list(entries)
    entries.insert(min(at, len(entries)), GOOD)
    truth = Truth()
    for entry in entries:
        if isinstance(entry, Spec):
            record, logged = _openai(entry)
            truth.add(json.dumps(record), valid=True, error=entry.error, usage=logged)
        else:
            truth.add(entry, valid=False)
    with tempfile.TemporaryDirectory() as tmp:
        _check(Path(tmp) / "log.jsonl", truth)
