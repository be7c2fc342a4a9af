"""Boolformer's config (two models' training settings) and training stage: stats, held-out exclusion, pure batches,
checked loading, resume and time budget, and the command line (write-config, config file, keep a finished run)."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np
import pytest
import torch

from paper_code.boolformer import train as T
from paper_code.boolformer.config import EXECUTION_FIELDS, MODELS, PRESETS, BoolformerConfig
from paper_code.boolformer.data import BooleanBatches, output_vocabulary
from paper_code.boolformer.formulas import truth_table
from paper_code.boolformer.inputs import INPUT_VOCAB
from paper_code.common import checkpoints as CK
from paper_code.common import training_runs as R
from paper_code.common.config import EVALUATE, TRAIN, ConfigError
from paper_code.symbolic.encoding import decode

QUICK = PRESETS["quick"]


# --------------------------------------------------------------------------- config


def test_presets_validate_and_tag_two_models():
    assert isinstance(QUICK, BoolformerConfig) and QUICK == BoolformerConfig()
    paper = PRESETS["paper"]
    assert (paper.d_model, paper.n_heads, paper.enc_layers, paper.noiseless_max_dim, paper.noisy_max_inputs) == (
        512, 16, 8, 10, 120)
    assert BoolformerConfig.models() == MODELS == ("noiseless", "noisy")
    assert set(EXECUTION_FIELDS) <= set(BoolformerConfig.stage_fields(TRAIN))


@pytest.mark.parametrize("bad, field", [
    ({"noiseless_min_dim": 4, "noiseless_max_dim": 3}, "noiseless_min_dim"),
    ({"noiseless_checkpoint": "models/boolformer/noiseless/model.bin"}, "noiseless_checkpoint"),
    ({"noisy_checkpoint": "models/boolformer/noisy/model"}, "noisy_checkpoint"),
    ({"n_heads": 3}, "n_heads"),
    ({"noisy_min_points": 65}, "noisy_min_points"),
    ({"noisy_max_active": 5, "noisy_max_inputs": 4}, "noisy_max_active"),
    ({"warmup_init_lr": 0.01}, "warmup_init_lr"),
    ({"beam_size": 4}, "beam_size"),
    ({"noiseless_rows": "half"}, "noiseless_rows"),
    ({"noisy_max_flip": 0.6}, "noisy_max_flip"),
])
def test_bad_values_name_the_field(bad, field):
    with pytest.raises(ConfigError) as err:
        QUICK.replace(bad)
    msg = str(err.value)
    assert msg.startswith(f"boolformer.{field}:") and "\n" not in msg


def test_evaluating_more_held_out_functions_than_held_out_is_refused_at_evaluation():
    from paper_code.boolformer.experiments import held_out_tasks

    cfg = QUICK.replace(held_out=20, eval_held_out=21)  # valid as a config: training never reads eval_held_out
    with pytest.raises(ConfigError, match=r"^boolformer.eval_held_out: 21 evaluates more functions"):
        held_out_tasks(cfg)


def test_each_model_reads_its_own_training_fields_only():
    evaluate = set(BoolformerConfig.stage_fields(EVALUATE))
    noiseless, noisy = (set(QUICK.training_settings(m)) for m in MODELS)
    assert not any(k.startswith("noisy_") for k in noiseless) and not evaluate & noiseless
    assert not any(k.startswith("noiseless_") or k.startswith("held_out") for k in noisy) and not evaluate & noisy
    shared = noiseless & noisy
    assert {"seed", "d_model", "batch_size", "lr", *EXECUTION_FIELDS} <= shared
    every = {f.name for f in dataclasses.fields(BoolformerConfig) if f.metadata.get("stage") == TRAIN}
    assert noiseless | noisy == every and shared == set(BoolformerConfig.stage_fields(TRAIN))  # untagged: both
    assert {"held_out", "noiseless_steps"} <= noiseless and {"noisy_steps", "noisy_max_flip"} <= noisy
    assert list(QUICK.training_settings("noisy")) == sorted(noisy)  # sorted: byte-identical settings files


# One valid change of every evaluation field (a new one must be added here).
EVALUATION_CHANGES = dict(
    noiseless_checkpoint="elsewhere/a.pt", noisy_checkpoint="elsewhere/b.pt", n_candidates=3, temperature=0.1,
    beam_size=1, eval_held_out=5, eval_noisy_tasks=7, circuit_beam=3, timing_functions=2, class_subsets=2,
    class_points=8, grn_networks=1, grn_simulated=0, grn_points=8, best_fit_regulators=1, reveal_regulators=2,
    eval_seed=9, eval_workers=3,
)


def test_evaluation_fields_never_change_training_settings():
    assert set(EVALUATION_CHANGES) == set(BoolformerConfig.stage_fields(EVALUATE))
    for key, value in EVALUATION_CHANGES.items():
        other = QUICK.replace({key: value})
        for m in MODELS:
            assert other.training_settings(m) == QUICK.training_settings(m), (key, m)


@pytest.mark.parametrize("changes, unchanged, changed", [
    ({"noisy_max_flip": 0.01, "noisy_steps": 7, "noisy_max_inputs": 20}, "noiseless", "noisy"),
    ({"held_out": 500, "noiseless_steps": 7, "noiseless_rows": "minority"}, "noisy", "noiseless"),
])
def test_one_models_fields_leave_the_other_models_settings(changes, unchanged, changed):
    other = QUICK.replace(changes)
    assert other.training_settings(unchanged) == QUICK.training_settings(unchanged)
    assert other.training_settings(changed) != QUICK.training_settings(changed)
    both = QUICK.replace(d_model=64)  # a shared field retrains both
    assert all(both.training_settings(m) != QUICK.training_settings(m) for m in MODELS)


def test_unknown_model_is_refused():
    for fn in (T.n_inputs, T.max_len, T.formula_config, T.run_settings):
        with pytest.raises(ValueError, match="model='other' is invalid"):
            fn(QUICK, "other")
    with pytest.raises(ValueError, match="unknown model 'other'"):
        QUICK.training_settings("other")


# --------------------------------------------------------------------------- training


def test_stats_file_records_the_run(trained):
    cfg, stats = trained
    for m in MODELS:
        path = CK.resolve(getattr(cfg, f"{m}_checkpoint"))
        written = json.loads(CK.stats_path(path).read_text())
        assert written["steps"] == getattr(cfg, f"{m}_steps") and written["model"] == m
        assert written["n_held_out"] == (cfg.held_out if m == "noiseless" else 0)
        assert written["checkpoint_md5"] == CK.file_md5(path)
        assert written["config"] == cfg.training_settings(m)
        assert [(r["from"], r["to"]) for r in written["runs"]] == [(0, written["steps"])]
        assert np.isfinite(written["final_loss"]) and written["n_params"] > 0
        assert not CK.runs_path(path).exists()
        assert stats[m]["checkpoint_md5"] == written["checkpoint_md5"]
    assert stats["noiseless"]["final_loss"] < stats["noiseless"]["first_loss"]  # it learns something


def _batch_keys(batch, n_inputs):
    """Function keys (dimension byte + packed truth table) of a full-table noiseless batch, read from the encoder
    rows, and the truth tables of its decoded targets."""
    ids, mask, seq = batch
    vocab = output_vocabulary(n_inputs)
    one = INPUT_VOCAB.stoi["1"]
    keys, consistent = [], []
    for b in range(len(ids)):
        n = int((~mask[b]).sum())
        dim = n.bit_length() - 1
        assert 2**dim == n  # the whole truth table
        table = (ids[b, :n, -1] == one).numpy().astype(np.uint8)
        keys.append(dim.to_bytes(1, "little") + np.packbits(table).tobytes())
        target = [i for i in seq[b].tolist() if i not in (vocab.eos_id, vocab.pad_id)]
        consistent.append(np.array_equal(truth_table(decode(vocab.decode(target)), dim), table))
    return keys, consistent


def test_held_out_truth_tables_never_appear_in_a_training_batch(tiny_cfg):
    cfg = tiny_cfg
    held = T.held_out_set(cfg)
    keys = {f.key for f in held}
    assert len(keys) == len(held) == cfg.held_out
    source = T.batches(cfg, "noiseless")
    assert source.exclude == keys
    for step in range(12):
        batch_keys, consistent = _batch_keys(source.get(step), T.n_inputs(cfg, "noiseless"))
        assert not keys & set(batch_keys), step
        assert all(consistent)  # the target formula computes the rows the encoder reads
    # The check is not vacuous: the same draws without the exclusion do hit held-out functions.
    open_source = BooleanBatches(source.formulas, cfg.batch_size, n_inputs=source.n_inputs, max_len=source.max_len,
                                 seed=cfg.seed)
    drawn = [e.formula.key for s in range(12) for e in open_source.examples(np.random.default_rng([cfg.seed, s, 0]),
                                                                            cfg.batch_size)]
    assert keys & set(drawn)
    excluded = [e.formula.key for s in range(12) for e in source.examples(np.random.default_rng([cfg.seed, s, 0]),
                                                                          cfg.batch_size)]
    assert not keys & set(excluded)


@pytest.mark.parametrize("model", MODELS)
def test_batches_are_a_pure_function_of_step_and_rank(tiny_cfg, model):
    a, b = T.batches(tiny_cfg, model), T.batches(tiny_cfg, model)
    b.get(5)  # call order must not matter
    for step, rank, world in ((3, 0, 1), (0, 0, 1), (3, 1, 2)):
        for x, y in zip(a.get(step, rank, world), b.get(step, rank, world)):
            assert torch.equal(x, y)
    assert not torch.equal(a.get(0, 0, 2)[0], a.get(0, 1, 2)[0])
    assert a.fingerprint() == b.fingerprint()


def _copy(cfg, model, tmp_path, with_stats=True):
    src = CK.resolve(getattr(cfg, f"{model}_checkpoint"))
    dst = tmp_path / "model.pt"
    shutil.copy(src, dst)
    if with_stats:
        shutil.copy(CK.stats_path(src), CK.stats_path(dst))
    return dst


def test_load_model_checks_the_file(trained, tmp_path):
    cfg, _ = trained
    net, vocab = T.load_model(cfg.noiseless_checkpoint, cfg, "noiseless")
    assert not net.training and len(vocab) == len(output_vocabulary(cfg.noiseless_max_dim))
    T.load_model(cfg.noiseless_checkpoint, cfg.replace(checkpoint_every=7, loader_workers=2), "noiseless")

    with pytest.raises(CK.CheckpointMissingError, match=r"`dvc pull train_boolformer_noiseless`"):
        T.load_model(tmp_path / "none.pt", cfg, "noiseless")

    path = _copy(cfg, "noiseless", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CK.CheckpointCorruptError, match=r"`dvc pull --force train_boolformer_noiseless`"):
        T.load_model(path, cfg, "noiseless")


def test_load_model_refuses_other_settings(trained):
    cfg, _ = trained
    with pytest.raises(CK.CheckpointSettingsError) as err:
        T.load_model(cfg.noiseless_checkpoint, cfg.replace(d_model=64, held_out=30), "noiseless")
    msg = str(err.value)
    assert "d_model: checkpoint 32, config 64" in msg and "held_out: checkpoint 20, config 30" in msg
    assert "dvc repro train_boolformer_noiseless" in msg
    # The noisy settings are not compared (another model), but the noisy weights do not fit the noiseless model.
    with pytest.raises(CK.CheckpointSettingsError, match="does not fit the model"):
        T.load_model(cfg.noisy_checkpoint, cfg, "noiseless")


def test_a_stopped_run_resumes_exactly_and_chains_its_runs(tiny_cfg, tmp_path, monkeypatch):
    cfg = tiny_cfg.replace(noisy_steps=4, checkpoint_every=2)
    full = T.train(cfg, "noisy", tmp_path / "full.pt", progress=False)
    real_get = BooleanBatches.get
    stopped = []

    def get(self, step, rank=0, world_size=1):
        if step == 2 and not stopped:
            stopped.append(step)
            raise R.TimeBudgetExhausted(step, 1.0)
        return real_get(self, step, rank, world_size)

    monkeypatch.setattr(BooleanBatches, "get", get)
    with pytest.raises(R.TimeBudgetExhausted):
        T.train(cfg, "noisy", tmp_path / "part.pt", progress=False)
    assert not CK.stats_path(tmp_path / "part.pt").exists()
    assert json.loads(CK.runs_path(tmp_path / "part.pt").read_text())[0]["to"] == 2
    with pytest.raises(CK.CheckpointSettingsError, match="unfinished training run"):
        T.load_model(tmp_path / "part.pt", cfg, "noisy")
    resumed = T.train(cfg, "noisy", tmp_path / "part.pt", progress=False)
    assert resumed["resumed_from"] == 2 and [(r["from"], r["to"]) for r in resumed["runs"]] == [(0, 2), (2, 4)]
    m1, _ = T.load_model(tmp_path / "full.pt", cfg, "noisy")
    m2, _ = T.load_model(tmp_path / "part.pt", cfg, "noisy")
    for (k, p1), p2 in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(p1, p2), k
    assert resumed["final_loss"] == full["final_loss"]


def test_a_spent_time_budget_stops_before_the_first_step(tiny_cfg, tmp_path):
    with pytest.raises(R.TimeBudgetExhausted) as stop:
        T.train(tiny_cfg, "noisy", tmp_path / "m.pt", progress=False, time_budget_s=1e-9)
    assert stop.value.step == 0 and not (tmp_path / "m.pt").exists()
    runs = json.loads(CK.runs_path(tmp_path / "m.pt").read_text())
    assert [(r["from"], r["to"], r["device"]) for r in runs] == [(0, 0, "cpu")]


def test_a_spent_time_budget_in_a_new_folder_is_still_a_clean_stop(tiny_cfg, tmp_path):
    """``--out new/folder/model.pt --time-budget`` spent before the first checkpoint: the run must stop with
    TimeBudgetExhausted (exit 75), not crash writing its runs file into a folder nobody created."""
    with pytest.raises(R.TimeBudgetExhausted):
        T.train(tiny_cfg, "noisy", tmp_path / "new" / "model.pt", progress=False, time_budget_s=1e-9)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def params(tmp_path, monkeypatch):
    """A params.yaml with a boolformer section, and no dvc.lock under the repository root."""
    p = tmp_path / "params.yaml"
    p.write_text("boolformer:\n  scale: quick\n  d_model: 32\n  noisy_max_flip: 0.02\n  held_out: 400\n"
                 "  n_candidates: 3\n")
    monkeypatch.setattr(R, "params_path", lambda: p)
    monkeypatch.setattr(CK, "REPO_ROOT", tmp_path)
    return QUICK.replace(d_model=32, noisy_max_flip=0.02, held_out=400, n_candidates=3)


@pytest.mark.parametrize("model", MODELS)
def test_write_config_writes_the_models_training_settings(params, tmp_path, model):
    out = tmp_path / model / "train_config.json"
    assert T.main(["--model", model, "--write-config", str(out)]) is None
    assert json.loads(out.read_text()) == params.training_settings(model)
    assert "n_candidates" not in out.read_text()


@pytest.mark.parametrize("model", MODELS)
def test_a_settings_file_round_trips(tiny_cfg, tmp_path, model):
    """What the DVC stage does: write the model's training settings, then train from that file."""
    path = R.write_training_config(tiny_cfg, tmp_path / "train_config.json", model)
    back = R.read_training_config(BoolformerConfig, path, "rewrite it", model)
    assert back.training_settings(model) == tiny_cfg.training_settings(model)


