"""The shared candidate loop: decode → parse → drop invalid → merge duplicates → score → refine → rank."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from paper_code.symbolic.candidates import (
    Candidate,
    CandidateProblem,
    DecodingSettings,
    decode_sequences,
    rank_candidates,
    search_candidates,
)
from paper_code.symbolic.embedder import input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.encoding import decode
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.metrics import r2_score
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.numbers import FloatTokenizer

FLOATS = FloatTokenizer(precision=3, max_exponent=10)
IN_VOCAB = input_vocabulary(FLOATS)
OUT_VOCAB = output_vocabulary(FLOATS, max_dim=2)


def _rank(raw, calls=None, **kw):
    def score(p):
        if calls is not None:
            calls.append(p)
        return {"a": 0.5, "b": 0.9, "c": 0.9, "d": float("nan"), "e": 0.1}[p[0]]
    return rank_candidates(raw, key=lambda p: p, score=score, **kw)


def test_invalid_dropped_duplicates_merged_and_scored_once():
    calls: list = []
    raw = ["a1", None, "b1", "bad", "a1", "c1", "d1", "b1"]
    ranked = _rank(raw, calls, valid=lambda p: p != "bad")
    assert [c.prediction for c in ranked] == ["b1", "c1", "a1", "d1"]  # ties keep decoding order; NaN last
    assert [c.order for c in ranked] == [2, 5, 0, 6]                    # first occurrence, invalid ones counted
    assert sorted(calls) == ["a1", "b1", "c1", "d1"]                     # one score per distinct candidate
    assert math.isnan(ranked[-1].score)


def test_finalize_maps_before_scoring_and_tiebreak_orders_equal_scores():
    ranked = rank_candidates(["b-long", "c", "a"], key=lambda p: p, finalize=lambda p: p.upper(),
                             score=lambda p: {"B": 1.0, "C": 1.0, "A": 0.0}[p[0]], tiebreak=len)
    assert [c.prediction for c in ranked] == ["C", "B-LONG", "A"]


def test_refinement_replaces_or_adds_and_reranks():
    def refine(c: Candidate) -> Candidate:
        return Candidate(c.prediction + "*", c.order, c.score + 0.05, refined=True)

    raw = ["a", "b", "e"]
    replaced = _rank(raw, refine=refine, n_refine=2)
    assert [(c.prediction, c.refined) for c in replaced] == [("b*", True), ("a*", True), ("e", False)]
    kept = _rank(raw, refine=refine, n_refine=1, keep_unrefined=True)
    assert [c.prediction for c in kept] == ["b*", "b", "a", "e"]
    unchanged = _rank(raw, refine=lambda c: c, keep_unrefined=True)  # no improvement: no duplicate entry
    assert [c.prediction for c in unchanged] == ["b", "a", "e"]
    assert _rank([None, "bad"], valid=lambda p: p != "bad", refine=refine) == []


def test_decoding_settings_are_checked():
    for bad, msg in [({"n_candidates": 0}, "n_candidates"), ({"beam_size": 0}, "beam_size"),
                     ({"temperature": -0.1}, "temperature"), ({"temperature": float("nan")}, "temperature")]:
        with pytest.raises(ValueError, match=msg):
            DecodingSettings(**bad)
    assert DecodingSettings(temperature=0).greedy and not DecodingSettings(temperature=0, beam_size=2).greedy


X_POINTS = np.random.default_rng(1).normal(size=(12, 1))
#: Targets the fixture model learns for one input: a mixture, so that sampling gives parsable and
#: unparsable sequences, expressions reading x_1 (invalid for a 1-D input) and duplicates.
TARGETS = [["sin", "x_0"], ["x_0"], ["x_1"], ["add", "x_0", "x_0"], ["sin", "x_0"], ["mul", "x_0"]]


def _points():
    y = np.sin(X_POINTS[:, 0])
    return tokenize_points([np.concatenate([X_POINTS, y[:, None]], 1)], FLOATS, IN_VOCAB, 3)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Seq2SeqTransformer(Seq2SeqConfig(d_model=32, n_heads=4, enc_layers=1, dec_layers=1, token_dim=8,
                                         max_width=3, max_len=12), len(IN_VOCAB), len(OUT_VOCAB))
    ids, mask = _points()
    L = max(map(len, TARGETS)) + 2
    eos, pad = OUT_VOCAB.eos_id, OUT_VOCAB.pad_id
    seq = torch.tensor([[eos, *OUT_VOCAB.encode(t), eos] + [pad] * (L - len(t) - 2) for t in TARGETS])
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(40):
        opt.zero_grad()
        m.loss(ids.expand(len(TARGETS), -1, -1), mask.expand(len(TARGETS), -1), seq).backward()
        opt.step()
    return m.eval()


def test_decode_sequences_counts_per_input(model):
    rng = np.random.default_rng(0)
    ids, mask = tokenize_points([rng.normal(size=(9, 3)), rng.normal(size=(5, 3))], FLOATS, IN_VOCAB, 3)
    sampled = decode_sequences(model, ids, mask, DecodingSettings(n_candidates=5, temperature=1.0, seed=1))
    assert [len(s) for s in sampled] == [5, 5]
    assert all(OUT_VOCAB.eos_id not in seq and OUT_VOCAB.pad_id not in seq for per in sampled for seq in per)
    again = decode_sequences(model, ids, mask, DecodingSettings(n_candidates=5, temperature=1.0, seed=1))
    assert again == sampled  # seeded
    greedy = decode_sequences(model, ids, mask, DecodingSettings(n_candidates=5, temperature=0.0))
    assert [len(s) for s in greedy] == [1, 1]
    beam = decode_sequences(model, ids, mask, DecodingSettings(n_candidates=2, beam_size=4))
    assert all(1 <= len(s) <= 2 for s in beam)
    full = model.beam_search(ids, mask, beam_size=4)
    assert beam == [[h for _, h in hyps[:2]] for hyps in full]


def test_search_candidates_end_to_end_with_a_function_fit_score(model):
    """The E2E-style use: parse one expression per sequence, keep those reading x_0 only, rank by R² on
    the input points. Every returned candidate is a distinct valid tree with its true R²."""
    X, y = X_POINTS, np.sin(X_POINTS[:, 0])
    ids, mask = _points()

    def parse(_b: int, seq: list[int]) -> Node | None:
        try:
            return decode(OUT_VOCAB.decode(seq), FLOATS)
        except (ValueError, KeyError):
            return None

    problem = CandidateProblem(parse=parse, key=lambda tree: tree.infix(), valid=lambda t: t.variables() <= {"x_0"},
                               score=lambda tree: r2_score(y, tree.evaluate(X), clip=None))
    settings = DecodingSettings(n_candidates=40, temperature=1.0, seed=0)
    ranked = search_candidates(model, ids, mask, settings, problem)
    raw = [parse(0, seq) for seq in decode_sequences(model, ids, mask, settings)[0]]
    n_valid = len({t.infix() for t in raw if t is not None and t.variables() <= {"x_0"}})
    assert 1 < n_valid < 40 and any(t is None for t in raw)  # the loop has something to drop and merge
    assert len(ranked) == n_valid and len({c.prediction.infix() for c in ranked}) == len(ranked)
    assert ranked[0].score == pytest.approx(1.0)  # sin(x_0), the law of the data, is among the samples
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    for c in ranked:
        assert c.prediction.variables() <= {"x_0"} and 0 <= c.order < 40
        want = r2_score(y, c.prediction.evaluate(X), clip=None)
        assert c.score == want or (math.isnan(c.score) and math.isnan(want))
    with pytest.raises(ValueError, match="parse function"):
        search_candidates(model, ids, mask, settings, CandidateProblem(key=str, score=len))
