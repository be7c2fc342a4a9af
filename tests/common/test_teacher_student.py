"""Shared teacher-student machinery: closed-form Gaussian integrals, eps_g, the online data stream."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from paper_code.common.teacher_student import (
    OnlineTeacherData,
    field_covariance,
    gaussian_tables,
    generalisation_error,
    generalisation_error_from_overlaps,
    i2,
    i3,
    i4,
    j2,
    mc_generalisation_error,
    order_parameters,
    two_layer_output,
)


def _random_covariance(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) / math.sqrt(n)
    return A @ A.T + 0.3 * np.eye(n)


def _g(u):
    return torch.erf(u / math.sqrt(2))


def _dg(u):
    return math.sqrt(2 / math.pi) * torch.exp(-(u**2) / 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_erf_integrals_match_monte_carlo(seed):
    C = _random_covariance(4, seed)
    n = 400_000
    gen = torch.Generator().manual_seed(seed)
    L = torch.linalg.cholesky(torch.tensor(C))
    u = torch.randn(n, 4, generator=gen, dtype=torch.float64) @ L.T
    u1, u2, u3, u4 = u.T

    def check(samples, exact):
        mean, se = samples.mean().item(), samples.std().item() / math.sqrt(n)
        assert abs(mean - exact) < 4.5 * se, (mean, exact, se)

    c = C
    check(_g(u1) * _g(u2), i2(c[0, 0], c[1, 1], c[0, 1]))
    check(_dg(u1) * _dg(u2), j2(c[0, 0], c[1, 1], c[0, 1]))
    check(_dg(u1) * u2 * _g(u3), i3(c[0, 0], c[0, 1], c[0, 2], c[1, 2], c[2, 2]))
    check(
        _dg(u1) * _dg(u2) * _g(u3) * _g(u4),
        i4(c[0, 0], c[0, 1], c[0, 2], c[0, 3], c[1, 1], c[1, 2], c[1, 3], c[2, 2], c[2, 3], c[3, 3]),
    )


def test_linear_integrals_are_plain_moments():
    c = _random_covariance(4, 3)
    assert i2(c[0, 0], c[1, 1], c[0, 1], "linear") == c[0, 1]
    assert j2(c[0, 0], c[1, 1], c[0, 1], "linear") == 1.0
    assert i3(c[0, 0], c[0, 1], c[0, 2], c[1, 2], c[2, 2], "linear") == c[1, 2]
    args = (c[0, 0], c[0, 1], c[0, 2], c[0, 3], c[1, 1], c[1, 2], c[1, 3], c[2, 2], c[2, 3], c[3, 3])
    assert i4(*args, "linear") == c[2, 3]


@pytest.mark.parametrize("activation", ["erf", "linear"])
def test_tables_index_the_right_entries(activation):
    K, n = 2, 5
    C = np.stack([_random_covariance(n, s) for s in range(3)])  # batch of 3
    tab = gaussian_tables(C, K, activation)
    assert tab["I2"].shape == (3, n, n) and tab["J2"].shape == (3, K, K)
    assert tab["I3"].shape == (3, K, n, n) and tab["I4"].shape == (3, K, K, n, n)
    c = C[1]
    i, k, a, b = 1, 0, 4, 2
    assert tab["I2"][1, a, b] == pytest.approx(i2(c[a, a], c[b, b], c[a, b], activation))
    assert tab["J2"][1, i, k] == pytest.approx(j2(c[i, i], c[k, k], c[i, k], activation))
    assert tab["I3"][1, i, a, b] == pytest.approx(i3(c[i, i], c[i, a], c[i, b], c[a, b], c[b, b], activation))
    want = i4(c[i, i], c[i, k], c[i, a], c[i, b], c[k, k], c[k, a], c[k, b], c[a, a], c[a, b], c[b, b], activation)
    assert tab["I4"][1, i, k, a, b] == pytest.approx(want)
    # I4 is symmetric in its last two (g) indices
    np.testing.assert_allclose(tab["I4"], np.swapaxes(tab["I4"], -1, -2), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", ["erf", "linear"])
def test_generalisation_error_matches_monte_carlo_and_numpy(activation):
    g = torch.Generator().manual_seed(0)
    dt = torch.float64
    W, v = torch.randn(4, 3, 50, generator=g, dtype=dt), torch.randn(4, 3, generator=g, dtype=dt)
    W_t, v_t = torch.randn(4, 2, 50, generator=g, dtype=dt), torch.randn(4, 2, generator=g, dtype=dt)
    exact = generalisation_error(W, v, W_t, v_t, activation)
    n = 100_000
    x = torch.randn(4, n, 50, generator=g, dtype=dt)
    sq = 0.5 * (two_layer_output(x, W, v, activation) - two_layer_output(x, W_t, v_t, activation)) ** 2
    mean, se = sq.mean(-1), sq.std(-1) / math.sqrt(n)
    assert torch.all((mean - exact).abs() < 4 * se), (mean, exact, se)
    mc = mc_generalisation_error(W, v, W_t, v_t, 50_000, g, activation)
    assert torch.all((mc - exact).abs() < 6 * se)
    # the numpy path gives the same numbers
    Q, R, T = order_parameters(W.numpy(), W_t.numpy())
    np.testing.assert_allclose(
        generalisation_error_from_overlaps(Q, R, T, v.numpy(), v_t.numpy(), activation), exact.numpy(), rtol=1e-12
    )
    assert torch.allclose(generalisation_error(W_t, v_t, W_t, v_t, activation), torch.zeros(4, dtype=dt), atol=1e-12)


def test_field_covariance_blocks():
    Q, R, T = np.eye(2), np.arange(6.0).reshape(2, 3), 2 * np.eye(3)
    C = field_covariance(Q, R, T)
    assert C.shape == (5, 5)
    np.testing.assert_array_equal(C[:2, 2:], R)
    np.testing.assert_array_equal(C[2:, :2], R.T)


def test_online_data_is_a_pure_function_of_the_step():
    g = torch.Generator().manual_seed(1)
    W_t = torch.randn(3, 2, 20, generator=g, dtype=torch.float64)
    v_t = torch.ones(3, 2, dtype=torch.float64)
    a = OnlineTeacherData(W_t, v_t, sigma=0.0, seed=5, block=8)
    b = OnlineTeacherData(W_t, v_t, sigma=0.0, seed=5, block=8)
    x17, y17 = a.get(17)
    a.get(3)
    x17b, y17b = b.get(17)
    assert torch.equal(x17, x17b) and torch.equal(y17, y17b)
    assert torch.equal(a.get(17)[0], x17)
    # noiseless labels are the teacher's outputs; the three copies draw independent inputs
    torch.testing.assert_close(y17, two_layer_output(x17[:, None], W_t, v_t)[:, 0])
    assert not torch.allclose(x17[0], x17[1])
    lin = OnlineTeacherData(W_t, v_t, sigma=0.0, seed=5, block=8, activation="linear")
    xl, yl = lin.get(2)
    torch.testing.assert_close(yl, (xl[:, None, :] @ W_t.transpose(1, 2))[:, 0].sum(-1) / math.sqrt(20))
    assert lin.fingerprint()["activation"] == "linear" and "activation" not in a.fingerprint()


def test_bad_inputs_raise_one_line_errors():
    with pytest.raises(ValueError, match="activation must be one of"):
        i2(1.0, 1.0, 0.5, "relu")
    W_t = torch.zeros(2, 1, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="world_size must be 1"):
        OnlineTeacherData(W_t, torch.ones(2, 1, dtype=torch.float64), 0.0, 0).get(0, 0, 2)
    with pytest.raises(ValueError, match="need W_t"):
        OnlineTeacherData(W_t, torch.ones(3, dtype=torch.float64), 0.0, 0)
    with pytest.raises(ValueError, match="sigma must be"):
        OnlineTeacherData(W_t, torch.ones(2, 1, dtype=torch.float64), -1.0, 0)
    with pytest.raises(ValueError, match="input dimensions differ"):
        order_parameters(np.zeros((2, 3)), np.zeros((2, 4)))
