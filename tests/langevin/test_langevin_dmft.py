"""DMFT integrator: exact limits, convergence in h, batching, and the paper's trends."""

import math

import numpy as np
import pytest

from paper_code.langevin import exact
from paper_code.langevin.dmft import (
    DMFTState,
    _memory_products,
    h_convergence,
    integrate_pspin,
    integrate_spiked,
    packed_rows,
)
from paper_code.langevin.schedules import Constant, PowerLaw, SwitchAtOverlap, power_laws

SCHEDS = [Constant(1.0), PowerLaw(1.0, 0.5), PowerLaw(2.0, 1.5)]


def test_p2_zero_temperature_matches_bessel_to_first_order():
    """p=2, T=0: e(t) = -I0(4 tau)/I1(4 tau) + 1/(2 tau) for any schedule; error O(h)."""
    errors = []
    for h in (0.1, 0.05):
        r = integrate_pspin(2, 0.0, SCHEDS, h=h, t_max=20.0)
        exact_e = np.stack([exact.sk_zero_temperature_energy(s.integral(r.t)) for s in SCHEDS])
        errors.append(np.abs(r.energy - exact_e).max(axis=1))
    errors = np.array(errors)  # (2 h, B)
    assert np.all(errors[1] < 0.025 * np.array([s.eta0 for s in SCHEDS]))  # the error scales with h eta0
    ratio = errors[0] / errors[1]
    assert np.all((ratio > 1.7) & (ratio < 2.3)), ratio  # first order: halving h halves the error


def test_p2_finite_temperature_matches_volterra_solution():
    """p=2, T>0: the DMFT agrees with the independent exact Volterra solution, error O(h)."""
    errs = []
    for h in (0.1, 0.05):
        r = integrate_pspin(2, 1.0, SCHEDS, h=h, t_max=20.0)
        e = []
        for s in SCHEDS:
            t, ex = exact.sk_energy(1.0, s, 20.0, h=0.01)
            e.append(np.abs(r.energy[SCHEDS.index(s)] - ex[:: int(round(h / 0.01))]).max())
        errs.append(e)
    errs = np.array(errs)
    eta0 = np.array([s.eta0 for s in SCHEDS])
    assert np.all(errs[1] < 0.025 * eta0) and np.all(errs[0] / errs[1] > 1.7), errs


def test_volterra_reduces_to_bessel_and_equilibrium():
    t, e = exact.sk_energy(0.0, PowerLaw(1.0, 0.5), 10.0, h=0.01)
    np.testing.assert_allclose(e, exact.sk_zero_temperature_energy(PowerLaw(1.0, 0.5).integral(t)), atol=1e-6)
    _, e_hot = exact.sk_energy(1.0, Constant(2.0), 20.0, h=0.02)  # T_eff = 2 > T_c: paramagnet
    assert e_hot[-1] == pytest.approx(exact.paramagnetic_energy(2, 2.0), abs=2e-3)


def test_p3_constant_rate_reaches_paramagnet_as_h_to_zero():
    """p=3, T eta0 = 1 > T_d: e -> -1/(p T eta0) = -1/3; h = 0.05 has the known bias (-0.3248)."""
    hc = h_convergence(lambda h: integrate_pspin(3, 1.0, Constant(1.0), h, 30.0), 0.1)
    assert hc.fine.energy[0, -1] == pytest.approx(-0.3248, abs=5e-4)
    assert hc.max_diff_energy[0] < 0.03  # O(h) differences between h and h/2
    assert hc.extrapolated_energy[0, -1] == pytest.approx(exact.paramagnetic_energy(3, 1.0), abs=2e-3)
    assert exact.dynamical_temperature(3) == pytest.approx(0.5)


def test_p3_zero_temperature_approaches_threshold_from_above():
    r = integrate_pspin(3, 0.0, Constant(1.0), h=0.1, t_max=60.0)
    excess = r.energy[0] - exact.threshold_energy(3)
    assert exact.threshold_energy(3) == pytest.approx(-2 * math.sqrt(2) / 3)
    assert np.all(excess > 0)
    late = r.t >= 10
    assert np.all(np.diff(excess[late]) < 0)  # keeps approaching
    slope = np.polyfit(np.log(r.t[late]), np.log(excess[late]), 1)[0]
    assert -0.85 < slope < -0.5, slope  # power law, gamma ~ 2/3 (docs/papers/lr_schedule_langevin.md, section 4)


def test_best_beta_is_strictly_between_zero_and_one():
    """p=3, T=1, eta=(1+t)^-beta: the late-time energy is non-monotone in beta."""
    betas = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    r = integrate_pspin(3, 1.0, power_laws(betas), h=0.2, t_max=100.0)
    e = r.energy[:, -1]
    best = betas[np.argmin(e)]
    assert 0.0 < best < 1.0, e
    assert e[0] > -0.35  # beta = 0 stays paramagnetic
    assert np.all(r.energy > exact.threshold_energy(3))
    assert e[-1] > exact.threshold_energy(3) + 0.1  # beta > 1 freezes well above threshold


