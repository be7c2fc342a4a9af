"""Metrics on crafted cases (docs/symbolic_core.md §8)."""
from __future__ import annotations

import numpy as np

from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.metrics import complexity, r2_accuracy, r2_score, tolerance_accuracy


def test_r2_crafted():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y) == 1.0
    assert r2_score(y, np.full(4, y.mean())) == 0.0  # predicting the mean
    assert r2_score(y, np.full(4, 100.0)) == 0.0  # clipped at 0
    assert r2_score(y, np.full(4, 100.0), clip=None) < -100
    assert r2_score(y, np.array([1.0, 2.0, np.nan, 4.0])) == 0.0  # invalid -> failure
    assert r2_score(y, None) == 0.0 and r2_score(y, y[:3]) == 0.0
    np.testing.assert_allclose(r2_score(y, y + np.array([0.5, -0.5, 0.5, -0.5])), 1 - 1.0 / 5.0)
    assert r2_score(np.ones(3), np.ones(3)) == 1.0 and r2_score(np.ones(3), np.zeros(3)) == 0.0


def test_r2_variance_weighted_systems():
    rng = np.random.default_rng(0)
    y = np.stack([rng.normal(size=50), 10 * rng.normal(size=50)], axis=1)
    p = y.copy()
    p[:, 0] = 0.0  # ruin the low-variance column
    r = r2_score(y, p)
    ss_tot = ((y - y.mean(0)) ** 2).sum()
    np.testing.assert_allclose(r, 1 - (y[:, 0] ** 2).sum() / ss_tot)
    assert r > 0.98


def test_accuracies():
    y = np.linspace(1, 2, 100)
    assert r2_accuracy(y, y, 0.99, strict=False) and not r2_accuracy(y, np.full(100, np.nan))
    p = y * 1.04
    assert tolerance_accuracy(y, p, tau=0.05) and not tolerance_accuracy(y, p, tau=0.01)
    q = y.copy()
    q[:6] = 0.0  # 94% within tolerance
    assert not tolerance_accuracy(y, q, tau=0.01)
    q[5] = y[5]
    assert tolerance_accuracy(y, q, tau=0.01)
    assert tolerance_accuracy(np.zeros(20), np.full(20, 5e-4), tau=0.05, atol=1e-3)


def test_complexity():
    t = op("add", const(1.0), op("sin", var(0)))
    assert complexity(t) == 4 and complexity([t, var(1)]) == 5
