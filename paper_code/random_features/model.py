"""The strong/weak-feature data model, the teacher and the activations.

Paper: d'Ascoli, Gabrié, Sagun, Biroli, "More data or more parameters? Investigating
the effect of data structure on generalization", arXiv 2103.05524 v1; reference
code GitHub ``sdascoli/strong-weak`` (``random-features/``). Everything here is our
own code; docs/papers/random_features_phase_space.md (section 2) describes the model in words.

Inputs x in R^D are Gaussian with a block-diagonal covariance: a "strong" (salient)
block of phi1 D coordinates with variance lambda1 and a "weak" block of phi2 D
coordinates with variance lambda2. The teacher theta has variance beta1 / beta2 on
the two blocks. Three ratios set everything (the normalisations of the reference code):

    phi1 = 1/r_phi,  phi2 = 1 - 1/r_phi                 (fraction of salient dimensions)
    r_x = lambda1/lambda2,  phi1 lambda1 + phi2 lambda2 = 1      (saliency)
    r_beta = beta1/beta2,   rho = phi1 lambda1 beta1 + phi2 lambda2 beta2 = 1   (relevance)

so that the teacher's preactivation theta.x/sqrt(D) and the features'
preactivations F x/sqrt(D) both have unit variance.

Activations enter the theory only through their Gaussian-equivalence coefficients
(section 3 of the doc above): sigma(u) ~ mu0 + mu1 u + mu_star xi for u ~ N(0, 1), with

    mu0 = E sigma(u),  mu1 = E[u sigma(u)],  mu_star^2 = E sigma(u)^2 - mu0^2 - mu1^2.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from paper_code.common.config import Validated, param

__all__ = [
    "ACTIVATIONS",
    "TASKS",
    "StrongWeakData",
    "GaussianEquivalence",
    "gaussian_equivalence",
    "numerical_gaussian_equivalence",
    "activation_fn",
    "check_task",
    "check_activation",
]

TASKS = ("regression", "classification")


def _relu(u: np.ndarray) -> np.ndarray:
    return np.maximum(u, 0.0)


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"relu": _relu, "tanh": np.tanh, "sign": np.sign}
ACTIVATIONS = tuple(_FUNCTIONS)


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return task


def check_activation(activation: str) -> str:
    if activation not in _FUNCTIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def activation_fn(activation: str) -> Callable[[np.ndarray], np.ndarray]:
    """The elementwise non-linearity sigma of the random features."""
    return _FUNCTIONS[check_activation(activation)]


@dataclass(frozen=True)
class GaussianEquivalence:
    """Coefficients of sigma(u) ~ mu0 + mu1 u + mu_star xi for u ~ N(0, 1) (Gaussian equivalence)."""

    mu0: float
    mu1: float
    mu_star: float


def _gauss_hermite_moments(fn: Callable[[np.ndarray], np.ndarray], n_nodes: int = 200) -> GaussianEquivalence:
    # probabilists' Gauss-Hermite: exact for polynomials, ~1e-13 for a smooth odd/even fn like tanh
    u, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / math.sqrt(2.0 * math.pi)
    s = fn(u)
    mu0, mu1, m2 = float(w @ s), float(w @ (u * s)), float(w @ (s * s))
    return GaussianEquivalence(mu0, mu1, math.sqrt(max(m2 - mu0**2 - mu1**2, 0.0)))


# Closed forms for ReLU and sign; tanh has none, so it uses 200-node Gauss-Hermite
# quadrature (the reference code tabulates (0, 0.605706, 0.165576); tests check both).
_COEFFICIENTS: dict[str, GaussianEquivalence] = {
    "relu": GaussianEquivalence(1.0 / math.sqrt(2.0 * math.pi), 0.5, math.sqrt(0.25 - 1.0 / (2.0 * math.pi))),
    "sign": GaussianEquivalence(0.0, math.sqrt(2.0 / math.pi), math.sqrt(1.0 - 2.0 / math.pi)),
    "tanh": _gauss_hermite_moments(np.tanh),
}


def gaussian_equivalence(activation: str) -> GaussianEquivalence:
    """(mu0, mu1, mu_star) of ``activation`` for a unit-variance preactivation."""
    return _COEFFICIENTS[check_activation(activation)]


def numerical_gaussian_equivalence(fn: Callable[[float], float]) -> GaussianEquivalence:
    """The same coefficients by adaptive quadrature (scipy ``quad`` on each half-line).

    Splitting at 0 keeps the kinks/jumps of ReLU and sign on an interval end.
    """
    from scipy.integrate import quad

    def moment(g: Callable[[float], float]) -> float:
        dens = lambda u: g(u) * math.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)  # noqa: E731
        return (quad(dens, -np.inf, 0.0, epsabs=1e-13, epsrel=1e-12)[0]
                + quad(dens, 0.0, np.inf, epsabs=1e-13, epsrel=1e-12)[0])

    mu0 = moment(lambda u: float(fn(u)))
    mu1 = moment(lambda u: u * float(fn(u)))
    m2 = moment(lambda u: float(fn(u)) ** 2)
    return GaussianEquivalence(mu0, mu1, math.sqrt(max(m2 - mu0**2 - mu1**2, 0.0)))


@dataclass(frozen=True)
class StrongWeakData(Validated):
    """The two-block input/teacher model of the module docstring; validated on construction."""

    r_phi: float = param(1.0, "D / (number of salient dimensions); 1 = a single isotropic block", ge=1)
    r_x: float = param(1.0, "saliency lambda1/lambda2 (1 = isotropic inputs)", gt=0)
    r_beta: float = param(1.0, "relevance beta1/beta2 (teacher weight on the salient block)", gt=0)

    @property
    def phi(self) -> np.ndarray:
        """(2,) block fractions (phi1, phi2)."""
        return np.array([1.0 / self.r_phi, 1.0 - 1.0 / self.r_phi])

    @property
    def lam(self) -> np.ndarray:
        """(2,) input variances (lambda1, lambda2), normalised so phi . lambda = 1."""
        phi = self.phi
        z = self.r_x * phi[0] + phi[1]
        return np.array([self.r_x / z, 1.0 / z])

    @property
    def beta(self) -> np.ndarray:
        """(2,) teacher variances (beta1, beta2), normalised so rho = sum phi lambda beta = 1."""
        phi, lam = self.phi, self.lam
        z = self.r_beta * phi[0] * lam[0] + phi[1] * lam[1]
        return np.array([self.r_beta / z, 1.0 / z])

    @property
    def label(self) -> str:
        if self.r_x == 1.0 and self.r_beta == 1.0:
            return "isotropic"
        return f"r_x={self.r_x:g}, r_beta={self.r_beta:g}, r_phi={self.r_phi:g}"

    def block_sizes(self, D: int) -> tuple[int, int]:
        """(D1, D2) coordinates of each block at finite D; D / r_phi must be a whole number."""
        if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
            raise ValueError(f"D must be an int >= 1, got {D!r}")
        d1 = D / self.r_phi
        if abs(d1 - round(d1)) > 1e-9 or round(d1) < 1:
            raise ValueError(f"D / r_phi must be a whole number >= 1 so the blocks match the theory, "
                             f"got D={D}, r_phi={self.r_phi:g}")
        return int(round(d1)), D - int(round(d1))

    def variances(self, D: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-coordinate input variances and teacher variances, each (D,)."""
        d1, d2 = self.block_sizes(D)
        lam, beta = self.lam, self.beta
        return np.repeat(lam, [d1, d2]), np.repeat(beta, [d1, d2])

    def sample_inputs(self, rng: np.random.Generator, n: int, D: int) -> np.ndarray:
        """(n, D) Gaussian inputs with the block-diagonal covariance."""
        var, _ = self.variances(D)
        return rng.standard_normal((n, D)) * np.sqrt(var)

    def sample_teacher(self, rng: np.random.Generator, D: int) -> np.ndarray:
        """(D,) teacher theta ~ N(0, diag(beta1 on block 1, beta2 on block 2))."""
        _, var = self.variances(D)
        return rng.standard_normal(D) * np.sqrt(var)
