"""Success of a continuation: exact and tolerance accuracies on Python integers."""
from __future__ import annotations

import math

import pytest

from paper_code.recurrence import scoring as S


def test_relative_error_is_exact_on_huge_integers():
    y = 10**30 + 1
    assert S.relative_error(y, y) == 0.0
    assert S.relative_error(10**30, y) == pytest.approx(1e-30)  # float64 could not tell them apart
    assert S.relative_error(1, 0) == math.inf and S.relative_error(0, 0) == 0.0
    assert S.relative_error(10**400, 1) == math.inf


def test_correct_by_horizon_and_tolerance():
    true = (100, 200, 300)
    assert S.correct((100, 200, 300), true, 3)
    assert S.correct((100, 201, 300), true, 1) and not S.correct((100, 201, 300), true, 2)
    assert S.correct((100, 201, 300), true, 3, tol=0.01) and not S.correct((100, 201, 300), true, 3, tol=0.001)
    assert not S.correct(None, true, 1) and not S.correct((100,), true, 2)
    with pytest.raises(ValueError, match="horizon"):
        S.correct((1, 2, 3), true, 4)
    with pytest.raises(ValueError, match="tol"):
        S.correct((1, 2, 3), true, 1, tol=-1)


def test_accuracy_counts_fractions():
    trues = [(1, 2), (3, 4), (5, 6), (7, 8)]
    preds = [(1, 2), (3, 5), None, (7, 8)]
    assert S.accuracy(preds, trues, 2) == 0.5 and S.accuracy(preds, trues, 1) == 0.75
    with pytest.raises(ValueError, match="predictions"):
        S.accuracy(preds[:2], trues, 1)
    assert S.TOLERANCES[0] == 0.0 and list(S.TOLERANCES) == sorted(S.TOLERANCES)
