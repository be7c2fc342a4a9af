"""Closed forms of ``exact``: semicircle quadrature, and the N -> infinity limit of the simulation scheme."""

import math

import numpy as np
import pytest
from scipy.special import comb

from paper_code.langevin import exact
from paper_code.langevin.dmft import integrate_spiked
from paper_code.langevin.schedules import Constant, PowerLaw

SCHEDS = [Constant(1.0), PowerLaw(1.0, 0.5), PowerLaw(1.0, 1.0)]


@pytest.mark.parametrize("n", [5, 40])
def test_semicircle_quadrature_is_exact_to_degree_2n_minus_1(n):
    """int rho lambda^(2k) = Catalan(k) on [-2, 2]; odd moments vanish."""
    lam, w = exact.semicircle_quadrature(n)
    assert w.sum() == pytest.approx(1.0, abs=1e-13)
    for k in range(n):
        catalan = comb(2 * k, k, exact=True) / (k + 1)
        assert np.sum(w * lam ** (2 * k)) == pytest.approx(catalan, rel=1e-10)
        assert abs(np.sum(w * lam ** (2 * k + 1))) < 1e-9 * max(1.0, catalan)


@pytest.mark.parametrize("T", [0.0, 0.5])
def test_scheme_limit_tends_to_the_continuous_theory_at_first_order(T):
    """Euler-Maruyama + projection at N = inf: the bias to the exact SDE energy halves with dt."""
    errs = []
    for dt in (0.05, 0.025, 0.0125):
        for s in SCHEDS:
            t, e, m = exact.matrix_scheme_limit(T, s, dt, 10.0)
            assert m is None
            ref = exact.sk_energy(T, s, 10.0, h=0.003125)[1][:: int(round(dt / 0.003125))]
            errs.append(np.abs(e - ref).max())
    errs = np.array(errs).reshape(3, len(SCHEDS))
    ratios = errs[:-1] / errs[1:]
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


def test_scheme_limit_at_zero_temperature_is_the_discrete_gradient_flow():
    """T = 0, one step: v_1 = (1 + dt lam)^2 / int rho (1 + dt lam)^2, so e_1 = -dt / (1 + dt^2) exactly."""
    dt = 0.1
    t, e, _ = exact.matrix_scheme_limit(0.0, Constant(1.0), dt, dt)
    # int rho lam (1 + dt lam)^2 = 2 dt, int rho (1 + dt lam)^2 = 1 + dt^2 (semicircle moments 0, 1, 0)
    assert e[0] == pytest.approx(0.0, abs=1e-15)
    assert e[1] == pytest.approx(-dt / (1 + dt**2), rel=1e-12)


def test_spiked_scheme_limit_tends_to_the_dmft():
    """Spiked matrix (Delta_p = inf): the scheme's N = inf overlap and energy approach the DMFT as dt, h -> 0."""
    d = integrate_spiked(3, 0.3, math.inf, 0.5, 0.05, SCHEDS[:2], h=0.00625, t_max=10.0)
    errs = []
    for dt in (0.05, 0.025):
        for k, s in enumerate(SCHEDS[:2]):
            t, e, m = exact.matrix_scheme_limit(0.5, s, dt, 10.0, delta2=0.3, m0=0.05)
            stride = int(round(dt / 0.00625))
            errs.append(max(np.abs(m - d.m[k, ::stride]).max(), np.abs(e - d.energy[k, ::stride]).max()))
    errs = np.array(errs).reshape(2, 2)
    assert np.all(errs[1] < 0.05), errs  # the largest error sits in the jump, where m moves fastest
    assert np.all((errs[0] / errs[1] > 1.7) & (errs[0] / errs[1] < 2.3)), errs  # first order in dt


def test_scheme_limit_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dt=0 is invalid"):
        exact.matrix_scheme_limit(0.5, Constant(1.0), 0, 1.0)
    with pytest.raises(ValueError, match="delta2=-1 is invalid"):
        exact.matrix_scheme_limit(0.5, Constant(1.0), 0.1, 1.0, delta2=-1)
