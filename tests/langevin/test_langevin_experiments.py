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


def test_ladder_fields_are_checked():
    with pytest.raises(ConfigError, match="ladder_samples: needs one entry per ladder_n"):
        resolve_config("lr_schedule_langevin", "quick", {"ladder_n": [100, 200, 400, 800]})
    with pytest.raises(ConfigError, match="ladder_n: must be strictly increasing"):
        resolve_config("lr_schedule_langevin", "quick", {"ladder_n": [200, 100, 400]})


def test_freeze_extrapolation_recovers_the_energy_at_the_end_of_the_clock():
    """p = 2, T = 0: e(t) = F(tau(t)) exactly, so with beta = 2 (tau -> 1) the dynamics freezes at F(1)."""
    from paper_code.langevin import exact
    from paper_code.langevin.experiments import freeze_extrapolation
    from paper_code.langevin.schedules import PowerLaw

    t = np.linspace(0.0, 100.0, 2001)
    e = exact.sk_zero_temperature_energy(PowerLaw(1.0, 2.0).integral(t))
    e_inf, err, used = freeze_extrapolation(t, e, 2.0)
    assert used == pytest.approx(1 - 1 / 101)
    truth = float(exact.sk_zero_temperature_energy(np.array([1.0]))[0])
    assert abs(e_inf - truth) < 1e-4 and err < 1e-3
    assert e[-1] - truth > 1e-3  # the last point alone is not e(inf)
    # far from the end of the clock (beta = 1.05 keeps 80% of it) the extrapolation says it does not know
    e_slow = exact.sk_zero_temperature_energy(PowerLaw(1.0, 1.05).integral(t))
    _, err_slow, used_slow = freeze_extrapolation(t, e_slow, 1.05)
    assert used_slow < 0.25 and err_slow > 10 * err
    with pytest.raises(ValueError, match="finite only for beta > 1"):
        freeze_extrapolation(t, e, 1.0)


def test_network_metrics_state_the_claim_over_the_seed_mean():
    """The margin interval is a paired t interval over seeds; the per-seed winner fraction is reported."""
    from types import SimpleNamespace

    from paper_code.langevin.experiments import network_metrics
    from paper_code.langevin.stats import mean_ci

    t = np.arange(20.0)
    final = np.array([[0.030, 0.025, 0.040, 0.020, 0.035],   # constant
                      [0.009, 0.060, 0.015, 0.050, 0.008],   # beta = 0.5: wins 2 seeds of 5, worse on average
                      [0.010, 0.011, 0.012, 0.013, 0.014]])  # constant then 1/t (last, as in network_schedules)
    eg = np.repeat(final[:, :, None], t.size, axis=2)
    res = SimpleNamespace(t=t, eg=eg, labels=("constant", "beta=0.5", "switch"),
                          final=lambda: eg[:, :, -2:].mean(axis=(1, 2)))
    m = network_metrics(res)
    assert m["net_switch_best_fraction_of_seeds"] == pytest.approx(0.6)
    assert m["net_closest_schedule"] == "beta=0.5"
    assert m["net_margin_ci_closest"] == pytest.approx(mean_ci(final[1] - final[2]).as_list())
    assert m["net_margin_ci_closest"][0] < 0  # 3 seeds of 5 do not make the claim: the interval says so


def test_ladder_and_diagnosis_wiring():
    """Small sizes: both references are applied to the same samples, and each variant changes one setting."""
    from paper_code.langevin import exact
    from paper_code.langevin.experiments import (
        DIAGNOSIS_VARIANTS,
        _finite_n_schedules,
        diagnosis_metrics,
        ladder_metrics,
        run_ladder,
        run_sk_diagnosis,
    )

    cfg = resolve_config("lr_schedule_langevin", "quick", {
        "ladder_n": [40, 80, 160], "ladder_samples": [6, 6, 6], "sim_dt": 0.1, "sim_t_max": 4.0, "sim_n": 60,
        "diag_samples": 4})
    lad = run_ladder(cfg)
    # sim - scheme limit and sim - continuous theory differ by the same deterministic curve for every sample
    scheds = _finite_n_schedules(cfg.eta0)
    t = lad.sk[0].t
    scheme = np.stack([exact.matrix_scheme_limit(cfg.sim_temperature, s, 0.1, 4.0)[1][:: int(round(t[1] / 0.1))]
                       for s in scheds])
    cont = np.stack([exact.sk_energy(cfg.sim_temperature, s, 4.0, h=0.025)[1][:: int(round(t[1] / 0.025))]
                     for s in scheds])
    offset = (scheme - cont)[:, t >= t[-1] / 2].mean()
    for a, b in zip(lad.sk_continuous, lad.sk):
        np.testing.assert_allclose(a.late - b.late, offset, atol=1e-12)
    m = ladder_metrics(lad)
    assert m["sim_sk_gap_exponent_ci"][0] <= m["sim_sk_gap_exponent"] <= m["sim_sk_gap_exponent_ci"][2]
    assert len(m["sim_spiked_ladder_gap"]) == 3 and m["ladder_m0"] == cfg.ladder_m0
    rows = run_sk_diagnosis(cfg)
    by = {r["variant"]: r for r in rows}
    assert tuple(by) == DIAGNOSIS_VARIANTS
    base = by["baseline"]
    for name, changed in (("dt / 2", "dt"), ("dt / 4", "dt"), ("theory h / 4", "theory h"), ("horizon x 2", "horizon")):
        assert [k for k in ("dt", "theory h", "horizon") if by[name][k] != base[k]] == [changed]
    # the h variant reuses the baseline simulation: only the theory (and so the gap) moves, not the scheme's bias
    assert by["theory h / 4"]["scheme bias"] == base["scheme bias"]
    assert abs(by["theory h / 4"]["theory h bias"]) < abs(base["theory h bias"]) / 4
    dm = diagnosis_metrics(rows)
    assert 0.8 < dm["sim_sk_dt_bias_order"] < 1.2  # Euler-Maruyama: first order
