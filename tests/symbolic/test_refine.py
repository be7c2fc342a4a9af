"""BFGS constant refinement recovers perturbed constants (docs/symbolic_core.md §7)."""
from __future__ import annotations

import numpy as np

from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.refine import refine_constants


def test_recovers_perturbed_constants():
    rng = np.random.default_rng(0)
    true = op("add", op("mul", const(2.0), op("sin", op("mul", const(1.5), var(0)))),
              op("mul", const(-0.7), var(1)))
    X = rng.uniform(-2, 2, size=(300, 2))
    y = true.evaluate(X)
    start = true.with_constants(np.array(true.constants()) * np.array([1.15, 0.9, 1.2]))
    res = refine_constants(start, X, y, time_limit=5.0)
    np.testing.assert_allclose(res.tree.constants(), true.constants(), rtol=1e-5)
    assert res.loss < 1e-10 < res.initial_loss


def test_never_worse_and_no_constants():
    X = np.linspace(0.1, 1, 50)[:, None]
    t = op("inv", op("add", const(-0.5), var(0)))  # pole inside the data
    res = refine_constants(t, X, np.zeros(50), time_limit=0.5)
    assert res.loss <= res.initial_loss or not np.isfinite(res.initial_loss)
    res2 = refine_constants(var(0), X, X[:, 0])
    assert res2.loss == 0.0 and res2.tree.prefix() == ["x_0"]


def test_time_cap_respected():
    import time

    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(2000, 1))
    t = op("sin", op("mul", const(3.0), var(0)))
    t0 = time.monotonic()
    res = refine_constants(t.with_constants([0.3]), X, t.evaluate(X), time_limit=0.05, max_points=1024)
    assert time.monotonic() - t0 < 1.0 and res.loss <= res.initial_loss