def test_packed_memory_products_equal_dense_ones():
    """The packed triangular products equal A C, R a and b R with the dense n x n arrays."""
    rng = np.random.default_rng(0)
    B, n_max, n = 3, 9, 6
    m = n_max * (n_max + 1) // 2
    C_packed, R_packed = rng.standard_normal((B, m)), rng.standard_normal((B, m))
    diag = np.arange(1, n_max + 1) * np.arange(2, n_max + 2) // 2 - 1  # packed index of (t_i, t_i)
    C_packed[:, diag], R_packed[:, diag] = 1.0, 0.0
    state = DMFTState(C=C_packed, R=R_packed, m=None, eta=None, mu=None, energy=None, t_switch=None)
    C = packed_rows(C_packed, n_max, symmetric=True)[:, :n, :n]
    R = packed_rows(R_packed, n_max, symmetric=False)[:, :n, :n]
    assert np.allclose(C, C.transpose(0, 2, 1)) and np.all(np.triu(R) == 0)
    A, a, b = rng.standard_normal((3, B, n))
    mem_C1, mem_C2, mem_R = _memory_products(state, A, a, b, n)
    np.testing.assert_allclose(mem_C1, np.einsum("bs,bsl->bl", A, C), atol=1e-12)
    np.testing.assert_allclose(mem_C2, np.einsum("bls,bs->bl", R, a), atol=1e-12)
    np.testing.assert_allclose(mem_R, np.einsum("bs,bsl->bl", b, R), atol=1e-12)


def test_batched_integration_equals_single_runs():
    both = integrate_pspin(3, 0.7, [PowerLaw(1.0, 0.3), Constant(0.5)], h=0.1, t_max=8.0)
    one = integrate_pspin(3, 0.7, Constant(0.5), h=0.1, t_max=8.0)
    np.testing.assert_allclose(both.energy[1], one.energy[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(both.mu[1], one.mu[0], rtol=0, atol=1e-13)


def test_energy_identity_and_two_time_structure():
    r = integrate_pspin(3, 0.5, PowerLaw(1.0, 0.5), h=0.1, t_max=10.0, return_two_time=True)
    # e = (T eta - mu)/p for the homogeneous p-spin
    np.testing.assert_allclose(r.energy, (0.5 * r.eta - r.mu) / 3, atol=1e-12)
    C, R = r.C[0], r.R[0]
    np.testing.assert_allclose(np.diag(C), 1.0)
    np.testing.assert_allclose(C, C.T)
    assert np.all(np.abs(C) <= 1 + 1e-9)
    np.testing.assert_allclose(np.triu(R), 0.0)  # causality, R(t,t) = 0
    np.testing.assert_allclose(np.diag(R, -1), 1.0)  # Ito: R(t+h, t) = 1


def test_blow_up_raises_with_a_clear_message():
    with pytest.raises(FloatingPointError, match=r"blew up at step \d+ .*reduce h"):
        integrate_pspin(3, 1.0, Constant(200.0), h=0.1, t_max=30.0)


def test_spiked_zero_temperature_reaches_exact_minimum():
    m_star, e_star = exact.spiked_zero_temperature_minimum(3, 0.3, 1.0)
    r = integrate_spiked(3, 0.3, 1.0, 0.0, 1e-2, Constant(1.0), h=0.1, t_max=30.0)
    assert r.m[0, -1] == pytest.approx(m_star, abs=1e-8)
    assert r.energy[0, -1] == pytest.approx(e_star, abs=1e-8)
    # spiked matrix alone: the BBP overlap m^2 = 1 - Delta2
    assert exact.spiked_zero_temperature_minimum(3, 0.3, math.inf)[0] == pytest.approx(math.sqrt(0.7))


def test_spiked_jump_time_increases_with_beta():
    betas = [0.0, 0.2, 0.4]
    r = integrate_spiked(3, 0.3, 1.0, 0.5, 1e-4, power_laws(betas), h=0.2, t_max=60.0)
    tj = r.jump_time(0.5)
    assert np.all(np.isfinite(tj)) and np.all(np.diff(tj) > 2.0), tj
    assert np.all(r.m[:, -1] > 0.8)  # the jump lands near the signal


def test_protocol_switch_after_jump_then_convex_rates():
    """Constant until m > 0.5, then (1+t-t_s)^-beta: error ~ 1/t for beta=1, frozen for beta=2."""
    h = 0.1
    scheds = [Constant(1.0)] + [SwitchAtOverlap(1.0, b, 0.5) for b in (0.5, 1.0, 2.0)]
    r = integrate_spiked(3, 0.3, 1.0, 0.5, 1e-2, scheds, h=h, t_max=60.0)
    _, e_star = exact.spiked_zero_temperature_minimum(3, 0.3, 1.0)
    ts = r.t_switch[1:]
    assert np.isnan(r.t_switch[0]) and np.allclose(ts, ts[0]) and 3 < ts[0] < 10
    assert r.jump_time(0.5)[1] == pytest.approx(ts[0], abs=h)
    err = r.energy - e_star
    i1, i2 = int(round(30 / h)), int(round(60 / h))
    slope = np.log(err[1:, i2] / err[1:, i1]) / np.log((60 - ts[0]) / (30 - ts[0]))
    assert -0.7 < slope[0] < -0.35, slope  # beta = 0.5: ~ t^-1/2
    assert -1.2 < slope[1] < -0.85, slope  # beta = 1: ~ 1/t
    assert slope[2] > -0.1, slope  # beta = 2: saturates
    assert err[2, -1] < err[1, -1] < err[0, -1]  # 1/t beats t^-1/2 beats constant
    assert err[2, -1] < err[3, -1]


def test_invalid_integrator_arguments():
    with pytest.raises(ValueError, match="h="):
        integrate_pspin(3, 1.0, Constant(1.0), h=-0.1, t_max=1.0)
    with pytest.raises(ValueError, match="p="):
        integrate_pspin(1, 1.0, Constant(1.0))
    with pytest.raises(ValueError, match="SwitchAtOverlap needs the spiked model"):
        integrate_pspin(3, 1.0, SwitchAtOverlap(), h=0.1, t_max=1.0)
