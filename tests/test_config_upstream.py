"""The ``upstream:`` section and the endpoints' timeouts: defaults, overrides, file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelswap.config import ConfigError, parse_migration
from modelswap.providers.h1 import Limits, Timeouts
from modelswap.providers.wiring import pool_of, timeouts_of

BASE = """\
endpoints:
  old: {provider: sim, model: gpt-4o}
  new: {provider: sim, model: gpt-5, first_byte_timeout_s: 300}
  slow: {provider: sim, model: o3, timeout_s: 90}
workloads:
  - name: support
"""


def test_defaults_and_overrides() -> None:
    m = parse_migration(BASE, "m.yaml", Path("/tmp"))
    assert timeouts_of(m.endpoints["old"], m) == Timeouts(connect_s=5.0, first_byte_s=60.0, idle_s=60.0)
    assert timeouts_of(m.endpoints["new"], m) == Timeouts(connect_s=5.0, first_byte_s=300.0, idle_s=60.0)
    assert timeouts_of(m.endpoints["slow"], m) == Timeouts(connect_s=5.0, first_byte_s=90.0, idle_s=90.0)
    assert m.upstream.retry_budget.ratio == 0.2


def test_the_section_sets_every_endpoints_defaults_and_the_pool() -> None:
    text = BASE + (
        "upstream:\n  connect_timeout_s: 2\n  idle_timeout_s: 120\n  max_body_bytes: 65536\n"
        "  max_connections: 64\n  retry_budget: {ratio: 0.1, burst: 3}\n"
    )
    m = parse_migration(text, "m.yaml", Path("/tmp"))
    assert timeouts_of(m.endpoints["old"], m) == Timeouts(connect_s=2.0, first_byte_s=60.0, idle_s=120.0)
    pool = pool_of(m)
    assert pool.limits == Limits(max_body_bytes=65536)
    assert m.upstream.retry_budget.burst == 3


@pytest.mark.parametrize(
    ("extra", "line", "field"),
    [
        ("upstream:\n  first_byte_timeout_s: 0\n", 8, "upstream.first_byte_timeout_s"),
        ("upstream:\n  max_event_bytes: 12\n", 8, "upstream.max_event_bytes"),
        ("upstream:\n  retry_budget: {ratio: 2}\n", 8, "upstream.retry_budget.ratio"),
        ("upstream:\n  idle_timeout: 5\n", 8, "upstream.idle_timeout"),
    ],
)
def test_a_bad_setting_names_file_line_and_field(extra: str, line: int, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_migration(BASE + extra, "m.yaml", Path("/tmp"))
    issues = [str(i) for i in info.value.issues]
    assert any(i.startswith(f"m.yaml:{line}: {field}") for i in issues), issues


def test_an_endpoint_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigError) as info:
        parse_migration(BASE.replace("first_byte_timeout_s: 300", "first_byte_timeout_s: -1"), "m.yaml", Path("/tmp"))
    assert str(info.value.issues[0]).startswith("m.yaml:3: endpoints.new.first_byte_timeout_s")


def test_the_readmes_upstream_example_loads() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = next(part for part in readme.split("```yaml")[1:] if "upstream:" in part).split("```")[0]
    text = "\n".join(line.removeprefix("  ") for line in block.splitlines()) + "workloads: [{name: support}]\n"
    m = parse_migration(text, "README.md", Path("/tmp"))
    assert m.upstream == parse_migration(BASE, "m.yaml", Path("/tmp")).upstream, "the example shows the defaults"
    assert timeouts_of(m.endpoints["new"], m).first_byte_s == 600
