"""ODEFormer's one config: evaluation settings live in it, every field names the stage that reads it, and the
training stage's settings file changes exactly when a training field does."""
from __future__ import annotations

import dataclasses
import json

import pytest

from paper_code.common import training_runs
from paper_code.common.config import ConfigError
from paper_code.odeformer import experiments as X
from paper_code.odeformer import train as T
from paper_code.odeformer.config import ODEBENCH_MAX_DIM, PRESETS, SINDY_GRID_NAMES, STAGES, OdeformerConfig
from paper_code.odeformer.odebench import ODEBENCH
from paper_code.odeformer.sindy import PAPER_GRID, QUICK_GRID

QUICK, PAPER = PRESETS["quick"], PRESETS["paper"]

#: A valid value different from the quick preset's, for every evaluation field.
EVAL_CHANGES = {
    "checkpoint_path": "models/odeformer/other.pt", "beam_size": 16, "n_candidates": 32, "temperature": 0.1,
    "max_bag": 100, "eval_points": 150, "noise_levels": (0.0, 0.05), "subsample_fractions": (0.25, 0.5),
    "eval_max_dim": 1, "sweep_ks": (1, 4), "sindy_grid": "paper", "sindy_variant_grid": "none",
    "timing_grid": "quick", "timing_systems": 8, "in_distribution_systems": 20, "perturbation": 0.02,
    "bootstrap_resamples": 500, "eval_seed": 3, "eval_workers": 1,
}
#: The same for a few training fields (one per kind: seed, data, model, optimiser, bookkeeping).
TRAIN_CHANGES = {"seed": 1, "cache_size": 1000, "d_model": 256, "lr": 5e-4, "max_steps": 8000, "log_every": 10,
                 "generator": "quick", "canonical_targets": False}


def test_every_field_names_its_stage():
    untagged = [f.name for f in dataclasses.fields(OdeformerConfig) if f.metadata.get("stage") not in STAGES]
    assert untagged == []
    assert set(EVAL_CHANGES) == set(OdeformerConfig.stage_fields("evaluate"))
    assert {"d_model", "seed", "max_steps", "cache_size"} <= set(OdeformerConfig.stage_fields("train"))
    with pytest.raises(ValueError, match="unknown stage"):
        OdeformerConfig.stage_fields("decode")


def test_presets_carry_the_evaluation_settings_of_each_scale():
    q = {k: getattr(QUICK, k) for k in ("eval_points", "noise_levels", "subsample_fractions", "eval_max_dim",
                                         "sweep_ks", "timing_systems", "in_distribution_systems", "perturbation")}
    assert q == {"eval_points": 64, "noise_levels": (0.0, 0.025, 0.05), "subsample_fractions": (0.5,),
                 "eval_max_dim": 2, "sweep_ks": (1, 2, 4, 8, 16, 32), "timing_systems": 4,
                 "in_distribution_systems": 100, "perturbation": 0.01}
    assert ((PAPER.eval_points, PAPER.eval_max_dim, PAPER.sweep_ks[-1], PAPER.in_distribution_systems)
            == (150, 0, 50, 500))
    assert X.sindy_grid(QUICK.sindy_grid) is QUICK_GRID and X.sindy_grid(PAPER.sindy_grid) is PAPER_GRID
    assert X.sindy_grid(QUICK.timing_grid) is PAPER_GRID
    assert X.sindy_grid(QUICK.sindy_variant_grid) == X.SINDY_TRAJECTORY_GRID
    assert tuple(X.SINDY_GRIDS) == SINDY_GRID_NAMES  # the config's choices name exactly the grids in code
    assert ODEBENCH_MAX_DIM == max(s.dim for s in ODEBENCH)


def test_evaluation_system_selection_follows_eval_max_dim():
    assert {s.dim for s in X.evaluation_systems(QUICK)} == {1, 2}
    assert len([s for s in X.evaluation_systems(PAPER) if s.source == "ODEBench"]) == len(ODEBENCH)
    with pytest.raises(ValueError, match="timing_systems=60 exceeds the 51"):
        X.run_timing(None, QUICK.replace(timing_systems=60))  # type: ignore[arg-type]


