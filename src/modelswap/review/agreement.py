"""Agreement between reviewers: Cohen's kappa for two, Fleiss' kappa for more, and the conflicts
that need a third opinion."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import numpy.typing as npt


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float:
    """Cohen's kappa (1960) for two reviewers' labels on the same items, in the same order.

    ``(p_o − p_e) / (1 − p_e)``; 1.0 when both used one and the same label throughout (perfect
    agreement with no chance to disagree), NaN when ``p_e = 1`` otherwise cannot occur.
    """
    if len(first) != len(second):
        raise ValueError(f"{len(first)} labels against {len(second)}; both reviewers must label the same items")
    if not first:
        raise ValueError("no items labelled by both reviewers")
    n = len(first)
    labels = sorted(set(first) | set(second), key=repr)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    expected = sum((list(first).count(k) / n) * (list(second).count(k) / n) for k in labels)
    if expected == 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(counts: npt.ArrayLike) -> float:
    """Fleiss' kappa (1971) from a subjects × categories table of how many raters chose each category.

    Every subject must have the same number of raters, at least two.
    """
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("expected a non-empty subjects × categories table")
    if np.any(table < 0):
        raise ValueError("counts must not be negative")
    raters = table.sum(axis=1)
    if np.any(raters != raters[0]) or raters[0] < 2:
        raise ValueError("every subject needs the same number of raters, at least two")
    n, m = table.shape[0], raters[0]
    p_j = table.sum(axis=0) / (n * m)
    p_i = (np.square(table).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), np.square(p_j).sum()
    if p_e == 1.0:
        return 1.0
    return float((p_bar - p_e) / (1.0 - p_e))


def conflicts(verdicts: Mapping[int, Mapping[str, str]]) -> list[int]:
    """Pairs whose reviewers gave different verdicts (pair id → reviewer → verdict), ascending."""
    return sorted(pair for pair, by in verdicts.items() if len(set(by.values())) > 1)


def judge_human_agreement(
    judge: Mapping[int, str], humans: Mapping[int, Mapping[str, str]]
) -> tuple[int, float | None]:
    """Pairs rated by both, and Cohen's kappa between the judge and the people's majority (ties
    between people and ``both_bad`` read as ``same``); None when no pair has both."""
    a, b = [], []
    for pid, label in judge.items():
        votes = [("same" if v == "both_bad" else v) for v in humans.get(pid, {}).values()]
        if not votes:
            continue
        top = max(set(votes), key=votes.count)
        majority = top if votes.count(top) * 2 > len(votes) else "same"
        a.append(label)
        b.append(majority)
    return len(a), (cohen_kappa(a, b) if a else None)
