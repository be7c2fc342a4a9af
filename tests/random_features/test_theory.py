"""The saddle-point solver: equations, limits, reference values, convergence reporting."""
from __future__ import annotations

import math

import numpy as np
import pytest

from paper_code.random_features import theory as T
from paper_code.random_features.model import StrongWeakData, gaussian_equivalence
from paper_code.random_features.theory import ConvergenceError, block_resolvent, literal_update, solve_saddle_point

SALIENT = StrongWeakData(10, 100, 100)


def _random_state(rng, G):
    u = lambda *s: rng.uniform(0.05, 1.5, s)  # noqa: E731
    return T.SaddlePoint(u(G, 2), u(G, 2), u(G, 2), u(G), u(G))


@pytest.mark.parametrize("task, activation, noise",
                         [("regression", "tanh", 0.3), ("classification", "relu", 0.2), ("regression", "sign", 0.0)])
@pytest.mark.parametrize("data", [SALIENT, StrongWeakData(1, 1, 1), StrongWeakData(100, 0.01, 100)])
def test_closed_form_update_equals_the_reference_codes_literal_equations(task, activation, noise, data):
    rng = np.random.default_rng(0)
    sp = _random_state(rng, 4)
    p1, p2 = np.array([0.5, 1.0, 2.0, 10.0]), np.array([3.0, 1.0, 0.3, 0.05])
    ge = gaussian_equivalence(activation)
    c, nt = T._task_constants(task, noise)
    ours = T._update(sp, p1, p2, data.phi, data.lam, data.beta, ge, c, nt, 1e-2).stack()
    literal = literal_update(sp, p1, p2, data, activation, task, 1e-2, noise).stack()
    np.testing.assert_allclose(ours, literal, rtol=1e-6, atol=1e-9)


def test_block_resolvent_is_the_trace_of_the_random_matrix_resolvent():
    # x = tr R / D with R = (sum_i a_i F_i F_i^T / D + s I_P)^-1, F_i of shape P x phi_i D
    rng = np.random.default_rng(3)
    D, P = 600, 300
    phi = np.array([0.2, 0.8])
    a, s = np.array([[2.0, 0.3]]), np.array([0.5])
    d1 = int(phi[0] * D)
    F1, F2 = rng.standard_normal((P, d1)), rng.standard_normal((P, D - d1))
    R = np.linalg.inv(a[0, 0] * F1 @ F1.T / D + a[0, 1] * F2 @ F2.T / D + s[0] * np.eye(P))
    x, dx = block_resolvent(a, phi, np.array([D / P]), s)
    assert x[0] == pytest.approx(np.trace(R) / D, rel=0.01)
    assert dx[0] == pytest.approx(-np.trace(R @ R) / D, rel=0.02)  # d tr R / ds = -tr R^2


def test_block_resolvent_derivative_matches_finite_difference():
    a, phi = np.array([[0.7, 0.01], [3.0, 2.0]]), np.array([0.1, 0.9])
    gamma, s = np.array([0.3, 5.0]), np.array([0.2, 1e-3])
    x, dx = block_resolvent(a, phi, gamma, s)
    h = 1e-6 * s
    fd = (block_resolvent(a, phi, gamma, s + h)[0] - block_resolvent(a, phi, gamma, s - h)[0]) / (2 * h)
    np.testing.assert_allclose(dx, fd, rtol=1e-6)


@pytest.mark.parametrize("task, activation, noise", [("regression", "tanh", 0.3), ("classification", "relu", 0.3)])
def test_reduced_solver_agrees_with_the_damped_iteration(task, activation, noise):
    # points away from N = P, where the damped iteration converges fast enough to be tight
    p1 = np.array([0.1, 1.0, 10.0, 3.0])
    p2 = np.array([1.0, 0.2, 1.0, 30.0])
    kw = dict(data=SALIENT, task=task, activation=activation, ridge=1e-2, noise=noise)
    red = solve_saddle_point(p1, p2, **kw)
    damped = solve_saddle_point(p1, p2, method="damped", tol=1e-13, max_iter=100_000, **kw)
    np.testing.assert_allclose(red.test_error, damped.test_error, rtol=1e-7)
    np.testing.assert_allclose(red.train_loss, damped.train_loss, rtol=1e-7)
    assert red.change.max() < 1e-12


def test_kappa_equation_has_a_single_root():
    # the reduced solver brackets kappa = psi2 / (1 + V(kappa)); check there is no second crossing
    ge = gaussian_equivalence("tanh")
    for data, p1, p2, ridge in [(SALIENT, 1.0, 1.0, 1e-3), (StrongWeakData(100, 1000, 100), 100.0, 0.1, 1e-3),
                                (StrongWeakData(), 0.01, 1e3, 0.1)]:
        kappa = np.geomspace(1e-9, p2, 4000)
        *_, V = T._kappa_terms(kappa, np.full_like(kappa, p1), data.phi, data.lam, ge, ridge)
        f = kappa * (1 + V) - p2
        assert np.count_nonzero(np.diff(np.sign(f))) == 1


