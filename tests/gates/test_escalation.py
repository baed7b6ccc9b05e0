"""The escalation-rate gate: Wilson interval of the escalated share against a ceiling."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from modelswap.config import EscalationRateGate, Gates
from modelswap.gates import GateData, Verdict, evaluate
from modelswap.gates.escalation import decide_escalation_rate, requests_to_decide
from modelswap.stats.proportions import wilson_interval

GATE = EscalationRateGate(max_percent=30)


def _flags(escalated: int, n: int) -> list[bool]:
    return [True] * escalated + [False] * (n - escalated)


def test_low_share_passes_with_the_wilson_interval_in_the_reason() -> None:
    result = decide_escalation_rate(_flags(20, 200), GATE)
    expected = wilson_interval(20, 200)
    assert result.verdict is Verdict.PASS
    assert result.estimate == pytest.approx(10.0)
    assert result.interval == pytest.approx((100 * expected.lower, 100 * expected.upper))
    assert "20 of 200 routed requests escalated" in result.reason


def test_high_share_fails_and_a_straddling_one_asks_for_more_requests() -> None:
    assert decide_escalation_rate(_flags(90, 200), GATE).verdict is Verdict.FAIL
    close = decide_escalation_rate(_flags(25, 100), GATE)
    assert close.verdict is Verdict.INCONCLUSIVE and close.more_cases_needed is not None
    more = close.more_cases_needed
    bigger = wilson_interval(int(0.25 * (100 + more)), 100 + more)
    assert bigger.upper < 0.30, "the promised number of requests does decide it at the same share"


def test_too_few_requests_never_pass() -> None:
    result = decide_escalation_rate(_flags(0, 10), GATE)
    assert result.verdict is Verdict.INCONCLUSIVE and result.more_cases_needed == 20
    empty = decide_escalation_rate([], GATE)
    assert empty.verdict is Verdict.INCONCLUSIVE and "no routed requests" in empty.reason


def test_share_on_the_ceiling_cannot_be_decided() -> None:
    assert requests_to_decide(30, 100, 0.30, 0.95) is None


def test_false_pass_rate_at_the_ceiling_stays_nominal() -> None:
    """A true share exactly at the ceiling passes at most (1 − confidence) / 2 of the time (+ simulation noise)."""
    rng = np.random.default_rng(7)
    runs = 2000
    passes = sum(decide_escalation_rate(rng.random(300) < 0.30, GATE).verdict is Verdict.PASS for _ in range(runs))
    assert passes / runs <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / runs)


def test_evaluate_judges_the_gate_when_configured() -> None:
    gates = Gates(pass_rate=None, redteam=None, escalation_rate=GATE)
    (result,) = evaluate(gates, GateData(escalated=_flags(10, 100)))
    assert result.gate == "escalation_rate" and result.verdict is Verdict.PASS
    (missing,) = evaluate(gates, GateData())
    assert missing.verdict is Verdict.INCONCLUSIVE


def test_reports_show_the_share_in_percent() -> None:
    from modelswap.gates import estimate_cell, interval_cell, limit_cell

    result = decide_escalation_rate(_flags(20, 200), GATE)
    assert estimate_cell(result) == "10.0 %"
    assert interval_cell(result).endswith("] %") and limit_cell(result) == "< 30 %"


def test_the_gate_is_refused_on_a_workload_without_routing(tmp_path: Path) -> None:
    from modelswap.config import load_migration
    from modelswap.config_errors import ConfigError
    from modelswap.starter import write_starter

    written = write_starter(tmp_path, "sonnet-to-haiku-routing", today=date(2026, 12, 2))
    text = written.migration.read_text()
    start, end = text.index("    routing:"), text.index("    gates:")
    written.migration.write_text(text[:start] + text[end:])
    with pytest.raises(ConfigError) as caught:
        load_migration(written.migration)
    assert "escalation_rate judges a cascade's escalations" in str(caught.value)
