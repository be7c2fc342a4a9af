"""Generator: uniform shapes from the D(e, n) counts, the generator's invariants, seeding."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from paper_code.symbolic.expressions import OPERATORS
from paper_code.symbolic.generator import (
    E2E,
    ODEFORMER,
    GenerationError,
    GeneratorConfig,
    count_trees,
    generate,
    generate_system,
    generate_unary_binary,
    sample_shape,
)


def test_counts_known_values():
    # binary trees with n internal nodes: Catalan numbers; unary-binary: large Schroeder-like (1, 2, 6, 22?)
    assert [count_trees(1, n) for n in range(6)] == [1, 1, 2, 5, 14, 42]
    # unary-binary trees with n operators (Motzkin-type): 1, 2, 7, 31? -> check via brute recurrence
    def brute(n):  # trees with n ops: leaf (n=0) or unary(n-1) or binary(i, n-1-i)
        if n == 0:
            return 1
        return brute(n - 1) + sum(brute(i) * brute(n - 1 - i) for i in range(n))
    assert [count_trees(1, n, p1=1) for n in range(6)] == [brute(n) for n in range(6)]


@pytest.mark.parametrize("unary, n", [(False, 3), (True, 2)])
def test_shapes_uniform(unary, n):
    rng = np.random.default_rng(0)
    draws = 6000
    c = Counter(tuple(sample_shape(n, rng, unary)) for _ in range(draws))
    n_shapes = count_trees(1, n, p1=int(unary))
    assert len(c) == n_shapes
    expected = draws / n_shapes
    chi2 = sum((v - expected) ** 2 / expected for v in c.values())
    assert chi2 < 30  # df <= 6: p ~ 1e-4
    for shape in c:
        assert sum(a - 1 for a in shape) == -1  # valid prefix arity sequence
        assert sum(1 for a in shape if a) == n


def test_odeformer_invariants():
    rng = np.random.default_rng(1)
    allowed = {"add", "mul", "sin", "inv", "pow2"}
    for _ in range(200):
        t = generate(rng, 3, ODEFORMER)
        ops = [n.value for n in t.nodes() if n.is_operator]
        assert set(ops) <= allowed
        assert t.variables() <= {"x_0", "x_1", "x_2"}
        consts = np.abs(t.constants())
        assert len(consts) >= 1 and ((consts >= 0.05) & (consts <= 20)).all()
        unary = [o for o in ops if OPERATORS[o].arity == 1]
        assert len(unary) <= 3
        # unary arguments are affine a + b*arg, or a sum (whose terms carry prefactors)
        assert all(n.children[0].value == "add" for n in t.nodes() if n.value in ("sin", "inv", "pow2"))
        # binary operators of the core tree: 1..5 plus the inserted prefactor mul/add
        assert all(n.size() for n in t.nodes())


def test_e2e_invariants():
    rng = np.random.default_rng(2)
    for _ in range(200):
        d = int(rng.integers(1, 6))
        t = generate(rng, d, E2E)
        assert t.variables() == {f"x_{j}" for j in range(d)}  # every variable used
        assert t.value == "add" and t.children[0].is_float_constant  # additive root constant
        c = np.abs(t.constants())
        assert ((c >= 1e-3) & (c <= 99.9)).all()
        # constants are m * 10^e with integer m in 1..999
        m = c / 10.0 ** np.floor(np.log10(c) - 2)
        np.testing.assert_allclose(m, np.round(m), rtol=1e-9)


def test_seeded_reproducible_and_system():
    a = [t.prefix() for t in generate_system(np.random.default_rng(5), 3)]
    b = [t.prefix() for t in generate_system(np.random.default_rng(5), 3)]
    assert a == b and len(a) == 3


def test_unary_binary_budget_and_rejection():
    rng = np.random.default_rng(3)
    for n in range(6):
        t = generate_unary_binary(rng, n)
        assert sum(1 for x in t.nodes() if x.is_operator) == n
    with pytest.raises(GenerationError):
        generate(rng, 5, GeneratorConfig(min_binary=0, max_binary=1, all_variables=True, max_tries=5))


def test_unary_insertion_only_above_small_subtrees():
    from paper_code.symbolic.generator import _insert_unaries, build_tree

    rng = np.random.default_rng(4)
    cfg = GeneratorConfig(unary_ops=(("sin", 1.0),), max_unary_subtree=4)
    for _ in range(50):
        arities = sample_shape(5, rng)
        tree = build_tree(arities, ["add"] * 5, _vars(6))
        out = _insert_unaries(tree, cfg, 10, rng)
        sins = [n for n in out.nodes() if n.value == "sin"]
        assert sins and all(n.children[0].size() - sum(1 for m in n.children[0].nodes() if m.value == "sin") < 4
                            for n in sins)


def _vars(n):
    from paper_code.symbolic.expressions import var

    return [var(0) for _ in range(n)]


def test_config_validation():
    with pytest.raises(ValueError):
        GeneratorConfig(binary_ops=(("sin", 1.0),))
    with pytest.raises(ValueError):
        GeneratorConfig(unary_ops=(("nope", 1.0),))


def test_prob_prefactor_zero_leaves_only_global_multiplier():
    rng = np.random.default_rng(6)
    cfg = GeneratorConfig(prob_prefactor=0.0)
    for _ in range(30):
        t = generate(rng, 2, cfg)
        assert t.value == "mul" and len(t.constants()) == 1 and t.children[0].is_float_constant


def test_affine_id_gives_additive_constants_that_dropping_id_cannot():
    """With affine_id the id unaries become a + b·arg (the official code's prefactors), so a component can hold an
    additive constant outside sin/inv/pow2; the default drops id first, and then none can."""
    def has_free_constant(tree):
        def rec(node, inside_unary):
            if node.value == "add" and not inside_unary and any(c.is_float_constant for c in node.children):
                return True
            wrapped = inside_unary or (node.is_operator and OPERATORS[node.value].arity == 1)
            return any(rec(c, wrapped) for c in node.children)
        return rec(tree, False)

    base = GeneratorConfig(max_binary=2, unary_ops=(("id", 1.0),), max_unary=2)
    rng = np.random.default_rng(7)
    dropped = [generate(rng, 1, base) for _ in range(200)]
    kept = [generate(rng, 1, GeneratorConfig(max_binary=2, unary_ops=(("id", 1.0),), max_unary=2, affine_id=True))
            for _ in range(200)]
    assert not any(has_free_constant(t) for t in dropped)
    assert sum(has_free_constant(t) for t in kept) > 20
    assert all(n.value != "id" for t in kept for n in t.nodes())  # stripped once the prefactors are placed


def test_binary_weights_and_canonical_option():
    rng = np.random.default_rng(8)
    only_zero = GeneratorConfig(min_binary=0, max_binary=2, binary_weights=(1.0, 0.0, 0.0))
    for _ in range(20):
        t = generate(rng, 2, only_zero)  # no binary operator: c·x_j
        assert t.value == "mul" and t.size() == 3
    canon = GeneratorConfig(max_binary=3, canonical=True)
    raw = GeneratorConfig(max_binary=3)
    X = rng.uniform(0.3, 1.2, size=(30, 2))
    sizes = []
    for seed in range(40):
        a, b = generate(np.random.default_rng(seed), 2, raw), generate(np.random.default_rng(seed), 2, canon)
        sizes.append((a.size(), b.size()))
        ok = np.isfinite(a.evaluate(X))
        np.testing.assert_allclose(b.evaluate(X)[ok], a.evaluate(X)[ok], rtol=1e-9, atol=1e-12)
    assert np.mean([b for _, b in sizes]) < np.mean([a for a, _ in sizes])  # canonical targets are shorter
    for bad in ({"binary_weights": (1.0, 1.0)}, {"binary_weights": (0.0,) * 5},
                {"canonical": True, "simplify": True}, {"binary_weights": (1.0,) * 5, "max_binary_extra": 3}):
        with pytest.raises(ValueError):
            GeneratorConfig(**bad)
