"""The recurrence estimator on the tiny trained model: fit / predict / score, errors, scikit-learn parameters."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from paper_code.recurrence.estimator import RecurrenceRegressor, recurrence_str
from paper_code.recurrence.inference import fit_to_observed, roll_forward
from paper_code.symbolic.encoding import decode

SQUARES = [k * k for k in range(1, 13)]


@pytest.fixture(scope="module")
def cfg(trained):
    return trained[0]


def test_fit_predict_score(cfg):
    est = RecurrenceRegressor(config=cfg).fit(np.array(SQUARES))
    assert est.equations_str_[0].startswith("u_n = ")
    ranked = est.candidates_
    assert ranked and [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    assert est.fit_ == ranked[0].score == est.score() == fit_to_observed(est.trees_[0], SQUARES)
    expected = roll_forward(est.trees_[0], SQUARES, 3)
    if expected is None:
        with pytest.raises(ValueError, match="no exact integer value"):
            est.predict(3)
    else:
        assert est.predict(3) == expected


def test_errors_name_what_is_wrong(cfg):
    est = RecurrenceRegressor(config=cfg)
    with pytest.raises(NotFittedError):
        est.predict(2)
    with pytest.raises(TypeError, match="integers only"):
        est.fit([1, 2, 3.5, 4])
    with pytest.raises(TypeError, match="sequence of integers"):
        est.fit("1,2,3")
    with pytest.raises(ValueError, match="at least 3 terms"):
        est.fit([1, 2])
    with pytest.raises(ValueError, match="reads at most"):
        est.fit([10**90] * 5)
    est.fit(SQUARES)
    with pytest.raises(ValueError, match="positive integer"):
        est.predict(0)


def test_sklearn_parameters_and_printing(cfg):
    est = RecurrenceRegressor(config=cfg, beam_size=2, n_candidates=2)
    assert clone(est).get_params()["beam_size"] == 2
    assert recurrence_str(decode("add x_0_1 mul n x_0_2".split())) == "u_n = n*u_{n-2} + u_{n-1}"
