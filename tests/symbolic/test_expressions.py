"""Expression trees: safe-evaluation semantics of docs/symbolic_core.md §1, skeletons, torch/NumPy agreement."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.symbolic.expressions import OPERATORS, Node, const, evaluate_torch, op, safe_evaluate, var


def test_operator_table_arity_and_implementations():
    assert OPERATORS["add"].arity == 2 and OPERATORS["sin"].arity == 1
    x = np.linspace(-0.9, 0.9, 7)
    for name, o in OPERATORS.items():
        if o.torch_fn is None or name in ("pow",):
            continue
        args = [x] * o.arity
        ref = o.np_fn(False, *args)
        got = o.torch_fn(*[torch.tensor(a) for a in args]).numpy()
        np.testing.assert_allclose(got, ref, equal_nan=True, err_msg=name)


def test_safe_semantics_nan_not_raise():
    X = np.array([[0.0], [-1.0], [4.0]])
    x = var(0)
    assert np.isnan(op("inv", x).evaluate(X)[0])
    assert np.isnan(op("div", const(1.0), x).evaluate(X)[0])
    assert np.isnan(op("log", x).evaluate(X)[:2]).all()
    assert np.isnan(op("sqrt", x).evaluate(X)[1]) and op("sqrt", x).evaluate(X)[2] == 2.0
    assert op("sqrt", x).evaluate(X, use_abs=True)[1] == 1.0
    assert op("log", x).evaluate(X, use_abs=True)[1] == 0.0
    assert op("sign", x).evaluate(X)[0] == 1.0  # sign(0) = +1
    r = safe_evaluate(op("exp", op("exp", x)), np.array([[10.0], [1.0]]))
    assert r.valid.tolist() == [False, True] and not r.all_valid


def test_idiv_mod_floor_semantics():
    X = np.array([[-7.0, 2.0], [7.0, -2.0], [3.0, 0.0]])
    a, b = var(0), var(1)
    np.testing.assert_array_equal(op("idiv", a, b).evaluate(X)[:2], [-7 // 2, 7 // -2])
    np.testing.assert_array_equal(op("mod", a, b).evaluate(X)[:2], [-7 % 2, 7 % -2])
    assert np.isnan(op("idiv", a, b).evaluate(X)[2]) and np.isnan(op("mod", a, b).evaluate(X)[2])


def test_evaluate_known_expression_and_constants():
    t = op("add", op("mul", const(2.5), op("sin", var(1))), op("pow2", var(0)))
    X = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_allclose(t.evaluate(X), 2.5 * np.sin(X[:, 1]) + X[:, 0] ** 2)
    assert t.size() == 7 and t.constants() == [2.5] and t.variables() == {"x_0", "x_1"}
    skel, cs = t.skeleton()
    assert "C" in skel.prefix() and cs == [2.5]
    back = skel.fill_skeleton([-1.0])
    np.testing.assert_allclose(back.evaluate(X), -np.sin(X[:, 1]) + X[:, 0] ** 2)
    np.testing.assert_allclose(t.with_constants([-1.0]).evaluate(X), back.evaluate(X))
    with pytest.raises(ValueError):
        t.with_constants([1.0, 2.0])
    with pytest.raises(ValueError):
        t.evaluate(X[:, :1])  # x_1 missing


def test_torch_matches_numpy_and_has_grad():
    t = op("add", op("mul", const(1.5), op("exp", var(0))), op("inv", op("add", const(3.0), var(1))))
    X = np.random.default_rng(1).uniform(0, 1, size=(10, 2))
    c = torch.tensor(t.constants(), dtype=torch.float64, requires_grad=True)
    y = evaluate_torch(t, torch.tensor(X), c)
    np.testing.assert_allclose(y.detach().numpy(), t.evaluate(X))
    y.sum().backward()
    np.testing.assert_allclose(c.grad[0].item(), np.exp(X[:, 0]).sum())


def test_invalid_construction_and_relabel():
    with pytest.raises(ValueError):
        Node("add", [var(0)])
    with pytest.raises(ValueError):
        Node("foo")
    t = op("sub", var(0), var(2)).relabel({"x_2": "x_1"})
    assert t.prefix() == ["sub", "x_0", "x_1"]


def test_overflow_flagged_even_if_finite():
    r = safe_evaluate(op("mul", const(1e60), op("mul", const(1e60), var(0))), np.array([[1.0], [1e-30]]))
    assert np.isfinite(r.values).all() and r.valid.tolist() == [False, True]
