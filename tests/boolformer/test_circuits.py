"""Boolformer's circuits (App. E): every truth table checked row by row against Python integer arithmetic."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.boolformer import circuits as C
from paper_code.boolformer.formulas import all_inputs


def _msb_value(bits) -> int:
    return int("".join(str(int(b)) for b in bits), 2)


def _rows(c: C.Circuit):
    return list(zip(c.X.tolist(), c.Y.tolist()))


def _check_shapes(c: C.Circuit, dim: int, k: int):
    assert c.X.shape == (2**dim, dim) and c.Y.shape == (2**dim, k)
    assert c.X.dtype == np.uint8 and c.Y.dtype == np.uint8
    np.testing.assert_array_equal(c.X, all_inputs(dim))  # the project's row order
    assert len(c.input_names) == dim and len(c.output_names) == k
    assert c.dim == dim and c.n_outputs == k


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_comparator(bits):
    c = C.comparator(bits)
    _check_shapes(c, 2 * bits, 1)
    assert c.input_names[0] == f"a{bits - 1}" and c.input_names[bits] == f"b{bits - 1}"
    for x, y in _rows(c):
        assert y == [int(_msb_value(x[:bits]) > _msb_value(x[bits:]))]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_multiplexer(k):
    c = C.multiplexer(k)
    _check_shapes(c, k + 2**k, 1)
    for x, y in _rows(c):
        assert y == [x[k + _msb_value(x[:k])]]
    assert C.multiplexer(2).dim == 6 and C.multiplexer(2).label == "4-to-1 multiplexer"


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_majority_and_parity(n):
    maj, par = C.majority(n), C.parity(n)
    _check_shapes(maj, n, 1)
    _check_shapes(par, n, 1)
    for (x, m), (_, p) in zip(_rows(maj), _rows(par)):
        assert m == [int(sum(x) > n / 2)]  # even n: a tie is 0
        assert p == [sum(x) % 2]


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_adder_and_multiplier(bits):
    add, mul = C.adder(bits), C.multiplier(bits)
    _check_shapes(add, 2 * bits, bits + 1)
    _check_shapes(mul, 2 * bits, 2 * bits)
    assert add.output_names[0] == f"s{bits}" and add.output_names[-1] == "s0"  # MSB first
    for (x, s), (_, p) in zip(_rows(add), _rows(mul)):
        a, b = _msb_value(x[:bits]), _msb_value(x[bits:])
        assert _msb_value(s) == a + b
        assert _msb_value(p) == a * b
    np.testing.assert_array_equal(add.output(bits), add.Y[:, -1])
    with pytest.raises(ValueError, match="valid"):
        add.output(bits + 1)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_gates(n):
    for name, rule in (("and", all), ("or", any), ("xor", lambda x: sum(x) % 2)):
        g = C.gate(name, n)
        _check_shapes(g, n, 1)
        assert [y[0] for _, y in _rows(g)] == [int(rule(x)) for x, _ in _rows(g)]


def test_random_function_is_non_constant_and_seeded():
    for seed in range(20):
        f = C.random_function(np.random.default_rng(seed), 1)  # 2 of the 4 tables of one input are constant
        _check_shapes(f, 1, 1)
        assert f.Y.min() == 0 and f.Y.max() == 1
    a = C.random_function(np.random.default_rng(3), 5)
    b = C.circuit("random", 5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.Y, b.Y)


def test_sweep_and_dispatch():
    for name, sizes in C.CIRCUIT_SWEEP:
        for size in sizes:
            c = C.circuit(name, size)
            assert c.name == name and c.dim <= 6
    assert C.circuit("xor", 3).label == "3-input XOR"
    with pytest.raises(ValueError, match="valid: comparator, multiplexer"):
        C.circuit("decoder", 2)
    with pytest.raises(ValueError, match="needs rng"):
        C.circuit("random", 3)


@pytest.mark.parametrize("build, size, match", [
    (C.comparator, 0, "integer >= 1"),
    (C.comparator, 11, "D <= 20"),
    (C.multiplexer, 5, "D=37"),
    (C.majority, 2.5, "integer"),
    (C.parity, True, "integer"),
    (C.adder, -1, "integer >= 1"),
    (C.multiplier, 11, "D <= 20"),
    (lambda n: C.gate("and", n), 1, "integer >= 2"),
])
def test_bad_sizes(build, size, match):
    with pytest.raises(ValueError, match=match):
        build(size)
    with pytest.raises(ValueError, match="valid: and, or, xor"):
        C.gate("nand")
