"""DMFT (Cugliandolo-Kurchan) equations of learning-rate-scaled Langevin dynamics.

Paper: d'Ascoli, Refinetti, Biroli, arXiv 2202.04509; reference code: the C++
integrators IntegratePSpinModel.cpp / IntegrateSMTModel.cpp of GitHub
`mariaref/nonconvex-lr` (this is our own vectorised NumPy version of the same scheme).

Dynamics on the sphere |x|^2 = N (docs/papers/lr_schedule_langevin.md, section 2):

    dx/dt = eta(t) [ -grad H(x) - mu(t) x + xi(t) ],   <xi xi'> = 2 T delta,

so the learning rate multiplies drift AND noise: the effective temperature is T eta.
The landscape is a Gaussian random function with covariance N f(x.y/N), plus for
the spiked model a signal -N Q(m) with the same function Q = f:

* pure p-spin (2a):     f(q) = q^p / p
* spiked matrix-tensor: f(q) = Q(q) = q^2 / (2 Delta2) + q^p / (p Deltap)     (2b)

Both are "mixtures" f(q) = sum_k a_k q^k / k, so one integrator serves both.
For t > t' (docs/papers/lr_schedule_langevin.md, sections 2a and 2b):

    mu(t)   = T eta(t) + m Q'(m) + int_0^t ds eta(s) R(t,s) [f''(C) C + f'(C)](t,s)
    dC/dt   = eta(t) [ -mu C(t,t') + Q'(m(t)) m(t') + int_0^t  ds eta(s) f''(C(t,s)) R(t,s) C(s,t')
                                                 + int_0^t' ds eta(s) f'(C(t,s))  R(t',s) ]
    dR/dt   = eta(t) [ -mu R(t,t') + int_t'^t ds eta(s) f''(C(t,s)) R(t,s) R(s,t') ]
    dm/dt   = eta(t) [ -mu m + Q'(m(t)) + int_0^t ds eta(s) f''(C(t,s)) R(t,s) m(s) ]
    e(t)    = -Q(m(t)) - int_0^t ds eta(s) f'(C(t,s)) R(t,s)

(the m terms are absent for the pure p-spin). Discretisation as in the reference
code: explicit Euler on a uniform grid t_i = i h, trapezoid rule for the memory
integrals, C(t,t) = 1, R(t,t) = 0 and R(t+h,t) = 1 (Ito). It is first order in h.

Each time step is three matrix-vector products with the stored two-time arrays,
so a run costs O(Nmax^2) memory and O(Nmax^3) time per schedule; a batch of B
schedules is integrated at once. The step is bound by reading those arrays, so
they are stored as packed lower triangles (C is symmetric, R is causal) and the
products are BLAS packed triangular mat-vecs that read each stored number once
or twice instead of three times (see :func:`_memory_products`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import blas

from paper_code.common.config import REQUIRED, Validated, param
from paper_code.common.progress import progress as progress_bar

from .schedules import Schedule, SwitchAtOverlap, as_schedule_tuple

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------
# Covariance functions


@dataclass(frozen=True)
class Mixture(Validated):
    """f(q) = sum_k a_k q^k / k, the covariance (and signal) function of the landscape.

    ``coeffs`` maps the degree k >= 2 to a_k >= 0 (:meth:`spiked` drops zero coefficients,
    so Deltap = inf switches the tensor channel off).
    """

    coeffs: tuple[tuple[int, float], ...] = param(
        REQUIRED, "(degree k, coefficient a_k) pairs; k >= 2, a_k >= 0", ge=0, min_len=1)

    def validate(self) -> None:
        for i, (k, _) in enumerate(self.coeffs):
            if k < 2:
                self.fail(f"coeffs[{i}][0]", f"degree {k} is out of range; valid: >= 2")

    @staticmethod
    def pspin(p: int) -> Mixture:
        """Pure p-spin, f(q) = q^p / p (the reference code's normalisation)."""
        return Mixture(((int(p), 1.0),))

    @staticmethod
    def spiked(p: int, delta2: float, deltap: float) -> Mixture:
        """Spiked matrix-tensor, Q(q) = q^2/(2 Delta2) + q^p/(p Deltap)."""
        terms = [(2, 1.0 / delta2), (int(p), 1.0 / deltap)]
        merged: dict[int, float] = {}
        for k, a in terms:
            if a != 0.0:
                merged[k] = merged.get(k, 0.0) + a
        return Mixture(tuple(sorted(merged.items())))

    def f(self, q: np.ndarray) -> np.ndarray:
        return sum(a * q**k / k for k, a in self.coeffs)

    def d1(self, q: np.ndarray) -> np.ndarray:
        """f'(q) = sum_k a_k q^(k-1)."""
        return sum(a * q ** (k - 1) for k, a in self.coeffs)

    def d2(self, q: np.ndarray) -> np.ndarray:
        """f''(q) = sum_k a_k (k-1) q^(k-2)."""
        return sum(a * (k - 1) * q ** (k - 2) for k, a in self.coeffs)

    def qd2_plus_d1(self, q: np.ndarray) -> np.ndarray:
        """q f''(q) + f'(q) = sum_k a_k k q^(k-1): the kernel of the Lagrange multiplier."""
        return sum(a * k * q ** (k - 1) for k, a in self.coeffs)


# ----------------------------------------------------------------------------------------
# State and one Euler step


@dataclass
class DMFTState:
    """History of a batch of B integrations on the grid t_i = i h, i = 0..n_steps.

    Rows 0..i of the two-time arrays are filled (i = ``i``); the step fills row i+1.
    The two-time arrays are packed lower triangles, row after row: the entries
    (t_i, t_j), j <= i, of row i are ``[:, _row(i)]`` (see :func:`packed_rows`).
    Fields (B = batch of schedules, n = n_steps + 1 grid points):
        C:      (B, n (n+1) / 2) correlation C(t_i, t_j) = C(t_j, t_i), C(t,t) = 1
        R:      (B, n (n+1) / 2) response R(t_i, t_j); R(t,t) = 0, and R(t_i, t_j > t_i) = 0
                is not stored (causality, Ito)
        m:      (B, n) overlap with the signal, or None for the pure p-spin
        eta:    (B, n) learning rate on the grid (adaptive members are rewritten at their switch)
        mu:     (B, n) Lagrange multiplier, filled up to index i
        energy: (B, n) energy per spin H/N, filled up to index i
        t_switch: (B,) switch time of SwitchAtOverlap members (NaN until it happens / others)
    """

    C: np.ndarray
    R: np.ndarray
    m: np.ndarray | None
    eta: np.ndarray
    mu: np.ndarray
    energy: np.ndarray
    t_switch: np.ndarray
    i: int = 0


def _row(i: int) -> slice:
    """Entries (t_i, t_0..t_i) of a packed lower triangle stored row after row."""
    start = i * (i + 1) // 2
    return slice(start, start + i + 1)


def packed_rows(packed: np.ndarray, n: int, symmetric: bool) -> np.ndarray:
    """Unpack (B, n (n+1) / 2) lower triangles into (B, n, n); mirrored if ``symmetric``."""
    rows, cols = np.tril_indices(n)  # row after row, the packing order
    full = np.zeros((packed.shape[0], n, n))
    full[:, rows, cols] = packed
    if symmetric:
        full[:, cols, rows] = packed
    return full


def _tri(packed: np.ndarray, x: np.ndarray, n: int, transpose: bool) -> np.ndarray:
    """L x (``transpose=False``) or L^T x for the n x n lower triangle L packed row after row.

    BLAS reads the same bytes as a column-major *upper* triangle, i.e. as L^T, hence
    the swapped ``trans`` flag.
    """
    return blas.dtpmv(n, packed, x, trans=0 if transpose else 1)


def _memory_products(state: DMFTState, A: np.ndarray, a: np.ndarray, b: np.ndarray, n: int):
    """A C, R a and b R over the filled n x n blocks; three (B, n) arrays.

    C is symmetric, so C A (= A C) is one packed symmetric product; R is lower triangular,
    so R a and R^T b are two packed triangular products. Each reads one triangle
    (n^2 / 2 numbers): a step reads 1.5 n^2 numbers instead of 3 n^2 for dense
    mat-vecs on the full arrays.
    """
    m = n * (n + 1) // 2
    mem_C1, mem_C2, mem_R = np.empty_like(A), np.empty_like(a), np.empty_like(b)
    for k in range(A.shape[0]):
        Ck, Rk = state.C[k, :m], state.R[k, :m]
        mem_C1[k] = blas.dspmv(n, 1.0, Ck, A[k])  # packed row-major lower = column-major upper
        mem_C2[k] = _tri(Rk, a[k], n, False)
        mem_R[k] = _tri(Rk, b[k], n, True)
    return mem_C1, mem_C2, mem_R


def _trapezoid_weights(n: int, h: float) -> np.ndarray:
    """Weights of the trapezoid rule on n grid points of [0, (n-1) h]; (n,)."""
    w = np.full(n, h)
    w[0] = w[-1] = 0.5 * h
    if n == 1:
        w[0] = 0.0  # integral over an empty interval
    return w


def _observables(state: DMFTState, i: int, model: Mixture, T: float, h: float):
    """mu(t_i), e(t_i) and the row quantities the step reuses."""
    n = i + 1
    Ci = state.C[:, _row(i)]  # (B, n)
    Ri = state.R[:, _row(i)]  # (B, n), Ri[:, i] = 0
    eta = state.eta[:, :n]  # (B, n)
    w_eta_R = _trapezoid_weights(n, h) * eta * Ri  # (B, n) trapezoid weight * eta(s) * R(t_i, s)
    mu = T * state.eta[:, i] + np.sum(w_eta_R * model.qd2_plus_d1(Ci), axis=1)  # (B,)
    energy = -np.sum(w_eta_R * model.d1(Ci), axis=1)  # (B,)
    if state.m is not None:
        mi = state.m[:, i]
        mu = mu + mi * model.d1(mi)
        energy = energy - model.f(mi)
    return mu, energy, w_eta_R


def step(state: DMFTState, model: Mixture, T: float, h: float) -> DMFTState:
    """Advance the batch from t_i to t_{i+1} (explicit Euler; in place).

    The step writes row i+1 of the history arrays in place and returns the same
    state: a functional copy would cost O(Nmax^2) per step.
    """
    i = state.i
    n = i + 1
    Ci = state.C[:, _row(i)]  # (B, n)
    Ri = state.R[:, _row(i)]  # (B, n)
    eta_i = state.eta[:, i]  # (B,)
    mu, energy, w_eta_R = _observables(state, i, model, T, h)
    state.mu[:, i], state.energy[:, i] = mu, energy

    d2 = model.d2(Ci)  # (B, n) f''(C(t_i, s))
    A = w_eta_R * d2  # (B, n) trapezoid on [0, t_i] of eta f'' R
    # trapezoid on [0, t_l] for each l: weight h/2 at s=0, h inside; the s=t_l end
    # carries R(t_l, t_l) = 0, and R(t_l, s > t_l) = 0, so one weight vector serves all l.
    a = h * state.eta[:, :n] * model.d1(Ci)  # (B, n)
    a[:, 0] *= 0.5
    # trapezoid on [t_l, t_i]: both ends carry R(t,t) = 0, so plain weights h.
    b = h * state.eta[:, :n] * d2 * Ri  # (B, n)

    # (B, n) each, for l = 0..i: int ds eta f''(C) R(t,s) C(s,t_l); int ds eta f'(C) R(t_l,s);
    # int ds eta f''(C) R(t,s) R(s,t_l)
    mem_C1, mem_C2, mem_R = _memory_products(state, A, a, b, n)

    decay = (1.0 - h * eta_i * mu)[:, None]  # (B, 1)
    he = (h * eta_i)[:, None]  # (B, 1)
    C_new = Ci * decay + he * (mem_C1 + mem_C2)  # (B, n) C(t_{i+1}, t_l), l <= i
    R_new = Ri * decay + he * mem_R  # (B, n) R(t_{i+1}, t_l)
    if state.m is not None:
        m = state.m[:, : n]  # (B, n)
        mi = m[:, i]
        q1 = model.d1(mi)  # Q'(m(t_i))
        C_new += he * q1[:, None] * m
        state.m[:, i + 1] = mi + h * eta_i * (-mu * mi + q1 + np.sum(A * m, axis=1))

    nxt = _row(i + 1)
    state.C[:, nxt.start:nxt.stop - 1] = C_new
    state.C[:, nxt.stop - 1] = 1.0
    state.R[:, nxt.start:nxt.stop - 1] = R_new
    state.R[:, nxt.stop - 2] = 1.0  # Ito: R(t+h, t) = 1
    state.R[:, nxt.stop - 1] = 0.0
    state.i = i + 1
    return state


# ----------------------------------------------------------------------------------------
# Result and drivers


@dataclass(frozen=True)
class DMFTResult:
    """Output of one batched DMFT integration (B schedules, n = n_steps + 1 grid points).

    Fields:
        t:        (n,) grid times i h
        eta:      (B, n) learning rate actually used
        energy:   (B, n) energy per spin e(t) = H/N
        mu:       (B, n) Lagrange multiplier mu(t)
        m:        (B, n) overlap with the signal (spiked model) or None (pure p-spin)
        t_switch: (B,) switch time of SwitchAtOverlap members, NaN for the others or if
                  the threshold was never crossed
        labels:   B schedule names
        h:        grid step
        C, R:     (B, n, n) two-time functions, only if requested (else None)
    """

    t: np.ndarray
    eta: np.ndarray
    energy: np.ndarray
    mu: np.ndarray
    m: np.ndarray | None
    t_switch: np.ndarray
    labels: tuple[str, ...]
    h: float
    C: np.ndarray | None = field(default=None, repr=False)
    R: np.ndarray | None = field(default=None, repr=False)

    def at(self, t: float) -> np.ndarray:
        """Energy at the grid point nearest to t; (B,)."""
        return self.energy[:, int(round(t / self.h))]

    def jump_time(self, threshold: float = 0.5) -> np.ndarray:
        """First grid time where m exceeds ``threshold``; (B,), NaN where it never does."""
        if self.m is None:
            raise ValueError("jump_time needs the spiked model (m is None for the pure p-spin)")
        above = self.m > threshold
        first = np.argmax(above, axis=1)
        return np.where(above.any(axis=1), self.t[first], np.nan)


def _integrate(
    model: Mixture,
    T: float,
    schedules: Sequence[Schedule],
    h: float,
    t_max: float,
    m0: float | None,
    return_two_time: bool,
    progress: bool,
    desc: str,
) -> DMFTResult:
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h={h!r} is invalid: it must be a finite number > 0")
    if not (math.isfinite(t_max) and t_max >= h):
        raise ValueError(f"t_max={t_max!r} is invalid: it must be finite and >= h={h}")
    if not (math.isfinite(T) and T >= 0):
        raise ValueError(f"T={T!r} is invalid: it must be a finite number >= 0")
    schedules = as_schedule_tuple(schedules)
    n_steps = int(round(t_max / h))
    n, B = n_steps + 1, len(schedules)
    t = h * np.arange(n)
    gib = B * n * (n + 1) * 8 / 2**30
    if gib > 4:
        log.warning("DMFT history needs %.1f GiB (B=%d, Nmax=%d)", gib, B, n_steps)

    state = DMFTState(
        C=np.zeros((B, n * (n + 1) // 2)),
        R=np.zeros((B, n * (n + 1) // 2)),
        m=None if m0 is None else np.zeros((B, n)),
        eta=np.stack([s(t) for s in schedules]),
        mu=np.zeros((B, n)),
        energy=np.zeros((B, n)),
        t_switch=np.full(B, np.nan),
    )
    state.C[:, 0] = 1.0  # random start: infinite-temperature quench
    if state.m is not None:
        state.m[:, 0] = m0
    adaptive = [b for b, s in enumerate(schedules) if isinstance(s, SwitchAtOverlap)]
    if adaptive and state.m is None:
        raise ValueError("SwitchAtOverlap needs the spiked model (there is no overlap in the pure p-spin)")

    with np.errstate(over="ignore", invalid="ignore"):
        for i in progress_bar(range(n_steps), desc=desc, disable=not progress):
            for b in adaptive:  # switch as soon as m(t_i) crosses the threshold
                if np.isnan(state.t_switch[b]) and state.m[b, i] > schedules[b].threshold:
                    state.t_switch[b] = t[i]
                    state.eta[b, i:] = schedules[b].at(t[i])(t[i:])
            step(state, model, T, h)
            row_ok = np.isfinite(state.C[:, _row(i + 1)]).all(axis=1)
            row_ok &= np.isfinite(state.R[:, _row(i + 1)]).all(axis=1)
            if state.m is not None:
                row_ok &= np.isfinite(state.m[:, i + 1])
            if not row_ok.all():
                bad = [schedules[b].name for b in np.flatnonzero(~row_ok)]
                raise FloatingPointError(
                    f"DMFT integration blew up at step {i + 1} (t={t[i + 1]:.4g}) for {bad}: "
                    f"C/R/m became non-finite; reduce h (now {h}) or the learning rate"
                )
        mu, energy, _ = _observables(state, n_steps, model, T, h)
    state.mu[:, n_steps], state.energy[:, n_steps] = mu, energy
    if not (np.isfinite(state.energy).all() and np.isfinite(state.mu).all()):
        raise FloatingPointError(f"DMFT energy or mu is non-finite (h={h}, T={T}); reduce h")
    return DMFTResult(
        t=t,
        eta=state.eta,
        energy=state.energy,
        mu=state.mu,
        m=state.m,
        t_switch=state.t_switch,
        labels=tuple(s.name for s in schedules),
        h=h,
        C=packed_rows(state.C, n, symmetric=True) if return_two_time else None,
        R=packed_rows(state.R, n, symmetric=False) if return_two_time else None,
    )


def integrate_pspin(
    p: int,
    T: float,
    schedules: Schedule | Sequence[Schedule],
    h: float = 0.1,
    t_max: float = 100.0,
    *,
    return_two_time: bool = False,
    progress: bool = False,
) -> DMFTResult:
    """Pure spherical p-spin, f(q) = q^p / p (doc section 2a), one batch of schedules.

    Args:
        p: interaction order (2 = spherical SK, 3 = the paper's main example).
        T: temperature of the noise; the effective temperature is T eta(t).
        schedules: one schedule or a sequence (integrated together, one batch).
        h: grid step (first-order accurate: report it or extrapolate).
        t_max: final time; the grid has round(t_max / h) steps.
        return_two_time: keep C and R (B, n, n) in the result.
        progress: show a progress bar (``paper_code.common.progress``).
    """
    if int(p) != p or p < 2:
        raise ValueError(f"p={p!r} is invalid: it must be an integer >= 2")
    return _integrate(Mixture.pspin(int(p)), T, schedules, h, t_max, None, return_two_time, progress, f"DMFT p={p}")


def integrate_spiked(
    p: int,
    delta2: float,
    deltap: float,
    T: float,
    m0: float,
    schedules: Schedule | Sequence[Schedule],
    h: float = 0.1,
    t_max: float = 100.0,
    *,
    return_two_time: bool = False,
    progress: bool = False,
) -> DMFTResult:
    """Spiked matrix-tensor model (doc section 2b), Q(m) = m^2/(2 Delta2) + m^p/(p Deltap).

    Args:
        p: order of the tensor channel.
        delta2, deltap: noise variances of the matrix and tensor channels
            (deltap = inf: spiked matrix only; delta2 = inf: spiked tensor only).
        T: temperature (effective temperature T eta).
        m0: initial overlap m(0) (the code uses 1e-10; a finite-N start has ~1/sqrt(N)).
        schedules: schedules to integrate in one batch; SwitchAtOverlap members switch
            when their own m first exceeds their threshold.
        h, t_max, return_two_time, progress: as in ``integrate_pspin``.
    """
    if int(p) != p or p < 3:
        raise ValueError(f"p={p!r} is invalid: the tensor order must be an integer >= 3")
    for name, v in (("delta2", delta2), ("deltap", deltap)):
        if not (v > 0):  # inf is allowed (channel off)
            raise ValueError(f"{name}={v!r} is invalid: it must be > 0 (inf switches the channel off)")
    if math.isinf(delta2) and math.isinf(deltap):
        raise ValueError("delta2 and deltap are both inf: at least one channel must carry signal")
    if not (math.isfinite(m0) and 0 <= m0 <= 1):
        raise ValueError(f"m0={m0!r} is invalid: it must be in [0, 1]")
    model = Mixture.spiked(int(p), delta2, deltap)
    return _integrate(model, T, schedules, h, t_max, float(m0), return_two_time, progress, "DMFT spiked")


@dataclass(frozen=True)
class HConvergence:
    """Grid-step check: the same run at h and h/2, compared on the coarse grid.

    Fields:
        coarse, fine: the two results
        max_diff_energy: (B,) max_t |e_h(t) - e_{h/2}(t)|
        max_diff_m: (B,) same for m, or None for the pure p-spin
        extrapolated_energy: (B, n_coarse) Richardson estimate 2 e_{h/2} - e_h (first-order scheme)
    """

    coarse: DMFTResult
    fine: DMFTResult
    max_diff_energy: np.ndarray
    max_diff_m: np.ndarray | None
    extrapolated_energy: np.ndarray


def h_convergence(run: Callable[[float], DMFTResult], h: float) -> HConvergence:
    """Run ``run(h)`` and ``run(h / 2)``; report the differences of the plotted curves.

    Example: ``h_convergence(lambda h: integrate_pspin(3, 1.0, scheds, h, 50.0), 0.1)``.
    """
    coarse, fine = run(h), run(h / 2)
    n = coarse.t.size
    e_fine = fine.energy[:, : 2 * n - 1 : 2]  # fine grid point 2k is coarse point k
    diff_m = None
    if coarse.m is not None:
        diff_m = np.abs(coarse.m - fine.m[:, : 2 * n - 1 : 2]).max(axis=1)
    return HConvergence(
        coarse=coarse,
        fine=fine,
        max_diff_energy=np.abs(coarse.energy - e_fine).max(axis=1),
        max_diff_m=diff_m,
        extrapolated_energy=2 * e_fine - coarse.energy,
    )
