"""Reconstruction and generalisation scores of a predicted ODE system (the paper's protocol;
``docs/papers/odeformer.md`` §5).

* Reconstruction: integrate the prediction from the first clean observed state over the original time
  grid and score it against the clean, non-subsampled trajectory.
* Generalisation: integrate the prediction from a new initial condition and score it against the true
  solution from that initial condition.
* Score: variance-weighted R² over components, clipped at 0 (core :func:`r2_score`); a failed, diverging
  or NaN integration of the prediction scores 0. Accuracy = fraction of systems with R² > 0.9.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from paper_code.odeformer.integrate import SCORING_SOLVER, SolverSettings, integrate
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.metrics import r2_score

__all__ = ["ACCURACY_THRESHOLD", "simulate", "trajectory_r2", "reconstruction_score",
           "generalization_score", "accuracy", "SystemScore"]

#: §5: a system counts as recovered when R² > 0.9 (strict).
ACCURACY_THRESHOLD = 0.9


def simulate(system: Sequence[Node], x0: Sequence[float] | np.ndarray, t: np.ndarray,
             settings: SolverSettings = SCORING_SOLVER) -> np.ndarray | None:
    """Solution ``(len(t), D)`` of ``system`` from ``x0`` at ``t[0]``, or ``None`` if the integration was
    rejected (failed, diverged, NaN, overflow, evaluation cap). The right-hand side is compiled
    (:mod:`paper_code.symbolic.compile`), which gives the NumPy evaluator's values ~20× faster."""
    try:
        traj = integrate(system, x0, t, settings, compiled=True)
    except ValueError:  # e.g. the prediction uses a variable the observed system lacks
        return None
    return traj.y if traj.ok else None


def trajectory_r2(y_true: np.ndarray, y_pred: np.ndarray | None) -> float:
    """Variance-weighted R² clipped at 0; ``None`` / non-finite predictions give 0."""
    return r2_score(np.asarray(y_true, dtype=float), y_pred, clip=0.0)


def reconstruction_score(pred: Sequence[Node], t: np.ndarray, y_clean: np.ndarray,
                         settings: SolverSettings = SCORING_SOLVER) -> float:
    """R² of the prediction integrated from the first clean state ``y_clean[0]`` over ``t``."""
    y_clean = np.asarray(y_clean, dtype=float).reshape(len(t), -1)
    if len(pred) != y_clean.shape[1]:
        return 0.0
    return trajectory_r2(y_clean, simulate(pred, y_clean[0], np.asarray(t, dtype=float), settings))


def generalization_score(pred: Sequence[Node], t: np.ndarray, x0_new: Sequence[float] | np.ndarray,
                         y_true_new: np.ndarray | None = None, true_system: Sequence[Node] | None = None,
                         settings: SolverSettings = SCORING_SOLVER) -> float:
    """R² of the prediction from a new initial condition ``x0_new`` against the true solution, given either
    directly (``y_true_new``, e.g. ODEBench's IC-2 solution) or by integrating ``true_system``."""
    t = np.asarray(t, dtype=float)
    if y_true_new is None:
        if true_system is None:
            raise ValueError("give y_true_new or true_system")
        y_true_new = simulate(true_system, x0_new, t, settings)
        if y_true_new is None:
            raise ValueError("the true system could not be integrated from x0_new")
    y_true_new = np.asarray(y_true_new, dtype=float).reshape(len(t), -1)
    if len(pred) != y_true_new.shape[1]:
        return 0.0
    return trajectory_r2(y_true_new, simulate(pred, x0_new, t, settings))


def accuracy(scores: Iterable[float], threshold: float = ACCURACY_THRESHOLD) -> float:
    """Fraction of scores strictly above ``threshold``."""
    s = np.asarray(list(scores), dtype=float)
    if s.size == 0:
        raise ValueError("no scores")
    return float(np.mean(s > threshold))


@dataclass(frozen=True)
class SystemScore:
    """Both scores of one benchmark system."""

    reconstruction: float
    generalization: float

    @property
    def reconstructed(self) -> bool:
        return self.reconstruction > ACCURACY_THRESHOLD

    @property
    def generalized(self) -> bool:
        return self.generalization > ACCURACY_THRESHOLD
