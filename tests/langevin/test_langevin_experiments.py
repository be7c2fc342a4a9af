"""Experiment helpers and the paper's presets."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.config import ConfigError, resolve_config
from paper_code.langevin.experiments import loglog_slope, plateau_exit_time


@pytest.mark.parametrize("exponent", [-1.0, -0.5, 0.0, 0.7])
def test_loglog_slope_recovers_power_laws(exponent):
    t = np.linspace(0.01, 200, 20_001)
    assert loglog_slope(t, 3.0 * t**exponent, 10.0, 200.0) == pytest.approx(exponent, abs=1e-6)


def test_loglog_slope_rejects_bad_windows_and_flags_non_positive():
    t = np.linspace(0, 10, 101)
    with pytest.raises(ValueError, match="0 < t_from < t_to"):
        loglog_slope(t, t, 5.0, 1.0)
    assert np.isnan(loglog_slope(t, t - 5.0, 1.0, 10.0))


def test_plateau_exit_time_and_censoring():
    t = np.arange(10.0)
    assert plateau_exit_time(t, np.array([1, 0.8, 0.5, 0.3, 0.09, 0.05, 0.04, 0.03, 0.02, 0.01])) == 4.0
    assert np.isnan(plateau_exit_time(t, np.full(10, 0.5)))


def test_presets_resolve():
    quick = resolve_config("lr_schedule_langevin", "quick")
    paper = resolve_config("lr_schedule_langevin", "paper")
    assert paper.gap_n == 3000 and paper.net_d == 500, "paper preset uses the reference code's sizes"
    assert quick.dmft_t_max <= paper.dmft_t_max


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"betas": [0.2, 0.5, 0.9]}, "lr_schedule_langevin.betas: must include values below and above 1"),
        ({"protocol_betas": [0.5, 2.0]}, "protocol_betas: must include 1.0"),
        ({"spiked_h": 0.2}, "spiked_h: 0.2 is out of range; valid: > 0 and <= 0.15"),
        ({"net_t_switch": 500.0}, "net_t_switch: must be < net_t_max"),
        ({"spiked_p": 5}, "spiked_p: 5 is not a valid choice; valid: 3, 4"),
        ({"convergence_t_max": 1e4}, "convergence_t_max: must be <= dmft_t_max"),
        ({"sim_delta2": 1.5}, "sim_delta2: 1.5 is out of range; valid: > 0 and < 1"),
    ],
)
def test_cross_field_and_range_errors(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config("lr_schedule_langevin", "quick", overrides)
    assert fragment in str(info.value)
