"""SymPy bridge: numerical round trip on random trees, simplification guard, equivalence check."""
from __future__ import annotations

import numpy as np
import sympy

from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.generator import E2E, ODEFORMER, generate
from paper_code.symbolic.sympy_bridge import from_sympy, simplify_tree, symbol, symbolically_equivalent, to_sympy


def _close(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    np.testing.assert_array_equal(np.isfinite(a)[ok], np.isfinite(b)[ok])
    np.testing.assert_allclose(a[ok], b[ok], rtol=1e-7, atol=1e-9)
    return ok.mean()


def test_roundtrip_numerical():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.2, 1.5, size=(40, 3))
    frac = []
    for i in range(60):
        tree = generate(rng, 3, ODEFORMER if i % 2 else E2E)
        back = from_sympy(to_sympy(tree))
        frac.append(_close(back.evaluate(X), tree.evaluate(X)))
    assert np.mean(frac) > 0.8  # most points are finite, and those agree


def test_simplify_numerically_equal_and_guard():
    rng = np.random.default_rng(1)
    X = rng.uniform(0.2, 1.5, size=(40, 2))
    t = op("add", op("mul", var(0), var(1)), op("mul", var(1), var(0)))
    s = simplify_tree(t)
    assert s is not None and s.size() < t.size()
    _close(s.evaluate(X), t.evaluate(X))
    for _ in range(10):
        tree = generate(rng, 2, ODEFORMER)
        s = simplify_tree(tree, max_growth=2.0)
        if s is not None:
            assert s.size() <= 2 * tree.size()
            _close(s.evaluate(X), tree.evaluate(X))
    assert simplify_tree(op("mul", var(0), var(1)), max_growth=0.1) is None


def test_from_sympy_special_powers_and_constants():
    x = symbol("x_0")
    assert from_sympy(1 / x).prefix() == ["inv", "x_0"]
    assert from_sympy(x**2).prefix() == ["pow2", "x_0"]
    assert from_sympy(sympy.sqrt(x)).prefix() == ["sqrt", "x_0"]
    assert from_sympy(sympy.pi * x).evaluate(np.ones((1, 1)))[0] == np.pi
    t = from_sympy(sympy.Rational(3, 4) * x)
    assert t.evaluate(np.ones((1, 1)))[0] == 0.75


def test_symbolic_equivalence():
    a = op("pow2", op("add", var(0), const(1)))
    b = op("add", op("add", op("pow2", var(0)), op("mul", const(2), var(0))), const(1))
    assert symbolically_equivalent(a, b)
    assert not symbolically_equivalent(a, op("pow2", var(0)))


def test_canonical_tree_merges_like_terms_and_keeps_the_function():
    from paper_code.symbolic.sympy_bridge import canonical_tree

    x = var(0)
    raw = op("add", op("mul", const(-0.171), x), op("mul", const(-0.373), x))
    canon = canonical_tree(raw)
    assert canon.prefix() == ["mul", -0.544, "x_0"] or canon.prefix() == ["mul", "x_0", -0.544]
    # c·(a + b·x) is distributed, x·x becomes pow2, id disappears; the function is unchanged
    raw = op("add", op("mul", const(2.0), op("id", op("add", const(0.5), op("mul", const(3.0), x)))),
             op("mul", x, x))
    canon = canonical_tree(raw)
    values = [n.value for n in canon.nodes()]
    assert "id" not in values and "pow2" in values and canon.size() < raw.size()
    X = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(canon.evaluate(X), raw.evaluate(X), rtol=1e-12)
    rng = np.random.default_rng(3)
    Xr = rng.uniform(0.2, 1.5, size=(40, 2))
    for _ in range(30):
        tree = generate(rng, 2, ODEFORMER)
        c = canonical_tree(tree)
        if c is not None:
            assert c.size() <= 2 * tree.size()
            _close(c.evaluate(Xr), tree.evaluate(Xr))
    assert canonical_tree(op("mul", var(0), var(1)), max_growth=0.1) is None  # the size guard


def test_boolean_formulas_round_trip_through_sympy():
    """And/Or/Not to SymPy and back (n-ary gates become binary chains), the same function on every input; SymPy's
    own Boolean output (simplify_logic) converts too."""
    from paper_code.boolformer.formulas import FormulaConfig, random_formula, truth_table

    rng = np.random.default_rng(0)
    for _ in range(30):
        f = random_formula(rng, FormulaConfig(max_dim=4, max_binary=10, max_tokens=60))
        back = from_sympy(to_sympy(f.tree))
        assert np.array_equal(truth_table(back, f.dim), f.table)
        minimal = from_sympy(sympy.simplify_logic(to_sympy(f.tree)))
        assert np.array_equal(truth_table(minimal, f.dim), f.table)
    x0, x1, x2 = (symbol(f"x_{j}") for j in range(3))
    tree = from_sympy(sympy.And(x0, x1, sympy.Not(x2)))
    assert str(tree) == "and(and(x_0, x_1), not(x_2))"
    assert from_sympy(sympy.true).value == 1 and from_sympy(sympy.false).value == 0
