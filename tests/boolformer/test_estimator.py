"""The Boolformer estimator on the tiny trained model (fit / predict / score, errors, scikit-learn parameters), and
the row-order invariance and batch independence of the trained model's decoding."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from paper_code.boolformer.estimator import Boolformer
from paper_code.boolformer.formulas import all_inputs, evaluate_rows
from paper_code.boolformer.inputs import row_tokens
from paper_code.symbolic.candidates import decode_sequences

X2 = all_inputs(2)
AND = (X2[:, 0] & X2[:, 1]).astype(np.uint8)
OR = (X2[:, 0] | X2[:, 1]).astype(np.uint8)


@pytest.fixture(scope="module")
def cfg(trained):
    return trained[0]


def test_fit_one_output(cfg):
    est = Boolformer(config=cfg).fit(X2, AND)
    assert len(est.trees_) == 1 and est.n_outputs_ == 1 and est.n_features_in_ == 2
    assert est.equations_str_[0].startswith("y = ")
    pred = est.predict(X2)
    assert pred.shape == (4,) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, evaluate_rows(est.trees_[0], X2))
    score = est.score(X2, AND)
    assert 0.0 <= score <= 1.0 and score == pytest.approx(np.mean(pred == AND))
    assert len(est.fitting_error_) == 1
    assert est.fitting_error_[0] == pytest.approx(1.0 - score)  # the fit rows are the whole table here
    ranked = est.candidates_per_output_[0]
    assert ranked and ranked[0].prediction is est.trees_[0]
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_fit_several_outputs_and_a_constant_one(cfg):
    Y = np.stack([AND, OR, np.ones(4, np.uint8)], axis=1)
    est = Boolformer(config=cfg).fit(X2, Y)
    assert est.n_outputs_ == 3 and len(est.fitting_error_) == 3
    assert [s.split(" = ")[0] for s in est.equations_str_] == ["y_0", "y_1", "y_2"]
    pred = est.predict(X2)
    assert pred.shape == (4, 3)
    for k in range(3):
        np.testing.assert_array_equal(pred[:, k], evaluate_rows(est.trees_[k], X2))
        assert est.fitting_error_[k] == pytest.approx(1.0 - np.mean(pred[:, k] == Y[:, k]))
    assert est.trees_[2].prefix() == [1] and est.fitting_error_[2] == 0.0  # a constant needs no model
    assert 0.0 <= est.score(X2, Y) <= 1.0
    assert est.score(X2, Y) == pytest.approx(np.mean(pred == Y))


@pytest.mark.parametrize("value", [0, 1])
def test_a_constant_output_is_answered_with_that_constant(cfg, value):
    y = np.full(4, value, dtype=np.uint8)
    est = Boolformer(config=cfg).fit(X2, y)
    assert est.trees_[0].prefix() == [value] and est.fitting_error_ == (0.0,)
    X_new = all_inputs(2)[[3, 0, 1]]
    np.testing.assert_array_equal(est.predict(X_new), np.full(3, value))
    assert est.score(X2, y) == 1.0


def test_input_errors(cfg):
    est = Boolformer(config=cfg)
    with pytest.raises(ValueError, match="X must hold only 0/1"):
        est.fit(X2 * 2, AND)
    with pytest.raises(ValueError, match="y must hold only 0/1"):
        est.fit(X2, AND + 1)
    with pytest.raises(ValueError, match="n = 4 rows"):
        est.fit(X2, AND[:3])
    with pytest.raises(ValueError, match="2-D table"):
        est.fit(AND, AND)
    with pytest.raises(ValueError, match="select_features"):
        est.fit(all_inputs(4), all_inputs(4)[:, 0])  # the tiny noiseless model reads 3 columns
    with pytest.raises(NotFittedError):
        est.predict(X2)
    est.fit(X2, AND)
    with pytest.raises(ValueError, match="fitted on 2"):
        est.predict(all_inputs(3))
    with pytest.raises(ValueError, match="model='big' is invalid"):
        Boolformer(model="big", config=cfg).fit(X2, AND)


def test_sklearn_params_and_clone(cfg):
    est = Boolformer(config=cfg, n_candidates=3, temperature=0.0, seed=2)
    params = est.get_params()
    assert params["config"] is cfg and params["n_candidates"] == 3 and params["model"] == "noiseless"
    copy = clone(est)
    assert copy is not est and copy.get_params().keys() == params.keys()
    assert {k: v for k, v in copy.get_params().items() if k != "config"} == {
        k: v for k, v in params.items() if k != "config"}
    assert copy.config == cfg
    copy.set_params(temperature=0.3)
    assert copy.temperature == 0.3 and est.temperature == 0.0
    settings = est._method().settings
    assert (settings.n_candidates, settings.temperature, settings.seed) == (3, 0.0, 2) and settings.greedy
    assert Boolformer(config=cfg)._method().settings.n_candidates == cfg.n_candidates  # None: the config's
    est.fit(X2, OR)
    assert not hasattr(clone(est), "trees_")


# --------------------------------------------------------------------------- invariance of the trained model

PROBLEMS = [(all_inputs(3), np.array(t, dtype=np.uint8)) for t in (
    [1, 1, 1, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1, 1, 0], [0, 1, 0, 1, 0, 0, 0, 1])]
PROBLEMS += [(X2, OR), (X2, AND), (all_inputs(1), np.array([0, 1], np.uint8)), (X2, np.zeros(4, np.uint8))]


def _summary(ranked):
    return [(c.prediction.prefix(), c.score) for c in ranked]


def test_greedy_decoding_ignores_the_order_of_the_rows(methods):
    greedy = methods["greedy"]
    rng = np.random.default_rng(0)
    found = 0
    for X, y in PROBLEMS:
        p = rng.permutation(len(y))
        if np.array_equal(p, np.arange(len(y))):
            p = p[::-1].copy()
        a, b = greedy.candidates(X, y), greedy.candidates(X[p], y[p])
        assert _summary(a) == _summary(b)
        found += bool(a)
        ids = torch.from_numpy(np.stack([row_tokens(X, y, greedy.n_inputs), row_tokens(X[p], y[p], greedy.n_inputs)]))
        raw = decode_sequences(greedy.model, ids, None, greedy.settings)
        assert raw[0] == raw[1]  # the token sequences themselves, parsed or not
    assert found >= 3  # the comparison is on real formulas, not only on empty lists


def test_batched_decoding_equals_one_problem_at_a_time(methods):
    greedy = methods["greedy"]
    one_by_one = [_summary(greedy.candidates(X, y)) for X, y in PROBLEMS]
    assert [_summary(r) for r in greedy.candidates_many(PROBLEMS)] == one_by_one  # padded to 8 rows, masked
    assert [_summary(r) for r in greedy.candidates_many(PROBLEMS, chunk=3)] == one_by_one
    assert one_by_one[-1] == [([0], 1.0)]
    assert greedy.candidates_many([]) == []
    with pytest.raises(ValueError, match="exceed the model's 3"):
        greedy.candidates_many([(all_inputs(4), np.zeros(16, np.uint8))])
