"""Finite-N simulations: normalisation of the landscapes and agreement with theory."""

import math

import numpy as np
import pytest

from paper_code.langevin import exact
from paper_code.langevin.dmft import integrate_pspin, integrate_spiked
from paper_code.langevin.schedules import Constant, PowerLaw, SwitchAtOverlap
from paper_code.langevin.simulation import sample_goe, sample_tensor3, simulate_pspin, simulate_spiked


@pytest.mark.parametrize("p", [2, 3])
def test_landscape_covariance_is_N_q_to_the_p_over_p(p):
    """E[H(x) H(y)] = N f(q) with f(q) = q^p / p (the reference code's normalisation), by Monte Carlo over disorder."""
    rng = np.random.default_rng(1)
    N, S, q = 8, 6000, 0.6
    x = rng.standard_normal(N)
    x *= math.sqrt(N) / np.linalg.norm(x)
    z = rng.standard_normal(N)
    z -= (z @ x) / N * x
    z *= math.sqrt(N) / np.linalg.norm(z)
    y = q * x + math.sqrt(1 - q * q) * z
    if p == 2:
        J = sample_goe(N, S, rng)
        H = lambda v: -0.5 * np.einsum("sij,i,j->s", J, v, v)  # noqa: E731
    else:
        J = sample_tensor3(N, S, rng)
        H = lambda v: -np.einsum("sijk,i,j,k->s", J, v, v, v)  # noqa: E731
    for a, b, qq in ((x, x, 1.0), (x, y, q)):
        prod = H(a) * H(b)
        se = prod.std() / math.sqrt(S)
        assert abs(prod.mean() - N * qq**p / p) < 4 * se, (prod.mean(), N * qq**p / p, se)


def test_sk_zero_temperature_matches_bessel():
    """p=2, T=0, N=500: the simulation follows the exact N=inf energy within seed error bars."""
    scheds = [Constant(1.0), PowerLaw(1.0, 0.5)]
    r = simulate_pspin(2, 0.0, scheds, N=500, dt=0.02, t_max=8.0, n_samples=8, seed=5, record_every=25)
    mean, sem = r.mean_sem()
    for b, s in enumerate(scheds):
        ref = exact.sk_zero_temperature_energy(s.integral(r.t))
        # 4 SE for the seed noise + 0.01 for finite-N (edge ~N^-2/3) and O(dt) effects
        assert np.all(np.abs(mean[b] - ref) < 4 * sem[b] + 0.01), (mean[b] - ref, sem[b])


def test_sk_finite_temperature_matches_dmft():
    """p=2, T=0.5: DMFT (h=0.02) and simulation (N=500) of the same SDE agree."""
    scheds = [Constant(1.0), PowerLaw(1.0, 1.0)]
    r = simulate_pspin(2, 0.5, scheds, N=500, dt=0.02, t_max=6.0, n_samples=12, seed=11, record_every=25)
    d = integrate_pspin(2, 0.5, scheds, h=0.02, t_max=6.0)
    mean, sem = r.mean_sem()
    diff = mean - d.energy[:, ::25]
    assert np.all(np.abs(diff) < 4 * sem + 0.01), (diff, sem)


def test_p3_simulation_matches_dmft():
    scheds = [Constant(1.0), PowerLaw(1.0, 1.0)]
    r = simulate_pspin(3, 1.0, scheds, N=80, dt=0.02, t_max=4.0, n_samples=8, seed=2, record_every=25)
    d = integrate_pspin(3, 1.0, scheds, h=0.02, t_max=4.0)
    mean, sem = r.mean_sem()
    diff = mean - d.energy[:, ::25]
    assert np.all(np.abs(diff) < 4 * sem + 0.03), (diff, sem)  # 0.03: O(1/N) at N = 80


def test_spiked_matrix_simulation_matches_dmft():
    """Spiked matrix (Deltap = inf): |m| and energy of N=400 sims vs DMFT from m0 = 1/sqrt(N)."""
    N, scheds = 400, [Constant(1.0), PowerLaw(1.0, 0.5)]
    r = simulate_spiked(
        0.3, math.inf, 0.3, scheds, N=N, dt=0.05, t_max=15.0, n_samples=8, m0=1 / math.sqrt(N), seed=3, record_every=20
    )
    d = integrate_spiked(3, 0.3, math.inf, 0.3, 1 / math.sqrt(N), scheds, h=0.05, t_max=15.0)
    m_abs = np.abs(r.m[:, :, -1])  # the matrix model is symmetric under x -> -x
    sem = m_abs.std(0, ddof=1) / math.sqrt(m_abs.shape[0])
    assert np.all(np.abs(m_abs.mean(0) - d.m[:, -1]) < 4 * sem + 0.03), (m_abs.mean(0), d.m[:, -1])
    e, e_sem = r.mean_sem()
    assert np.all(np.abs(e[:, -1] - d.energy[:, -1]) < 4 * e_sem[:, -1] + 0.03)


