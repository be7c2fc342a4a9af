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


def test_unexpected_pass_fails():
    rep = K.evaluate_claims("p", CLAIMS, {"energy": -0.95, "best_beta": 0.5, "ordered": True}, "quick")
    assert rep.results[2].status.startswith("UNEXPECTED PASS")
    with pytest.raises(K.ClaimFailure, match="C: UNEXPECTED PASS"):
        rep.raise_if_failed()


def test_missing_metric_is_an_error_naming_claim_and_close_keys():
    for mode in K.MODES:  # a mistake in the notebook, not an outcome: raises in both modes
        with pytest.raises(K.ClaimError,
                           match=r"claim A of p: metric 'energy' was not recorded \(close matches: 'energy_fin"):
            K.evaluate_claims("p", CLAIMS[:1], {"energy_final": -1.0, "beta": 0.3}, "quick", mode=mode)
    with pytest.raises(K.ClaimError, match="not recorded; record it"):
        K.evaluate_claims("p", CLAIMS[:1], {}, "quick")


def test_reasons_take_numbers_from_the_metrics():
    claim = K.Claim("Z", "z small", "max_z", K.less_than(4),
                    not_reproduced={"quick": "max |z| = {max_z:.2f} at D = {dim} > 4"})
    rep = K.evaluate_claims("p", [claim], {"max_z": 13.6789, "dim": 400}, "quick")
    assert rep.results[0].note == "max |z| = 13.68 at D = 400 > 4" and rep.ok
    assert rep.to_records()[0]["note"] == "max |z| = 13.68 at D = 400 > 4"
    # a non-finite metric (stored as None) renders as nan; literal braces are escaped by doubling
    claim_nan = K.Claim("N", "n", "max_z", K.less_than(4), not_reproduced={"quick": "{{z}} = {max_z:.1f}"})
    assert K.evaluate_claims("p", [claim_nan], {"max_z": None}, "quick").results[0].note == "{z} = nan"
    # at a scale where the claim is not declared, the reason is not used
    assert K.evaluate_claims("p", [claim], {"max_z": 1.0, "dim": 400}, "paper").results[0].note == ""


def test_bad_placeholders_are_errors():
    claim = K.Claim("Z", "z", "max_z", K.less_than(4), not_reproduced={"quick": "z = {max_zz:.2f}"})
    msg = (r"claim Z \(not_reproduced\['quick'\]\): placeholder \{max_zz\} names no recorded metric "
           r"\(close matches: 'max_z'\)")
    with pytest.raises(K.ClaimError, match=msg):
        K.evaluate_claims("p", [claim], {"max_z": 5.0}, "quick")
    bad_format = K.Claim("L", "l", "xs", K.monotonic(), not_reproduced={"quick": "xs = {xs:.2f}"})
    with pytest.raises(K.ClaimError, match="cannot fill"):
        K.evaluate_claims("p", [bad_format], {"xs": [3, 2]}, "quick")
    with pytest.raises(ValueError, match="must name a metric key"):
        K.Claim("P", "p", "x", K.is_true(), not_reproduced={"quick": "value {} or {0}"})
    with pytest.raises(ValueError, match="bad placeholder syntax"):
        K.Claim("P", "p", "x", K.is_true(), not_reproduced={"quick": "unclosed {x"})


def test_exploratory_mode_reports_and_never_raises():
    metrics = {"energy": -0.5, "best_beta": 0.5, "ordered": True}  # A fails, C passes against its declaration
    rep = K.evaluate_claims("p", CLAIMS, metrics, "quick", mode=K.EXPLORATORY)
    assert [r.status for r in rep.results] == ["failed (exploratory)", "passed (exploratory)", "passed (exploratory)"]
    assert not rep.ok and rep.mode == "exploratory"
    rep.raise_if_failed()  # reported, not enforced
    assert "exploratory run" in rep._repr_markdown_()
    with pytest.raises(K.ClaimFailure):  # the same outcomes fail at the committed presets
        K.evaluate_claims("p", CLAIMS, metrics, "quick").raise_if_failed()
    with pytest.raises(ValueError, match="claims mode 'lenient'"):
        K.evaluate_claims("p", CLAIMS, metrics, "quick", mode="lenient")
    assert K.claims_mode({}) == "enforced" and K.claims_mode(None) == "enforced"
    assert K.claims_mode({"seed": 1}) == "exploratory"


def test_claim_measured_at_some_scales_only():
    claim = K.Claim("H", "harder dataset", "hard_gain", K.greater_than(1), scales=("paper",))
    rep = K.evaluate_claims("p", [claim], {}, "quick")  # its metric is not required at quick scale
    assert rep.results[0].status == "not measured at this scale" and rep.ok
    rep.raise_if_failed()
    with pytest.raises(K.ClaimError, match="'hard_gain' was not recorded"):
        K.evaluate_claims("p", [claim], {}, "paper")
    assert not K.evaluate_claims("p", [claim], {"hard_gain": 0.5}, "paper").ok
    with pytest.raises(ValueError, match="outside scales"):
        K.Claim("H", "h", "g", K.is_true(), scales=("paper",), not_reproduced={"quick": "x"})


def test_duplicate_ids_rejected():
    with pytest.raises(ValueError, match="duplicate claim ids"):
        K.evaluate_claims("p", [CLAIMS[0], CLAIMS[0]], {"energy": 0}, "quick")
