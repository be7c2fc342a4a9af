"""Boolformer's data: examples, held-out functions never trained on, reproducible on-the-fly batches."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.boolformer import data as Dt
from paper_code.boolformer.formulas import FormulaConfig, truth_table
from paper_code.boolformer.inputs import INPUT_VOCAB, NoiseConfig, evaluate_rows
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer

SMALL = FormulaConfig(min_dim=1, max_dim=4, max_active=4, max_binary=12, max_tokens=60)


def test_output_vocabulary_and_targets():
    v = Dt.output_vocabulary(3)
    assert v.itos[2:] == ["and", "or", "not", "x_0", "x_1", "x_2", "INT+", "0", "1"]
    f = Dt.make_example(*_one_formula(), regime="noiseless").formula
    v = Dt.output_vocabulary(SMALL.max_dim)
    assert v.decode(v.encode(Dt.target_tokens(f.tree))) == Dt.target_tokens(f.tree)


def _one_formula(seed=0):
    from paper_code.boolformer.formulas import random_formula
    rng = np.random.default_rng(seed)
    return random_formula(rng, SMALL), rng


def test_examples_in_both_regimes_are_consistent():
    f, rng = _one_formula(1)
    ex = Dt.make_example(f, rng, "noiseless", "minority")
    np.testing.assert_array_equal(evaluate_rows(ex.tree, ex.X), ex.y)
    noisy = Dt.make_example(f, rng, "noisy", noise=NoiseConfig(max_inputs=12, max_inactive=8, max_flip=0.0))
    np.testing.assert_array_equal(evaluate_rows(noisy.tree, noisy.X), noisy.y)  # no flips: exact
    np.testing.assert_array_equal(evaluate_rows(noisy.tree, noisy.task.X_test), noisy.task.y_test)
    with pytest.raises(ValueError, match="valid: noiseless, noisy"):
        Dt.make_example(f, rng, "clean")


def test_held_out_functions_are_distinct_capped_per_dimension_and_reproducible():
    held = Dt.held_out_formulas(40, SMALL, seed=0, max_fraction=0.1)
    keys = [f.key for f in held]
    assert len(set(keys)) == 40
    dims = [f.dim for f in held]
    assert 1 not in dims and dims.count(2) <= 1 and dims.count(3) <= 25  # caps: 0.2, 1.4, 25.4
    assert [f.key for f in Dt.held_out_formulas(40, SMALL, seed=0, max_fraction=0.1)] == keys
    with pytest.raises(RuntimeError, match="distinct held-out functions"):
        Dt.held_out_formulas(5, FormulaConfig(min_dim=2, max_dim=2, max_active=2, max_binary=4), max_fraction=0.1)


def test_batches_never_train_on_held_out_functions():
    narrow = FormulaConfig(min_dim=3, max_dim=3, max_active=3, max_binary=8, max_tokens=60)
    held = Dt.held_out_formulas(25, narrow, seed=0, max_fraction=0.1)
    exclude = frozenset(f.key for f in held)
    batches = Dt.BooleanBatches(narrow, 8, exclude=exclude, seed=0)
    seen = set()
    for step in range(30):
        for e in batches.examples(np.random.default_rng([0, step, 0]), 8):
            assert e.formula.key not in exclude
            seen.add(e.formula.key)
    # without the exclusion the same draws hit held-out functions: the test above can fail
    free = Dt.BooleanBatches(narrow, 8, seed=0)
    hits = sum(e.formula.key in exclude for step in range(30)
               for e in free.examples(np.random.default_rng([0, step, 0]), 8))
    assert hits > 0 and len(seen) > 50


def test_batches_are_pure_functions_of_step_and_rank():
    b = Dt.BooleanBatches(SMALL, 6, regime="noiseless", rows="full", seed=3)
    ids, mask, seq = b.get(5)
    assert ids.shape[0] == 6 and ids.shape[2] == SMALL.max_dim + 1 and mask.shape == ids.shape[:2]
    assert (seq[:, 0] == b.out_vocab.eos_id).all()
    for x, y in zip(b.get(5), (ids, mask, seq)):
        assert torch.equal(x, y)
    assert not torch.equal(b.get(6)[2][:, :3], seq[:, :3]) or not torch.equal(b.get(6)[0], ids)
    half = b.get(5, rank=1, world_size=2)
    assert half[0].shape[0] == 3
    # rows are the truth table of the target: decode the first example and compare
    n = int((~mask[0]).sum())
    toks = ids[0, :n].numpy()
    one = INPUT_VOCAB.stoi["1"]
    y = (toks[:, -1] == one).astype(np.uint8)
    target = b.out_vocab.decode(seq[0, 1:].tolist())
    from paper_code.symbolic.encoding import decode
    tree = decode(target)
    dim = int(np.log2(n))
    np.testing.assert_array_equal(truth_table(tree, dim), y)
    with pytest.raises(ValueError, match="not divisible by world_size=4"):
        b.get(0, 0, 4)


def test_batches_feed_the_core_model():
    b = Dt.BooleanBatches(SMALL, 4, regime="noisy", noise=NoiseConfig(min_points=10, max_points=20,
                                                                      max_inactive=4, max_inputs=10), seed=1)
    ids, mask, seq = b.get(0)
    cfg = Seq2SeqConfig(d_model=16, n_heads=2, enc_layers=1, dec_layers=1, token_dim=4, max_width=b.n_inputs + 1,
                        tokens_per_value=1, max_len=b.max_len)
    model = Seq2SeqTransformer(cfg, len(INPUT_VOCAB), len(b.out_vocab))
    loss = model.loss(ids, mask, seq)
    assert torch.isfinite(loss) and loss.item() > 0
    assert b.fingerprint() == Dt.BooleanBatches(SMALL, 4, regime="noisy", noise=NoiseConfig(
        min_points=10, max_points=20, max_inactive=4, max_inputs=10), seed=1).fingerprint()