# Values stored by the reference code (GitHub sdascoli/strong-weak, random-features/data/*.pkl,
# rows whose damped iteration stopped before its cap): (task, activation, ridge, noise, r_phi, r_x,
# r_beta, psi1, psi2, test error).
REFERENCE = [
    ("classification", "tanh", 1e-3, 0.0, 10, 100, 0.01, 1.0, 96.17248711152965, 0.26700292553041977),
    ("regression", "tanh", 1e-3, 0.3, 10, 100, 0.01, 1.0, 194.14919457438816, 0.273136944837272),
    ("classification", "relu", 0.1, 0.3, 100, 100, 100, 3727.593720314938, 3.727593720314938, 0.2992132938527687),
    ("classification", "tanh", 0.1, 0.0, 100, 1.0, 100, 10000.0, 517.9474679231213, 0.056581701024552226),
    ("regression", "tanh", 1e-3, 0.0, 1, 1000, 100, 100.0, 10.0, 0.0004946775040077789),
    ("classification", "tanh", 1e-3, 0.0, 100, 1000, 100, 100.0, 0.06614740641230146, 0.1038049555658947),
]


@pytest.mark.parametrize("task, act, ridge, noise, r_phi, r_x, r_beta, psi1, psi2, ref", REFERENCE)
def test_reproduces_the_reference_codes_stored_theory(task, act, ridge, noise, r_phi, r_x, r_beta, psi1, psi2, ref):
    res = solve_saddle_point(psi1, psi2, data=StrongWeakData(r_phi, r_x, r_beta), task=task, activation=act,
                             ridge=ridge, noise=noise)
    assert float(res.test_error) == pytest.approx(ref, abs=2e-6)  # the reference stops at a summed change of 1e-5


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_huge_ridge_limits(task):
    kw = dict(data=SALIENT, task=task, activation="relu", noise=0.2)
    p1, p2 = np.array([0.5, 5.0]), np.array([2.0, 0.3])
    res = solve_saddle_point(p1, p2, ridge=1e9, **kw)
    expect = (1.0 + 0.2) / 2 if task == "regression" else 0.5  # train loss -> E[y^2]/2: a -> 0
    np.testing.assert_allclose(res.train_loss, expect, atol=1e-6)
    if task == "regression":
        np.testing.assert_allclose(res.test_error, 0.5, atol=1e-6)  # the null predictor: rho/2
    else:
        # sign(a.z) does not see the scale of a -> Z^T y / ridge: a finite "Hebbian" error below chance
        far = solve_saddle_point(p1, p2, ridge=1e7, **kw)
        np.testing.assert_allclose(res.test_error, far.test_error, atol=1e-6)
        assert np.all(res.test_error < 0.45)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_vanishing_parameters_or_data_learn_nothing(task):
    for p1, p2 in [(1e-7, 10.0), (10.0, 1e-7)]:
        res = solve_saddle_point(p1, p2, data=StrongWeakData(), task=task, activation="tanh", ridge=1e-2)
        assert float(res.test_error) == pytest.approx(0.5, abs=1e-4)


def test_error_decreases_with_data_when_ridge_is_large_enough():
    psi2 = np.geomspace(0.01, 100, 30)
    res = solve_saddle_point(2.0, psi2, data=StrongWeakData(), task="regression", activation="relu", ridge=1.0)
    assert np.all(np.diff(res.test_error) < 0)


def test_noise_free_ridgeless_peak_is_at_interpolation():
    psi2 = np.logspace(-1, 1, 81)
    res = solve_saddle_point(1.0, psi2, data=StrongWeakData(), task="regression", activation="tanh", ridge=1e-5,
                             noise=0.5)
    assert psi2[np.argmax(res.test_error)] == pytest.approx(1.0)


def test_non_converging_damped_iteration_raises():
    with pytest.raises(ConvergenceError, match="not converged after 5 iterations"):
        solve_saddle_point(1.0, 1.0, data=SALIENT, task="regression", activation="relu", ridge=1e-3, method="damped",
                           max_iter=5)


def test_non_converging_resolvent_raises():
    with pytest.raises(ConvergenceError, match="block resolvent"):
        block_resolvent(np.array([[1.0, 1.0]]), np.array([0.5, 0.5]), np.array([1.0]), np.array([1e-8]), max_iter=2)


def test_unconverged_state_is_caught_by_the_final_check(monkeypatch):
    real = T._solve_reduced

    def sloppy(*args, **kwargs):
        state, steps = real(*args, **kwargs)
        return state * 1.01, steps  # a state 1 % off the fixed point

    monkeypatch.setattr(T, "_solve_reduced", sloppy)
    with pytest.raises(ConvergenceError, match="saddle point check failed"):
        solve_saddle_point(2.0, 0.5, data=SALIENT)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"task": "ranking"}, "task must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"ridge": 0.0}, "ridge must be a finite number > 0"),
        ({"task": "classification", "noise": 0.5}, "flip probability delta must be in"),
        ({"noise": -1.0}, "Delta must be >= 0"),
        ({"method": "newton"}, "method must be"),
    ],
)
def test_bad_inputs_raise_one_line_errors(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        solve_saddle_point(1.0, 1.0, **kwargs)
    with pytest.raises(ValueError, match="must be finite and > 0"):
        solve_saddle_point(np.array([1.0, -1.0]), 1.0)


def test_broadcasting_keeps_the_grid_shape():
    res = solve_saddle_point(np.array([0.5, 2.0, 8.0])[:, None], np.array([0.1, 1.0])[None, :], data=SALIENT)
    assert res.test_error.shape == (3, 2) and res.V_blocks.shape == (3, 2, 2)
    assert math.isfinite(float(res.test_error.sum()))
