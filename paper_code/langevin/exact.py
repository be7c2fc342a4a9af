"""Closed-form results used to check the DMFT integrator and the simulations.

Normalisation of docs/papers/lr_schedule_langevin.md (section 2a, as in the reference code):
covariance N f(q), f(q) = q^p / p, so the
p = 2 model is the spherical SK model with a semicircle on [-2, 2] and ground state
energy -1. Temperatures below are *effective* temperatures T_eff = T eta, since
the learning rate multiplies the noise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .schedules import Schedule


def integrated_rate(schedule: Schedule, t: np.ndarray) -> np.ndarray:
    """tau(t) = int_0^t eta(s) ds, in closed form for every schedule in ``schedules``.

    For a SwitchAtOverlap protocol the switch time is only known after a run;
    pass ``protocol.at(t_switch)`` instead.
    """
    if not hasattr(schedule, "integral"):
        raise TypeError(f"{schedule!r} has no closed-form integral (SwitchAtOverlap: use .at(t_switch))")
    return schedule.integral(np.asarray(t, dtype=float))


def sk_zero_temperature_energy(tau: np.ndarray) -> np.ndarray:
    """p = 2, T = 0 energy after integrated learning rate tau, from a random start.

    Gradient flow in tau on the semicircle: e(tau) = -I0(4 tau) / I1(4 tau) + 1/(2 tau).
    The Bessel ratio uses the exponentially scaled ``ive`` (no overflow); for tiny tau
    the series e = -tau + tau^3 ... avoids the 1/tau cancellation. Large tau:
    e -> -1 + 3/(8 tau).
    """
    tau = np.asarray(tau, dtype=float)
    if np.any(tau < 0):
        raise ValueError("tau must be >= 0")
    small = tau < 1e-3
    x = 4.0 * np.where(small, 1.0, tau)
    with np.errstate(divide="ignore"):
        e = -special.ive(0, x) / special.ive(1, x) + 0.5 / np.where(small, 1.0, tau)
    # I0/I1 = 2/x + x/4 - x^3/96 + ...  =>  e = -tau + (2/3) tau^3 + O(tau^5)
    return np.where(small, -tau + (2.0 / 3.0) * tau**3, e)


def sk_zero_temperature_asymptote(tau: np.ndarray) -> np.ndarray:
    """Large-tau form of ``sk_zero_temperature_energy``: -1 + 3 / (8 tau)."""
    return -1.0 + 3.0 / (8.0 * np.asarray(tau, dtype=float))


def paramagnetic_energy(p: int, T_eff: np.ndarray) -> np.ndarray:
    """Equilibrium energy of the paramagnet, e_eq = -f(1) / T_eff = -1/(p T_eff).

    In this normalisation E[H^2]/N = f(1) = 1/p, so e_eq = -beta f(1) = -1/(p T_eff).
    Valid above the dynamical temperature (T_d = 0.5 for p = 3; T_c = 1 for p = 2).
    """
    return -1.0 / (p * np.asarray(T_eff, dtype=float))


def sk_equilibrium_energy(T_eff: np.ndarray) -> np.ndarray:
    """p = 2 equilibrium energy: -1 + T_eff/2 below T_c = 1, -1/(2 T_eff) above."""
    T_eff = np.asarray(T_eff, dtype=float)
    return np.where(T_eff < 1.0, -1.0 + 0.5 * T_eff, -0.5 / np.maximum(T_eff, 1e-300))


def threshold_energy(p: int) -> float:
    """Zero-temperature threshold energy e_th = -2 sqrt(p-1) / p (-0.9428 for p = 3)."""
    return -2.0 * np.sqrt(p - 1.0) / p


def dynamical_temperature(p: int) -> float:
    """Dynamical temperature T_d of the pure spherical p-spin with f(q) = q^p / p.

    The classic value for f = q^p / 2 is sqrt(p (p-2)^(p-2) / (2 (p-1)^(p-1)))
    (Crisanti-Horner-Sommers); rescaling H by sqrt(2/p) gives
    T_d = sqrt((p-2)^(p-2) / (p-1)^(p-1)), which is 0.5 for p = 3.
    With a learning rate the condition applies to T_eff = T eta.
    """
    if p < 3:
        raise ValueError(f"p={p}: the dynamical transition exists for p >= 3")
    return float(np.sqrt((p - 2.0) ** (p - 2) / (p - 1.0) ** (p - 1)))


# ----------------------------------------------------------------------------------------
# p = 2 at any temperature and schedule: a scalar Volterra equation (our derivation)


def _semicircle_mgf_scaled(u: np.ndarray) -> np.ndarray:
    """g(u) e^(-4u) with g(u) = E_rho[e^(2 lambda u)] = I1(4u) / (2u) (semicircle on [-2, 2])."""
    u = np.asarray(u, dtype=float)
    small = u < 1e-2
    us = np.where(small, 1.0, u)
    series = (1.0 + 2.0 * u**2 + (4.0 / 3.0) * u**4) * np.exp(-4.0 * u)
    return np.where(small, series, special.ive(1, 4.0 * us) / (2.0 * us))


def _semicircle_mgf_deriv_scaled(u: np.ndarray) -> np.ndarray:
    """g'(u) e^(-4u) = 2 E[lambda e^(2 lambda u)] e^(-4u) = (2 I0(4u)/u - I1(4u)/u^2) e^(-4u)."""
    u = np.asarray(u, dtype=float)
    small = u < 1e-2
    us = np.where(small, 1.0, u)
    series = (4.0 * u + (16.0 / 3.0) * u**3) * np.exp(-4.0 * u)
    return np.where(small, series, 2.0 * special.ive(0, 4.0 * us) / us - special.ive(1, 4.0 * us) / us**2)