@pytest.mark.parametrize("bad, key", [
    ({"noise_levels": (0.01, 0.05)}, "noise_levels"),          # no σ = 0 to compare with
    ({"noise_levels": (0.0, 0.05, 0.025)}, "noise_levels"),    # not increasing
    ({"noise_levels": (0.0,)}, "noise_levels"),                # nothing to sweep
    ({"subsample_fractions": (0.5, 0.25)}, "subsample_fractions"),
    ({"subsample_fractions": (1.0,)}, "subsample_fractions"),  # removes every point
    ({"sweep_ks": (2, 4)}, "sweep_ks"),                        # C3 compares with a single candidate
    ({"sweep_ks": (1, 64)}, "sweep_ks"),                       # more than n_candidates = 32
    ({"eval_max_dim": 3}, "eval_max_dim"),                     # beyond the quick model's max_dim = 2
    ({"eval_max_dim": 0}, "eval_max_dim"),                     # all ODEBench: D up to 4
    ({"sindy_grid": "huge"}, "sindy_grid"),
    ({"sindy_variant_grid": ""}, "sindy_variant_grid"),
    ({"perturbation": 0.0}, "perturbation"),
    ({"timing_systems": 0}, "timing_systems"),
    ({"bootstrap_resamples": 10}, "bootstrap_resamples"),
    ({"eval_points": 4}, "eval_points"),
])
def test_bad_evaluation_settings_raise_one_line_errors(bad, key):
    with pytest.raises(ConfigError) as err:
        QUICK.replace(bad)
    msg = str(err.value)
    assert msg.startswith(f"odeformer.{key}") and "\n" not in msg


def test_training_settings_ignore_evaluation_fields():
    base = QUICK.training_settings()
    assert list(base) == sorted(OdeformerConfig.stage_fields("train"))
    for key, value in EVAL_CHANGES.items():
        if key == "beam_size":
            continue  # needs n_candidates <= beam_size; covered together below
        assert QUICK.replace({key: value}).training_settings() == base, key
    assert QUICK.replace(beam_size=16, n_candidates=16, sweep_ks=(1, 4)).training_settings() == base
    for key, value in TRAIN_CHANGES.items():
        assert QUICK.replace({key: value}).training_settings() != base, key


def test_written_training_config_is_byte_identical_unless_a_training_field_changes(tmp_path):
    a = T.write_training_config(QUICK, tmp_path / "a.json").read_bytes()
    b = T.write_training_config(QUICK.replace(n_candidates=32, temperature=0.1, sindy_grid="paper",
                                              noise_levels=(0.0, 0.05)), tmp_path / "b.json").read_bytes()
    c = T.write_training_config(QUICK.replace(d_model=256), tmp_path / "c.json").read_bytes()
    assert a == b and a != c
    assert json.loads(c)["d_model"] == 256


def test_training_config_round_trip_and_errors(tmp_path):
    for cfg in (QUICK, PAPER, QUICK.replace(TRAIN_CHANGES)):
        path = T.write_training_config(cfg, tmp_path / "t.json")
        assert T.read_training_config(path).training_settings() == cfg.training_settings()
    with pytest.raises(ConfigError, match="not found; write it with `python -m paper_code.odeformer.train"):
        T.read_training_config(tmp_path / "missing.json")
    settings = QUICK.training_settings()
    (tmp_path / "extra.json").write_text(json.dumps({**settings, "n_candidates": 16}))
    with pytest.raises(ConfigError, match="not training fields: n_candidates"):
        T.read_training_config(tmp_path / "extra.json")
    del settings["d_model"]
    (tmp_path / "short.json").write_text(json.dumps(settings))
    with pytest.raises(ConfigError, match="missing d_model"):
        T.read_training_config(tmp_path / "short.json")
    (tmp_path / "bad.json").write_text(json.dumps({**QUICK.training_settings(), "d_model": -1}))
    with pytest.raises(ConfigError, match="odeformer.d_model"):
        T.read_training_config(tmp_path / "bad.json")


def test_cli_writes_the_training_config_from_params(monkeypatch, tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("odeformer:\n  scale: quick\n  n_candidates: 32\n  d_model: 64\n")
    monkeypatch.setattr(training_runs, "params_path", lambda: p)
    assert T.main(["--write-config", str(tmp_path / "t.json")]) is None
    written = json.loads((tmp_path / "t.json").read_text())
    assert written == QUICK.replace(d_model=64).training_settings()
    cfg = T.resolve_cli_config(None, 10, None, str(tmp_path / "t.json"))
    assert (cfg.d_model, cfg.max_steps, cfg.n_candidates) == (64, 10, QUICK.n_candidates)
    with pytest.raises(ConfigError, match="exclude each other"):
        T.resolve_cli_config("paper", None, None, str(tmp_path / "t.json"))
