"""Experiment helpers (asymmetry, curve features), presets and config validation."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.config import ConfigError, resolve_config
from paper_code.random_features import experiments as X

PAPER = "random_features_phase_space"


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
    assert paper.sim_d >= quick.sim_d and paper.fs_d_values[-1] > quick.fs_d_values[-1]
    assert paper.nn_epochs > quick.nn_epochs and paper.nn_seeds > quick.nn_seeds
    # offline sets at both scales: the MNIST subset for MNIST, Fashion-MNIST for CIFAR-10
    assert quick.nn_datasets == paper.nn_datasets == ("mnist_subset", "fashion_mnist")
    assert set(quick.ps_activations) == {"relu", "tanh"}


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"ps_r_x_values": [100.0, 0.01, 10.0]}, "ps_r_x_values: must include 1.0"),
        ({"ps_noises": [0.1, 0.3]}, "ps_noises: must include 0.0"),
        ({"ps_activations": ["gelu"]}, "ps_activations[0]: 'gelu' is not a valid choice"),
        ({"ps_activations": ["relu", "relu"]}, "ps_activations: must not repeat"),
        ({"curve_points": 31}, "curve_points: theory step must be <= 0.1 decade"),
        ({"sim_d": 105}, "sim_d: D / curve_r_phi must be a whole number"),
        ({"mu0_noises": [0.2]}, "mu0_noises: 0.2 is not one of curve_noises"),
        ({"curve_activation_classification": "tanh"}, "one of the curve activations must be 'relu'"),
        ({"nn_widths": [1, 2, 3]}, "nn_widths: parameters width*(nn_d+10) span 110..330"),
        ({"nn_datasets": ["imagenet", "mnist"]}, "nn_datasets[0]: 'imagenet' is not a valid choice"),
        ({"nn_datasets": ["mnist_subset"]}, "nn_datasets: needs two different sets"),
        ({"nn_d": 99}, "nn_d: must be a perfect square"),
        ({"nn_sizes": [250, 500, 1000, 2000, 4500]}, "the MNIST subset leaves 4000 training images"),
        ({"sim_seeds": 1}, "sim_seeds: 1 is out of range"),
        ({"fs_d_values": [200, 100, 400]}, "fs_d_values: must be strictly increasing"),
    ],
)
def test_cross_field_and_range_errors(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config(PAPER, "quick", overrides)
    assert fragment in str(info.value)


def test_phase_space_claims_read_the_worst_activation():
    cfg = resolve_config(PAPER, "quick", {"ps_points": 9})
    m = X.phase_space_metrics(X.run_phase_space(cfg))
    for t in ("cls", "reg"):
        for key in ("asym_isotropic_clean", "asym_isotropic_noisy", "asym_relevant_salient", "asym_gain_noise",
                    "asym_gain_salient"):
            vals = {act: m[f"ps_{t}_{act}_{key}"] for act in cfg.ps_activations}
            assert m[f"ps_{t}_{key}_min"] == min(vals.values()) and m[f"ps_{t}_{key}_max"] == max(vals.values())
            assert vals[m[f"ps_{t}_{key}_min_activation"]] == m[f"ps_{t}_{key}_min"]
        assert m[f"ps_{t}_weak_vs_strong_departure_max"] == max(m[f"ps_{t}_{a}_weak_vs_strong_departure"]
                                                                for a in cfg.ps_activations)


class _FakeGrid:
    """A network grid result with a known error surface: E = n^-0.5 p^-0.1 (data wins) or its mirror."""

    def __init__(self, sizes, widths, d=100, data_wins=True):
        self.sizes, self.widths, self.d = np.asarray(sizes), np.asarray(widths), d
        self.noises = np.array([0.0, 0.5])
        n, p = self.sizes[:, None].astype(float), (self.widths * (d + 10))[None, :].astype(float)
        fast, slow = (n, p) if data_wins else (p, n)
        self._err = np.stack([fast**-0.1 * slow**-0.1, fast**-0.5 * slow**-0.1])  # noise makes data win

    def mean_test_error(self):
        return self._err


def test_network_swap_ratio_is_matched_and_grid_stable():
    res = _FakeGrid([250, 500, 1000, 2000, 4000], [2, 4, 8, 16, 32])
    clean, noisy = X.network_swap_ratio(res, 0), X.network_swap_ratio(res, 1)
    assert clean == pytest.approx(1.0, rel=1e-9) and noisy > 1.0
    assert X.network_swap_ratio(res, 1, every=2) == pytest.approx(noisy, rel=1e-9)  # log-linear: grid-independent
    mirrored = _FakeGrid([250, 500, 1000, 2000, 4000], [2, 4, 8, 16, 32], data_wins=False)
    assert X.network_swap_ratio(mirrored, 1) == pytest.approx(1 / noisy, rel=1e-9)
    np.testing.assert_array_equal(X.network_params(res), [220, 440, 880, 1760, 3520])


def test_every_claim_evaluates_on_metrics_from_a_tiny_run():
    """Each claim's metric and each placeholder of its reasons exist in what the experiments record."""
    from paper_code.common.claims import evaluate_claims
    from paper_code.random_features.claims import CLAIMS

    cfg = resolve_config(PAPER, "quick", {
        "ps_points": 7, "sim_d": 20, "sim_points": 3, "sim_seeds": 2, "sim_n_test": 100, "fs_d_values": [20, 40, 80],
        "fs_seeds": 3, "nn_sizes": [50, 100, 200, 400], "nn_widths": [1, 2, 4, 8], "nn_epochs": 2, "nn_seeds": 1,
        "nn_test_size": 100, "nn_input_modes": ["pca", "downsample"],
    })
    curves = X.run_curves(cfg)
    m = {}
    for part in (X.phase_space_metrics(X.run_phase_space(cfg)), X.curves_metrics(curves, cfg),
                 X.centred_metrics(X.run_centred(cfg, curves)), X.finite_size_metrics(X.run_finite_size(cfg)),
                 X.double_descent_metrics(X.run_double_descent(cfg)), X.rphi_metrics(X.run_rphi(cfg)),
                 X.network_metrics(X.run_network(cfg))):
        m.update(part)
    for scale in ("quick", "paper"):
        report = evaluate_claims(PAPER, CLAIMS, m, scale, mode="exploratory")
        assert len(report.results) == len(CLAIMS)
    assert m["nn_datasets_used"] == ["mnist_subset", "fashion_mnist"]
    assert m["nn_test_images"] == {"mnist_subset": 100, "fashion_mnist": 100}
