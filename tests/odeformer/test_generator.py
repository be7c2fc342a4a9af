"""Invariants of the ODE example generator (the official code's training distribution, and its quick variant)."""
from __future__ import annotations

import numpy as np
import pytest

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


def _one_d_class(tree) -> str:
    """'affine' (a + b·x, a != 0), 'linear' (b·x), 'logistic' (b·x + c·x²) or 'other'."""
    import sympy

    from paper_code.symbolic.sympy_bridge import to_sympy

    x = sympy.Symbol("x_0", real=True)
    expr = to_sympy(tree)
    if not expr.is_polynomial(x):
        return "other"
    p = sympy.Poly(expr, x)
    coef = [float(p.coeff_monomial(x**k)) for k in range(p.degree() + 1)]
    if p.degree() == 1:
        return "affine" if coef[0] != 0 else "linear"
    if p.degree() == 2 and coef[0] == 0 and coef[1] != 0:
        return "logistic"
    return "other"


def test_quick_mix_draws_affine_and_logistic_systems_that_quick_cannot():
    """The first quick generator cannot draw x' = a + b·x (no additive constant outside another unary); the mix
    draws it, and the logistic x' = b·x + c·x², often (the shares are those of raw draws, before integration)."""
    from paper_code.odeformer.generator import QUICK_MIX
    from paper_code.symbolic.generator import generate

    def shares(cfg):
        rng = np.random.default_rng(0)
        classes = [_one_d_class(generate(rng, 1, cfg.trees)) for _ in range(300)]
        return {k: classes.count(k) / len(classes) for k in ("affine", "logistic")}

    old, new = shares(QUICK), shares(QUICK_MIX)
    assert old["affine"] == 0 and new["affine"] > 0.1 and new["logistic"] > 0.05


def test_canonical_preset_targets_are_canonical_and_integrated_like_the_raw_ones():
    from paper_code.odeformer.generator import preset
    from paper_code.symbolic.sympy_bridge import canonical_tree

    raw, canon = preset("quick_mix", canonical=False), preset("quick_mix", canonical=True)
    for seed in range(4):
        a, b = sample_example(np.random.default_rng(seed), raw), sample_example(np.random.default_rng(seed), canon)
        np.testing.assert_array_equal(a.y_clean, b.y_clean)  # the raw system was integrated in both
        assert all(canonical_tree(t).prefix() == t.prefix() for t in b.system)  # already canonical
        X = np.random.default_rng(seed).uniform(-1, 1, size=(20, len(a.system)))
        for ta, tb in zip(a.system, b.system):
            np.testing.assert_allclose(tb.evaluate(X), ta.evaluate(X), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="valid: quick, quick_mix, full"):
        preset("medium")
