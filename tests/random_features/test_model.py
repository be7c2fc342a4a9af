"""Data model normalisations and Gaussian-equivalence coefficients."""
from __future__ import annotations

import math

import numpy as np
import pytest

from paper_code.random_features.model import (
    StrongWeakData,
    activation_fn,
    gaussian_equivalence,
    numerical_gaussian_equivalence,
)


@pytest.mark.parametrize("r_phi, r_x, r_beta",
                         [(1, 1, 1), (10, 100, 100), (100, 0.01, 100), (10, 100, 0.01), (3, 7, 0.5)])
def test_normalisations_hold(r_phi, r_x, r_beta):
    d = StrongWeakData(r_phi, r_x, r_beta)
    assert d.phi.sum() == pytest.approx(1.0)
    assert d.phi @ d.lam == pytest.approx(1.0, abs=1e-14)  # unit preactivation variance
    assert d.phi @ (d.lam * d.beta) == pytest.approx(1.0, abs=1e-14)  # rho = 1
    assert d.lam[0] / d.lam[1] == pytest.approx(r_x)
    assert d.beta[0] / d.beta[1] == pytest.approx(r_beta)


def test_sampled_inputs_and_teacher_have_the_model_statistics():
    d = StrongWeakData(10, 100, 100)
    rng = np.random.default_rng(0)
    D = 50
    X = d.sample_inputs(rng, 40_000, D)
    var, beta = d.variances(D)
    np.testing.assert_allclose(X.var(0), var, rtol=0.05)
    # teacher output variance sum_k lambda_k theta_k^2 / D has mean rho = 1 over teachers
    thetas = np.stack([d.sample_teacher(rng, D) for _ in range(4000)])
    assert (thetas**2 @ var / D).mean() == pytest.approx(1.0, rel=0.03)
    assert (var * beta).mean() == pytest.approx(1.0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sign"])
def test_gaussian_equivalence_matches_numerical_integrals(activation):
    fn = activation_fn(activation)
    exact = gaussian_equivalence(activation)
    num = numerical_gaussian_equivalence(lambda u: float(fn(np.asarray(u))))
    assert exact.mu0 == pytest.approx(num.mu0, abs=1e-9)
    assert exact.mu1 == pytest.approx(num.mu1, abs=1e-9)
    assert exact.mu_star == pytest.approx(num.mu_star, abs=1e-8)


def test_gaussian_equivalence_values_of_the_reference_code():
    relu, tanh, sign = (gaussian_equivalence(a) for a in ("relu", "tanh", "sign"))
    assert (relu.mu0, relu.mu1, relu.mu_star) == pytest.approx((0.39894, 0.5, 0.30141), abs=1e-5)
    assert (tanh.mu0, tanh.mu1, tanh.mu_star) == pytest.approx((0.0, 0.605706, 0.165576), abs=1e-6)
    assert (sign.mu0, sign.mu1, sign.mu_star) == pytest.approx(
        (0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)), abs=1e-15
    )


def test_monte_carlo_agrees_with_the_coefficients():
    u = np.random.default_rng(1).standard_normal(2_000_000)
    for a in ("relu", "tanh", "sign"):
        s, ge = activation_fn(a)(u), gaussian_equivalence(a)
        assert s.mean() == pytest.approx(ge.mu0, abs=3e-3)
        assert (u * s).mean() == pytest.approx(ge.mu1, abs=3e-3)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"r_phi": 0.5}, r"StrongWeakData.r_phi: 0.5 is out of range; valid: >= 1"),
        ({"r_x": 0.0}, r"StrongWeakData.r_x: 0.0 is out of range; valid: > 0"),
        ({"r_beta": -1.0}, r"StrongWeakData.r_beta: -1.0 is out of range; valid: > 0"),
        ({"r_x": float("nan")}, r"StrongWeakData.r_x: expected a finite number"),
        ({"r_x": "big"}, r"StrongWeakData.r_x: expected a number, got 'big'"),
    ],
)
def test_bad_model_parameters_raise(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        StrongWeakData(**kwargs)


def test_block_sizes_must_be_whole():
    assert StrongWeakData(10, 100, 100).block_sizes(200) == (20, 180)
    with pytest.raises(ValueError, match="D / r_phi must be a whole number"):
        StrongWeakData(3, 100, 100).block_sizes(100)
    with pytest.raises(ValueError, match="activation must be one of"):
        gaussian_equivalence("erf")
