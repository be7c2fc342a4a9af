"""Finite-D random-features simulations against the theory, with one penalty convention."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.random_features.model import StrongWeakData, gaussian_equivalence
from paper_code.random_features.simulation import make_labels, rf_features, ridge_readout, simulate_random_features
from paper_code.random_features.theory import solve_saddle_point


def test_primal_and_dual_ridge_solutions_agree():
    rng = np.random.default_rng(0)
    for N, P in [(30, 80), (80, 30)]:
        Z, y = rng.standard_normal((N, P)), rng.standard_normal(N)
        a = ridge_readout(Z, y, 0.3)
        np.testing.assert_allclose(a, np.linalg.solve(Z.T @ Z + 0.3 * np.eye(P), Z.T @ y), rtol=1e-9, atol=1e-12)
        # stationarity of sum (y - Z a)^2 + ridge |a|^2
        np.testing.assert_allclose(Z.T @ (Z @ a - y) + 0.3 * a, 0.0, atol=1e-9)


def test_labels_have_the_requested_noise():
    rng = np.random.default_rng(1)
    u = rng.standard_normal(200_000)
    y = make_labels(u, "classification", 0.3, rng)
    assert np.mean(y != np.sign(u)) == pytest.approx(0.3, abs=0.005)
    y = make_labels(u, "regression", 0.3, rng)
    assert np.var(y - u) == pytest.approx(0.3, rel=0.02)


# (task, activation, noise, ridge, psi1, psi2): isotropic data, where finite-size effects are small
POINTS = [
    ("regression", "tanh", 0.3, 1e-3, 1.0, 0.5),
    ("regression", "relu", 0.0, 1e-2, 2.0, 3.0),
    ("classification", "relu", 0.3, 1e-3, 1.0, 2.0),
    ("classification", "sign", 0.0, 0.1, 0.5, 1.5),
]


@pytest.mark.parametrize("task, activation, noise, ridge, psi1, psi2", POINTS)
def test_simulation_agrees_with_theory_within_error_bars(task, activation, noise, ridge, psi1, psi2):
    kw = dict(data=StrongWeakData(), task=task, activation=activation, ridge=ridge, noise=noise)
    sim = simulate_random_features(psi1, psi2, D=200, n_seeds=6, n_test=3000, seed=7, **kw)
    th = solve_saddle_point(sim.psi1, sim.psi2, **kw)
    mu, se = sim.mean_sem()
    assert abs(mu[0] - th.test_error[0]) < 4 * se[0] + 0.01 * th.test_error[0]
    mt, st = sim.mean_sem("train_loss")
    assert abs(mt[0] - th.train_loss[0]) < 4 * st[0] + 0.03 * th.train_loss[0]


def test_penalty_convention_is_the_same_on_both_sides():
    # at ridge = 1 the theory matches a simulation penalised by ridge |a|^2, not by (ridge/2) |a|^2
    kw = dict(data=StrongWeakData(), task="regression", activation="relu", noise=0.0)
    th = solve_saddle_point(2.0, 2.0, ridge=1.0, **kw).test_error
    same = simulate_random_features(2.0, 2.0, D=200, n_seeds=4, n_test=3000, seed=3, ridge=1.0, **kw)
    half = simulate_random_features(2.0, 2.0, D=200, n_seeds=4, n_test=3000, seed=3, ridge=0.5, **kw)
    mu_same, se = same.mean_sem()
    mu_half, _ = half.mean_sem()
    assert abs(mu_same[0] - th) < 4 * se[0]
    assert abs(mu_half[0] - th) > 2 * abs(mu_same[0] - th)


def test_simulation_is_seeded_and_validates():
    a = simulate_random_features(1.0, [0.5, 2.0], D=50, n_seeds=2, n_test=100, seed=5)
    b = simulate_random_features(1.0, [0.5, 2.0], D=50, n_seeds=2, n_test=100, seed=5)
    np.testing.assert_array_equal(a.test_error, b.test_error)
    with pytest.raises(ValueError, match="n_seeds must be >= 2"):
        simulate_random_features(1.0, 1.0, D=50, n_seeds=1)
    with pytest.raises(ValueError, match="D / r_phi must be a whole number"):
        simulate_random_features(1.0, 1.0, D=55, data=StrongWeakData(10, 100, 100))


def test_centred_features_remove_the_activation_mean_and_keep_the_draws():
    rng = np.random.default_rng(2)
    X, F = rng.standard_normal((4000, 50)), rng.standard_normal((30, 50))
    plain, centred = rf_features(X, F, "relu"), rf_features(X, F, "relu", centre=True)
    np.testing.assert_allclose(plain - centred, gaussian_equivalence("relu").mu0 / np.sqrt(50), rtol=1e-12)
    assert abs(centred.mean()) * np.sqrt(50) < 0.02 < plain.mean() * np.sqrt(50)  # the mean is gone
    # tanh has mu0 = 0: centring changes nothing; ReLU on the same draws: a different but close error
    kw = dict(psi1=[0.5, 2.0], psi2=1.5, D=60, n_seeds=2, n_test=500, seed=4, task="classification")
    a = simulate_random_features(activation="tanh", **kw)
    b = simulate_random_features(activation="tanh", centre=True, **kw)
    np.testing.assert_allclose(a.test_error, b.test_error, rtol=1e-9)
    c = simulate_random_features(activation="relu", **kw)
    d = simulate_random_features(activation="relu", centre=True, **kw)
    assert d.centred and not c.centred and not np.array_equal(c.test_error, d.test_error)
