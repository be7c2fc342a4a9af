"""Evaluation metrics (``docs/symbolic_core.md`` §8).

* :func:`r2_score` — scikit-learn R² (``1 - SS_res/SS_tot``; constant targets give 1 for a perfect fit
  else 0, as ``force_finite=True``), variance-weighted over columns for systems, clipped below at
  ``clip`` (default 0, the papers' convention). Invalid predictions (any NaN/inf, wrong shape, ``None``
  for a parse failure) score the clip value (failure).
* :func:`r2_accuracy` — ``R² > threshold`` (ODEFormer 0.9) or ``>=`` (E2E 0.99), see ``strict``.
* :func:`tolerance_accuracy` — Acc_τ: at least ``fraction`` (95 %) of points with ``|ŷ - y| <= atol + τ|y|``
  (``atol = 0``: E2E Acc_τ; ``atol = 1e-3, τ = 0.05``: the "Biggio" variant).
* :func:`complexity` — number of nodes of a tree.
"""
from __future__ import annotations

import numpy as np

from paper_code.symbolic.expressions import Node

__all__ = ["r2_score", "r2_accuracy", "tolerance_accuracy", "complexity"]


def _valid(y_true: np.ndarray, y_pred: np.ndarray | None) -> bool:
    return y_pred is not None and y_pred.shape == y_true.shape and bool(np.isfinite(y_pred).all())


def r2_score(y_true: np.ndarray, y_pred: np.ndarray | None, clip: float | None = 0.0) -> float:
    """Variance-weighted R² over columns (1-D inputs: ordinary R²), clipped below at ``clip``.

    ``clip=None`` disables clipping; invalid predictions then give ``-inf``.
    """
    y = np.asarray(y_true, dtype=float)
    low = -np.inf if clip is None else float(clip)
    p = None if y_pred is None else np.asarray(y_pred, dtype=float)
    if not _valid(y, p):
        return low
    y2 = y.reshape(len(y), -1)
    p2 = p.reshape(len(p), -1)  # type: ignore[union-attr]
    ss_res = ((y2 - p2) ** 2).sum()
    ss_tot = ((y2 - y2.mean(axis=0)) ** 2).sum()
    if ss_tot == 0:
        r2 = 1.0 if ss_res == 0 else 0.0
    else:
        r2 = 1.0 - ss_res / ss_tot
    return float(max(r2, low))


def r2_accuracy(y_true: np.ndarray, y_pred: np.ndarray | None, threshold: float = 0.9, strict: bool = True) -> bool:
    """``R² > threshold`` (``strict``; ODEFormer 0.9, SRBench 0.999) or ``R² >= threshold`` (E2E 0.99)."""
    r2 = r2_score(y_true, y_pred, clip=None)
    return bool(r2 > threshold) if strict else bool(r2 >= threshold)


def tolerance_accuracy(y_true: np.ndarray, y_pred: np.ndarray | None, tau: float = 0.05, atol: float = 0.0,
                       fraction: float = 0.95) -> bool:
    """Acc_τ: at least ``fraction`` of points satisfy ``|ŷ - y| <= atol + τ·|y|`` (NaN points fail)."""
    y = np.asarray(y_true, dtype=float)
    if y_pred is None:
        return False
    p = np.asarray(y_pred, dtype=float)
    if p.shape != y.shape:
        return False
    with np.errstate(invalid="ignore"):
        ok = np.abs(p - y) <= atol + tau * np.abs(y)
    return bool(ok.mean() >= fraction)


def complexity(tree: Node | list[Node]) -> int:
    """Number of nodes (summed over components for systems)."""
    if isinstance(tree, list):
        return sum(t.size() for t in tree)
    return tree.size()
