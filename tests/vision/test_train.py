"""The two training bundles: contents, records, stats, the checks before loading, and the command line."""
from __future__ import annotations

import json
import math

import pytest
import torch

from paper_code.common.checkpoints import CheckpointMissingError, CheckpointSettingsError, stats_path
from paper_code.vision import train as T
from paper_code.vision.config import TCNN, VITS


def test_sweep_bundle_holds_every_run_with_its_records(trained):
    cfg, stats = trained
    bundle = T.load_bundle(cfg.vits_checkpoint, cfg, VITS)
    assert set(bundle["model"]) == set(bundle["records"]) == set(cfg.run_names())
    recorded = [r["step"] for r in bundle["records"]["convit_f1_s0"] if "test_acc" in r]
    assert recorded == list(cfg.eval_steps())
    last = bundle["records"]["convit_f1_s0"][-1]
    assert {"nonlocality_0", "nonlocality_3", "gate_0_0", "gate_2_8"} <= set(last)
    assert not any(k.startswith("gate_") for k in bundle["records"]["deit_f1_s0"][-1])
    first = bundle["records"]["convit_f1_s0"][0]
    assert first["gate_1_4"] == pytest.approx(1 / (1 + math.exp(-1)))  # lambda = 1 at initialisation
    assert stats[VITS]["n_runs"] == 8 and stats[VITS]["samples_per_s"] > 0
    saved = json.loads(stats_path(T.resolve(cfg.vits_checkpoint)).read_text())
    assert saved["config"] == cfg.training_settings(VITS)
    assert not T.run_dir(T.resolve(cfg.vits_checkpoint)).exists()  # the runs are in the bundle now


def test_tcnn_bundle_converts_exactly_and_records_both_arms(trained):
    cfg, _ = trained
    bundle = T.load_bundle(cfg.tcnn_checkpoint, cfg, TCNN)
    assert set(bundle["model"]) == {"cnn", "cnn_finetuned", "tcnn_finetuned"}
    conv = bundle["conversion"]
    assert conv["max_abs_logit_diff"] <= 1e-5 * conv["max_abs_logit"] and conv["same_predictions"] == 1.0
    assert conv["cnn_test_acc"] == conv["tcnn_test_acc"]
    last = bundle["records"]["tcnn_finetuned"][-1]
    assert {"test_acc", "nonlocality_0", "content_share_0", "content_weight_0"} <= set(last)
    assert "content_weight_0" not in bundle["records"]["cnn_finetuned"][-1]
    assert set(bundle["test_acc"]) == {"cnn", "cnn_finetuned", "tcnn_finetuned"}


def test_weight_decay_skips_vectors_position_embedding_and_class_token(tiny_cfg):
    model = T.build_vit(tiny_cfg, "convit")
    decay, plain = T.vit_param_groups(model, 0.05)
    names = {id(p): n for n, p in model.named_parameters()}
    plain_names = {names[id(p)] for p in plain["params"]}
    assert {"net.pos_embed", "net.cls_token", "net.blocks.0.attn.gating", "net.blocks.0.attn.v_pos.bias"} <= plain_names
    assert "net.blocks.0.attn.v_pos.weight" in {names[id(p)] for p in decay["params"]}  # as in the official code
    assert decay["weight_decay"] == 0.05 and plain["weight_decay"] == 0.0


def test_loading_checks_the_bundle_first(trained, tmp_path):
    cfg, _ = trained
    with pytest.raises(CheckpointMissingError, match="dvc pull train_convit_tcnn_vits"):
        T.load_bundle(tmp_path / "none.pt", cfg, VITS)
    other = cfg.replace({"steps": 13})
    with pytest.raises(CheckpointSettingsError, match="steps: checkpoint 12, config 13"):
        T.load_bundle(cfg.vits_checkpoint, other, VITS)
    with pytest.raises(ValueError, match="model='cnn' is invalid"):
        T.load_bundle(cfg.tcnn_checkpoint, cfg, "cnn")


def test_command_keeps_a_finished_bundle_of_the_same_settings(trained, tmp_path):
    cfg, _ = trained
    settings = tmp_path / "tcnn_train_config.json"
    settings.write_text(json.dumps(cfg.training_settings(TCNN)))
    before = T.resolve(cfg.tcnn_checkpoint).stat().st_mtime_ns
    stats = T.main(["--model", "tcnn", "--config", str(settings), "--out", cfg.tcnn_checkpoint, "--no-progress"])
    assert T.resolve(cfg.tcnn_checkpoint).stat().st_mtime_ns == before  # nothing retrained
    assert stats["config"] == cfg.training_settings(TCNN)


def test_predict_restores_the_training_mode(tiny_cfg):
    model = T.build_cnn(tiny_cfg)
    model.train()
    T.predict(model, torch.rand(3, 1, 28, 28))
    assert model.training
