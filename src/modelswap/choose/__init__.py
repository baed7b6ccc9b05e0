"""Which model should a workload use? Candidates run on its golden set, ranked against the old model.

- ``candidates``: endpoint names or catalog ids → endpoints; retired models left out (pure).
- ``figures``: one candidate's pass rate, paired difference, cost and p95 with intervals, and gates (pure).
- ``ranking``: the Pareto front (pass rate ↑, cost ↓, p95 ↓) and the cheapest candidate passing every gate (pure).
- ``report``: JSON and Markdown of a choice (pure).
- ``run``: the glue: evals through the eval runner, then ranking and the store.
"""

from modelswap.choose.candidates import Candidates, ChooseError, resolve_candidates
from modelswap.choose.ranking import CandidateFigures, Estimate, Ranking, cheapest_passing, pareto_front, rank
from modelswap.choose.report import WorkloadChoice, to_json, to_markdown, workload_from_json

__all__ = [
    "CandidateFigures",
    "Candidates",
    "ChooseError",
    "Estimate",
    "Ranking",
    "WorkloadChoice",
    "cheapest_passing",
    "pareto_front",
    "rank",
    "resolve_candidates",
    "to_json",
    "to_markdown",
    "workload_from_json",
]
