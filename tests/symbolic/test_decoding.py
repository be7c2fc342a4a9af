"""Incremental (key/value-cached) decoding and the batched greedy / sampling / beam search.

The cached decoder must give the logits of the training forward re-run over the whole prefix, and every
search must return the same sequences with and without the cache, and the same for a batch as for each
input alone.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from paper_code.symbolic.embedder import input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.model import CachedDecoder, PrefixDecoder, Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.numbers import FloatTokenizer

FLOATS = FloatTokenizer(precision=3, max_exponent=10)
IN_VOCAB = input_vocabulary(FLOATS)
OUT_VOCAB = output_vocabulary(FLOATS, max_dim=2)
CFG = Seq2SeqConfig(d_model=32, n_heads=4, enc_layers=1, dec_layers=3, token_dim=8, max_width=3, max_len=24)
EOS, PAD = OUT_VOCAB.eos_id, OUT_VOCAB.pad_id


def _model(seed: int = 0, eos_bias: float = 3.0) -> Seq2SeqTransformer:
    """A random model; the <EOS> bias makes sequences end at different lengths (finished rows leave the
    batch, beams finish early); with 0 they run to ``max_len`` (hypotheses cut at the last step)."""
    torch.manual_seed(seed)
    model = Seq2SeqTransformer(CFG, len(IN_VOCAB), len(OUT_VOCAB)).eval()
    with torch.no_grad():
        model.out_bias[EOS] = eos_bias
    return model


def _points(seed: int = 0, sizes=((10, 2), (7, 3), (12, 3), (5, 2))):
    rng = np.random.default_rng(seed)
    return tokenize_points([rng.normal(size=s) for s in sizes], FLOATS, IN_VOCAB, max_width=3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cached_logits_equal_full_prefix_recomputation_at_every_step(seed):
    model = _model(seed)
    ids, mask = _points(seed)
    memory = model.encode(ids, mask)
    gen = torch.Generator().manual_seed(seed)
    feed = torch.randint(2, len(OUT_VOCAB), (4, CFG.max_len), generator=gen)
    feed[:, 0] = EOS
    feed[1, 5] = PAD  # a <PAD> token inside a prefix is masked as a key on both paths
    cached, full = CachedDecoder(model, memory, mask), PrefixDecoder(model, memory, mask)
    with torch.no_grad():
        for t in range(CFG.max_len):
            a, b = cached.step(feed[:, t]), full.step(feed[:, t])
            assert a.shape == (4, len(OUT_VOCAB))
            torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
        whole = model.decode_logits(memory, feed, mask)
        torch.testing.assert_close(a, whole[:, -1], rtol=0, atol=1e-5)
        with pytest.raises(ValueError, match="exceeds max_len"):
            cached.step(feed[:, 0])


def test_cached_rows_can_be_selected_and_repeated():
    """``select`` (beam reordering, dropping finished rows) keeps each row's cache with its row."""
    model = _model(3)
    ids, mask = _points(3)
    memory = model.encode(ids, mask)
    feed = torch.randint(2, len(OUT_VOCAB), (4, 6), generator=torch.Generator().manual_seed(0))
    rows = torch.tensor([2, 0, 2])
    cached = CachedDecoder(model, memory, mask)
    with torch.no_grad():
        for t in range(3):
            cached.step(feed[:, t])
        cached.select(rows)
        fresh = PrefixDecoder(model, memory, mask, rows)
        for t in range(3):
            fresh.step(feed[rows, t])
        for t in range(3, 6):
            torch.testing.assert_close(cached.step(feed[rows, t]), fresh.step(feed[rows, t]), rtol=0, atol=1e-5)


@pytest.mark.parametrize("seed, eos_bias", [(0, 3.0), (1, 3.0), (2, 0.0)])
def test_greedy_sampling_and_beam_identical_with_and_without_cache(seed, eos_bias):
    model = _model(seed, eos_bias)
    ids, mask = _points(seed)
    assert torch.equal(model.greedy(ids, mask), model.greedy(ids, mask, use_cache=False))
    # multinomial with one draw per row consumes the generator by shape only, so the seeded samples agree
    kw = dict(temperature=0.8, n_samples=5, top_k=20)
    a = model.sample(ids, mask, generator=torch.Generator().manual_seed(seed), **kw)
    b = model.sample(ids, mask, generator=torch.Generator().manual_seed(seed), use_cache=False, **kw)
    assert torch.equal(a, b) and a.shape[0] == 20
    if eos_bias:
        lengths = [(row == EOS).nonzero()[0].item() if (row == EOS).any() else -1 for row in a]
        assert len(set(lengths)) > 3  # rows finished at different steps (finished rows leave the batch)
    for beam in (1, 3):
        fast, slow = model.beam_search(ids, mask, beam_size=beam), model.beam_search(ids, mask, beam_size=beam,
                                                                                   use_cache=False)
        assert [[h for _, h in r] for r in fast] == [[h for _, h in r] for r in slow]
        for rf, rs in zip(fast, slow):
            np.testing.assert_allclose([s for s, _ in rf], [s for s, _ in rs], rtol=0, atol=1e-5)


