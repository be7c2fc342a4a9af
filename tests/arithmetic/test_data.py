"""Arithmetic data: answers against Python integers, both layouts, exact match, distinct sets, priming, batches."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from paper_code.arithmetic import data as D
from paper_code.common.config import ConfigError

ADD = D.Layout(width=12)
MUL = D.Layout(width=12, width_b=3)


def _number(tokens, reverse=True):
    return int("".join(reversed(tokens) if reverse else tokens))


@pytest.mark.parametrize("layout", ["padded", "compact"])
def test_answers_equal_integer_arithmetic_with_exact_digit_counts(layout):
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = int(rng.integers(1, 31)), int(rng.integers(1, 4))
        lay = D.Layout(kind=layout, width=30, width_b=3)
        for e, op in ((D.addition(rng, n, lay.replace(width_b=None)), "+"), (D.multiplication(rng, n, m, lay), "*")):
            assert e.op == op and e.answer == (e.a + e.b if op == "+" else e.a * e.b)
            assert _number(e.target_tokens) == e.answer and D.read_number(e.target_tokens) == e.answer
            assert e.n_digits == n and e.m_digits == (n if op == "+" else m)
            assert (e.a >= 10 ** (n - 1) or n == 1) and e.a < 10**n
    ones = {D.addition(rng, 1, "compact").a for _ in range(200)}
    assert ones == set(range(10))  # 1-digit operands are 0..9


def test_padded_layout_widths_alignment_and_leading_zeros():
    e = D.make_example(123, 98, "+", D.Layout(width=6))
    assert e.source_tokens == tuple("321000") + ("+",) + tuple("890000") + ("=",)
    assert e.target_tokens == tuple("1220000")  # 221 on n + 1 = 7 digits, units first
    m = D.make_example(45, 7, "*", D.Layout(width=5, width_b=2))
    assert m.source_tokens == tuple("54000") + ("*",) + tuple("70") + ("=",)
    assert m.target_tokens == tuple("5130000") and len(m.target_tokens) == 5 + 2
    # digits of equal significance sit at offsets that do not depend on the operands' lengths
    lay, rng = D.Layout(width=8), np.random.default_rng(1)
    for n in (1, 3, 8):
        e = D.addition(rng, n, lay)
        seq = e.source_tokens + e.target_tokens
        assert len(e.source_tokens) == 18 and len(e.target_tokens) == 9
        for i in range(8):
            assert seq[i] == str(e.a // 10**i % 10) and seq[9 + i] == str(e.b // 10**i % 10)
        for i in range(9):
            assert seq[18 + i] == str(e.answer // 10**i % 10)
        assert "".join(reversed(e.target_tokens)) == str(e.answer).zfill(9)
    plain = D.make_example(123, 98, "+", D.Layout(width=4, reverse=False))
    assert plain.source_tokens == tuple("0123+0098=") and plain.target_tokens == tuple("00221")


def test_compact_layout_has_no_padding():
    assert D.make_example(5, 7, "+", "compact").source_tokens == ("5", "+", "7", "=")
    assert D.make_example(5, 7, "+", "compact").target_tokens == ("2", "1")
    assert D.make_example(0, 0, "*", "compact").target_tokens == ("0",)
    rng = np.random.default_rng(2)
    for n in range(1, 12):
        for e in (D.addition(rng, n, "compact"), D.multiplication(rng, n, 2, "compact")):
            i = e.source_tokens.index(e.op)
            assert i == n and len(e.source_tokens) == n + 1 + e.m_digits + 1
            assert "".join(reversed(e.target_tokens)) == str(e.answer)  # no leading zero


@pytest.mark.parametrize("layout", [ADD, MUL, D.Layout(kind="compact"), D.Layout(width=12, reverse=False)])
def test_encode_decode_round_trip(layout):
    rng = np.random.default_rng(3)
    for n in range(1, 13):
        for e in (D.multiplication(rng, n, 3, layout), D.addition(rng, n, layout.replace(width_b=None))):
            src, tgt = D.encode(e)
            assert all(2 <= i < len(D.VOCAB) for i in src + tgt)
            assert D.decode(src, tgt, e.layout) == (e.a, e.op, e.b, e.answer)
            assert D.decode(src, None, e.layout).answer is None
    assert [D.VOCAB.stoi[d] for d in D.DIGITS] == list(range(2, 12)) and D.VOCAB.itos[:2] == ["<PAD>", "<EOS>"]
    e = D.make_example(12, 34, "+", ADD)
    src, tgt = D.encode(e)
    with pytest.raises(ValueError, match="exactly 13 digits"):
        D.decode(src, tgt[:-1], ADD)  # a dropped leading zero is not the padded form
    with pytest.raises(ValueError, match="'a op b ='"):
        D.decode(src[:-1], tgt, ADD)
    with pytest.raises(ValueError, match="no leading zeros"):
        D.decode(D.VOCAB.encode(["1", "0", "+", "2", "="]), None, "compact")  # 01, units first


def test_exact_match_only_for_the_exact_target():
    e = D.make_example(7, 5, "+", D.Layout(width=3))  # 12 -> 2 1 0 0
    ids = D.encode(e)[1]
    assert D.exact_match(["2", "1", "0", "0"], e) and D.exact_match(ids, e)
    assert D.exact_match([1, *ids, 1, 0, 0], e) and D.exact_match(torch.tensor(ids + [1]), e)
    assert not D.exact_match(["2", "1", "0"], e)  # leading zero dropped
    assert not D.exact_match(["2", "1", "0", "0", "0"], e)  # one digit too many
    assert not D.exact_match(["2", "2", "0", "0"], e) and not D.exact_match([], e)
    assert not D.exact_match(["2", "<PAD>", "1", "0", "0"], e)
    ex = [D.make_example(a, 1, "+", "compact") for a in (1, 2, 30, 40)]
    preds = [ex[0].target_tokens, ["9"], ex[2].target_tokens, ex[3].target_tokens]
    assert D.accuracy_by_length(preds, ex) == {1: 0.5, 2: 1.0}
    with pytest.raises(ValueError, match="one per example"):
        D.accuracy_by_length(preds[:3], ex)


def test_training_and_test_sets_are_distinct_disjoint_exact_and_seeded():
    train = D.make_training_set(0, "+", range(1, 4), 1500, layout=ADD)
    assert len(train) == 1500 and len(D.problem_keys(train)) == 1500
    lengths = Counter(e.n_digits for e in train)
    assert set(lengths) == {1, 2, 3} and lengths[1] == 100  # 1-digit: all 100 problems, the rest elsewhere
    assert D.make_training_set(0, "+", range(1, 4), 1500, layout=ADD) == train
    same = [D.make_training_set(np.random.default_rng(9), "+", range(1, 4), 1500, layout=ADD) for _ in range(2)]
    assert same[0] == same[1] != train
    assert D.make_training_set(1, "+", range(1, 4), 1500, layout=ADD) != train
    tests = D.make_test_set(5, "+", [2, 3, 6], 300, layout=ADD, exclude=train)
    assert sorted(tests) == [2, 3, 6]
    for n, t in tests.items():
        assert len(t) == 300 and len(D.problem_keys(t)) == 300 and {e.n_digits for e in t} == {n}
        assert not D.problem_keys(t) & D.problem_keys(train)
    assert D.make_test_set(5, "+", 6, 300, layout=ADD, exclude=train)[6] == tests[6]  # per-length streams
    assert D.make_test_set(6, "+", 6, 300, layout=ADD)[6] != tests[6]
    # the other order: test sets first, then a training set that avoids them
    train2 = D.make_training_set(0, "*", [2, 3], 800, m_digits=2, layout=MUL.replace(width_b=2), exclude=tests)
    mtests = D.make_test_set(0, "*", 3, 200, m_digits=2, layout=MUL.replace(width_b=2))
    train3 = D.make_training_set(0, "*", [2, 3], 800, m_digits=2, layout=MUL.replace(width_b=2), exclude=mtests)
    assert {e.m_digits for e in train2} == {2} and not D.problem_keys(train3) & D.problem_keys(mtests)
    full = D.make_training_set(0, "+", [1, 2], 100 + 8100, layout="compact")  # every problem there is
    assert len(D.problem_keys(full)) == D.count_problems("+", 1) + D.count_problems("+", 2)


def test_priming_adds_exactly_n_disjoint_long_examples_deterministically():
    lay = D.Layout(width=20, width_b=2)
    train = D.make_training_set(0, "*", range(1, 4), 400, m_digits=2, layout=lay)
    before = tuple(train)
    tests = D.make_test_set(0, "*", [8, 20], 200, m_digits=2, layout=lay, exclude=train)
    primed = D.prime(train, 10, 20, seed=3, exclude=tests)
    assert train == before and primed[:400] == train and len(primed) == 410
    extra = primed[400:]
    assert all(e.n_digits == 20 and e.m_digits == 2 and e.layout == lay for e in extra)
    assert len(D.problem_keys(primed)) == 410 and not D.problem_keys(extra) & D.problem_keys(tests)
    assert D.prime(train, 10, 20, seed=3, exclude=tests) == primed and D.prime(train, 10, 20, seed=4) != primed
    spread = D.prime(train, 8, [6, 7, 8], seed=0, exclude=tests)[400:]
    assert Counter(e.n_digits for e in spread) == {6: 3, 7: 3, 8: 2}
    assert D.prime(train, 0, 20, seed=0) == train
    # a tiny space: the 2-digit primes avoid both the training set and the test set
    add = D.make_training_set(0, "+", 2, 8000, layout="compact")
    left = D.make_test_set(0, "+", 2, 50, layout="compact", exclude=add)
    assert len(D.prime(add, 50, 2, seed=0, exclude=left)[8000:]) == 50
    with pytest.raises(ValueError, match="valid: at most 50"):
        D.prime(add, 51, 2, seed=0, exclude=left)


def test_errors_name_what_is_valid():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="valid: size <= 100"):
        D.make_training_set(0, "+", 1, 101)
    with pytest.raises(ValueError, match="only 100 remain"):
        D.make_test_set(0, "+", 1, 101)
    with pytest.raises(ValueError, match=r"n_digits=0 is invalid; valid: an integer >= 1"):
        D.addition(rng, 0)
    with pytest.raises(ValueError, match=r"m_digits=0 is invalid"):
        D.multiplication(rng, 2, 0)
    with pytest.raises(ValueError, match="n_digits=0 is invalid"):
        D.make_training_set(0, "+", [0, 1], 5)
    with pytest.raises(ConfigError, match="valid: 'padded', 'compact'"):
        D.addition(rng, 2, "aligned")
    with pytest.raises(ValueError, match=r"op='-' is invalid; valid: '\+', '\*'"):
        D.make_example(1, 2, "-")
    with pytest.raises(ValueError, match="multiplication needs m_digits"):
        D.make_test_set(0, "*", 3, 5)
    with pytest.raises(ValueError, match="Layout.width"):
        D.addition(rng, 5, D.Layout(width=4))
    with pytest.raises(ValueError, match="n_primed=-1 is invalid"):
        D.prime(D.make_training_set(0, "+", 1, 5), -1, 3, seed=0)
    with pytest.raises(ValueError, match="training_set is empty"):
        D.prime((), 1, 3, seed=0)
    with pytest.raises(ValueError, match="at least one example"):
        D.collate([])


def test_collate_pads_sources_and_wraps_targets_in_eos():
    exs = [D.make_example(5, 7, "+", "compact"), D.make_example(123, 456, "+", "compact")]
    src, src_mask, tgt, tgt_mask = D.collate(exs)
    assert src.dtype == tgt.dtype == torch.long and src.shape == (2, 8) and tgt.shape == (2, 5)
    assert src[0].tolist() == [*D.encode(exs[0])[0], 0, 0, 0, 0] and src_mask[0].tolist() == [False] * 4 + [True] * 4
    assert tgt[0].tolist() == [1, *D.VOCAB.encode(["2", "1"]), 1, 0] and tgt_mask[0].tolist() == [False] * 4 + [True]
    assert tgt[1].tolist() == [1, *D.VOCAB.encode(["9", "7", "5"]), 1] and not tgt_mask[1].any()
    assert D.exact_match(tgt[1], exs[1])  # the decoder sequence itself reads back as the exact answer


@pytest.mark.parametrize("layout", [D.Layout(width=9), D.Layout(width=9, width_b=2), D.Layout(kind="compact")])
def test_tensorize_writes_source_slots_and_answer(layout):
    op = "+" if layout.width_b is None else "*"
    m = None if op == "+" else 2
    examples = [e for L in (2, 5, 9) for e in D.make_test_set(3, op, L, 7, m_digits=m, layout=layout)[L]]
    x, y = D.tensorize(examples)
    slot = D.VOCAB.stoi[D.SLOT]
    for row, tgt, e in zip(x.tolist(), y.tolist(), examples):
        src = D.VOCAB.encode(e.source_tokens)
        n = D.slot_count(e)
        assert row[: len(src)] == src and row[len(src): len(src) + n] == [slot] * n
        assert set(row[len(src) + n:]) <= {D.VOCAB.pad_id}
        answer = [t for t in tgt if t != D.IGNORE]
        assert len(answer) == n and all(t == D.IGNORE for t in tgt[: len(src)])
        digits = [D.VOCAB.itos[t] for t in answer if t != D.VOCAB.pad_id]
        assert D.read_number(digits) == e.answer and tuple(digits) == e.target_tokens
    if layout.kind == "padded":  # every row the same length: nothing padded
        assert not (x == D.VOCAB.pad_id).any()


def test_compact_slots_hold_the_longest_answer():
    big = D.make_example(99, 99, "+", "compact")
    small = D.make_example(10, 10, "+", "compact")
    assert D.slot_count(big) == D.slot_count(small) == 3 and len(big.target_tokens) == 3
    assert D.slot_count(D.make_example(999, 99, "*", "compact")) == 5 == len(str(999 * 99))
