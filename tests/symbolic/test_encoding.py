"""Prefix encoding: exact round trip on random trees, the papers' examples, clear errors on malformed input."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.symbolic.encoding import PrefixParseError, decode, decode_system, encode, encode_system
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.generator import E2E, ODEFORMER, generate, generate_unary_binary
from paper_code.symbolic.numbers import FloatTokenizer


def test_odeformer_system_example():
    tok = FloatTokenizer(precision=4)
    system = [op("mul", const(-0.5), var(1)), op("sin", var(0))]
    seq = encode_system(system, tok)
    assert seq == ["mul", "-", "N5000", "E-4", "x_1", "|", "sin", "x_0"]
    back = decode_system(seq, tok)
    assert [t.prefix() for t in back] == [t.prefix() for t in system]


def test_roundtrip_random_trees_exact():
    rng = np.random.default_rng(0)
    tok = FloatTokenizer(precision=4)
    for i in range(200):
        cfg = ODEFORMER if i % 2 else E2E
        tree = generate(rng, dim=int(rng.integers(1, 4)), cfg=cfg)
        tree = tree.with_constants(tok.round(np.array(tree.constants())))  # representable constants
        seq = encode(tree, tok)
        back = decode(seq, tok)
        assert back.prefix() == tree.prefix()
        assert encode(back, tok) == seq
    for _ in range(100):
        tree = generate_unary_binary(rng, int(rng.integers(0, 8)), leaves=("x_0_1", "x_0_2", "n"))
        assert decode(encode(tree)).prefix() == tree.prefix()


def test_constant_rounding_within_precision():
    tok = FloatTokenizer(precision=3)
    back = decode(encode(op("add", const(1.23456), var(0)), tok), tok)
    assert back.constants() == [1.23]


@pytest.mark.parametrize("seq, fragment", [
    ([], "empty"),
    (["add", "x_0"], "ended early"),
    (["x_0", "x_1"], "trailing"),
    (["add", "x_0", "foo"], "unknown token"),
    (["mul", "+", "N1000"], "truncated"),
    (["mul", "+", "N100", "E0", "x_0"], "bad float"),
    (["N1000", "E0"], "without a preceding sign"),
    (["add", "x_0", "|", "x_1"], "separator"),
    (["INT+"], "bad integer"),
])
def test_malformed_sequences(seq, fragment):
    with pytest.raises(PrefixParseError, match=fragment):
        decode(seq, FloatTokenizer(precision=4))
