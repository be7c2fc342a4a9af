"""The paper's claims: each check passes on a value that satisfies its statement and fails otherwise."""

import pytest

from paper_code.common.claims import evaluate_claims
from paper_code.langevin.claims import CLAIMS, interval_above, jump_times_increasing, rate_consistent_with


def test_interval_above():
    check = interval_above(0.0)
    assert check([0.01, 0.02, 0.05])
    assert not check([-0.01, 0.02, 0.05])  # the interval reaches 0: not shown
    assert not check([0.03, 0.02, 0.05])  # not an ordered interval
    assert not check([None, 0.02, 0.05]) and not check(0.02)


def test_rate_consistent_with_mean_field_rate():
    check = rate_consistent_with(1.0)
    assert check([0.7, 1.05, 1.4])
    assert not check([-0.2, 0.1, 0.4])  # a gap that does not shrink (a bias that no N removes)
    assert not check([1.2, 1.5, 1.8])  # shrinks, but faster than the theory's rate
    assert not check([-0.5, 0.9, 2.3])  # too uncertain to say it shrinks


@pytest.mark.parametrize(
    "values, ok",
    [
        ([12.7, 15.4, 19.3, None, None], True),
        ([12.7, 15.4, 19.3, 25.0], True),
        ([12.7, 15.4, None, None], False),  # two jumps are not a trend
        ([12.7, None, 19.3, 25.0, None], False),  # a larger beta jumps after a smaller one did not
        ([12.7, 19.3, 15.4, 30.0], False),  # not increasing
        ([12.7, 12.7, 15.0], False),  # strictly
        ([None, None, None], False),
    ],
)
def test_jump_times_increasing(values, ok):
    assert jump_times_increasing()(values) is ok


def test_every_claim_fails_on_a_value_that_contradicts_it():
    """No check passes on everything: each has a counter-example among plausible wrong values."""
    wrong = {
        "pure_p3_freeze_margin": -0.01, "pure_p3_min_gap_to_threshold": -0.01, "pure_p3_best_beta": 1.2,
        "pure_p2_best_beta": 0.0, "pure_p3_constant_rate_energy_extrapolated": -0.30,
        "spiked_jump_time": [20.0, 15.0, 30.0], "spiked_jump_time_alt": [20.0, None, 30.0],
        "protocol_error_ratio_next_best_over_switch_1_over_t": 0.9, "protocol_slope_after_switch_beta1": -0.5,
        "protocol_slope_after_switch_beta0.5": -1.0, "protocol_slope_after_switch_beta2": -0.5,
        "sim_sk_gap_exponent_ci": [-0.1, 0.05, 0.2], "sim_sk_dt_bias_order": 0.5,
        "sim_spiked_gap_exponent_ci": [-0.1, 0.05, 0.2], "gap_excess_ratio_beta1_over_beta05": 1.5,
        "net_margin_ci_closest": [-0.001, 0.002, 0.005], "net_plateau_delay_beta1_vs_constant": 0.0,
    }
    assert {c.metric for c in CLAIMS} == set(wrong)
    report = evaluate_claims("lr_schedule_langevin", CLAIMS, wrong, "quick", mode="exploratory")
    assert [r.id for r in report.results if r.passed] == []