def test_simulation_protocol_switches_per_sample():
    r = simulate_spiked(0.3, math.inf, 0.0, [Constant(1.0), SwitchAtOverlap(1.0, 1.0, 0.5)], N=200, dt=0.05, t_max=10.0,
                        n_samples=3, m0=0.2, seed=0)
    ts = r.t_switch[:, 1]
    assert np.all(np.isnan(r.t_switch[:, 0])) and np.all(np.isfinite(ts))
    k = np.searchsorted(r.t, ts[0])
    assert np.all(r.m[0, 1, k - 1 : k] <= 0.5) and r.m[0, 1, k] > 0.5
    assert r.eta[0, 1, -1] == pytest.approx(1.0 / (1.0 + r.t[-1] - ts[0]))
    assert np.all(r.eta[:, 0] == 1.0)


def test_sk_ground_state_and_schedule_sharing():
    from paper_code.langevin.simulation import pspin_landscape

    land = pspin_landscape(2, 300, 2, seed=0)
    gs = land.ground_state()
    assert np.all(np.abs(gs + 1.0) < 0.05)  # -lambda_max/2 -> -1
    r = simulate_pspin(2, 0.3, [Constant(1.0), Constant(1.0)], N=100, dt=0.05, t_max=1.0, n_samples=2)
    np.testing.assert_array_equal(r.energy[:, 0], r.energy[:, 1])  # common random numbers


def test_force_is_minus_gradient_of_energy():
    """Spiked matrix-tensor landscape: -grad (N e) by central differences equals the force."""
    from paper_code.langevin.simulation import spiked_landscape

    N = 12
    land = spiked_landscape(0.5, 0.7, N, 2, seed=4)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, N)) * 1.3
    force, _, _ = land.force_and_energy(x)
    eps = 1e-6
    num = np.zeros_like(x)
    for i in range(N):
        d = np.zeros_like(x)
        d[..., i] = eps
        num[..., i] = -N * (land.force_and_energy(x + d)[1] - land.force_and_energy(x - d)[1]) / (2 * eps)
    np.testing.assert_allclose(force, num, rtol=1e-6, atol=1e-7)


def test_gap_scaled_sk_favours_the_convex_rule_at_finite_N():
    """fig4 set-up at N=100: beyond ~N^(2/3) iterations, beta = 1 beats beta = 0.5."""
    from paper_code.langevin.simulation import simulate_sk_gap_scaled

    run = simulate_sk_gap_scaled(N=100, T=3.0, betas=(0.5, 1.0), n_steps=3000, n_samples=3, t_protocol=50.0)
    ex = run.excess_energy.mean(0)  # (B, n_rec)
    assert np.all(run.excess_energy > -1e-9)  # never below the ground state
    assert ex[1, -1] < 0.5 * ex[0, -1], ex[:, -1]
    assert ex[2, -1] < 0.5 * ex[0, -1], ex[:, -1]
    np.testing.assert_allclose(run.result.eta[:, 0, 0], run.eta0)


# ----------------------------------------------------------------------------------------
# Matrix landscapes in the eigenbasis (SpectralLandscape)


def test_eigenbasis_simulation_equals_the_dense_one_step_for_step():
    """Same H written both ways (rotation = identity): same start, same noise, same trajectory."""
    from paper_code.langevin.simulation import simulate, spiked_landscape

    spectral = spiked_landscape(0.3, math.inf, 60, 3, seed=1)
    dense = spectral.dense()
    scheds = [Constant(1.0), PowerLaw(1.0, 0.5), SwitchAtOverlap(1.0, 1.0, 0.4)]
    a = simulate(spectral, 0.5, scheds, 0.05, 3.0, seed=2, m0=0.1)
    b = simulate(dense, 0.5, scheds, 0.05, 3.0, seed=2, m0=0.1)
    np.testing.assert_allclose(a.energy, b.energy, atol=1e-12)
    np.testing.assert_allclose(a.m, b.m, atol=1e-12)
    np.testing.assert_array_equal(a.t_switch, b.t_switch)


