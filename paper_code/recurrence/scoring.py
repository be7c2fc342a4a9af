"""Success of a continuation (d'Ascoli et al., ICML 2022, §4): the predicted next terms against the true ones.

A prediction of horizon ``h`` at tolerance ``τ`` is correct when the largest relative error of its first ``h`` terms,
``max_i |ŷ_i - y_i| / |y_i|``, is below ``τ``; ``τ = 0`` asks for exact equality (the OEIS criterion; for integers
it is what the paper's ``τ = 1e-10`` means). A missing prediction, or one with fewer than ``h`` terms, is wrong.
Errors are computed on Python integers (exact for terms of any size), or in float64 for float sequences, where
"exact" means ``τ = 1e-10`` as in the paper.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["TOLERANCES", "relative_error", "max_relative_error", "correct", "accuracy"]

#: The paper's tolerance sweep (Fig. 4), with 0 for exact equality in place of 1e-10.
TOLERANCES = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def relative_error(pred: float, true: float) -> float:
    """``|pred - true| / |true|`` for integers or floats (``0`` if equal; ``inf`` for a true 0 missed, a NaN
    prediction, or a ratio beyond float range)."""
    if pred == true:
        return 0.0
    if true == 0:
        return math.inf
    try:
        err = abs(pred - true) / abs(true)
    except OverflowError:
        return math.inf
    return math.inf if math.isnan(err) else err


def max_relative_error(pred: Sequence[int] | None, true: Sequence[int], horizon: int) -> float:
    """Largest relative error of the first ``horizon`` terms (``inf`` when fewer are predicted)."""
    if horizon < 1 or horizon > len(true):
        raise ValueError(f"horizon must be in 1..{len(true)} (the true terms), got {horizon}")
    if pred is None or len(pred) < horizon:
        return math.inf
    return max(relative_error(p, t) for p, t in zip(pred[:horizon], true[:horizon]))


def correct(pred: Sequence[int] | None, true: Sequence[int], horizon: int, tol: float = 0.0) -> bool:
    """The first ``horizon`` terms are right: exactly (``tol = 0``) or within relative error ``tol``."""
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    err = max_relative_error(pred, true, horizon)
    return err == 0.0 if tol == 0 else err < tol


def accuracy(preds: Sequence[Sequence[int] | None], trues: Sequence[Sequence[int]], horizon: int,
             tol: float = 0.0) -> float:
    """Fraction of correct predictions (NaN for none)."""
    if len(preds) != len(trues):
        raise ValueError(f"{len(preds)} predictions for {len(trues)} sequences")
    if not preds:
        return float("nan")
    return float(np.mean([correct(p, t, horizon, tol) for p, t in zip(preds, trues)]))
