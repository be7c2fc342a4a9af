"""Invariants of the ODE example generator (brief §2.1 / §4)."""
from __future__ import annotations

import numpy as np

from paper_code.odeformer.generator import QUICK, ODEDataset, sample_example, tokenize_example, worker_seeds
from paper_code.symbolic.encoding import decode_system
from paper_code.symbolic.expressions import OPERATORS


def test_examples_satisfy_invariants():
    rng = np.random.default_rng(0)
    for _ in range(10):
        ex = sample_example(rng, QUICK)
        d = len(ex.system)
        assert 1 <= d <= 2 and ex.y.shape == (len(ex.t), d) and ex.y_clean.shape == (64, d)
        assert np.isfinite(ex.y_clean).all() and np.abs(ex.y_clean).max() < 100
        assert np.all(np.diff(ex.t) > 0) and ex.t_clean[0] == 1.0 and ex.t_clean[-1] == 10.0
        for tree in ex.system:
            assert all(n.value in OPERATORS for n in tree.nodes() if n.is_operator)
            assert {int(v[2:]) for v in tree.variables()} <= set(range(d))
            assert all(0.05 <= abs(c) <= 20 for c in tree.constants())


def test_tokens_and_determinism_by_seed():
    a = sample_example(np.random.default_rng(7), QUICK)
    b = sample_example(np.random.default_rng(7), QUICK)
    np.testing.assert_array_equal(a.y, b.y)
    points, target = tokenize_example(a)
    assert all(len(p) == 3 * (1 + len(a.system)) for p in points) and len(points) == len(a.t)
    assert len(decode_system(target)) == len(a.system)
    assert target == tokenize_example(b)[1]


def test_dataset_is_seeded_and_workers_independent():
    first = [x[1] for _, x in zip(range(3), ODEDataset(seed=3))]
    again = [x[1] for _, x in zip(range(3), ODEDataset(seed=3))]
    assert first == again
    s0, s1 = worker_seeds(3, 2)
    assert np.random.default_rng(s0).random() != np.random.default_rng(s1).random()
