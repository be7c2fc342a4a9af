"""Claims: checks can fail, declared non-reproductions are strict, failures raise."""
from __future__ import annotations

import math

import pytest

from paper_code.common import claims as K


def test_checks_can_fail():
    assert K.less_than(1)(0.5) and not K.less_than(1)(1.0) and not K.less_than(1)(math.nan)
    assert K.greater_than(0)(1e-9) and not K.greater_than(0)(0)
    assert K.between(0, 1)(0.5) and not K.between(0, 1)(1.0) and K.between(0, 1, inclusive=True)(1.0)
    assert K.close_to(-1 / 3, atol=0.01)(-0.33) and not K.close_to(-1 / 3, atol=0.01)(-0.3)
    assert K.close_to(100, rtol=0.1)(109) and not K.close_to(100, rtol=0.1)(111)
    assert K.is_true()(True) and not K.is_true()(1) and not K.is_true()(False)
    assert K.monotonic()([1, 2, 3]) and not K.monotonic()([1, 1, 2]) and K.monotonic(strict=False)([1, 1, 2])
    assert K.monotonic(increasing=False)([3, 2, 1]) and not K.monotonic()([3]) and not K.monotonic()("abc")
    assert K.all_true()([True, True]) and not K.all_true()([True, False]) and not K.all_true()([])
    assert not K.less_than(1)(True), "booleans are not numbers"
    with pytest.raises(ValueError):
        K.between(1, 0)
    with pytest.raises(ValueError):
        K.close_to(1.0)


CLAIMS = [
    K.Claim("A", "energy goes below threshold", "energy", K.less_than(-0.9), paper_value=-0.94),
    K.Claim("B", "best beta in (0, 1)", "best_beta", K.between(0, 1), paper_value="0 < beta* < 1"),
    K.Claim("C", "network ordering", "ordered", K.is_true(), not_reproduced={"quick": "too few steps"}),
]


def test_report_statuses_and_markdown():
    rep = K.evaluate_claims("p", CLAIMS, {"energy": -0.95, "best_beta": 0.5, "ordered": False}, "quick")
    assert rep.ok
    assert [r.status for r in rep.results] == ["reproduced", "reproduced", "not reproduced (declared)"]
    rep.raise_if_failed()
    md = rep.to_markdown()
    assert "| A: energy goes below threshold | -0.94 | -0.95 | < -0.9 | reproduced |" in md
    # at paper scale nothing is declared, so C must pass
    rep_paper = K.evaluate_claims("p", CLAIMS, {"energy": -0.95, "best_beta": 0.5, "ordered": False}, "paper")
    assert not rep_paper.ok


def test_failing_claim_raises_with_details():
    rep = K.evaluate_claims("p", CLAIMS, {"energy": -0.5, "best_beta": 1.2, "ordered": False}, "quick")
    with pytest.raises(K.ClaimFailure) as info:
        rep.raise_if_failed()
    msg = str(info.value)
    assert "2 claim(s) of p at scale quick" in msg and "A: FAILED" in msg and "B: FAILED" in msg


def test_unexpected_pass_and_missing_metric_fail():
    rep = K.evaluate_claims("p", CLAIMS, {"energy": -0.95, "best_beta": 0.5, "ordered": True}, "quick")
    assert rep.results[2].status.startswith("UNEXPECTED PASS")
    with pytest.raises(K.ClaimFailure, match="C: UNEXPECTED PASS"):
        rep.raise_if_failed()
    rep = K.evaluate_claims("p", CLAIMS[:1], {}, "quick")
    with pytest.raises(K.ClaimFailure, match="metric 'energy' missing"):
        rep.raise_if_failed()


def test_duplicate_ids_rejected():
    with pytest.raises(ValueError, match="duplicate claim ids"):
        K.evaluate_claims("p", [CLAIMS[0], CLAIMS[0]], {"energy": 0}, "quick")