def _reference_sample(model, ids, mask, temperature, n_samples, generator):
    """Sampling as it was before the cache: every row (finished or not) re-decoded over its whole prefix
    and drawn from at every step, until all rows are finished."""
    memory = model.encode(ids, mask).repeat_interleave(n_samples, 0)
    mask = mask.repeat_interleave(n_samples, 0)
    seq = torch.full((memory.shape[0], 1), EOS)
    done = torch.zeros(memory.shape[0], dtype=torch.bool)
    for _ in range(CFG.max_len - 1):
        logits = model.decode_logits(memory, seq, mask)[:, -1] / temperature
        nxt = torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)
        nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
        seq = torch.cat([seq, nxt[:, None]], 1)
        done |= nxt == EOS
        if done.all():
            break
    return seq[:, 1:]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seeded_samples_do_not_depend_on_finished_rows_leaving_the_batch(seed):
    model = _model(seed)
    ids, mask = _points(seed)
    with torch.no_grad():
        want = _reference_sample(model, ids, mask, 0.9, 4, torch.Generator().manual_seed(seed))
    got = model.sample(ids, mask, temperature=0.9, n_samples=4, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(got, want)


def test_sampled_rows_end_with_eos_then_padding():
    model = _model(4)
    ids, mask = _points(4)
    out = model.sample(ids, mask, temperature=1.0, n_samples=3, generator=torch.Generator().manual_seed(1))
    for row in out.tolist():
        if EOS in row:
            end = row.index(EOS)
            assert all(i == PAD for i in row[end + 1:])
    assert out.shape[1] <= CFG.max_len - 1


def test_batched_search_equals_one_input_at_a_time():
    model = _model(5)
    ids, mask = _points(5)
    batch_greedy = model.greedy(ids, mask)
    batch_beam = model.beam_search(ids, mask, beam_size=3)
    for b in range(ids.shape[0]):
        n = int((~mask[b]).sum())
        solo_ids, solo_mask = ids[b:b + 1, :n], mask[b:b + 1, :n]
        solo = model.greedy(solo_ids, solo_mask)[0].tolist()
        assert OUT_VOCAB.decode(solo) == OUT_VOCAB.decode(batch_greedy[b].tolist())
        solo_beam = model.beam_search(solo_ids, solo_mask, beam_size=3)[0]
        assert [h for _, h in solo_beam] == [h for _, h in batch_beam[b]]


def test_beam_scores_are_length_normalised_log_probabilities():
    """Each hypothesis' score is the teacher-forced log-probability of its tokens (and of the closing
    ``<EOS>``, unless it was cut at ``max_len``) divided by (len + 1)^penalty; hypotheses are distinct."""
    for (eos_bias, penalty) in [(3.0, 1.0), (3.0, 0.5), (0.0, 1.0)]:
        model = _model(6, eos_bias)
        ids, mask = _points(6)
        memory = model.encode(ids, mask)
        results = model.beam_search(ids, mask, beam_size=4, length_penalty=penalty)
        for b, hyps in enumerate(results):
            assert 1 <= len(hyps) <= 4 and all(hyps[i][0] >= hyps[i + 1][0] for i in range(len(hyps) - 1))
            assert len({tuple(h) for _, h in hyps}) == len(hyps)
            for score, hyp in hyps:
                closed = len(hyp) < CFG.max_len - 1
                seq = torch.tensor([[EOS, *hyp] + ([EOS] if closed else [])])
                with torch.no_grad():
                    logp = model.decode_logits(memory[b:b + 1], seq[:, :-1], mask[b:b + 1]).log_softmax(-1)
                total = logp[0, torch.arange(seq.shape[1] - 1), seq[0, 1:]].sum().item()
                assert score == pytest.approx(total / (len(hyp) + 1) ** penalty, abs=1e-4)


def test_decoding_arguments_are_checked():
    model = _model(0)
    ids, mask = _points(0)
    with pytest.raises(ValueError, match="max_len must be in 2..24"):
        model.greedy(ids, mask, max_len=25)
    with pytest.raises(ValueError, match="beam_size must be >= 1"):
        model.beam_search(ids, mask, beam_size=0)
    drop = Seq2SeqTransformer(dataclasses.replace(CFG, dropout=0.1), len(IN_VOCAB), len(OUT_VOCAB))
    with pytest.raises(ValueError, match="call model.eval"):
        drop.train().greedy(ids, mask)
    drop.eval().greedy(ids, mask)  # eval mode: fine
