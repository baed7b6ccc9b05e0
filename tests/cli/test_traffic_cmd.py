"""``modelswap traffic`` as the README runs it: the gateway's own model by default, a table, honest exit codes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from tests.cli.conftest import Served, modelswap

from modelswap.sim.traffic import ERROR_DETAIL_CHARS, error_detail


def test_traffic_uses_a_model_the_gateway_serves_and_prints_a_table(served: Served) -> None:
    # gpt-5-to-sonnet serves gpt-5 and a Claude model, not the gpt-4o the command used to send
    done = modelswap("traffic", served.base_url, "--rate", "200", "--count", "30", cwd=served.directory)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "for model claude-" in done.stdout or "for model gpt-5" in done.stdout
    assert "TrafficSummary(" not in done.stdout
    assert "Traffic to" in done.stdout and " 30 " in done.stdout
    assert all(len(line) <= 80 for line in done.stdout.splitlines())


def test_traffic_that_mostly_fails_exits_1_and_says_why(served: Served) -> None:
    done = modelswap(
        "traffic",
        served.base_url,
        "--rate",
        "200",
        "--count",
        "20",
        "--model",
        "gpt-no-such-model",
        cwd=served.directory,
    )
    assert done.returncode == 1
    # a model the migration does not name is passed through: the vendor's own 404 comes back
    assert "first 404:" in done.stderr and "gpt-no-such-model" in done.stderr
    assert "20 of 20 requests failed" in done.stderr


def test_traffic_to_nothing_is_one_line(tmp_path: Path) -> None:
    from modelswap.gateway.server import free_port

    done = modelswap("traffic", f"http://127.0.0.1:{free_port()}/v1", "--count", "5", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot reach") and len(done.stderr.strip().splitlines()) == 1


def test_error_detail_reads_both_vendor_shapes() -> None:
    assert error_detail(b'{"error": {"message": "model  x\\nnot served", "type": "invalid_request_error"}}') == (
        "model x not served"
    )
    assert error_detail(b'{"type": "error", "error": {"type": "not_found_error", "message": "no"}}') == "no"
    assert error_detail(b"<html>bad gateway</html>") == "<html>bad gateway</html>"


@given(st.binary(max_size=2000))
def test_error_detail_never_fails_and_stays_short(raw: bytes) -> None:
    text = error_detail(raw)
    assert isinstance(text, str) and len(text) <= ERROR_DETAIL_CHARS