def test_config_and_scale_exclude_each_other(params, tmp_path, capsys):
    settings = R.write_training_config(params, tmp_path / "s.json", "noisy")
    with pytest.raises(SystemExit) as exit_:
        T.main(["--model", "noisy", "--config", str(settings), "--scale", "quick"])
    assert exit_.value.code == 2 and "--scale and --config exclude each other" in capsys.readouterr().err


def test_unknown_model_is_rejected_by_argparse(params, capsys):
    with pytest.raises(SystemExit) as exit_:
        T.main(["--model", "big", "--write-config", "x.json"])
    assert exit_.value.code == 2 and "invalid choice: 'big'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        T.main(["--write-config", "x.json"])  # --model is required


def test_a_finished_run_of_the_same_settings_is_kept(trained, tmp_path, monkeypatch):
    cfg, _ = trained
    monkeypatch.setattr(CK, "REPO_ROOT", tmp_path)
    settings = R.write_training_config(cfg, tmp_path / "train_config.json", "noisy")
    path = _copy(cfg, "noisy", tmp_path)
    before = (path.stat().st_mtime_ns, CK.file_md5(path))
    monkeypatch.setattr(T, "train", lambda *a, **k: pytest.fail("a finished run was retrained"))
    stats = T.main(["--model", "noisy", "--config", str(settings), "--out", str(path), "--no-progress"])
    assert stats == CK.read_stats(path) and stats["steps"] == cfg.noisy_steps
    assert (path.stat().st_mtime_ns, CK.file_md5(path)) == before


