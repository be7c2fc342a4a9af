"""Tokens, batches and held-out sequences of the recurrence models."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.recurrence import data as D
from paper_code.recurrence.generator import RecurrenceConfig, generate_recurrence
from paper_code.symbolic.encoding import decode

GEN = RecurrenceConfig(max_degree=3, max_ops=5, min_terms=10, max_terms=25)


@pytest.mark.parametrize("values", [[0, -1, 1, 9999, 10_000, -10_001], [10**100, -(10**100) + 1, 12345678901234567890],
                                    [-(3**200), 7]])
def test_input_tokens_round_trip_huge_and_negative(values):
    toks = D.input_tokens(values)
    assert D.TERMS.decode_sequence(toks) == values
    D.input_vocabulary().encode(toks)  # every token in the vocabulary
    assert D.input_tokens([123456]) == ["+", "12", "3456"] and D.input_tokens([-7]) == ["-", "7"]  # the paper's


def test_targets_decode_to_the_recurrence_and_the_future():
    rng = np.random.default_rng(0)
    for _ in range(50):
        rec = generate_recurrence(rng, GEN)
        assert decode(D.symbolic_target(rec.tree)).prefix() == rec.tree.prefix()
        assert tuple(D.TERMS.decode_sequence(D.numeric_target(rec.future))) == rec.future
        D.symbolic_vocabulary().encode(D.symbolic_target(rec.tree))  # every token in the vocabulary
        assert 0 <= D.effective_degree(rec) <= rec.degree


def test_both_models_read_the_same_sequences_and_batches_are_pure():
    sym = D.RecurrenceBatches(GEN, 8, target="symbolic", seed=3)
    num = D.RecurrenceBatches(GEN, 8, target="numeric", seed=3)
    ids_s, mask_s, seq_s = sym.get(5)
    ids_n, mask_n, seq_n = num.get(5)
    assert (ids_s == ids_n).all() and (mask_s == mask_n).all()
    assert (sym.get(5)[2] == seq_s).all()
    other = sym.get(6)[0]
    assert not (other.shape == ids_s.shape and (other == ids_s).all())
    in_vocab, out_vocab = D.input_vocabulary(), D.symbolic_vocabulary()
    for b in range(8):  # <EOS> target <EOS> <PAD>...; inputs padded on the right
        row = seq_s[b].tolist()
        assert row[0] == out_vocab.eos_id and out_vocab.eos_id in row[1:]
        assert (ids_s[b] == in_vocab.pad_id).tolist() == mask_s[b].tolist()
    halves = [sym.get(5, rank=r, world_size=2)[0].shape[0] for r in (0, 1)]
    assert halves == [4, 4]
    with pytest.raises(ValueError, match="not divisible"):
        sym.get(0, world_size=3)


def test_token_limits_are_respected_by_batches_and_held_out():
    batches = D.RecurrenceBatches(GEN, 32, target="numeric", max_input_tokens=30, max_output_tokens=25)
    ids, mask, seq = batches.get(0)
    assert (~mask).sum(1).max() <= 30 and seq.shape[1] <= 25 + 2
    recs = D.held_out_sequences(20, GEN, max_input_tokens=30, max_output_tokens=25, seed=0)
    assert all(D.fits(r, 30, 25) for r in recs)
    assert [r.terms for r in recs] == [r.terms for r in D.held_out_sequences(20, GEN, max_input_tokens=30,
                                                                             max_output_tokens=25, seed=0)]


def test_bad_target_is_named():
    with pytest.raises(ValueError, match="valid: symbolic, numeric"):
        D.output_vocabulary("float")
    with pytest.raises(ValueError, match="valid: symbolic, numeric"):
        D.RecurrenceBatches(GEN, 4, target="both")