def test_eigenbasis_force_and_energy_are_the_rotated_dense_ones():
    """H(R y) of the dense landscape J = R diag(lam) R^T + s2 x* x*^T/N equals the spectral H(y); force rotates."""
    from scipy.stats import ortho_group

    from paper_code.langevin.simulation import spiked_landscape

    spectral = spiked_landscape(0.5, math.inf, 40, 2, seed=3)
    R = ortho_group.rvs(40, random_state=0)
    dense = spectral.dense(R)
    y = np.random.default_rng(0).standard_normal((2, 3, 40))
    f1, e1, m1 = spectral.force_and_energy(y)
    f2, e2, m2 = dense.force_and_energy(y @ R.T)
    np.testing.assert_allclose(f1 @ R.T, f2, atol=1e-12)
    np.testing.assert_allclose(e1, e2, atol=1e-12)
    np.testing.assert_allclose(m1, m2, atol=1e-12)


def test_goe_spectrum_sampler_has_the_goe_law():
    """Tridiagonal sampler vs dense GOE: E tr W^2 / N = (N+1)/N exactly, and the same top eigenvalue."""
    from paper_code.langevin.simulation import sample_goe_spectrum

    rng = np.random.default_rng(0)
    N, S = 40, 3000
    lam = sample_goe_spectrum(N, S, rng)
    dense = np.linalg.eigvalsh(sample_goe(N, S, rng))
    assert np.all(np.diff(lam, axis=1) >= 0)  # ascending
    second = (lam**2).mean(axis=1)
    assert abs(second.mean() - (N + 1) / N) < 4 * second.std() / math.sqrt(S)
    top, top_dense = lam[:, -1], dense[:, -1]
    se = math.sqrt(top.var() / S + top_dense.var() / S)
    assert abs(top.mean() - top_dense.mean()) < 4 * se
    assert abs(top.std() - top_dense.std()) < 0.1 * top_dense.std()


def test_eigenbasis_and_dense_simulations_agree_in_law():
    """Different samples, same law: sample means of the energy agree within their errors."""
    from paper_code.langevin.simulation import pspin_landscape, simulate

    scheds = [Constant(1.0)]
    a = simulate(pspin_landscape(2, 80, 200, seed=1), 0.5, scheds, 0.05, 3.0, seed=1, record_every=20)
    b = simulate(pspin_landscape(2, 80, 200, seed=2, eigenbasis=False), 0.5, scheds, 0.05, 3.0, seed=2, record_every=20)
    (ma, sa), (mb, sb) = a.mean_sem(), b.mean_sem()
    assert np.all(np.abs(ma - mb)[:, 1:] < 4 * np.hypot(sa, sb)[:, 1:]), (ma - mb, sa)


def test_eigenbasis_needs_a_matrix_only_landscape():
    from paper_code.langevin.simulation import spiked_landscape

    with pytest.raises(ValueError, match="eigenbasis=True needs a matrix-only landscape"):
        spiked_landscape(0.5, 0.7, 10, 1, eigenbasis=True)
    assert spiked_landscape(0.5, 0.7, 6, 1).J3 is not None  # finite deltap: dense by default


def test_simulation_converges_to_the_scheme_limit_not_to_the_continuous_theory():
    """At fixed dt the N -> inf limit of the simulation is the scheme's recursion, O(dt) away from the SDE theory.

    N = 2000, T = 0.5, constant rate, dt = 0.1: averaged over the late half of the run, the gap to
    the continuous theory is the scheme's deterministic bias (many standard errors); the gap to
    the scheme's own limit is within the errors plus O(1/N).
    """
    from paper_code.langevin.experiments import GapSeries
    from paper_code.langevin.stats import mean_ci

    s = Constant(1.0)
    r = simulate_pspin(2, 0.5, [s], N=2000, dt=0.1, t_max=10.0, n_samples=24, seed=4, record_every=10)
    scheme = exact.matrix_scheme_limit(0.5, s, 0.1, 10.0)[1][::10]
    theory = exact.sk_energy(0.5, s, 10.0, h=0.025)[1][::40]
    to_scheme = mean_ci(GapSeries.of(r.energy, scheme[None], r.t).late)
    to_theory = mean_ci(GapSeries.of(r.energy, theory[None], r.t).late)
    bias = (scheme - theory)[r.t >= r.t[-1] / 2].mean()  # deterministic: scheme limit - theory
    assert abs(to_scheme.mean) < 4 * to_scheme.sem + 2.0 / 2000, to_scheme
    assert abs(to_theory.mean) > 4 * to_theory.sem, to_theory
    assert abs(to_theory.mean - bias) < 4 * to_theory.sem + 2.0 / 2000, (to_theory, bias)
