"""The trained checkpoint's failure modes, on real files: missing, truncated or altered (corrupt), unfinished, and
trained with other settings, each with its own error and fix; and what the training stage does with a
checkpoint DVC kept in place (persist): resume, replace the committed one, keep a verified one, refuse the rest."""
from __future__ import annotations

import json
import shutil
import textwrap

import pytest
import torch

from paper_code.common import checkpoints as shared_checkpoints
from paper_code.odeformer import checkpoint as C
from paper_code.odeformer import experiments as X
from paper_code.odeformer import train as T
from paper_code.odeformer.config import PRESETS

TINY = dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8, batch_size=8, cache_size=16,
            cache_chunk=8, gen_workers=1, warmup_steps=1, log_every=1, checkpoint_every=0, max_steps=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny run: ``(cfg, systems, folder)``; the folder holds ``model.pt`` and ``model_stats.json``."""
    d = tmp_path_factory.mktemp("ckpt")
    cfg = PRESETS["quick"].replace({**TINY, "cache_dir": str(d / "cache"), "checkpoint_path": str(d / "model.pt")})
    systems, _ = T.build_cache(cfg)
    T.train(cfg, progress=False, systems=systems)
    return cfg, systems, d


def _copy(trained, tmp_path, with_stats: bool = True):
    cfg, _, d = trained
    shutil.copy(d / "model.pt", tmp_path / "model.pt")
    if with_stats:
        shutil.copy(d / "model_stats.json", tmp_path / "model_stats.json")
    return cfg.replace(checkpoint_path=str(tmp_path / "model.pt")), tmp_path / "model.pt"


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_stats_record_training_settings_and_the_checkpoint_md5(trained):
    cfg, _, d = trained
    stats = json.loads((d / "model_stats.json").read_text())
    assert stats["config"] == cfg.training_settings()
    assert stats["checkpoint_md5"] == C.file_md5(d / "model.pt")
    # Paths inside the repository are written relative to it (no machine paths in the committed stats file).
    assert C.display(C.resolve("models/odeformer/model.pt")) == "models/odeformer/model.pt"


def test_a_valid_checkpoint_loads(trained, tmp_path):
    cfg, _ = _copy(trained, tmp_path)
    method = X.load_method(cfg)
    assert method.n_candidates == cfg.n_candidates


def test_missing_checkpoint_says_how_to_restore(trained, tmp_path):
    cfg = trained[0].replace(checkpoint_path=str(tmp_path / "none.pt"))
    with pytest.raises(C.CheckpointMissingError, match=r"`dvc pull train_odeformer`"):
        X.load_method(cfg)


@pytest.mark.parametrize("with_stats", [True, False])
def test_truncated_checkpoint_is_corrupt_not_a_mismatch(trained, tmp_path, with_stats):
    cfg, path = _copy(trained, tmp_path, with_stats)
    _truncate(path)
    with pytest.raises(C.CheckpointCorruptError) as err:
        X.load_method(cfg)
    msg = str(err.value)
    assert "corrupt or truncated" in msg and "`dvc pull --force train_odeformer`" in msg and "\n" not in msg
    assert not isinstance(err.value, C.CheckpointSettingsError)


def test_altered_checkpoint_is_caught_by_the_md5_its_run_recorded(trained, tmp_path):
    cfg, path = _copy(trained, tmp_path)
    _flip_byte(path)  # torch may still read it; the md5 says it is not the file the run wrote
    with pytest.raises(C.CheckpointCorruptError, match="not the checkpoint its training run recorded"):
        X.load_method(cfg)


def test_without_stats_the_md5_comes_from_dvc_lock(trained, tmp_path, monkeypatch):
    cfg, path = _copy(trained, tmp_path, with_stats=False)
    rel = "models/odeformer/model.pt"
    (tmp_path / "models" / "odeformer").mkdir(parents=True)
    path = path.rename(tmp_path / rel)
    (tmp_path / "dvc.lock").write_text(textwrap.dedent(f"""\
        schema: '2.0'
        stages:
          train_odeformer:
            cmd: python -m paper_code.odeformer.train
            outs:
            - path: {rel}
              hash: md5
              md5: {C.file_md5(path)}
        """))
    monkeypatch.setattr(shared_checkpoints, "REPO_ROOT", tmp_path)
    cfg = cfg.replace(checkpoint_path=rel)
    assert C.locked_md5(path) == C.file_md5(path)
    X.load_method(cfg)
    _flip_byte(path)
    with pytest.raises(C.CheckpointCorruptError, match="not the checkpoint dvc.lock records"):
        X.load_method(cfg)


def test_other_settings_name_the_fields_and_say_retrain(trained, tmp_path):
    cfg, _ = _copy(trained, tmp_path)
    with pytest.raises(C.CheckpointSettingsError) as err:
        X.load_method(cfg.replace(d_model=64, max_steps=5))
    msg = str(err.value)
    assert "d_model: checkpoint 32, config 64" in msg and "max_steps: checkpoint 2, config 5" in msg
    assert "`dvc repro train_odeformer`" in msg and "restore the committed params" in msg


def test_execution_fields_do_not_make_another_model(trained, tmp_path):
    """A run with more generation processes or another log/checkpoint cadence trained the same model (a GPU run
    uses 16 generation processes where the CPU stage uses one per core)."""
    cfg, _ = _copy(trained, tmp_path)
    X.load_method(cfg.replace(gen_workers=16, log_every=7, checkpoint_every=3, cache_dir="elsewhere"))
    with pytest.raises(C.CheckpointSettingsError, match="canonical_targets: checkpoint True, config False"):
        X.load_method(cfg.replace(canonical_targets=False))


def test_other_architecture_without_stats_reports_the_size_mismatch(trained, tmp_path):
    cfg, _ = _copy(trained, tmp_path, with_stats=False)
    with pytest.raises(C.CheckpointSettingsError, match="size mismatch for .*dvc repro train_odeformer"):
        X.load_method(cfg.replace(d_model=64))


def test_unfinished_run_is_not_evaluated(trained, tmp_path):
    cfg, path = _copy(trained, tmp_path)
    ckpt = torch.load(path, weights_only=True)
    ckpt["step"] = 1
    torch.save(ckpt, path)
    with pytest.raises(C.CheckpointSettingsError, match="unfinished training run \\(step 1 of 2\\)"):
        X.load_method(cfg)


# --------------------------------------------------------------------------- the training stage's output
def test_existing_output_actions(trained, tmp_path, monkeypatch):
    cfg, path = _copy(trained, tmp_path)
    monkeypatch.setattr(shared_checkpoints, "REPO_ROOT", tmp_path)  # no dvc.lock there: nothing committed
    assert T.existing_output_action(tmp_path / "absent.pt", cfg) == "train"
    assert T.existing_output_action(path, cfg) == "keep"  # finished, md5 vouched for by its stats
    with pytest.raises(C.CheckpointSettingsError, match="finished training run of other settings .*d_model"):
        T.existing_output_action(path, cfg.replace(d_model=64))
    # The committed checkpoint (md5 in dvc.lock) is replaced: DVC reruns the stage because its inputs changed.
    (tmp_path / "dvc.lock").write_text(
        f"stages:\n  train_odeformer:\n    outs:\n    - path: model.pt\n      md5: {C.file_md5(path)}\n")
    assert T.existing_output_action(path, cfg.replace(d_model=64)) == "replace"
    ckpt = torch.load(path, weights_only=True)
    ckpt["step"] = 1
    torch.save(ckpt, path)  # an interrupted run: the Trainer resumes it
    assert T.existing_output_action(path, cfg) == "train"
    _truncate(path)
    with pytest.raises(C.CheckpointCorruptError, match="dvc pull --force train_odeformer"):
        T.existing_output_action(path, cfg)


def test_training_entry_point_refuses_a_corrupt_checkpoint_at_once(trained, tmp_path, capsys):
    cfg, path = _copy(trained, tmp_path)
    _truncate(path)
    config = T.write_training_config(cfg, tmp_path / "train_config.json")
    with pytest.raises(SystemExit) as exit_:
        T.main(["--config", str(config), "--out", str(path), "--no-progress"])
    assert exit_.value.code == 1
    assert "`dvc pull --force train_odeformer`" in capsys.readouterr().err
    assert path.stat().st_size > 0  # left as it was, for the user to restore


def test_training_entry_point_keeps_a_verified_finished_run(trained, tmp_path):
    cfg, path = _copy(trained, tmp_path)
    before = (path.read_bytes(), (tmp_path / "model_stats.json").read_bytes())
    config = T.write_training_config(cfg, tmp_path / "train_config.json")
    stats = T.main(["--config", str(config), "--out", str(path), "--no-progress"])
    assert stats["checkpoint_md5"] == C.file_md5(path)
    assert (path.read_bytes(), (tmp_path / "model_stats.json").read_bytes()) == before
