"""``python``: a custom scorer written as a plain function, named by ``package.module:function``.

The function is called as ``fn(case, output, **args)`` (it may be async) and returns a bool
(pass/fail), a number (a score in [0, 1]; passes at ``threshold`` when one is given), a
``Score``, or a promptfoo-style dict ``{"pass": bool, "score": float, "reason": str}``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from modelswap.evals.scorers.base import Score, spec_of
from modelswap.evals.scorers.registry import scorer

if TYPE_CHECKING:
    from modelswap.evals.case import Case
    from modelswap.evals.output import Output


def resolve_function(ref: str) -> Callable[..., Any]:
    """The callable named by ``package.module:function`` (``function`` may be dotted: ``Class.method``)."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"function {ref!r} should look like 'package.module:function'")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r} for {ref!r}: {exc}") from None
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ValueError(f"module {module_name!r} has no {attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"{ref!r} is not callable")
    return cast("Callable[..., Any]", target)


@scorer("python")
@dataclass(frozen=True, kw_only=True)
class PythonScorer:
    """Scores with a function of (case, output) found by dotted path."""

    function: str
    args: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    _fn: Callable[..., Any] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fn", resolve_function(self.function))

    async def score(self, case: Case, output: Output) -> Score:
        result = self._fn(case, output, **self.args)
        if inspect.isawaitable(result):
            result = await result
        return self.to_score(result)

    def to_score(self, result: Any) -> Score:
        """Turn what the function returned into a ``Score`` carrying this scorer's spec."""
        spec = spec_of(self)
        if isinstance(result, Score):
            return replace(result, spec=spec, name=result.name or "python")
        if isinstance(result, dict):
            passed, value = result.get("pass"), result.get("score")
            reason = str(result.get("reason", ""))
            return Score(None if passed is None else bool(passed), value, reason or self.function, spec, "python")
        if isinstance(result, bool):
            return Score(result, float(result), f"{self.function} returned {result}", spec, "python")
        if isinstance(result, (int, float)):
            value = float(result)
            passed = None if self.threshold is None else value >= self.threshold
            return Score(passed, value, f"{self.function} scored {value:g}", spec, "python")
        raise TypeError(f"{self.function} returned {type(result).__name__}; expected bool, float, Score or dict")
