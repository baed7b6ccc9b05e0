"""Input guards shared by the statistics functions: clear errors instead of NaNs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def as_sample(values: npt.ArrayLike, name: str = "values") -> npt.NDArray[np.float64]:
    """A non-empty 1-D float array of finite numbers, or a ``ValueError`` naming ``name``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; at least one observation is needed")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_outcomes(values: npt.ArrayLike, name: str = "outcomes") -> npt.NDArray[np.bool_]:
    """A 1-D boolean array (pass/fail per case); accepts bools or 0/1 numbers."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must hold pass/fail outcomes (booleans or 0/1)")
    return arr.astype(np.bool_)


def check_confidence(confidence: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")
    return float(confidence)


def check_count(count: int, n: int, name: str = "successes") -> None:
    """``0 <= count <= n`` with ``n >= 1``."""
    if n < 1:
        raise ValueError(f"need at least one trial, got n={n}")
    if not 0 <= count <= n:
        raise ValueError(f"{name} must lie between 0 and n={n}, got {count}")
