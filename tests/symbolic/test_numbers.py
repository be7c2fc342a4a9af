"""Float and integer tokenisation, docs/symbolic_core.md §3."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.config import ConfigError
from paper_code.symbolic.numbers import FloatTokenizer, IntegerTokenizer, decode_int, encode_int


def test_paper_examples():
    tok = FloatTokenizer(precision=4)
    assert tok.encode_flat(3.14159) == ["+", "N3142", "E-3"]
    assert tok.encode_flat(-0.0123456) == ["-", "N1235", "E-5"]
    assert tok.encode_flat(12.3456) == ["+", "N1235", "E-2"]
    assert tok.encode_flat(float("nan")) == ["NaN"] * 3


@pytest.mark.parametrize("precision", [3, 4])
def test_roundtrip_within_precision(precision):
    rng = np.random.default_rng(0)
    x = rng.choice([-1, 1], 10_000) * 10 ** rng.uniform(-30, 30, 10_000)
    tok = FloatTokenizer(precision=precision)
    enc = tok.encode(x)
    assert enc.shape == (10_000, 3)
    back = tok.decode(enc)
    rel = np.abs(back - x) / np.abs(x)
    assert rel.max() <= tok.max_relative_error * (1 + 1e-9)
    assert rel.max() > tok.max_relative_error / 10  # rounding really happens at this precision
    np.testing.assert_array_equal(np.sign(back), np.sign(x))
    np.testing.assert_array_equal(tok.decode(tok.encode_flat(x[:5])), back[:5])


def test_special_values_and_ranges():
    tok = FloatTokenizer(precision=3, max_exponent=10)
    vals = np.array([0.0, np.nan, np.inf, -np.inf, 1e-20, 1e20, -1e20])
    back = tok.decode(tok.encode(vals))
    assert back[0] == 0.0 and np.isnan(back[1])
    assert back[2] == np.inf and back[3] == -np.inf
    assert back[4] == 0.0  # underflow flushes to zero
    assert back[5] == np.inf and back[6] == -np.inf
    clip = FloatTokenizer(precision=3, max_exponent=10, overflow="clip")
    assert clip.decode(clip.encode([1e20, -1e20])).tolist() == [999e10, -999e10]
    assert tok.encode_flat(0.0) == ["+", "N000", "E0"]
    # vectorised over any shape
    assert tok.decode(tok.encode(np.ones((2, 3, 4)))).shape == (2, 3, 4)


def test_decode_errors():
    tok = FloatTokenizer(precision=3)
    for bad in (["x", "N100", "E0"], ["+", "N10", "E0"], ["+", "N100", "E999"], ["+", "N100"]):
        with pytest.raises(ValueError):
            tok.decode(bad)


def test_integers_exact_any_size():
    rng = np.random.default_rng(1)
    for n in [0, 7, -10, 10**40 + 3, -(3**100)] + [int(v) for v in rng.integers(-10**9, 10**9, 200)]:
        assert decode_int(encode_int(n)) == n
        assert decode_int(encode_int(n, base=10_000), base=10_000) == n
    assert encode_int(-120) == ["INT-", "1", "2", "0"]
    with pytest.raises(ValueError):
        decode_int(["1", "2"])
    with pytest.raises(ValueError):
        decode_int(["INT+", "a"])


def test_integer_tokenizer_paper_examples():
    """Sequence integers: sign then base-10,000 digits (d'Ascoli et al., ICML 2022; recur's IntegerSeries)."""
    tok = IntegerTokenizer()
    assert tok.base == 10_000
    assert tok.encode(123456) == ["+", "12", "3456"]
    assert tok.encode(-7) == ["-", "7"]
    assert tok.encode(0) == ["+", "0"]
    assert tok.encode(10_000) == ["+", "1", "0"]
    assert tok.encode(np.int64(-10_001)) == ["-", "1", "1"]
    vocab = tok.vocabulary
    assert len(vocab) == 10_002 and vocab[:3] == ["+", "-", "0"] and vocab[-1] == "9999"
    assert set(tok.encode(-(10**60) + 12345)) <= set(vocab)


@pytest.mark.parametrize("base", [10_000, 10, 2, 10**7])
def test_integer_tokenizer_roundtrip_exact(base):
    tok = IntegerTokenizer(base=base)
    rng = np.random.default_rng(base)
    values = [0, 1, -1, 9999, -10_000, 10**100, -(10**50) + 7, -(3**200), base, base - 1, -base]
    values += [int(v) for v in rng.integers(-(2**62), 2**62, 300)]
    values += [int(rng.integers(1, 10**9)) ** 7 * int(rng.choice([-1, 1])) for _ in range(50)]
    for n in values:
        toks = tok.encode(n)
        assert toks[0] == ("-" if n < 0 else "+") and tok.decode(toks) == n
        assert all(0 <= int(t) < base for t in toks[1:]) and (len(toks) == 2 or toks[1] != "0")
    assert tok.decode_sequence(tok.encode_sequence(values)) == values
    assert tok.decode_sequence([]) == []


def test_integer_tokenizer_errors():
    tok = IntegerTokenizer()
    for bad, match in [(["+"], "followed by base-10000 digits"), (["12"], "sign token"),
                       (["+", "10000"], "not a base-10000 digit token: '10000'"),
                       (["-", "007"], "'007'"), (["+", "x"], "'x'")]:
        with pytest.raises(ValueError, match=match):
            tok.decode(bad)
    with pytest.raises(ValueError, match="not a base-10000000 digit token: '07'"):
        IntegerTokenizer(base=10**7).decode(["+", "07"])
    for bad in (2.0, True, "3"):
        with pytest.raises(TypeError, match="encodes integers"):
            tok.encode(bad)
    with pytest.raises(ValueError, match="must start with a sign token"):
        tok.decode_sequence(["12", "+", "3"])
    with pytest.raises(ValueError, match="followed by base-10000 digits"):
        tok.decode_sequence(["+", "1", "-"])
    with pytest.raises(ConfigError, match="IntegerTokenizer.base"):
        IntegerTokenizer(base=1)
