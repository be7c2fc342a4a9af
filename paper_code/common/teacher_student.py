"""Two-layer teacher-student networks on Gaussian inputs (Saad & Solla 1995; Goldt et al. 2019).

Shared by ``paper_code.langevin`` (schedules on the plateau) and ``paper_code.dfa``
(feedback alignment). The setting:

    x ~ N(0, I_D),   local fields lambda_k = w_k . x / sqrt(D),  rho_m = w*_m . x / sqrt(D)
    teacher  y*(x) = sum_m v*_m g(rho_m) + sigma * noise,      M units
    student  y(x)  = sum_k v_k  g(lambda_k),                    K units
    g(u) = erf(u / sqrt 2)   ("erf"),   or g(u) = u   ("linear").

The fields are jointly Gaussian with covariance built from the order parameters
Q = W W^T / D, R = W W*^T / D, T = W* W*^T / D. Every expectation in the
generalisation error and in the ODEs of online SGD is then one of four Gaussian
integrals over a 2-, 3- or 4-dimensional sub-covariance C (indices 1..4 below),
with closed forms for erf (Saad & Solla 1995; Goldt et al. 2019, App. A):

    I2 = E[g(u1) g(u2)]            = (2/pi) arcsin( C12 / sqrt((1+C11)(1+C22)) )
    J2 = E[g'(u1) g'(u2)]          = (2/pi) / sqrt(1 + C11 + C22 + C11 C22 - C12^2)
    I3 = E[g'(u1) u2 g(u3)]        = (2/pi) (C23 (1+C11) - C12 C13) / ((1+C11) sqrt(L3))
    I4 = E[g'(u1) g'(u2) g(u3) g(u4)] = (4/pi^2) / sqrt(L4) arcsin( L0 / sqrt(L1 L2) )

(linear g: I2 = C12, J2 = 1, I3 = C23, I4 = C34). The generalisation error is

    eps_g = 0.5 E[(y - y*_noiseless)^2] = 0.5 [ v^T I2(Q) v - 2 v^T I2(Q, T; R) v* + v*^T I2(T) v* ].

Functions accept numpy arrays or torch tensors (the ODE integrators use float64 numpy,
the trainers torch) and broadcast over leading batch dimensions.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "ACTIVATIONS",
    "DTYPE",
    "check_activation",
    "activation_fn",
    "i2",
    "j2",
    "i3",
    "i4",
    "erf_corr",
    "field_covariance",
    "gaussian_tables",
    "order_parameters",
    "generalisation_error_from_overlaps",
    "generalisation_error",
    "two_layer_output",
    "erf_network",
    "mc_generalisation_error",
    "OnlineTeacherData",
]

ACTIVATIONS = ("erf", "linear")
DTYPE = torch.float64
_SQRT2 = math.sqrt(2.0)

Array = Any  # numpy.ndarray or torch.Tensor


def check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def activation_fn(activation: str):
    """The torch activation g: erf(u / sqrt 2) or the identity."""
    check_activation(activation)
    if activation == "erf":
        return lambda u: torch.erf(u / _SQRT2)
    return lambda u: u


def _asin(x: Array) -> Array:
    return torch.asin(x) if isinstance(x, Tensor) else np.arcsin(x)


def _sqrt(x: Array) -> Array:
    return torch.sqrt(x) if isinstance(x, Tensor) else np.sqrt(x)


# ----------------------------------------------------------------------------------------
# The four Gaussian integrals, on broadcast covariance entries


def i2(c11: Array, c22: Array, c12: Array, activation: str = "erf") -> Array:
    """E[g(u1) g(u2)] for centred Gaussians with variances c11, c22 and covariance c12."""
    if check_activation(activation) == "linear":
        return c12 + 0 * (c11 + c22)
    return (2.0 / math.pi) * _asin(c12 / _sqrt((1.0 + c11) * (1.0 + c22)))


def erf_corr(a: Array, b: Array, c: Array) -> Array:
    """E[erf(u/sqrt2) erf(u'/sqrt2)] for variances a, b and covariance c (= ``i2`` for erf)."""
    return i2(a, b, c, "erf")


def j2(c11: Array, c22: Array, c12: Array, activation: str = "erf") -> Array:
    """E[g'(u1) g'(u2)]."""
    if check_activation(activation) == "linear":
        return 1.0 + 0 * (c11 + c22 + c12)
    return (2.0 / math.pi) / _sqrt(1.0 + c11 + c22 + c11 * c22 - c12**2)


def i3(c11: Array, c12: Array, c13: Array, c23: Array, c33: Array, activation: str = "erf") -> Array:
    """E[g'(u1) u2 g(u3)] (u2 enters linearly, so C22 does not appear)."""
    if check_activation(activation) == "linear":
        return c23 + 0 * (c11 + c12 + c13 + c33)
    lam3 = (1.0 + c11) * (1.0 + c33) - c13**2
    return (2.0 / math.pi) * (c23 * (1.0 + c11) - c12 * c13) / ((1.0 + c11) * _sqrt(lam3))


def i4(
    c11: Array, c12: Array, c13: Array, c14: Array, c22: Array,
    c23: Array, c24: Array, c33: Array, c34: Array, c44: Array, activation: str = "erf",
) -> Array:
    """E[g'(u1) g'(u2) g(u3) g(u4)]."""
    if check_activation(activation) == "linear":
        return c34 + 0 * (c11 + c12 + c13 + c14 + c22 + c23 + c24 + c33 + c44)
    lam4 = (1.0 + c11) * (1.0 + c22) - c12**2
    lam0 = lam4 * c34 - c23 * c24 * (1.0 + c11) - c13 * c14 * (1.0 + c22) + c12 * c13 * c24 + c12 * c14 * c23
    lam1 = lam4 * (1.0 + c33) - c23**2 * (1.0 + c11) - c13**2 * (1.0 + c22) + 2.0 * c12 * c13 * c23
    lam2 = lam4 * (1.0 + c44) - c24**2 * (1.0 + c11) - c14**2 * (1.0 + c22) + 2.0 * c12 * c14 * c24
    return (4.0 / math.pi**2) / _sqrt(lam4) * _asin(lam0 / _sqrt(lam1 * lam2))


# ----------------------------------------------------------------------------------------
# Tables over all index combinations of a field covariance


def field_covariance(Q: np.ndarray, R: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Covariance of (lambda_1..K, rho_1..M): [[Q, R], [R^T, T]]; (..., K+M, K+M)."""
    top = np.concatenate([Q, R], axis=-1)
    bottom = np.concatenate([np.swapaxes(R, -1, -2), T], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def gaussian_tables(C: np.ndarray, K: int, activation: str = "erf") -> dict[str, np.ndarray]:
    """I2, J2, I3, I4 for every index combination of the field covariance C (..., n, n).

    The first K fields are the student's (the ones whose derivative g' appears). Returns
    I2 (..., n, n); J2 (..., K, K); I3 (..., K, n, n) with I3[i, a, b] = E[g'(f_i) f_a g(f_b)];
    I4 (..., K, K, n, n) with I4[i, k, a, b] = E[g'(f_i) g'(f_k) g(f_a) g(f_b)].
    """
    C = np.asarray(C, dtype=float)
    n = C.shape[-1]
    if C.shape[-2] != n or not 1 <= K <= n:
        raise ValueError(f"C must be (..., n, n) with 1 <= K <= n, got shape {C.shape} and K={K}")
    d = np.diagonal(C, axis1=-2, axis2=-1)  # (..., n)
    ds = d[..., :K]  # student variances
    Cs = C[..., :K, :]  # (..., K, n) rows of student fields
    I2 = i2(d[..., :, None], d[..., None, :], C, activation)
    J2 = j2(ds[..., :, None], ds[..., None, :], C[..., :K, :K], activation)
    # I3[i, a, b]: c11 = C_ii, c12 = C_ia, c13 = C_ib, c23 = C_ab, c33 = C_bb
    I3 = i3(
        ds[..., :, None, None], Cs[..., :, :, None], Cs[..., :, None, :], C[..., None, :, :], d[..., None, None, :],
        activation,
    )
    # I4[i, k, a, b]
    # axes (i, k, a, b)
    c11 = ds[..., :, None, None, None]
    c22 = ds[..., None, :, None, None]
    c12 = C[..., :K, :K][..., :, :, None, None]
    c13 = Cs[..., :, None, :, None]
    c14 = Cs[..., :, None, None, :]
    c23 = Cs[..., None, :, :, None]
    c24 = Cs[..., None, :, None, :]
    c33 = d[..., None, None, :, None]
    c44 = d[..., None, None, None, :]
    c34 = C[..., None, None, :, :]
    I4 = i4(c11, c12, c13, c14, c22, c23, c24, c33, c34, c44, activation)
    return {"I2": I2, "J2": J2, "I3": I3, "I4": I4}


# ----------------------------------------------------------------------------------------
# Order parameters and the generalisation error


def _overlap(A: Array, B: Array) -> Array:
    # broadcast sum rather than matmul: torch's float64 bmm is ~100x slower on such tiny matrices
    return (A[..., :, None, :] * B[..., None, :, :]).sum(-1) / A.shape[-1]


def order_parameters(W: Array, W_t: Array) -> tuple[Array, Array, Array]:
    """Q = W W^T / D (..., K, K), R = W W*^T / D (..., K, M), T = W* W*^T / D (..., M, M)."""
    if W.shape[-1] != W_t.shape[-1]:
        raise ValueError(f"student and teacher input dimensions differ: {W.shape[-1]} vs {W_t.shape[-1]}")
    return _overlap(W, W), _overlap(W, W_t), _overlap(W_t, W_t)


def _einsum(eq: str, *ops: Array) -> Array:
    return torch.einsum(eq, *ops) if isinstance(ops[0], Tensor) else np.einsum(eq, *ops)


def generalisation_error_from_overlaps(
    Q: Array, R: Array, T: Array, v: Array, v_t: Array, activation: str = "erf"
) -> Array:
    """eps_g = 0.5 E[(y - y*)^2] (noiseless teacher) from the order parameters; (...,).

    Args: Q (..., K, K), R (..., K, M), T (..., M, M), v (..., K), v_t (..., M).
    """
    diag = (lambda X: torch.diagonal(X, dim1=-2, dim2=-1)) if isinstance(Q, Tensor) else (
        lambda X: np.diagonal(X, axis1=-2, axis2=-1))
    q, t = diag(Q), diag(T)
    ss = i2(q[..., :, None], q[..., None, :], Q, activation)
    st = i2(q[..., :, None], t[..., None, :], R, activation)
    tt = i2(t[..., :, None], t[..., None, :], T, activation)
    quad = "...i,...ij,...j->..."
    return 0.5 * (_einsum(quad, v, ss, v) - 2.0 * _einsum(quad, v, st, v_t) + _einsum(quad, v_t, tt, v_t))


def generalisation_error(W: Array, v: Array, W_t: Array, v_t: Array, activation: str = "erf") -> Array:
    """Closed-form eps_g of a student (W (..., K, D), v (..., K)) against a teacher (W_t, v_t); (...,)."""
    Q, R, T = order_parameters(W, W_t)
    return generalisation_error_from_overlaps(Q, R, T, v, v_t, activation)


def two_layer_output(x: Tensor, W: Tensor, v: Tensor, activation: str = "erf") -> Tensor:
    """y = sum_k v_k g(w_k . x / sqrt(D)); x (..., n, D), W (..., K, D), v (..., K) -> (..., n)."""
    h = x @ W.transpose(-1, -2) / math.sqrt(W.shape[-1])  # (..., n, K)
    return (activation_fn(activation)(h) * v[..., None, :]).sum(-1)


def erf_network(x: Tensor, W: Tensor, v: Tensor) -> Tensor:
    """``two_layer_output`` with g = erf(u / sqrt 2)."""
    return two_layer_output(x, W, v, "erf")


def mc_generalisation_error(
    W: Tensor, v: Tensor, W_t: Tensor, v_t: Tensor, n_test: int, generator: torch.Generator, activation: str = "erf"
) -> Tensor:
    """Monte Carlo estimate of ``generalisation_error`` on n_test fresh Gaussian inputs; (...,)."""
    batch = W.shape[:-2]
    x = torch.randn(*batch, n_test, W.shape[-1], generator=generator, dtype=W.dtype)
    diff = two_layer_output(x, W, v, activation) - two_layer_output(x, W_t, v_t, activation)
    return 0.5 * (diff**2).mean(-1)


# ----------------------------------------------------------------------------------------
# Online data stream


class OnlineTeacherData:
    """Fresh Gaussian samples labelled by S noisy teachers (a ``Trainer`` BatchSource).

    ``get(step)`` returns (x, y): x (S, D) and y (S,), one fresh sample per teacher
    copy s (teachers may be identical copies: the samples are still independent). It
    is a pure function of (seed, step): samples are drawn in blocks of ``block`` steps
    from a generator seeded by (seed, block index).

    Args:
        W_t: (S, M, D) teacher first layers; v_t: (S, M) second layers.
        sigma: std of the additive label noise. seed: stream seed.
        activation: "erf" or "linear".
    """

    def __init__(
        self, W_t: Tensor, v_t: Tensor, sigma: float, seed: int, block: int = 2048, activation: str = "erf"
    ):
        if W_t.dim() != 3 or v_t.shape != W_t.shape[:2]:
            raise ValueError(f"need W_t (S, M, D) and v_t (S, M), got {tuple(W_t.shape)} and {tuple(v_t.shape)}")
        if not (math.isfinite(sigma) and sigma >= 0):
            raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
        self.W_t, self.v_t, self.sigma, self.seed, self.block = W_t, v_t, float(sigma), int(seed), int(block)
        self.activation = check_activation(activation)
        self._cached: tuple[int, Tensor | None, Tensor | None] = (-1, None, None)

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor]:
        if world_size != 1:
            raise ValueError(
                "OnlineTeacherData serves one sample per member and step: the ensemble is not "
                f"data-parallel (world_size must be 1, got {world_size})"
            )
        b, k = divmod(int(step), self.block)
        if self._cached[0] != b:
            S, M, D = self.W_t.shape
            s = int(np.random.SeedSequence([self.seed, 7, b]).generate_state(1, dtype=np.uint64)[0])
            g = torch.Generator().manual_seed(s)
            x = torch.randn(self.block, S, 1, D, generator=g, dtype=DTYPE)
            y = two_layer_output(x.transpose(0, 1), self.W_t[:, None], self.v_t[:, None], self.activation)
            y = y.transpose(0, 1)[..., 0]  # (block, S)
            y = y + self.sigma * torch.randn(self.block, S, generator=g, dtype=DTYPE)
            self._cached = (b, x[:, :, 0], y)
        _, x, y = self._cached
        return x[k], y[k]

    def fingerprint(self) -> dict:
        fp = {"class": type(self).__name__, "seed": self.seed, "sigma": self.sigma, "shape": tuple(self.W_t.shape)}
        if self.activation != "erf":  # keeps the fingerprint of existing erf checkpoints unchanged
            fp["activation"] = self.activation
        return fp