def test_a_finished_run_of_other_settings_is_refused(trained, tmp_path, monkeypatch, capsys):
    cfg, _ = trained
    monkeypatch.setattr(CK, "REPO_ROOT", tmp_path)
    settings = R.write_training_config(cfg.replace(noisy_max_flip=0.01), tmp_path / "train_config.json", "noisy")
    path = _copy(cfg, "noisy", tmp_path)
    with pytest.raises(SystemExit) as exit_:
        T.main(["--model", "noisy", "--config", str(settings), "--out", str(path), "--no-progress"])
    assert exit_.value.code == 1
    assert "noisy_max_flip: checkpoint 0.05, config 0.01" in capsys.readouterr().err
    assert os.path.exists(path)


def test_cli_time_budget_exits_unfinished(trained, tmp_path, monkeypatch, capsys):
    cfg, _ = trained
    monkeypatch.setattr(CK, "REPO_ROOT", tmp_path)
    settings = R.write_training_config(cfg, tmp_path / "train_config.json", "noisy")
    with pytest.raises(SystemExit) as exit_:
        T.main(["--model", "noisy", "--config", str(settings), "--out", str(tmp_path / "m.pt"), "--no-progress",
                "--time-budget", "1e-6"])
    assert exit_.value.code == R.EXIT_UNFINISHED
    assert "unfinished: stopped at step 0" in capsys.readouterr().err
