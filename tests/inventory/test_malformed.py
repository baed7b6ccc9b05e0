"""Unusable records are counted and shown with their line numbers; a file that is not what it claims is refused."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelswap.config import Migration
from modelswap.inventory import FormatMismatch, InventoryError, take_inventory

from .conftest import FIXTURES, openai_record, spread, write_jsonl

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_malformed_lines_are_counted_and_reported_with_line_numbers(tmp_path: Path, migration: Migration) -> None:
    good = [json.dumps(openai_record(t, metadata={"workload": "support-chat"})) for t in spread(T0, 1, 8)]
    no_usage = openai_record(T0)
    del no_usage["response"]["usage"]
    bad_time = openai_record(T0)
    bad_time["timestamp"] = "yesterday at noon"
    lines = [
        good[0],
        good[1],
        '{"timestamp": "2025-03-01T12:00:00Z", "request": {"model": "gpt-4o"',  # 3: cut off
        good[2],
        "[1, 2, 3]",  # 5
        good[3],
        json.dumps(no_usage),  # 7: counted, its tokens unknown (not refused)
        good[4],
        "",  # 9: blank, skipped quietly
        good[5],
        json.dumps(bad_time),  # 11
        good[6],
        "   ",  # 13: blank
        good[7],
    ]
    write_jsonl(tmp_path / "log.jsonl", lines)
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)
    (report,) = inv.reports
    assert report.records == 9 and report.malformed == 3
    assert report.skipped == {"blank line": 2}
    assert [str(m) for m in report.examples] == [
        "line 3: not valid JSON",
        "line 5: not a JSON object",
        "line 11: unreadable timestamp",
    ]
    assert report.by_reason == {"not valid JSON": 1, "not a JSON object": 1, "unreadable timestamp": 1}
    assert inv.workload("support-chat").requests == 8
    assert inv.workload("support-chat").usage_unknown == 0
    (untagged,) = [w for w in inv.workloads if w.origin == "proposed"]
    assert (untagged.requests, untagged.usage_unknown, untagged.prompt_tokens) == (1, 1, 0)


def test_many_malformed_lines_show_the_first_ones_and_count_all(tmp_path: Path, migration: Migration) -> None:
    lines = [json.dumps(openai_record(T0, metadata={"workload": "support-chat"}))]
    lines += ["not json at all"] * 500
    write_jsonl(tmp_path / "log.jsonl", lines)
    (report,) = take_inventory([str(tmp_path / "log.jsonl")], migration=migration).reports
    assert report.malformed == 500 and len(report.examples) == 20
    assert [m.where for m in report.examples] == [f"line {n}" for n in range(2, 22)]


def test_crlf_line_endings_keep_line_numbers(tmp_path: Path, migration: Migration) -> None:
    good = json.dumps(openai_record(T0, metadata={"workload": "support-chat"}))
    (tmp_path / "log.jsonl").write_bytes(("\r\n".join([good, good, "{broken", good]) + "\r\n").encode())
    (report,) = take_inventory([str(tmp_path / "log.jsonl")], migration=migration).reports
    assert report.records == 3 and [str(m) for m in report.examples] == ["line 3: not valid JSON"]


def test_a_csv_row_the_parser_refuses_is_reported_with_its_line(tmp_path: Path, migration: Migration) -> None:
    lines = (FIXTURES / "litellm_spendlogs.csv").read_text().splitlines()
    broken = "chatcmpl-broken,acompletion,abc,0.1"  # far too few columns
    (tmp_path / "spend.csv").write_text("\n".join([lines[0], lines[1], broken, *lines[2:]]) + "\n")
    (report,) = take_inventory([str(tmp_path / "spend.csv")], migration=migration).reports
    assert report.records == 4 and report.malformed == 1
    (example,) = report.examples
    assert example.where == "line 3" and example.reason.startswith("unparsable CSV row")


def test_a_log_that_is_not_what_the_format_says_is_refused(migration: Migration) -> None:
    with pytest.raises(FormatMismatch) as exc:
        take_inventory([str(FIXTURES / "openai_requests.jsonl")], migration=migration, fmt="litellm")
    message = str(exc.value)
    assert "openai_requests.jsonl: not a LiteLLM SpendLogs export" in message
    assert "looks like an OpenAI-style request log" in message and "--format openai" in message

    with pytest.raises(FormatMismatch, match=r"not a Langfuse observations export.*LiteLLM SpendLogs export"):
        take_inventory([str(FIXTURES / "litellm_spendlogs.csv")], fmt="langfuse")
    with pytest.raises(FormatMismatch, match="not a JSON Lines log read through a column mapping; it is csv"):
        take_inventory([str(FIXTURES / "home_grown.csv")], fmt="jsonl")
    with pytest.raises(FormatMismatch, match="not a modelswap store"):
        take_inventory([str(FIXTURES / "openai_requests.jsonl")], fmt="store")


def test_files_that_are_not_logs_get_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "pretty.json").write_text('{\n  "data": [\n    {"a": 1}\n  ]\n}\n')
    (tmp_path / "broken.json").write_text('[{"traceId": "t", "startTime": "2025-03-01T00:00:00Z"}, {"traceId": ')
    (tmp_path / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (tmp_path / "unknown.jsonl").write_text('{"when": 1, "what": "x"}\n')
    cases = {
        "empty.jsonl": "empty file",
        "pretty.json": "not JSON Lines: line 1 is not valid JSON",
        "broken.json": "not valid JSON",
        "blob.bin": "binary content",
        "unknown.jsonl": "cannot tell which tool wrote this log; its fields are: what, when",
    }
    for name, expected in cases.items():
        with pytest.raises(InventoryError, match=expected):
            take_inventory([str(tmp_path / name)])
    with pytest.raises(InventoryError, match=r"nope\.jsonl: no such file"):
        take_inventory([str(tmp_path / "nope.jsonl")])


def test_no_request_on_the_old_model_names_the_models_seen(tmp_path: Path, migration: Migration) -> None:
    write_jsonl(
        tmp_path / "log.jsonl", [openai_record(T0, model="claude-sonnet-4-5", served_model="claude-sonnet-4-5")]
    )
    with pytest.raises(InventoryError, match=r"no requests on the model gpt-4o; models seen: claude-sonnet-4-5 \(1\)"):
        take_inventory([str(tmp_path / "log.jsonl")], migration=migration)


def test_a_broken_first_line_does_not_hide_the_rest(tmp_path: Path, migration: Migration) -> None:
    good = json.dumps(openai_record(T0, metadata={"workload": "support-chat"}))
    write_jsonl(tmp_path / "log.jsonl", [good[:40], good, good])
    (report,) = take_inventory([str(tmp_path / "log.jsonl")], migration=migration).reports
    assert report.records == 2 and [str(m) for m in report.examples] == ["line 1: not valid JSON"]


def test_records_refused_in_a_valid_json_log_are_located_too(tmp_path: Path, migration: Migration) -> None:
    """Valid JSON throughout: the fast pass counts the refusals, a second pass finds their lines."""
    good = json.dumps(openai_record(T0, metadata={"workload": "support-chat"}))
    no_model = openai_record(T0)
    del no_model["request"]["model"], no_model["response"]["model"]
    write_jsonl(tmp_path / "log.jsonl", [good, good, json.dumps(no_model), good, "", good, json.dumps(no_model)])
    (report,) = take_inventory([str(tmp_path / "log.jsonl")], migration=migration).reports
    assert (report.records, report.malformed, report.skipped) == (4, 2, {"blank line": 1})
    assert [str(m) for m in report.examples] == ["line 3: no model", "line 7: no model"]


def test_a_line_longer_than_the_fast_readers_buffer_is_read(tmp_path: Path, migration: Migration) -> None:
    image = "data:image/png;base64," + "A" * 3_000_000  # a 3 MB prompt: past DuckDB's default line size
    long = openai_record(T0, user_text=image, metadata={"workload": "support-chat"})
    short = openai_record(T0, metadata={"workload": "support-chat"})
    write_jsonl(tmp_path / "log.jsonl", [short, long, short])
    inv = take_inventory([str(tmp_path / "log.jsonl")], migration=migration)
    assert inv.reports[0].records == 3 and inv.workload("support-chat").requests == 3


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_lines_that_are_not_utf8_are_refused_by_line_and_the_rest_read(
    tmp_path: Path, migration: Migration, gz: bool
) -> None:
    """A Latin-1 line, random bytes or a cut multi-byte character: refused where it is, never fatal."""
    good = [json.dumps(openai_record(t, metadata={"workload": "support-chat"})).encode() for t in spread(T0, 1, 6)]
    lines = [
        b'{"note": "caf\xe9"}',  # 1: Latin-1, before any good line
        good[0],
        good[1],
        b"\xff\xfe\x00\x9c random",  # 4
        good[2],
        b'{"timestamp": "2025-03-01T12:00:00Z", "request": {"model": "gpt-4o"',  # 6: cut off (UTF-8)
        good[3],
        "caf\u00e9 \u20ac".encode()[:-1],  # 8: a multi-byte character cut short
        good[4],
        good[5],
    ]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / ("log.jsonl.gz" if gz else "log.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    inv = take_inventory([str(path)], migration=migration)
    (report,) = inv.reports
    assert inv.workload("support-chat").requests == 6 and report.records == 6
    assert [str(m) for m in report.examples] == [
        "line 1: not UTF-8 text",
        "line 4: not UTF-8 text",
        "line 6: not valid JSON",
        "line 8: not UTF-8 text",
    ]
    (warning,) = [w for w in inv.warnings if "UTF-8" in w]
    assert f"{path}:1, {path}:4, {path}:8" in warning
