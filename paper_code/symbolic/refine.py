"""Constant refinement with BFGS (``docs/symbolic_core.md`` §7; Kamienny et al., NeurIPS 2022).

Objective: MSE between the tree and the targets on at most ``max_points`` points, with exact gradients
from torch autograd through :func:`~paper_code.symbolic.expressions.evaluate_torch`; optimiser
``scipy.optimize.minimize(method="BFGS")`` started at the tree's own (predicted) constants; a
wall-clock cap per call; the best iterate seen is kept (never worse than the start).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import torch

from paper_code.symbolic.expressions import Node, evaluate_torch

__all__ = ["RefineResult", "refine_constants", "mse_and_grad"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefineResult:
    """Refined tree, its MSE, the starting MSE and the number of objective evaluations."""

    tree: Node
    loss: float
    initial_loss: float
    n_evals: int


class _TimeUp(Exception):
    pass


def mse_and_grad(tree: Node, X: torch.Tensor, y: torch.Tensor, c: np.ndarray) -> tuple[float, np.ndarray]:
    """MSE of ``tree`` with constants ``c`` and its gradient (autograd); non-finite → (inf, zeros)."""
    ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
    loss = torch.mean((evaluate_torch(tree, X, ct) - y) ** 2)
    if not torch.isfinite(loss):
        return float("inf"), np.zeros_like(c)
    if c.size == 0:
        return loss.item(), np.zeros_like(c)
    loss.backward()
    g = ct.grad.numpy().copy()  # type: ignore[union-attr]
    if not np.isfinite(g).all():
        return float("inf"), np.zeros_like(c)
    return loss.item(), g


def refine_constants(tree: Node, X: np.ndarray, y: np.ndarray, *, max_points: int = 1024,
                     time_limit: float = 1.0, max_iter: int = 200,
                     init: np.ndarray | None = None, rng: np.random.Generator | None = None) -> RefineResult:
    """Refine the float constants of ``tree`` to minimise MSE on ``(X, y)``.

    ``init`` overrides the starting constants (Kamienny et al.'s random-initialisation ablation passes N(0, 1) draws).
    Points are subsampled to ``max_points`` with ``rng`` (default seed 0).
    """
    c0 = np.asarray(tree.constants() if init is None else init, dtype=float)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(X) > max_points:
        idx = (rng or np.random.default_rng(0)).choice(len(X), max_points, replace=False)
        X, y = X[idx], y[idx]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    start_loss, _ = mse_and_grad(tree, Xt, yt, c0)
    if c0.size == 0:
        return RefineResult(tree.copy(), start_loss, start_loss, 1)
    best = {"c": c0.copy(), "loss": start_loss, "n": 1}
    t_end = time.monotonic() + time_limit

    def fun(c: np.ndarray) -> tuple[float, np.ndarray]:
        if time.monotonic() > t_end:
            raise _TimeUp
        loss, g = mse_and_grad(tree, Xt, yt, c)
        best["n"] += 1
        if loss < best["loss"]:
            best["c"], best["loss"] = c.copy(), loss
        return (loss, g) if np.isfinite(loss) else (1e300, g)

    try:
        scipy.optimize.minimize(fun, c0, jac=True, method="BFGS", options={"maxiter": max_iter})
    except _TimeUp:
        log.debug("refinement hit the %.2fs wall-clock cap", time_limit)
    return RefineResult(tree.with_constants(best["c"]), float(best["loss"]), start_loss, int(best["n"]))
