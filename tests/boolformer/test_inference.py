"""Boolformer inference: parsing, fit accuracy, ranking through the core's candidate loop, per-output fits."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.boolformer import inference as Inf
from paper_code.boolformer.data import output_vocabulary
from paper_code.boolformer.formulas import all_inputs
from paper_code.symbolic.candidates import DecodingSettings
from paper_code.symbolic.encoding import encode
from paper_code.symbolic.expressions import Node, op, var

VOCAB = output_vocabulary(3)


def _ids(tree):
    return VOCAB.encode(encode(tree))


def test_parse_keeps_only_boolean_formulas_over_the_inputs():
    good = op("and", var(0), op("not", var(2)))
    assert Inf.parse_formula(_ids(good), VOCAB, 3).prefix() == good.prefix()
    assert Inf.parse_formula(_ids(good), VOCAB, 2) is None  # x_2 is not an input of a 2-column model
    assert Inf.parse_formula(_ids(good)[:-1], VOCAB, 3) is None  # truncated prefix
    assert Inf.parse_formula(_ids(Node(1)), VOCAB, 3).prefix() == [1]
    assert not Inf.is_boolean_formula(op("add", var(0), var(1)), 3)


def test_fit_accuracy():
    X = all_inputs(2)
    y = np.array([0, 1, 1, 1], dtype=np.uint8)  # x_0 or x_1
    assert Inf.fit_accuracy(op("or", var(0), var(1)), X, y) == 1.0
    assert Inf.fit_accuracy(var(0), X, y) == 0.75


def test_ranking_prefers_fit_then_fewer_gates_and_merges_duplicates():
    X = all_inputs(3)
    target = op("or", var(0), var(1))
    y = Inf.evaluate_rows(target, X)
    long_equal = op("not", op("and", op("not", var(0)), op("not", var(1))))  # same function, more gates
    wrong = var(2)
    problem = Inf.boolean_problem(X, y)
    ranked = problem.rank([wrong, long_equal, None, target, target.copy()])
    assert [c.prediction.prefix() for c in ranked] == [target.prefix(), long_equal.prefix(), wrong.prefix()]
    assert ranked[0].score == 1.0 and ranked[0].order == 3


class _Scripted(torch.nn.Module):
    """Stands in for the seq2seq model: ``sample`` returns fixed sequences (<EOS> ids <EOS> <PAD>…)."""

    eos_id, pad_id = VOCAB.eos_id, VOCAB.pad_id

    def __init__(self, trees):
        super().__init__()
        self.trees = trees

    def sample(self, ids, mask, temperature, n_samples, generator, use_cache):
        rows = [[self.eos_id, *(t if isinstance(t, list) else _ids(t)), self.eos_id] for t in self.trees][:n_samples]
        width = max(map(len, rows))
        return torch.tensor([r + [self.pad_id] * (width - len(r)) for r in rows] * ids.shape[0])


def test_method_ranks_decoded_candidates_and_answers_constants_directly():
    X = all_inputs(3)
    target = op("and", var(0), var(2))
    y = Inf.evaluate_rows(target, X)
    truncated = _ids(op("and", var(0), var(1)))[:-1]  # does not parse
    m = Inf.BoolformerMethod(_Scripted([var(1), target, truncated]), VOCAB, 3,
                             DecodingSettings(n_candidates=3, temperature=1.0))
    ranked = m.candidates(X, y)
    assert ranked[0].prediction.prefix() == target.prefix() and len(ranked) == 2  # the truncated one is dropped
    two = m.fit(X, np.stack([y, np.zeros(8, np.uint8)], axis=1))  # one decoding per output column
    assert two[0].prefix() == target.prefix() and two[1].prefix() == [0]
    with pytest.raises(ValueError, match="input columns exceed the model's 3"):
        m.candidates(all_inputs(4), np.zeros(16))
    none = Inf.BoolformerMethod(_Scripted([truncated]), VOCAB, 3, DecodingSettings(n_candidates=1))
    with pytest.raises(RuntimeError, match="no valid formula"):
        none.fit(X, y)
