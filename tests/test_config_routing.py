"""A workload's ``routing:`` section: defaults, and every mistake named by file:line:field."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.config import ConfigError, parse_migration

BASE = """\
endpoints:
  old: {provider: sim, model: claude-sonnet-4-5}
  new: {provider: sim, model: claude-haiku-4-5}
workloads:
  - name: triage
    routing:
      signal: {type: verifier, scorer: {type: json_valid}}
"""


def test_defaults_route_new_first_and_escalate_to_old() -> None:
    routing = parse_migration(BASE, "m.yaml", Path("/tmp")).workload("triage").routing
    assert routing is not None
    assert (routing.cheap, routing.strong, routing.threshold) == ("new", "old", 0.5)
    assert (routing.streaming, routing.buffer_max_bytes) == ("buffer", 65536)
    assert routing.signal == {"type": "verifier", "scorer": {"type": "json_valid"}}


def test_a_workload_without_routing_has_none() -> None:
    text = BASE.split("    routing:")[0]
    assert parse_migration(text, "m.yaml", Path("/tmp")).workload("triage").routing is None


@pytest.mark.parametrize(
    ("extra", "line", "field", "words"),
    [
        ("      threshold: 1.5\n", 8, "workloads[0].routing.threshold", "less than or equal to 1"),
        ("      streaming: later\n", 8, "workloads[0].routing.streaming", "'buffer' or 'classify'"),
        ("      buffer_max_bytes: 10\n", 8, "workloads[0].routing.buffer_max_bytes", "1024"),
        ("      cheap: mini\n", 8, "workloads[0].routing.cheap", "'mini' is not an endpoint; known: new, old"),
        ("      strong: big\n", 8, "workloads[0].routing.strong", "'big' is not an endpoint"),
        ("      cheap: old\n", 6, "workloads[0].routing", "cheap and strong must be different endpoints"),
        ("      thresold: 0.2\n", 8, "workloads[0].routing.thresold", "did you mean 'threshold'"),
    ],
)
def test_a_bad_routing_names_file_line_and_field(extra: str, line: int, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_migration(BASE + extra, "m.yaml", Path("/tmp"))
    issues = [str(i) for i in info.value.issues]
    assert any(i.startswith(f"m.yaml:{line}: {field}") and words in i for i in issues), issues


def test_a_signal_without_a_type_is_refused_where_it_is_written() -> None:
    text = BASE.replace("{type: verifier, scorer: {type: json_valid}}", "{scorer: {type: json_valid}}")
    with pytest.raises(ConfigError) as info:
        parse_migration(text, "m.yaml", Path("/tmp"))
    (issue,) = info.value.issues
    assert str(issue).startswith("m.yaml:7: workloads[0].routing.signal: a signal spec names its type")


def test_routing_may_name_a_candidate_endpoint() -> None:
    text = BASE.replace("workloads:", "  mini: {provider: sim, model: gpt-5-mini}\nworkloads:")
    text += "      cheap: mini\n      strong: new\n"
    routing = parse_migration(text, "m.yaml", Path("/tmp")).workload("triage").routing
    assert routing is not None and (routing.cheap, routing.strong) == ("mini", "new")
