"""Boolformer's formula generator: truth tables, simplification that keeps the function, the draw's rules."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.boolformer import formulas as Fm
from paper_code.common.config import ConfigError
from paper_code.symbolic.expressions import Node, op, var
from paper_code.symbolic.generator import build_tree, sample_shape


def _not(x):
    return op("not", x)


def test_all_inputs_bit_layout_and_truth_table():
    X = Fm.all_inputs(3)
    assert X.shape == (8, 3) and X[5].tolist() == [1, 0, 1]  # row i holds bit j of i in column j
    tree = op("and", var(0), _not(var(2)))
    np.testing.assert_array_equal(Fm.truth_table(tree, 3), (X[:, 0] == 1) & (X[:, 2] == 0))
    np.testing.assert_array_equal(Fm.truth_table(Node(1), 2), [1, 1, 1, 1])  # a constant fills the table
    with pytest.raises(ValueError, match="uses x_2 but dim=2"):
        Fm.truth_table(tree, 2)


def test_push_negations_applies_de_morgan_and_removes_double_negations():
    a, b, c = var(0), var(1), var(2)
    out = Fm.push_negations(op("and", _not(a), op("and", _not(b), c)))  # 2 of 3 operands negated
    assert out.prefix() == ["not", "or", "x_0", "or", "x_1", "not", "x_2"]
    assert Fm.push_negations(_not(_not(a))).prefix() == ["x_0"]
    kept = op("or", _not(a), op("or", b, c))  # 1 of 3 negated: unchanged
    assert Fm.push_negations(kept).prefix() == kept.prefix()


@pytest.mark.parametrize("seed", range(5))
def test_simplification_keeps_the_function(seed):
    rng = np.random.default_rng(seed)
    cfg = Fm.FormulaConfig(max_dim=6, max_active=6, max_binary=40)
    for _ in range(40):
        raw, dim, _, _ = Fm._draw(cfg, rng)
        simple = Fm.simplify(raw)
        np.testing.assert_array_equal(Fm.truth_table(simple, dim), Fm.truth_table(raw, dim))
        assert Fm.n_binary_gates(simple) <= Fm.n_binary_gates(raw)
        back = Fm.from_algebra(Fm.to_algebra(raw))
        np.testing.assert_array_equal(Fm.truth_table(back, dim), Fm.truth_table(raw, dim))


def test_simplify_finds_the_textbook_reductions():
    a, b = var(0), var(1)
    assert Fm.simplify(op("or", op("and", a, b), op("and", a, _not(b)))).prefix() == ["x_0"]
    assert Fm.simplify(op("and", a, _not(a))).prefix() == [0]
    assert Fm.simplify(op("or", a, _not(a))).prefix() == [1]


def test_leaves_cover_every_active_variable_and_siblings_differ():
    rng = np.random.default_rng(3)
    for n_binary, active in ((1, (0, 4)), (30, (1, 2)), (60, (0, 3, 5, 7)), (5, (2,))):
        for _ in range(20):
            arities = sample_shape(n_binary, rng)
            leaves = [leaf.value for leaf in Fm._leaves(arities, active, rng)]
            assert set(leaves) == {f"x_{j}" for j in active}
            tree = build_tree(arities, ["and"] * n_binary, [var(int(v[2:])) for v in leaves])
            for node in tree.nodes():
                kids = node.children
                if len(kids) == 2 and kids[0].is_leaf and kids[1].is_leaf and len(active) > 1:
                    assert kids[0].value != kids[1].value


def test_random_formula_follows_its_config():
    cfg = Fm.FormulaConfig(min_dim=2, max_dim=5, max_active=5, max_binary=30, max_tokens=40)
    rng = np.random.default_rng(0)
    draws = [Fm.random_formula(rng, cfg) for _ in range(60)]
    for f in draws:
        assert 2 <= f.dim <= 5 and f.active == tuple(range(f.dim))  # noiseless: S = D
        assert f.table.min() == 0 and f.table.max() == 1  # never constant
        assert f.tree.size() <= 40
        np.testing.assert_array_equal(Fm.truth_table(f.tree, f.dim), f.table)
        assert len(f.active) - 1 <= f.binary_gates_drawn <= 30
    assert len({f.dim for f in draws}) == 4
    again = [Fm.random_formula(np.random.default_rng(0), cfg) for _ in range(1)]
    assert again[0].tree.prefix() == draws[0].tree.prefix()  # one seed, one formula
    noisy = Fm.FormulaConfig(min_dim=6, max_dim=8, max_active=3, all_active=False, max_binary=10)
    for f in (Fm.random_formula(rng, noisy) for _ in range(30)):
        assert 1 <= len(f.active) <= 3 and {int(v[2:]) for v in f.tree.variables()} <= set(f.active)


def test_key_is_the_function_not_the_writing():
    a, b = var(0), var(1)
    one = Fm.BooleanFormula(op("and", a, b), 2, (0, 1), Fm.truth_table(op("and", a, b), 2), 1)
    other_tree = _not(op("or", _not(a), _not(b)))
    two = Fm.BooleanFormula(other_tree, 2, (0, 1), Fm.truth_table(other_tree, 2), 1)
    assert one.key == two.key
    three = Fm.BooleanFormula(op("and", a, b), 3, (0, 1), Fm.truth_table(op("and", a, b), 3), 1)
    assert three.key != one.key  # same formula, other input dimension: another function


def test_complexity_merges_chains_of_one_operator():
    a, b, c, d = (var(j) for j in range(4))
    chain = op("and", a, op("and", b, op("and", c, d)))
    assert Fm.n_binary_gates(chain) == 3 and Fm.complexity(chain) == 1
    mixed = op("and", a, op("or", b, _not(op("and", c, d))))
    assert Fm.complexity(mixed) == 4  # and, or, not, and


@pytest.mark.parametrize("bad, match", [
    ({"min_dim": 6, "max_dim": 5}, "min_dim"),
    ({"max_dim": 8, "max_active": 6}, "all_active needs max_active"),
    ({"max_binary": 2}, "max_binary"),
    ({"p_not": 1.5}, "p_not"),
])
def test_bad_configs_are_refused(bad, match):
    with pytest.raises(ConfigError, match=match):
        Fm.FormulaConfig(**bad)
