"""Experiment helpers (asymmetry, curve features), presets and config validation."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.config import ConfigError, resolve_config
from paper_code.random_features import experiments as X

PAPER = "random_features_phase_space"


def test_asymmetry_ratio_of_symmetric_and_tilted_grids():
    g = np.random.default_rng(0).uniform(0.1, 1.0, (6, 6))
    assert X.asymmetry_ratio(g + g.T) == pytest.approx(1.0)
    # E[P index, N index]: error falls twice as fast with N as with P -> data wins
    i = np.arange(6)
    err = 0.5 ** (0.5 * i[:, None] + 1.0 * i[None, :])
    r = X.asymmetry_ratio(err)
    assert r > 1
    # every pair (a < b) has ratio 0.5^(0.5 b + a) / 0.5^(0.5 a + b) = 2^(0.5 (b - a)); mean of b - a over pairs is 7/3
    assert r == pytest.approx(2 ** (0.5 * 7 / 3))
    lr = X.swap_log_ratio(err)
    np.testing.assert_allclose(lr, -lr.T)


def test_asymmetry_rejects_bad_grids():
    with pytest.raises(ValueError, match="square"):
        X.asymmetry_ratio(np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite and > 0"):
        X.asymmetry_ratio(np.zeros((3, 3)))


def test_steepest_drop_and_bump_finder():
    psi = np.logspace(-3, 3, 121)
    err = 1.0 / (1.0 + (psi / 0.01) ** 2)  # logistic in log psi: steepest at psi = 0.01
    assert X.steepest_drop(psi, err) == pytest.approx(0.01, rel=0.13)
    err2 = err + 0.2 * np.exp(-((np.log10(psi) - 1) ** 2) / 0.1)  # a bump near psi = 10
    assert X.steepest_drop(psi, err2, max_psi=1.0) == pytest.approx(0.01, rel=0.13)
    pmin, emin, pmax, emax = X.first_min_then_max(psi, err2)
    assert pmin < pmax and emin < emax and 3 < pmax < 30
    assert all(np.isnan(X.first_min_then_max(psi, err)))


def test_double_descent_and_rphi_runs_are_consistent():
    cfg = resolve_config(PAPER, "quick")
    dd = X.double_descent_metrics(X.run_double_descent(cfg))
    assert dd["dd_max_abs_log10_peak_offset"] <= dd["dd_resolution_decades"]
    m = X.rphi_metrics(X.run_rphi(cfg))
    assert len(m["rphi_steepest_drop_log10_offsets"]) == 2 * len(cfg.rphi_values)
    assert m["rphi_solver_max_change"] < 1e-9


def test_presets_resolve():
    quick, paper = resolve_config(PAPER, "quick"), resolve_config(PAPER, "paper")
    assert paper.nn_widths[0] == 2 and paper.nn_widths[-1] == 512 and len(paper.nn_widths) == 15
    assert paper.nn_sizes[0] == 128 and paper.nn_sizes[-1] == 32768
    assert paper.sim_d >= quick.sim_d and paper.nn_epochs == 3000


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"ps_r_x_values": [100.0, 0.01, 10.0]}, "ps_r_x_values: must include 1.0"),
        ({"ps_noises": [0.1, 0.3]}, "ps_noises: must include 0.0"),
        ({"curve_points": 31}, "curve_points: theory step must be <= 0.1 decade"),
        ({"sim_d": 105}, "sim_d: D / curve_r_phi must be a whole number"),
        ({"nn_widths": [4, 8, 16]}, "nn_widths: needs as many entries as nn_sizes"),
        ({"nn_datasets": ["imagenet"]}, "nn_datasets: 'imagenet' is not a valid choice"),
        ({"nn_d": 99}, "nn_d: must be a perfect square"),
        ({"ps_activation": "gelu"}, "ps_activation: 'gelu' is not a valid choice"),
        ({"nn_sizes": [250, 500, 1000, 2000, 4500]}, "the MNIST subset leaves 4000 training images"),
        ({"sim_seeds": 1}, "sim_seeds: 1 is out of range"),
        ({"fs_d_values": [200, 100]}, "fs_d_values: must be strictly increasing"),
    ],
)
def test_cross_field_and_range_errors(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config(PAPER, "quick", overrides)
    assert fragment in str(info.value)
