"""The migration file's rollout section and rollback triggers: defaults, and errors naming file:line:field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelswap.config import ConfigError, parse_migration

HEAD = """\
endpoints:
  old: {provider: sim, model: gpt-4o}
  new: {provider: sim, model: gpt-5}
workloads:
  - name: support
"""


def issues(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_migration(text, "m.yaml")
    return [str(i) for i in info.value.issues]


def test_defaults_are_the_process() -> None:
    r = parse_migration(HEAD, "m.yaml").workload("support").rollout
    assert [(s.share, s.hold_hours) for s in r.schedule] == [(1, 48), (10, 24), (50, 24), (100, 0)]
    assert (r.min_requests_per_arm, r.approval, r.alpha, r.check_every_minutes) == (200, "first", 0.05, 1.0)


def test_a_workload_overrides_the_schedule_key_by_key() -> None:
    text = HEAD + "    rollout: {approval: every_step}\nrollout: {min_requests_per_arm: 50, approval: before_full}\n"
    m = parse_migration(text, "m.yaml")
    assert (m.workload("support").rollout.approval, m.workload("support").rollout.min_requests_per_arm) == (
        "every_step",
        50,
    )


def test_bad_knobs_name_the_line_and_field() -> None:
    text = HEAD + "rollout:\n  approval: sometimes\n  alpha: 0.9\n"
    found = issues(text)
    assert any(i.startswith("m.yaml:7") and "approval" in i for i in found), found
    assert any(i.startswith("m.yaml:8") and "alpha" in i for i in found), found


def test_a_trigger_with_the_wrong_kind_of_threshold_says_which() -> None:
    text = HEAD + "    rollback_triggers:\n      - {metric: p95_latency, max_increase_points: 2}\n"
    (issue,) = issues(text)
    assert issue.startswith("m.yaml:7") and "give max_ratio, not max_increase_points" in issue


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["min_requests_per_arm", "approval", "alpha", "check_every_minutes", "webhook_url_env"]),
        st.one_of(st.integers(-5, 500), st.floats(-1, 2), st.text(max_size=12), st.none()),
        max_size=4,
    )
)
def test_any_rollout_section_loads_or_fails_with_located_issues(section: dict[str, object]) -> None:
    import json

    text = HEAD + "rollout: " + json.dumps(section) + "\n"
    try:
        parse_migration(text, "m.yaml")
    except ConfigError as exc:
        assert exc.issues and all(str(i).startswith("m.yaml:") for i in exc.issues)
