"""Exact integer evaluation (paper_code/symbolic/exact.py, docs/symbolic_core.md §1 "Exact integers")."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.symbolic.encoding import decode, encode
from paper_code.symbolic.exact import (
    INTEGER_OPERATORS,
    ExactEvaluationError,
    evaluate_int,
    extend_recurrence,
)
from paper_code.symbolic.expressions import OPERATORS, Node, const, op, var


def _v(name: str) -> Node:
    return Node(name)


def test_large_sum_is_exact_where_float64_is_not():
    tree = op("add", _v("x_0"), const(1))
    assert evaluate_int(tree, {"x_0": 10**30}) == 10**30 + 1
    assert tree.evaluate(np.array([[1e30]]))[0] == 1e30  # the float path loses the +1
    assert evaluate_int(op("mul", const(10**40), const(-(10**40) + 7))) == 10**40 * (-(10**40) + 7)
    assert evaluate_int(tree, {"x_0": np.int64(5)}) == 6  # NumPy integers are accepted


def test_fibonacci_rolled_forward_200_terms():
    fib = op("add", _v("x_0_1"), _v("x_0_2"))
    got = extend_recurrence(fib, [0, 1], 200)
    want = [0, 1]
    for _ in range(200):
        want.append(want[-1] + want[-2])
    assert got == want[2:]
    assert got[-1] > 10**41  # far beyond float64's 2^53


def test_index_n_is_one_based_and_lags_read_back():
    # u_n = n * u_{n-1} with u_1 = 1: the factorials (the paper's code uses n = 1 + len(series))
    fact = op("mul", _v("n"), _v("x_0_1"))
    assert extend_recurrence(fact, [1], 5) == [2, 6, 24, 120, 720]
    # u_n = u_{n-3} - u_{n-1}
    assert extend_recurrence(op("sub", _v("x_0_3"), _v("x_0_1")), [1, 2, 3], 2) == [1 - 3, 2 - (1 - 3)]
    assert extend_recurrence(fact, [1], 0) == []


@pytest.mark.parametrize("a, b", [(7, 2), (-7, 2), (7, -2), (-7, -2), (6, 3), (-6, 3), (0, -5), (10**30 + 1, -7)])
def test_idiv_and_mod_follow_floor_division(a, b):
    """idiv rounds towards -inf and mod has the divisor's sign (Python's // and %, as in the paper's code)."""
    q = evaluate_int(op("idiv", const(a), const(b)))
    r = evaluate_int(op("mod", const(a), const(b)))
    assert (q, r) == (a // b, a % b)
    assert b * q + r == a and (r == 0 or (r > 0) == (b > 0)) and abs(r) < abs(b)


def test_integer_operator_conventions():
    cases = {
        op("idiv", const(-7), const(2)): -4,
        op("mod", const(-7), const(2)): 1,
        op("mod", const(7), const(-2)): -1,
        op("sign", const(0)): 1,
        op("sign", const(-3)): -1,
        op("relu", const(-3)): 0,
        op("relu", const(4)): 4,
        op("abs", const(-(10**25))): 10**25,
        op("pow2", const(-(10**20))): 10**40,
        op("pow3", const(-3)): -27,
        op("pow", const(3), const(40)): 3**40,
        op("pow", const(-1), const(-3)): -1,
        op("pow", const(5), const(0)): 1,
        op("div", const(-12), const(4)): -3,
        op("inv", const(-1)): -1,
        op("id", const(9)): 9,
    }
    for tree, want in cases.items():
        assert evaluate_int(tree) == want, tree
        if tree.value in ("idiv", "mod", "sign", "relu", "abs", "pow2", "pow3") and abs(want) < 2**52:
            assert tree.evaluate(np.zeros((1, 1)))[0] == want  # the float path has the same conventions


def test_every_integer_operator_is_a_core_operator_with_the_same_arity():
    for name, fn in INTEGER_OPERATORS.items():
        assert name in OPERATORS
        args = (1, 1)[: OPERATORS[name].arity]  # a point where every operator is defined
        assert isinstance(fn(*args), int), name


def test_decoded_prefix_trees_evaluate_exactly():
    tree = op("add", op("mul", const(12), _v("x_0_1")), op("mod", _v("n"), const(-3)))
    back = decode(encode(tree))
    assert evaluate_int(back, {"x_0_1": 10**50, "n": 7}) == 12 * 10**50 + 7 % -3


@pytest.mark.parametrize("tree, match", [
    (op("idiv", const(1), const(0)), r"idiv\(1, 0\): division by zero"),
    (op("mod", var(0), const(0)), r"mod\(5, 0\): modulo by zero"),
    (op("div", const(7), const(2)), r"div\(7, 2\): the quotient is not an integer"),
    (op("inv", const(3)), r"inv\(3\)"),
    (op("pow", const(2), const(-1)), r"pow\(2, -1\): a negative exponent"),
    (op("pow", const(2), const(10**6)), "MAX_POW_EXPONENT"),
    (op("sin", const(1)), "operator 'sin' has no exact integer form"),
    (op("add", const(1.5), const(1)), "float constant 1.5"),
    (op("add", const("pi"), const(1)), "named constant 'pi'"),
    (op("add", _v("n"), const(1)), "no value supplied for variable 'n'"),
])
def test_errors_name_the_operator_or_leaf(tree, match):
    with pytest.raises(ExactEvaluationError, match=match):
        evaluate_int(tree, {"x_0": 5})


def test_non_integer_variable_values_are_refused():
    with pytest.raises(ExactEvaluationError, match="variable 'x_0' has the non-integer value 2.0"):
        evaluate_int(var(0), {"x_0": 2.0})
    with pytest.raises(ExactEvaluationError, match="non-integer value True"):
        evaluate_int(var(0), {"x_0": True})


def test_size_guard_refuses_before_building_huge_integers():
    square = op("pow2", _v("x_0_1"))
    assert evaluate_int(square, {"x_0_1": 10**49}, max_digits=100) == 10**98
    with pytest.raises(ExactEvaluationError, match=r"pow2\(.*more than max_digits=100 digits"):
        evaluate_int(square, {"x_0_1": 10**50}, max_digits=100)  # 10^100 has 101 digits
    with pytest.raises(ExactEvaluationError, match="would have more than max_digits=50"):
        evaluate_int(op("pow", const(10), const(10**4)), max_digits=50)  # refused from the bit lengths
    # u_n = u_{n-1}^2 from 2 doubles the digits every step: the default guard stops it within milliseconds
    with pytest.raises(ExactEvaluationError, match="max_digits=10000"):
        extend_recurrence(square, [2], 40)
    assert evaluate_int(op("pow", const(7), const(3000)), max_digits=None) == 7**3000
    with pytest.raises(ValueError, match="max_digits must be an integer >= 1"):
        evaluate_int(const(1), max_digits=0)


def test_recurrence_argument_errors():
    with pytest.raises(ExactEvaluationError, match="reads 2 terms back but only 1"):
        extend_recurrence(op("add", _v("x_0_1"), _v("x_0_2")), [1], 3)
    with pytest.raises(ExactEvaluationError, match="'x_1' is neither a lag"):
        extend_recurrence(op("add", _v("x_0_1"), var(1)), [1], 3)
    with pytest.raises(ExactEvaluationError, match=r"terms\[1\]"):
        extend_recurrence(_v("x_0_1"), [1, 2.5], 1)
    with pytest.raises(ValueError, match="n_new must be >= 0"):
        extend_recurrence(_v("x_0_1"), [1], -1)
