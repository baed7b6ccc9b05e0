"""Gates: old vs new on one metric, judged with confidence intervals → PASS, FAIL or INCONCLUSIVE.

Pure decisions over measured values; loading the data and storing the results happen elsewhere.
"""

from modelswap.gates.error_rate import decide_error_rate
from modelswap.gates.escalation import decide_escalation_rate
from modelswap.gates.evaluate import GateData, evaluate
from modelswap.gates.human_review import decide_human_review
from modelswap.gates.pass_rate import decide_pass_rate
from modelswap.gates.ratio import decide_ratio, min_cases_for
from modelswap.gates.report import estimate_cell, interval_cell, limit_cell, render_junit, render_markdown, to_json
from modelswap.gates.result import GateResult, Verdict, overall

__all__ = [
    "GateData",
    "GateResult",
    "Verdict",
    "decide_error_rate",
    "decide_escalation_rate",
    "decide_human_review",
    "decide_pass_rate",
    "decide_ratio",
    "estimate_cell",
    "evaluate",
    "interval_cell",
    "limit_cell",
    "min_cases_for",
    "overall",
    "render_junit",
    "render_markdown",
    "to_json",
]
