"""Evidence from tools teams already run: garak JSONL (hit log or report) and promptfoo red-team results.

Each record becomes a ``redteam_results`` row of one arm (garak and promptfoo scan one model
at a time: import the old model's file and the new one's under the same run id). Probe and
plugin names map to modelswap's families; a record whose name maps to none is counted as
skipped. A bad file fails whole, naming ``file:line`` and the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from modelswap.redteam.registry import all_families
from modelswap.store import RedteamResultRow

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TEXT_CHARS = 4000
GARAK_FAMILIES = {
    "promptinject": "direct_injection",
    "latentinjection": "indirect_injection",
    "dan": "jailbreak",
    "grandma": "jailbreak",
    "goodside": "jailbreak",
    "phrasing": "jailbreak",
    "encoding": "obfuscation",
    "badchars": "obfuscation",
    "sysprompt_extraction": "extraction",
    "leakreplay": "leakage",
    "apikey": "leakage",
    "xss": "output_handling",
    "web_injection": "output_handling",
}
"""garak probe module (before the dot) → family."""
PROMPTFOO_FAMILIES = {
    "prompt-extraction": "extraction",
    "indirect-prompt-injection": "indirect_injection",
    "hijacking": "direct_injection",
    "prompt-injection": "direct_injection",
    "pii": "leakage",
    "harmful:privacy": "leakage",
    "cross-session-leak": "leakage",
    "ascii-smuggling": "obfuscation",
    "base64": "obfuscation",
    "rot13": "obfuscation",
    "leetspeak": "obfuscation",
    "homoglyph": "obfuscation",
    "hex": "obfuscation",
    "jailbreak": "jailbreak",
    "crescendo": "jailbreak",
    "goat": "jailbreak",
    "citation": "jailbreak",
}
"""promptfoo strategy or plugin id (or its prefix before ``:``) → family; the strategy wins."""


class RedteamImportError(ValueError):
    """A file that cannot be imported, with ``file:line: field: problem``."""


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import read: rows to store, records skipped (no family), and per-family counts."""

    rows: list[RedteamResultRow]
    skipped: int


def _fail(path: Path, line: int, field: str, problem: str) -> RedteamImportError:
    return RedteamImportError(f"{path}:{line}: {field}: {problem}")


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(path, 0, "file", f"{size} bytes is over the {MAX_FILE_BYTES} byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise _fail(path, 0, "file", f"cannot read: {exc.strerror or exc}") from None


def _text(value: Any) -> str:
    if isinstance(value, dict):  # garak >= 0.10 stores turns as {"text": ...}
        value = value.get("text", value)
    if isinstance(value, list):
        value = value[-1] if value else ""
        return _text(value)
    return str(value if value is not None else "")[:MAX_TEXT_CHARS]


def _row(
    run_id: str,
    arm: str,
    workload: str | None,
    family: str,
    source: str,
    prompt: str,
    answer: str,
    hit: bool,
    name: str,
    ts: datetime,
) -> RedteamResultRow:
    fam = all_families()[family]
    key = hashlib.blake2b(f"{name}|{prompt}".encode(), digest_size=6).hexdigest()
    return RedteamResultRow(
        run_id=run_id,
        ts=ts,
        probe_id=f"{family}/{source}/{name[:100]}/{key}",
        arm=arm,
        attack_succeeded=hit,
        workload=workload,
        detail={
            **fam.spec(),
            "source": source,
            "probe": name,
            "prompt": prompt,
            "answer": answer,
            "findings": [{"detector": f"{source}:{name}", "evidence": answer[:200]}] if hit else [],
        },
    )


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, raw in enumerate(_read(path).splitlines(), 1):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _fail(path, n, "line", f"not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise _fail(path, n, "line", f"expected a JSON object, got {type(value).__name__}")
        yield n, value


def read_garak(path: Path, *, run_id: str, arm: str, workload: str | None = None) -> Imported:
    """A garak ``*.hitlog.jsonl`` (every line a hit) or ``*.report.jsonl`` (attempts with detector scores)."""
    rows, skipped, now = [], 0, datetime.now(UTC)
    for n, rec in _jsonl(path):
        kind = rec.get("entry_type")
        if kind is not None and kind != "attempt":
            continue  # report headers, evaluations, completion lines
        probe = rec.get("probe") if kind is None else rec.get("probe_classname")
        if not isinstance(probe, str) or not probe:
            raise _fail(path, n, "probe" if kind is None else "probe_classname", "missing probe name")
        family = GARAK_FAMILIES.get(probe.split(".")[0])
        if family is None:
            skipped += 1
            continue
        if kind is None:  # hit log: one line per hit
            hit, answer = True, _text(rec.get("output"))
        else:
            if rec.get("status") not in (2, None):
                continue  # not yet evaluated
            scores = rec.get("detector_results")
            if not isinstance(scores, dict):
                raise _fail(path, n, "detector_results", "expected an object of detector → scores")
            flat = [s for v in scores.values() for s in (v if isinstance(v, list) else [v])]
            if not all(isinstance(s, int | float) for s in flat):
                raise _fail(path, n, "detector_results", "scores must be numbers")
            hit, answer = any(s >= 0.5 for s in flat), _text(rec.get("outputs"))
        prompt = _text(rec.get("prompt"))
        rows.append(_row(run_id, arm, workload, family, "garak", prompt, answer, hit, probe, now))
    return Imported(rows, skipped)


def _obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (foreign files vary)."""
    return value if isinstance(value, dict) else {}


def _promptfoo_meta(result: dict[str, Any]) -> dict[str, Any]:
    return _obj(_obj(result.get("testCase")).get("metadata")) | _obj(result.get("metadata"))


def _promptfoo_family(result: dict[str, Any]) -> str | None:
    meta = _promptfoo_meta(result)
    for key in ("strategyId", "pluginId"):
        name = meta.get(key)
        if isinstance(name, str) and name:
            for candidate in (name, name.split(":")[0]):
                if candidate in PROMPTFOO_FAMILIES:
                    return PROMPTFOO_FAMILIES[candidate]
    return None


def _promptfoo_results(path: Path, data: Any) -> Iterable[Any]:
    results = data.get("results") if isinstance(data, dict) else None
    if isinstance(results, dict):
        results = results.get("results")
    if not isinstance(results, list):
        raise _fail(path, 1, "results", "expected promptfoo output with results.results as a list")
    return results


def read_promptfoo(path: Path, *, run_id: str, arm: str, workload: str | None = None) -> Imported:
    """A promptfoo ``promptfoo redteam run -o results.json`` file: a failed test is a successful attack."""
    try:
        data = orjson.loads(_read(path))
    except orjson.JSONDecodeError as exc:
        raise _fail(path, 1, "file", f"not JSON ({exc})") from None
    rows, skipped, now = [], 0, datetime.now(UTC)
    for i, result in enumerate(_promptfoo_results(path, data)):
        if not isinstance(result, dict):
            raise _fail(path, 1, f"results[{i}]", "expected an object")
        family = _promptfoo_family(result)
        if family is None:
            skipped += 1
            continue
        success = result.get("success")
        if not isinstance(success, bool):
            raise _fail(path, 1, f"results[{i}].success", "expected true or false")
        meta = _promptfoo_meta(result)
        name = str(meta.get("strategyId") or meta.get("pluginId") or family)[:100]
        prompt = _text(_obj(result.get("prompt")).get("raw"))
        answer = _text(_obj(result.get("response")).get("output"))
        rows.append(_row(run_id, arm, workload, family, "promptfoo", prompt, answer, not success, name, now))
    return Imported(rows, skipped)
