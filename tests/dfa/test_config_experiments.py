"""Presets, their validation, and the experiment helpers."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.claims import Claim
from paper_code.common.config import ConfigError, resolve_config
from paper_code.dfa.claims import CLAIMS
from paper_code.dfa.deep import TrainedEnsemble
from paper_code.dfa.exp_shallow import shallow_record_steps
from paper_code.dfa.experiments import (
    DeepLinearRun,
    MLPRun,
    crossing_time,
    deep_linear_metrics,
    first_crossing,
    has_peaked,
    noise_metrics,
    onset_time,
    settle_time,
)


def test_presets_resolve():
    quick = resolve_config("dfa_alignment", "quick")
    paper = resolve_config("dfa_alignment", "paper")
    assert paper.shallow_n == 500 and paper.lin_epochs == 100 and paper.mlp_epochs == 1000
    assert paper.label_noise == (0.0, 0.1, 0.2, 0.5, 0.9)
    assert quick.shallow_t_max <= paper.shallow_t_max


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"shallow_k": 2}, "dfa_alignment.shallow_k: must exceed shallow_m=2"),
        ({"label_noise": [0.2, 0.5]}, "label_noise: must include 0.0"),
        ({"label_noise": [0.0, 0.5, 0.2]}, "label_noise: must be strictly increasing"),
        ({"shallow_eval_dt": 0.015}, "shallow_eval_dt: must be a multiple of ode_dt"),
        ({"lin_alphas": [0.2, 0.5]}, "must include 1.0"),
        ({"mlp_activation": "gelu"}, "mlp_activation: 'gelu' is not a valid choice"),
        ({"shallow_lr": -1.0}, "shallow_lr: -1.0 is out of range"),
        ({"shalow_n": 3}, "unknown key 'shalow_n' (did you mean 'shallow_n'?)"),
    ],
)
def test_bad_values_fail_with_one_line_errors(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config("dfa_alignment", "quick", overrides)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_crossing_and_onset():
    t = np.arange(6.0)
    assert first_crossing(t, np.array([5, 4, 3, 2, 1, 0.0]), 2.5, above=False) == 3.0
    assert np.isnan(first_crossing(t, np.zeros(6), 1.0))
    tl = np.geomspace(1, 100, 3)  # 1, 10, 100
    # half-way from 0 to 1 is reached between t = 1 (0) and t = 10 (1): at sqrt(10) in log interpolation
    assert onset_time(tl, np.array([0.0, 1.0, 1.0])) == pytest.approx(np.sqrt(10))
    assert np.isnan(onset_time(tl, np.array([1.0, 0.5, 0.2])))


def test_claims_are_well_formed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)) and all(isinstance(c, Claim) for c in CLAIMS)
    assert all(set(c.not_reproduced) <= {"quick", "paper"} for c in CLAIMS)


def test_new_config_checks():
    for overrides, fragment in [
        ({"shallow_n": 333}, "ode_dt * shallow_n = 3.33 must be a whole number of SGD steps"),
        ({"shallow_t_max": 10.005}, "shallow_t_max: must be a multiple of ode_dt"),
        ({"shallow_v0_std": -1.0}, "shallow_v0_std: -1.0 is out of range"),
    ]:
        with pytest.raises(ConfigError) as info:
            resolve_config("dfa_alignment", "quick", overrides)
        assert fragment in str(info.value)
    paper = resolve_config("dfa_alignment", "paper")
    assert paper.checkpoint_dir and not resolve_config("dfa_alignment", "quick").checkpoint_dir
    assert paper.shallow_v0_std == 0.0 and paper.ode_dt * paper.shallow_n == 1


def test_settle_time_ignores_early_excursions():
    t = np.array([0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32])
    y = np.array([0.0, 0.95, -0.9, 0.95, 0.5, 0.95, 0.99])  # a sign that flips before it settles
    assert crossing_time(t, y, 0.9) == pytest.approx(0.01 * 0.9 / 0.95)  # linear from t = 0
    assert settle_time(t, y, 0.9) == pytest.approx(np.exp(np.log(0.08) + 0.4 / 0.45 * np.log(2)))
    assert np.isnan(settle_time(t, np.linspace(0, 0.5, 7), 0.9))
    assert settle_time(t, np.ones(7), 0.9) == 0.0


def test_has_peaked_needs_two_recordings_below_the_peak():
    assert not has_peaked(np.array([0.1, 0.2, 0.3]))
    assert not has_peaked(np.array([0.1, 0.3, 0.29]))  # one noisy last point is not a peak
    assert has_peaked(np.array([0.1, 0.3, 0.29, 0.28]))


def test_shallow_recording_grid():
    cfg = resolve_config("dfa_alignment", "quick")
    k = shallow_record_steps(cfg)
    n = round(cfg.shallow_t_max / cfg.ode_dt)
    assert k[0] == 0 and k[-1] == n and (np.diff(k) > 0).all()
    assert {1, 2, 3} <= set(k.tolist())  # the log grid resolves the first Euler steps
    assert set(range(0, n + 1, round(cfg.shallow_eval_dt / cfg.ode_dt))) <= set(k.tolist())


def _fake_noise_run(peaked: bool) -> MLPRun:
    """Two seeds per group, levels p = 0, 0.5; alignment rises, then (if ``peaked``) falls."""
    ep = np.array([0.0, 1, 2, 4, 8, 16])
    up = np.array([0.0, 0.2, 0.4, 0.6, 0.7, 0.8])
    hump = np.array([0.0, 0.3, 0.6, 0.7, 0.5, 0.4])
    curves = [up, up, up * 0.8, up * 0.8] if not peaked else [hump, hump, hump * 0.8, hump * 0.8]
    ga = np.stack(curves)
    E, n = ga.shape
    corrupt = np.full((E, n), np.nan)
    corrupt[2:] = np.array([1.0, 0.95, 0.9, 0.6, 0.4, 0.2])
    tr = TrainedEnsemble(epochs=ep, train_error=np.zeros((E, n)), test_error=np.zeros((E, n)),
                         weight_alignment=np.zeros((E, n, 2)), weight_alignment_total=ga,
                         grad_alignment=np.zeros((E, n, 2)), grad_alignment_total=ga, model=None, wall_time_s=0.0,
                         corrupt_error=corrupt)
    return MLPRun(tr, {"dfa": np.array([0, 1]), "bp": np.array([], int), "dfa_p0.5": np.array([2, 3])}, (0.0, 0.5),
                  "fake")


def test_noise_claims_read_alignment_only_after_the_curves_turn_down():
    rising = noise_metrics(_fake_noise_run(peaked=False))
    assert rising["noise_grad_alignment_after_peak"] is None and rising["noise_weight_alignment_after_peak"] is None
    assert rising["noise_final_grad_alignment"] == pytest.approx([0.8, 0.64])
    peaked = noise_metrics(_fake_noise_run(peaked=True))
    assert peaked["noise_grad_alignment_after_peak"] == pytest.approx([0.4, 0.32])
    # memorisation: half of the corrupted labels fitted between epochs 4 (0.6 left) and 8 (0.4 left)
    assert peaked["noise_max_memorisation_epoch"] == pytest.approx(np.exp(np.log(4) + 0.5 * np.log(2)))
    assert peaked["noise_max_peak_epoch"] == 4.0
    assert peaked["noise_max_align_then_memorise_ratio"] < 1
    assert peaked["noise_memorised_fraction_final"] == pytest.approx([0.8])


def test_conditioning_claim_is_read_near_the_identity():
    """A U-shaped relation: falling near the identity, rising far from it (as the alpha-beta grid shows)."""
    cond = np.concatenate([np.linspace(1.05, 9.5, 10), np.geomspace(20, 1e4, 10)])
    ga = np.concatenate([1 - 0.01 * cond[:10], 0.75 + 0.025 * np.log(cond[10:])])
    E = cond.size
    tr = TrainedEnsemble(epochs=np.array([0.0, 1.0]), train_error=np.zeros((E, 2)), test_error=np.zeros((E, 2)),
                         weight_alignment=np.zeros((E, 2, 2)), weight_alignment_total=np.stack([np.zeros(E), ga], 1),
                         grad_alignment=np.stack([np.zeros(E), ga], 1)[:, :, None].repeat(2, -1),
                         grad_alignment_total=np.zeros((E, 2)), model=None, wall_time_s=0.0)
    grid = np.array([(1.0, 1.0)] + [(0.5, 0.5)] * (E - 1))
    run = DeepLinearRun(grid, np.arange(E), np.zeros(E, int), tr, np.zeros((3, E)), cond,
                        np.stack([cond, cond]))
    m = deep_linear_metrics(run)
    assert m["lin_members_near_identity"] == 10
    assert m["lin_spearman_cond_bracket_vs_grad_alignment_near_identity"] == pytest.approx(-1.0)
    assert m["lin_spearman_cond_bracket_vs_grad_alignment_all"] > -0.5  # the U hides the trend over all of it
