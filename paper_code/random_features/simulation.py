"""Direct simulations of the random-features model at finite D (docs/papers/random_features_phase_space.md,
sections 2 and 5).

    x ~ strong/weak Gaussian,   teacher u = theta.x / sqrt(D)
    regression labels      y = u + sqrt(Delta) eps
    classification labels  y = sign(u), flipped with probability delta
    features               z = sigma(F x / sqrt(D)) / sqrt(D),   F (P, D) with N(0, 1) entries
    readout                a = argmin sum_mu (y_mu - a.z_mu)^2 + ridge |a|^2 = (Z^T Z + ridge I)^-1 Z^T y

The penalty is ``ridge |a|^2``, the convention under which the theory of
:mod:`theory` holds (the reference numerics notebook, ``random-features/strong_weak_numeric.ipynb``
of GitHub ``sdascoli/strong-weak``, used ridge/2).

Features are uncentred by default, as in the reference numerics (plain ReLU). The
theory's Gaussian equivalence has no constant term mu0 = E sigma(u); ``centre=True``
subtracts mu0 / sqrt(D) from every feature, so the two can be compared on the same
draws (the notebook's test of whether mu0 matters).
Errors are measured as in the theory: regression (1/2) E[(y_hat - u)^2] against the
clean teacher; classification P[sign(y_hat) != sign(u)]; train loss (1/2) mean (y - y_hat)^2.

For speed every seed draws one pool of N_max inputs, P_max features and one test
set, and each (P, N) point uses the first P features and N samples (nested designs,
as in the reference code); points of one seed are therefore correlated, seeds are not.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .model import StrongWeakData, activation_fn, check_activation, check_task, gaussian_equivalence

__all__ = ["SimulationResult", "rf_features", "ridge_readout", "make_labels", "errors", "simulate_random_features"]

log = logging.getLogger(__name__)


def rf_features(X: np.ndarray, F: np.ndarray, activation: str, centre: bool = False) -> np.ndarray:
    """Z = (sigma(X F^T / sqrt(D)) - c mu0) / sqrt(D), c = 1 if ``centre`` else 0; X (n, D), F (P, D) -> (n, P)."""
    D = X.shape[1]
    if F.shape[1] != D:
        raise ValueError(f"F has {F.shape[1]} columns but the inputs have D={D}")
    z = activation_fn(activation)(X @ F.T / math.sqrt(D))
    if centre:
        z -= gaussian_equivalence(activation).mu0
    return z / math.sqrt(D)


def ridge_readout(Z: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """a = (Z^T Z + ridge I_P)^-1 Z^T y, via the N x N dual system when N < P; Z (N, P), y (N,) -> (P,)."""
    if not ridge > 0:
        raise ValueError(f"ridge must be > 0, got {ridge!r}")
    N, P = Z.shape
    if N >= P:
        return linalg.solve(Z.T @ Z + ridge * np.eye(P), Z.T @ y, assume_a="pos")
    return Z.T @ linalg.solve(Z @ Z.T + ridge * np.eye(N), y, assume_a="pos")


def make_labels(u: np.ndarray, task: str, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Training labels from the clean teacher output u (n,): Gaussian noise of variance Delta, or sign flips."""
    if check_task(task) == "regression":
        return u + math.sqrt(noise) * rng.standard_normal(u.shape)
    flip = rng.random(u.shape) < noise
    return np.where(flip, -1.0, 1.0) * np.sign(u)


def errors(y_hat: np.ndarray, u: np.ndarray, task: str) -> float:
    """Test error against the clean teacher output u (regression: half the squared error; classification: sign
    errors)."""
    if task == "regression":
        return float(0.5 * np.mean((y_hat - u) ** 2))
    return float(np.mean(np.sign(y_hat) != np.sign(u)))


@dataclass(frozen=True)
class SimulationResult:
    """Simulated errors at K points (psi1_k, psi2_k) for S seeds.

    Fields: psi1, psi2 (K,) realised P/D and N/D; test_error, train_loss (S, K).
    """

    psi1: np.ndarray
    psi2: np.ndarray
    D: int
    task: str
    activation: str
    data: StrongWeakData
    ridge: float
    noise: float
    test_error: np.ndarray
    train_loss: np.ndarray
    centred: bool = False

    @property
    def n_seeds(self) -> int:
        return int(self.test_error.shape[0])

    def mean_sem(self, key: str = "test_error") -> tuple[np.ndarray, np.ndarray]:
        """Seed mean and standard error of the mean, each (K,)."""
        v = getattr(self, key)
        return v.mean(0), v.std(0, ddof=1) / math.sqrt(v.shape[0])


def simulate_random_features(
    psi1,
    psi2,
    *,
    D: int,
    data: StrongWeakData = StrongWeakData(),
    task: str = "regression",
    activation: str = "relu",
    ridge: float = 1e-3,
    noise: float = 0.0,
    n_seeds: int = 5,
    n_test: int = 2000,
    seed: int = 0,
    centre: bool = False,
) -> SimulationResult:
    """Train the random-features student at P = round(psi1 D), N = round(psi2 D) for each point.

    Args:
        psi1, psi2: 1-d arrays (or scalars) that broadcast to K points.
        D: input dimension (D / r_phi must be whole); n_seeds >= 2 (error bars); n_test test inputs.
        centre: subtract the activation's mean mu0 from the features (see the module docstring);
            the same ``seed`` gives the same data, teacher and features either way.
        Other arguments as in :func:`theory.solve_saddle_point`.
    """
    check_task(task)
    check_activation(activation)
    if n_seeds < 2:
        raise ValueError(f"n_seeds must be >= 2 for error bars, got {n_seeds}")
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    p1, p2 = np.broadcast_arrays(np.atleast_1d(np.asarray(psi1, float)), np.atleast_1d(np.asarray(psi2, float)))
    P = np.maximum(1, np.rint(p1 * D)).astype(int)
    N = np.maximum(1, np.rint(p2 * D)).astype(int)
    data.block_sizes(D)  # validates D / r_phi
    K = P.size
    test, train = np.empty((n_seeds, K)), np.empty((n_seeds, K))
    for s in range(n_seeds):
        rng = np.random.default_rng(np.random.SeedSequence([seed, s]))
        theta = data.sample_teacher(rng, D)
        X = data.sample_inputs(rng, int(N.max()), D)
        X_test = data.sample_inputs(rng, n_test, D)
        F = rng.standard_normal((int(P.max()), D))
        u, u_test = X @ theta / math.sqrt(D), X_test @ theta / math.sqrt(D)
        y = make_labels(u, task, noise, rng)
        Z, Z_test = rf_features(X, F, activation, centre), rf_features(X_test, F, activation, centre)
        for k in range(K):
            z = Z[: N[k], : P[k]]
            a = ridge_readout(z, y[: N[k]], ridge)
            test[s, k] = errors(Z_test[:, : P[k]] @ a, u_test, task)
            train[s, k] = float(0.5 * np.mean((y[: N[k]] - z @ a) ** 2))
    return SimulationResult(P / D, N / D, int(D), task, activation, data, float(ridge), float(noise), test, train,
                            bool(centre))
