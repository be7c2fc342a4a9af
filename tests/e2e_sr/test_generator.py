import dataclasses

import numpy as np
import pytest

from paper_code.e2e_sr.generator import (
    FULL,
    QUICK,
    FunctionGeneratorConfig,
    InputMixture,
    random_rotation,
    sample_example,
)
from paper_code.symbolic.expressions import OPERATORS, PLACEHOLDER


def _examples(n=60, cfg=QUICK, seed=0):
    rng = np.random.default_rng(seed)
    return [sample_example(rng, cfg) for _ in range(n)]


def test_examples_respect_the_distribution():
    unaries = {name for name, _ in QUICK.trees.unary_ops}
    for ex in _examples():
        d = ex.dim
        assert QUICK.min_dim <= d <= QUICK.max_dim
        assert ex.tree.variables() == {f"x_{j}" for j in range(d)}  # every variable used, no other
        lo, hi = QUICK.point_range(d)
        assert lo <= len(ex.y) <= hi and ex.x.shape == (len(ex.y), d)
        np.testing.assert_allclose(ex.tree.evaluate(ex.x), ex.y)
        assert np.isfinite(ex.y).all() and np.abs(ex.y).max() <= QUICK.max_abs_y
        ops = [n.value for n in ex.tree.nodes() if n.is_operator]
        assert {o for o in ops if OPERATORS[o].arity == 1} <= unaries
        assert sum(OPERATORS[o].arity == 1 for o in ops) <= QUICK.trees.max_unary
        assert ex.tree.value == "add" and ex.tree.children[0].is_float_constant  # additive root constant
        for c in ex.tree.constants():  # ±m·10^e, m in 1..999, e in {-3, -2, -1}
            m = abs(c) * 1000
            assert 1 <= round(m) <= 999_000 and abs(m - round(m)) < 1e-6 * m


def test_inputs_are_standardised():
    # operators defined everywhere: no point is dropped, so the kept points are exactly the standardised draws
    total = dataclasses.replace(QUICK, max_abs_y=1e300,
                                trees=dataclasses.replace(QUICK.trees, unary_ops=(("sin", 1.0), ("pow2", 1.0))))
    for ex in _examples(30, total):
        np.testing.assert_allclose(ex.x.mean(0), 0, atol=1e-12)
        np.testing.assert_allclose(ex.x.std(0), 1, rtol=1e-12)


def test_standardisation_is_of_all_drawn_points():
    rng = np.random.default_rng(3)
    ex = sample_example(rng, QUICK, dim=2, n_points=40)
    assert ex.x.shape[1] == 2 and len(ex.y) <= 40


def test_skeleton_masks_every_constant_and_round_trips():
    for ex in _examples(40):
        sk = ex.skeleton()
        consts = ex.tree.constants()
        assert not sk.constants()
        assert sum(n.value == PLACEHOLDER for n in sk.nodes()) == len(consts) > 0
        assert sk.fill_skeleton(consts).prefix() == ex.tree.prefix()


def test_examples_are_a_function_of_the_seed():
    a, b = _examples(5, seed=7), _examples(5, seed=7)
    assert [e.tree.prefix() for e in a] == [e.tree.prefix() for e in b]
    for ea, eb in zip(a, b):
        np.testing.assert_array_equal(ea.x, eb.x)


def test_rotation_is_orthogonal_with_det_one():
    rng = np.random.default_rng(0)
    for d in (1, 2, 3, 7):
        q = random_rotation(rng, d)
        np.testing.assert_allclose(q @ q.T, np.eye(d), atol=1e-12)
        assert np.linalg.det(q) == pytest.approx(1.0)


def test_mixture_points_follow_cluster_statistics():
    rng = np.random.default_rng(0)
    mix = InputMixture.draw(rng, 2, max_clusters=1)
    pts = mix.sample(rng, 20_000)
    np.testing.assert_allclose(pts.mean(0), mix.means[0], atol=0.03)
    cov = mix.rotations[0] @ np.diag(mix.scales[0] ** 2) @ mix.rotations[0].T
    np.testing.assert_allclose(np.cov(pts.T), cov, atol=0.03)


def test_extrapolation_points_are_scaled_copies_of_the_distribution():
    rng = np.random.default_rng(1)
    ex = sample_example(rng, QUICK, dim=1)
    x1, y1 = ex.more_points(np.random.default_rng(5), 2000, sigma=1.0)
    x8, _ = ex.more_points(np.random.default_rng(5), 2000, sigma=8.0)
    assert x8.std() > 4 * x1.std()
    np.testing.assert_allclose(ex.tree.evaluate(x1), y1)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="max_dim"):
        FunctionGeneratorConfig(min_dim=3, max_dim=2)
    with pytest.raises(ValueError, match="dim=5"):
        sample_example(np.random.default_rng(0), QUICK, dim=5)
    assert FULL.max_dim == 10 and dataclasses.replace(FULL, max_dim=4).max_dim == 4
