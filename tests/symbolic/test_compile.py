"""The compiled scalar evaluator agrees with the NumPy tree walk (values, NaN/inf semantics)."""
import math

import numpy as np
import pytest

from paper_code.symbolic.compile import compile_system, extend_recurrence_float
from paper_code.symbolic.encoding import decode
from paper_code.symbolic.exact import extend_recurrence
from paper_code.symbolic.expressions import OPERATORS, Node, const, op, var
from paper_code.symbolic.generator import E2E, ODEFORMER, generate_system


def _numpy(trees, x):
    X = np.asarray(x, dtype=float).reshape(1, -1)
    return np.array([t.evaluate(X)[0] for t in trees])


def _same(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    both_nan = np.isnan(a) & np.isnan(b)
    close = np.isclose(a, b, rtol=1e-9, atol=1e-10) | (a == b)  # libm vs NumPy: last-ulp differences
    return bool(np.all(both_nan | close))


@pytest.mark.parametrize("gen_cfg", [ODEFORMER, E2E], ids=["odeformer", "e2e"])
def test_random_systems_match_numpy(gen_cfg):
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(300):
        dim = int(rng.integers(1, 4))
        trees = generate_system(rng, dim, gen_cfg)
        f = compile_system(trees, dim)
        for x in rng.standard_normal((5, dim)) * 3:
            assert _same(f(x), _numpy(trees, x)), [t.infix() for t in trees]
            checked += 1
    assert checked == 1500


@pytest.mark.parametrize("name", [n for n, o in OPERATORS.items() if o.arity == 1
                                  and n not in ("not",)])
def test_every_unary_operator_on_edge_values(name):
    tree = op(name, var(0))
    f = compile_system([tree], 1)
    for x in (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 800.0, -800.0, math.inf, -math.inf):
        assert _same(f([x]), _numpy([tree], [x])), (name, x)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_binary_operators_on_edge_values(name):
    tree = op(name, var(0), var(1))
    f = compile_system([tree], 2)
    vals = (-3.0, -0.5, 0.0, 0.5, 2.0, 1e200, -1e200)
    for a in vals:
        for b in vals:
            assert _same(f([a, b]), _numpy([tree], [a, b])), (name, a, b)


def test_named_constants_and_unsupported_fallback():
    t1 = op("mul", const("pi"), var(0))
    t2 = op("mod", var(0), const(0.7))  # no scalar form: falls back to NumPy
    f = compile_system([t1, t2], 1)
    assert _same(f([1.3]), _numpy([t1, t2], [1.3]))


def test_compiled_integration_matches_numpy_integration():
    from paper_code.odeformer.integrate import ODEBENCH_SOLVER, integrate
    from paper_code.odeformer.odebench import ODEBENCH

    t = np.linspace(0, 10, 100)
    for system in ODEBENCH[:12]:
        a = integrate(system.trees, system.init[0], t, ODEBENCH_SOLVER)
        b = integrate(system.trees, system.init[0], t, ODEBENCH_SOLVER, compiled=True)
        assert a.ok and b.ok
        np.testing.assert_allclose(b.y, a.y, rtol=1e-9, atol=1e-12)


def test_leaf_only_tree():
    f = compile_system([Node(2.5)], 1)
    assert f([7.0]).tolist() == [2.5]


def test_extend_recurrence_float_matches_the_exact_integer_one_and_signals_trouble():
    tree = decode("add mul n x_0_2 sub x_0_1 INT+ 3".split())  # u_n = n u_{n-2} + u_{n-1} - 3
    exact = extend_recurrence(tree, [1, 2], 12)
    assert extend_recurrence_float(tree, [1.0, 2.0], 12).tolist() == [float(u) for u in exact]
    assert np.isnan(extend_recurrence_float(decode("log sub INT+ 2 n".split()), [], 3)[-1])  # log(2 - 3)
    assert extend_recurrence_float(decode("sin n".split()), [], 2).tolist() == [math.sin(1), math.sin(2)]
    with pytest.raises(ValueError, match="reads 2 terms back"):
        extend_recurrence_float(tree, [1.0], 1)
    with pytest.raises(ValueError, match="neither a lag"):
        extend_recurrence_float(decode("add x_1 n".split()), [1.0], 1)
