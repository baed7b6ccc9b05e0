"""``modelswap check`` builds each routed workload's signal and says, at file:line, why one cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelswap.cli.app import app

MIGRATION = """\
store: sqlite:///{store}
endpoints:
  old: {{provider: sim, model: claude-sonnet-4-5}}
  new: {{provider: sim, model: {cheap}}}
workloads:
  - name: triage
    routing:
      signal: {signal}
      streaming: {streaming}
"""


def check(tmp_path: Path, signal: str, cheap: str = "gpt-5-mini", streaming: str = "buffer") -> tuple[int, str]:
    path = tmp_path / "migration.yaml"
    text = MIGRATION.format(store=tmp_path / "m.db", cheap=cheap, signal=signal, streaming=streaming)
    path.write_text(text)
    result = CliRunner().invoke(app, ["check", str(path)])
    return result.exit_code, " ".join(result.output.split())


def test_a_good_routing_passes(tmp_path: Path) -> None:
    code, output = check(tmp_path, "{type: verifier, scorer: {type: json_valid}}")
    assert code == 0, output
    assert "triage: new arm routed new → old on verifier (threshold 0.5; streams held up to 65536 bytes)" in output


@pytest.mark.parametrize(
    ("signal", "words"),
    [
        ("{type: verifer}", "migration.yaml:8: workloads[0].routing.signal: signal spec"),
        ("{type: verifier, scorer: {type: regex}}", "pattern: required parameter is missing"),
        ("{type: self_consistency, samples: 20}", "samples is 1 to 8, got 20"),
        ("{type: classifier, path: nowhere.json}", "cannot read the classifier"),
    ],
)
def test_a_bad_signal_is_named_where_it_is_written(tmp_path: Path, signal: str, words: str) -> None:
    code, output = check(tmp_path, signal)
    assert code == 1 and words in output, output


def test_logprobs_on_an_anthropic_cheap_model_is_refused_with_the_reason(tmp_path: Path) -> None:
    code, output = check(tmp_path, "{type: logprobs}", cheap="claude-haiku-4-5")
    assert code == 1
    assert "migration.yaml:8: workloads[0].routing.signal: with cheap endpoint 'new' (claude-haiku-4-5)" in output
    assert "Anthropic's Messages API returns no token logprobs" in output
    assert check(tmp_path, "{type: logprobs}", cheap="gpt-5-mini")[0] == 0


def test_classify_streaming_needs_a_signal_that_rates_the_request(tmp_path: Path) -> None:
    code, output = check(tmp_path, "{type: verifier, scorer: {type: json_valid}}", streaming="classify")
    assert code == 1
    assert "migration.yaml:9: workloads[0].routing.streaming: classify decides before any model answers" in output


def test_serve_refuses_to_start_with_a_signal_that_cannot_work(tmp_path: Path) -> None:
    check(tmp_path, "{type: classifier, path: gone.json}")
    result = CliRunner().invoke(app, ["serve", "-c", str(tmp_path / "migration.yaml"), "--port", "1"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "workloads[0].routing.signal:" in output and "cannot read the classifier" in output
    assert "not starting: 1 routing problem(s)" in output and "gateway on" not in output