def sk_energy(T: float, schedule: Schedule, t_max: float, h: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """p = 2 energy e(t) for any T >= 0 and schedule, from a random start (N -> infinity).

    In the eigenbasis of the coupling matrix each component is an Ornstein-Uhlenbeck
    process in the clock tau(t) = int eta; writing Gamma(t) = exp(2 int_0^t eta mu) and
    g(u) = E_rho[exp(2 lambda u)] = I1(4u) / (2u), the spherical constraint gives the
    linear Volterra equation

        Gamma(t) = g(tau(t)) + 2 T int_0^t ds eta(s)^2 Gamma(s) g(tau(t) - tau(s)),
        e(t)     = -[ g'(tau(t)) + 2 T int_0^t ds eta(s)^2 Gamma(s) g'(tau(t) - tau(s)) ] / (4 Gamma(t)),

    solved here with the trapezoid rule (second order in h; use h well below the
    DMFT step when it serves as a reference). At T = 0 it reduces to
    ``sk_zero_temperature_energy``. Everything is scaled by exp(-4 tau) against overflow.

    Returns:
        t: (n,) grid 0, h, ..., t_max; e: (n,) energy per spin.
    """
    n = int(round(t_max / h)) + 1
    t = h * np.arange(n)
    tau = integrated_rate(schedule, t)
    eta2 = np.asarray(schedule(t), dtype=float) ** 2
    # g and g' on a fine table of lags (linear interpolation, relative error ~1e-7): the kernel
    # needs O(n^2) evaluations and Bessel functions are slow.
    u = np.linspace(0.0, tau[-1], max(2, int(tau[-1] / 5e-4) + 2))
    g_tab, gd_tab = _semicircle_mgf_scaled(u), _semicircle_mgf_deriv_scaled(u)
    gamma = np.zeros(n)  # Gamma(t) exp(-4 tau(t))
    e = np.zeros(n)
    for i in range(n):
        lag = tau[i] - tau[: i + 1]
        w = np.full(i + 1, h)
        w[0] = w[-1] = 0.5 * h
        if i == 0:
            w[:] = 0.0
        c = 2.0 * T * w * eta2[: i + 1]
        kern = c * np.interp(lag, u, g_tab)
        gamma[i] = (np.interp(tau[i], u, g_tab) + kern[:i] @ gamma[:i]) / (1.0 - kern[i])
        e[i] = -(np.interp(tau[i], u, gd_tab) + (c * np.interp(lag, u, gd_tab)) @ gamma[: i + 1]) / (4.0 * gamma[i])
    return t, e


# ----------------------------------------------------------------------------------------
# p = 2: the N -> infinity limit of the finite-N simulation scheme itself (our derivation)


def semicircle_quadrature(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss nodes and weights of the semicircle law on [-2, 2]; each (n,).

    lambda = 2 cos(theta_j), theta_j = j pi / (n + 1), weights 2 sin^2(theta_j) / (n + 1)
    (Gauss-Chebyshev of the second kind): exact for polynomials of degree <= 2n - 1.
    """
    theta = np.pi * np.arange(1, n + 1) / (n + 1)
    return 2.0 * np.cos(theta), 2.0 * np.sin(theta) ** 2 / (n + 1)


def matrix_scheme_limit(
    T: float, schedule: Schedule, dt: float, t_max: float, *, delta2: float | None = None, m0: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Energy (and overlap) of the simulation's discrete scheme on a matrix landscape, N -> infinity.

    ``simulation.simulate`` takes Euler-Maruyama steps with the noise times eta, then
    projects back onto the sphere. In the eigenbasis of the noise matrix (eigenvalue
    lambda, semicircle density rho, scaled by 1/sqrt(Delta2) with a signal) let mode
    lambda have mean square v_k(lambda) and correlation w_k(lambda) with the signal y*.
    As N -> infinity the norm and m = int rho w are self-averaging, so with
    a = 1 + eta_k dt lambda and c = eta_k dt m_k / Delta2 (c = 0 for pure SK):

        v' = a^2 v + 2 a c w + c^2 + 2 T eta_k^2 dt,   w' = a w + c,
        v_{k+1} = v' / n^2,   w_{k+1} = w' / n,   n^2 = int rho v',
        e_k = -(1/2) int rho lambda v_k - m_k^2 / (2 Delta2),

    from v_0 = 1, w_0 = m0 (random start at overlap m0). v and w are polynomials of degree
    <= 2k in lambda, so the Gauss quadrature of ``semicircle_quadrature`` with n_steps + 1
    nodes is exact. This is the value a finite-N simulation at the same dt converges to as
    N grows; its distance to the continuous-time theory (``sk_energy``, the DMFT as h -> 0)
    is the time-step bias, O(dt).

    Args:
        delta2: matrix noise variance of the spiked model; None for pure SK (H = -x^T W x / 2).
        m0: initial overlap with the signal (spiked model only).

    Returns:
        t: (n,) times k dt; e: (n,) energy per spin; m: (n,) overlap, or None for pure SK.
    """
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt={dt!r} is invalid: it must be a finite number > 0")
    if delta2 is not None and not (math.isfinite(delta2) and delta2 > 0):
        raise ValueError(f"delta2={delta2!r} is invalid: it must be a finite number > 0 (None: pure SK)")
    n_steps = int(round(t_max / dt))
    lam, w_q = semicircle_quadrature(n_steps + 1)
    s2 = 0.0 if delta2 is None else 1.0 / delta2
    if delta2 is not None:
        lam = lam / math.sqrt(delta2)
    t = dt * np.arange(n_steps + 1)
    eta = np.asarray(schedule(t), dtype=float)
    v, w = np.ones_like(lam), np.full_like(lam, m0 if delta2 is not None else 0.0)
    e, m = np.empty(n_steps + 1), np.empty(n_steps + 1)
    for k in range(n_steps + 1):
        m[k] = np.sum(w_q * w)
        e[k] = -0.5 * np.sum(w_q * lam * v) - 0.5 * s2 * m[k] ** 2
        a = 1.0 + eta[k] * dt * lam
        c = eta[k] * dt * s2 * m[k]
        v = a * a * v + 2.0 * a * c * w + c * c + 2.0 * T * eta[k] ** 2 * dt
        w = a * w + c
        norm2 = np.sum(w_q * v)
        v, w = v / norm2, w / math.sqrt(norm2)
    return t, e, (None if delta2 is None else m)


# ----------------------------------------------------------------------------------------
# Spiked matrix-tensor model: bottom of the informative basin at T = 0 (our derivation)


def spiked_zero_temperature_minimum(p: int, delta2: float, deltap: float) -> tuple[float, float]:
    """Overlap m* and energy e* where T = 0 gradient flow ends after the jump.

    Q(m) = m^2/(2 Delta2) + m^p/(p Deltap). In a stationary T = 0 state C(t,t') = 1,
    the response integrates to chi, and the DMFT equations of ``dmft`` reduce to

        chi = m / Q'(m),   Q'(m)^2 (1 - m^2) = m^2 Q'(1),   e* = -Q(m) - m Q'(1) / Q'(m).

    For the spiked matrix alone (Deltap = inf) this is the BBP overlap m*^2 = 1 - Delta2.
    We return the largest root in (0, 1) (the informative minimum). The DMFT integrator
    converges to it for any h <~ 0.15 (see tests); it is the reference of the
    "error after the jump" in the protocol figure.
    """
    from scipy.optimize import brentq

    a2 = 0.0 if math.isinf(delta2) else 1.0 / delta2
    ap = 0.0 if math.isinf(deltap) else 1.0 / deltap
    q1 = lambda m: a2 * m + ap * m ** (p - 1)  # noqa: E731  Q'(m)
    q0 = lambda m: a2 * m * m / 2.0 + ap * m**p / p  # noqa: E731  Q(m)
    F = lambda m: (q1(m) / m) ** 2 * (1.0 - m * m) - q1(1.0)  # noqa: E731  zero at the fixed point
    grid = np.linspace(1e-6, 1.0, 4001)
    vals = np.array([F(m) for m in grid])
    sign_change = np.flatnonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)
    if sign_change.size == 0:
        raise ValueError(f"no informative T=0 minimum for p={p}, delta2={delta2}, deltap={deltap}")
    k = sign_change[-1]
    m = brentq(F, grid[k], grid[k + 1], xtol=1e-15)
    return float(m), float(-q0(m) - m * q1(1.0) / q1(m))
