"""Calibration: the cheapest non-inferior threshold on split A, verified on split B."""

from __future__ import annotations

import random

import pytest

from modelswap.routing.calibrate import CaseOutcome, calibrate, candidates, curve, split_cases, thin

CHEAP, STRONG = 1.0, 20.0


def _cases(n: int, *, cheap_quality: float, signal_noise: float, seed: int = 1) -> list[CaseOutcome]:
    """Cheap right with ``cheap_quality``; the signal sees it through noise; the strong model is right 95 %."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        cheap_ok = rng.random() < cheap_quality
        conf = min(1.0, max(0.0, (0.8 if cheap_ok else 0.2) + rng.gauss(0, signal_noise)))
        out.append(CaseOutcome(f"c{i:04d}", cheap_ok, rng.random() < 0.95, CHEAP, STRONG, round(conf, 3)))
    return out


def test_a_telling_signal_keeps_most_on_the_cheap_model_and_holds_on_the_other_split() -> None:
    result = calibrate(_cases(800, cheap_quality=0.8, signal_noise=0.1), margin_points=2.0, seed=3)
    assert result.threshold is not None and 0.2 < result.threshold <= 0.8
    check = result.verification
    assert check is not None and check.non_inferior and check.n == 400
    assert check.difference.lower > -2.0
    assert 0.6 < 1 - check.escalation < 0.9, "about the cheap model's right answers are kept"
    assert (
        check.saving_interval.lower > 0.5 and check.saving_interval.lower < check.saving < check.saving_interval.upper
    )


def test_a_signal_that_cannot_tell_keeps_nothing_cheap() -> None:
    """Confidence unrelated to the cheap answer's quality: only escalating (almost) everything stays within 2 points."""
    cases = _cases(800, cheap_quality=0.6, signal_noise=5.0)
    result = calibrate(cases, margin_points=2.0, seed=3)
    if result.threshold is not None:
        assert result.verification is not None and result.verification.escalation > 0.9
    kept_all = next(p for p in result.curve if p.threshold == 0.0)
    assert kept_all.share_cheap == 1.0 and kept_all.pass_rate < kept_all.strong_pass_rate - 0.2


def test_escalations_pay_for_the_cheap_try_only_when_the_signal_needed_its_answer() -> None:
    cases = [CaseOutcome(f"c{i}", True, True, CHEAP, STRONG, 0.0 if i % 2 else 1.0) for i in range(40)]
    after = {p.threshold: p for p in curve(cases, needs_answer=True)}
    before = {p.threshold: p for p in curve(cases, needs_answer=False)}
    assert after[1.0].mean_cost == pytest.approx((CHEAP + (CHEAP + STRONG)) / 2)
    assert before[1.0].mean_cost == pytest.approx((CHEAP + STRONG) / 2)
    assert after[0.0].cost_ratio == pytest.approx(CHEAP / STRONG) and after[1.0].share_cheap == 0.5


def test_the_split_is_seeded_disjoint_and_bounded() -> None:
    cases = _cases(100, cheap_quality=0.8, signal_noise=0.1)
    a, b = split_cases(cases, 0.5, seed=9)
    assert {c.case_id for c in a}.isdisjoint({c.case_id for c in b}) and len(a) + len(b) == 100
    assert split_cases(list(reversed(cases)), 0.5, seed=9) == (a, b), "the case order does not change the split"
    assert split_cases(cases, 0.5, seed=10) != (a, b)
    with pytest.raises(ValueError, match="at least 10"):
        split_cases(cases[:15], 0.5, seed=0)
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        split_cases(cases, 1.0, seed=0)


def test_candidates_are_zero_and_each_confidence() -> None:
    cases = [CaseOutcome(str(i), True, True, CHEAP, STRONG, c) for i, c in enumerate((0.5, 0.5, 1.0, 0.25))]
    assert candidates(cases) == [0.0, 0.25, 0.5, 1.0]


def test_thin_keeps_the_ends_and_the_picked_threshold() -> None:
    points = curve(_cases(300, cheap_quality=0.8, signal_noise=0.2), needs_answer=True)
    assert len(points) > 40
    picked = points[17].threshold
    shown = thin(points, picked, most=10)
    assert shown[0] == points[0] and shown[-1] == points[-1] and any(p.threshold == picked for p in shown)
    assert len(shown) <= 11 and shown == sorted(shown, key=lambda p: p.threshold)
    assert thin(points[:5], None) == list(points[:5])
