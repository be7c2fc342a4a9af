"""The shared training-stage machinery: per-model training fields of a StagedConfig, the training settings file, time
budgets, run records, JSON-safe stats, and a trained model's health checks (ModelStage), on tiny hand-made files."""
from __future__ import annotations

import dataclasses
import json
import logging
import math
import textwrap
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from paper_code.common import checkpoints as CK
from paper_code.common import training_runs as R
from paper_code.common.config import EVALUATE, TRAIN, ConfigError, StagedConfig, param
from paper_code.common.training import TensorBatches


@dataclasses.dataclass(frozen=True)
class TwoModels(StagedConfig):
    PAPER = "two_models"

    width: int = param(4, "shared by both models", ge=1, stage=TRAIN)
    workers: int = param(1, "execution only", ge=0, stage=TRAIN)
    a_steps: int = param(3, "model a only", ge=1, stage=TRAIN, model="a")
    b_rate: float = param(0.1, "model b only", gt=0, stage=TRAIN, model="b")
    b_depth: int = param(2, "model b only", ge=1, stage=TRAIN, model="b")
    temperature: float = param(0.5, "evaluation", ge=0, stage=EVALUATE)


@dataclasses.dataclass(frozen=True)
class OneModel(StagedConfig):
    PAPER = "one_model"

    width: int = param(4, "training", ge=1, stage=TRAIN)
    temperature: float = param(0.5, "evaluation", ge=0, stage=EVALUATE)


# --------------------------------------------------------------------------- StagedConfig and its model= tag


def test_stage_fields_and_models():
    assert TwoModels.models() == ("a", "b") and OneModel.models() == ()
    assert TwoModels.stage_fields(TRAIN) == ("width", "workers")  # untagged: read by every model
    assert TwoModels.stage_fields(TRAIN, "a") == ("width", "workers", "a_steps")
    assert TwoModels.stage_fields(TRAIN, "b") == ("width", "workers", "b_rate", "b_depth")
    assert TwoModels.stage_fields(EVALUATE) == ("temperature",) == TwoModels.stage_fields(EVALUATE, "a")
    assert "seed" not in TwoModels.stage_fields(TRAIN)  # PaperConfig's seed carries no stage here
    with pytest.raises(ValueError, match="unknown stage 'test'"):
        TwoModels.stage_fields("test")
    with pytest.raises(ValueError, match="unknown model 'c'; valid: a, b"):
        TwoModels.stage_fields(TRAIN, "c")
    with pytest.raises(ValueError, match="none: untagged fields only"):
        OneModel.stage_fields(TRAIN, "a")


def test_training_settings_per_model():
    cfg = TwoModels(width=8, a_steps=5, b_rate=0.2, temperature=0.1)
    assert cfg.training_settings("a") == {"a_steps": 5, "width": 8, "workers": 1}
    assert list(cfg.training_settings("b")) == ["b_depth", "b_rate", "width", "workers"]  # sorted
    assert cfg.replace(b_rate=0.3).training_settings("a") == cfg.training_settings("a")
    assert cfg.replace(temperature=0.9).training_settings("b") == cfg.training_settings("b")
    assert OneModel(width=2).training_settings() == {"width": 2}


def test_from_training_settings_with_a_model():
    cfg = TwoModels(width=8, b_rate=0.2, b_depth=5)
    back = TwoModels.from_training_settings(cfg.training_settings("b"), model="b")
    assert back.training_settings("b") == cfg.training_settings("b")
    assert back.a_steps == TwoModels().a_steps and back.temperature == TwoModels().temperature  # defaults
    settings = cfg.training_settings("b")
    del settings["b_depth"]
    with pytest.raises(ConfigError, match=r"^the file: missing b_depth$"):
        TwoModels.from_training_settings(settings, source="the file", model="b")
    with pytest.raises(ConfigError, match="not training fields: a_steps, temperature"):
        TwoModels.from_training_settings({**cfg.training_settings("b"), "a_steps": 3, "temperature": 0.1},
                                         model="b")
    with pytest.raises(ConfigError, match="missing b_depth; not training fields: a_steps"):
        TwoModels.from_training_settings({**settings, "a_steps": 3}, model="b")
    with pytest.raises(ConfigError, match="two_models.b_rate"):  # values are validated
        TwoModels.from_training_settings({**cfg.training_settings("b"), "b_rate": -1.0}, model="b")


def test_settings_file_round_trip_with_a_model(tmp_path):
    cfg = TwoModels(width=8, a_steps=7, b_rate=0.2)
    path = R.write_training_config(cfg, tmp_path / "sub" / "a.json", "a")
    assert path == tmp_path / "sub" / "a.json"
    text = path.read_text()
    assert json.loads(text) == cfg.training_settings("a") and text.endswith("\n")
    # byte-identical for configs that differ only in the other model's or the evaluation's fields
    other = R.write_training_config(cfg.replace(b_rate=0.9, temperature=0.0), tmp_path / "b.json", "a")
    assert other.read_bytes() == path.read_bytes()
    back = R.read_training_config(TwoModels, path, "write it first", "a")
    assert back.training_settings("a") == cfg.training_settings("a")


@pytest.mark.parametrize("edit, name", [
    (lambda s: s.pop("a_steps"), "missing a_steps"),
    (lambda s: s.update(b_rate=0.1), "not training fields: b_rate"),
    (lambda s: s.update(temperature=0.1), "not training fields: temperature"),
])
def test_settings_file_with_a_missing_or_extra_field_names_it(tmp_path, edit, name):
    settings = TwoModels().training_settings("a")
    edit(settings)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(settings))
    with pytest.raises(ConfigError, match=name) as err:
        R.read_training_config(TwoModels, path, "rewrite it", "a")
    assert str(tmp_path / "a.json") in str(err.value)


def test_unreadable_settings_files_say_how_to_write_them(tmp_path):
    with pytest.raises(ConfigError, match="training settings file not found; write it with X"):
        R.read_training_config(TwoModels, tmp_path / "none.json", "write it with X", "a")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON .*; fix"):
        R.read_training_config(TwoModels, tmp_path / "bad.json", "fix", "a")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        R.read_training_config(TwoModels, tmp_path / "list.json", "fix", "a")


# --------------------------------------------------------------------------- time budget


class _Steps:
    def get(self, step, rank=0, world_size=1):
        return (step, rank, world_size)

    def fingerprint(self):
        return {"class": "steps"}


@pytest.fixture
def clock(monkeypatch):
    """A settable perf_counter for training_runs (``clock[0]`` seconds)."""
    now = [0.0]
    monkeypatch.setattr(R, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    return now


def test_deadline_batches_pass_batches_through_within_budget(clock):
    d = R.DeadlineBatches(_Steps(), budget_s=100.0, every=2)
    for step in range(6):
        clock[0] = float(step)
        assert d.get(step, 1, 2) == (step, 1, 2)
    assert d.fingerprint() == {"class": "steps"}


def test_deadline_batches_stop_at_a_checkpoint_step_when_the_next_segment_would_overrun(clock):
    d = R.DeadlineBatches(_Steps(), budget_s=3.0, every=2)
    clock[0] = 0.1
    assert d.get(0) == (0, 0, 1)
    clock[0] = 100.0  # past the budget, but step 1 is not a checkpoint step: nothing is lost by going on
    assert d.get(1) == (1, 0, 1)
    clock[0] = 2.0  # 0.95 s per step: the next 2 steps would end at 3.9 s
    with pytest.raises(R.TimeBudgetExhausted) as stop:
        d.get(2)
    assert (stop.value.step, stop.value.budget_s) == (2, 3.0) and "(checkpointed)" in str(stop.value)
    d = R.DeadlineBatches(_Steps(), budget_s=3.0, every=2)
    clock[0] = 0.1
    d.get(0)
    clock[0] = 1.0  # 0.45 s per step: the next 2 end at 1.9 s, within budget
    assert d.get(2) == (2, 0, 1)


def test_deadline_batches_stop_at_once_when_the_budget_is_already_spent(clock):
    clock[0] = 10.0
    d = R.DeadlineBatches(_Steps(), budget_s=3.0, every=5, start=0.0)  # e.g. data generation took it all
    with pytest.raises(R.TimeBudgetExhausted, match="nothing trained yet") as stop:
        d.get(0)
    assert stop.value.step == 0
    with pytest.raises(ValueError, match="checkpoint_every >= 1"):
        R.DeadlineBatches(_Steps(), budget_s=3.0, every=0)


# --------------------------------------------------------------------------- run records and stats

CPU = torch.device("cpu")


def test_record_run_chains_only_contiguous_runs(tmp_path, caplog):
    path = tmp_path / "model.pt"
    first = R.record_run(path, 0, 2, 1.24, 0.5, CPU)
    assert first == [{"from": 0, "to": 2, "train_s": 1.2, "generation_s": 0.5, "device": "cpu"}]
    assert json.loads(CK.runs_path(path).read_text()) == first
    chained = R.record_run(path, 2, 4, 1.0, 0.0, CPU)
    assert [(r["from"], r["to"]) for r in chained] == [(0, 2), (2, 4)]
    with caplog.at_level(logging.WARNING, logger=R.__name__):
        gap = R.record_run(path, 5, 6, 1.0, 0.0, CPU)
    assert [(r["from"], r["to"]) for r in gap] == [(5, 6)] and "does not end at step 5" in caplog.text
    fresh = R.record_run(path, 0, 1, 1.0, 0.0, CPU)  # a run from step 0 has no predecessor
    assert [(r["from"], r["to"]) for r in fresh] == [(0, 1)]
    unwritten = R.record_run(path, 1, 3, 1.0, 0.0, CPU, write=False)
    assert [(r["from"], r["to"]) for r in unwritten] == [(0, 1), (1, 3)]
    assert json.loads(CK.runs_path(path).read_text()) == fresh
    CK.runs_path(path).write_text("{truncated")
    assert [(r["from"], r["to"]) for r in R.record_run(path, 1, 2, 1.0, 0.0, CPU)] == [(1, 2)]


def test_finite_turns_nan_into_null_recursively():
    data = {"a": float("nan"), "b": [1.0, float("inf"), {"c": -float("inf"), "d": 2}], "e": "x", "f": 3,
            "g": (1.0,)}
    out = R.finite(data)
    assert out == {"a": None, "b": [1.0, None, {"c": None, "d": 2}], "e": "x", "f": 3, "g": (1.0,)}
    json.dumps(out, allow_nan=False)
    assert data["a"] != data["a"]  # the input is left as it was


def _linear_run(path, max_steps):
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    x = torch.randn(16, 2)
    batches = TensorBatches(x, x.sum(1, keepdim=True), batch_size=4)
    cfg = SimpleNamespace(max_steps=max_steps, batch_size=4, log_every=2, checkpoint_every=2, grad_clip=1.0)
    return R.run_training(cfg=cfg, settings={"width": 2}, model=model,
                          optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                          loss_fn=lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), batches=batches, path=path,
                          lr_lambda=None, desc="linear", progress=False, extra_stats={"model": "a"})


def test_run_training_writes_json_safe_stats(tmp_path):
    path = tmp_path / "model.pt"
    stats = _linear_run(path, 4)
    written = json.loads(CK.stats_path(path).read_text())
    assert written["steps"] == 4 and written["config"] == {"width": 2} and written["model"] == "a"
    assert written["checkpoint_md5"] == CK.file_md5(path) and written["device"] == "cpu"
    assert stats["final_loss"] < stats["first_loss"]
    again = _linear_run(path, 4)  # already at max_steps: nothing trained, no rate
    assert again["steps_this_run"] == 0 and math.isnan(again["samples_per_s"])
    assert json.loads(CK.stats_path(path).read_text())["samples_per_s"] is None


# --------------------------------------------------------------------------- ModelStage

STAGE = CK.ModelStage("train_thing", "Thing", ("workers",), cost="about 1 min")


@pytest.fixture
def root(tmp_path, monkeypatch):
    """The repository root moved to an empty folder: no dvc.lock unless a test writes one."""
    monkeypatch.setattr(CK, "REPO_ROOT", tmp_path)
    return tmp_path


def _checkpoint(path, step=3, max_steps=3, settings=None, stats=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": {"w": torch.zeros(2)}, "step": step, "config": {"max_steps": max_steps}}, path)
    if stats:
        CK.stats_path(path).write_text(json.dumps({"checkpoint_md5": CK.file_md5(path),
                                                   "config": settings or {"width": 4, "workers": 1}}))
    return path


def test_settings_differences_ignore_execution_fields():
    diffs = STAGE.settings_differences({"width": 4, "workers": 2, "new": 1, "depth": 3},
                                       {"width": 8, "workers": 1, "depth": 3})
    assert diffs == ["width: checkpoint 8, config 4"]  # workers: execution only; new: not in the checkpoint


def test_check_accepts_a_finished_run_of_these_settings(root):
    path = _checkpoint(root / "m.pt")
    assert set(STAGE.check(path, {"width": 4, "workers": 3})["model"]) == {"w"}


def test_check_errors_name_the_stage_commands(root):
    settings = {"width": 4, "workers": 1}
    with pytest.raises(CK.CheckpointMissingError) as err:
        STAGE.check(root / "models" / "m.pt", settings)
    msg = str(err.value)
    assert "no Thing checkpoint at models/m.pt" in msg and "`dvc pull train_thing`" in msg
    assert "`dvc repro train_thing` (about 1 min)" in msg

    (root / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CK.CheckpointCorruptError, match=r"corrupt or truncated. .*`dvc pull --force train_thing`"):
        STAGE.check(root / "garbage.pt", settings)
    torch.save({"weights": {}}, root / "other.pt")
    with pytest.raises(CK.CheckpointCorruptError, match=r"not a Thing checkpoint \(no 'model' weights\)"):
        STAGE.check(root / "other.pt", settings)

    path = _checkpoint(root / "unfinished.pt", step=1, max_steps=3)
    with pytest.raises(CK.CheckpointSettingsError) as err:
        STAGE.check(path, settings)
    msg = str(err.value)
    assert "unfinished training run (step 1 of 3)" in msg and "`dvc repro train_thing`" in msg
    assert "`dvc pull --force train_thing`" in msg

    path = _checkpoint(root / "altered.pt")
    torch.save({"model": {"w": torch.ones(2)}, "step": 3, "config": {"max_steps": 3}}, path)
    with pytest.raises(CK.CheckpointCorruptError, match="not the checkpoint its training run recorded"):
        STAGE.check(path, settings)

    path = _checkpoint(root / "other_settings.pt", settings={"width": 8, "workers": 1})
    with pytest.raises(CK.CheckpointSettingsError) as err:
        STAGE.check(path, settings)
    msg = str(err.value)
    assert "width: checkpoint 8, config 4" in msg and "`dvc repro train_thing` (about 1 min)" in msg


def test_without_stats_the_md5_comes_from_dvc_lock(root):
    path = _checkpoint(root / "models" / "m.pt", stats=False)
    STAGE.check(path, {"width": 4})  # nothing recorded: nothing to compare
    (root / "dvc.lock").write_text(textwrap.dedent(f"""\
        schema: '2.0'
        stages:
          train_thing:
            outs:
            - path: models/m.pt
              md5: {CK.file_md5(path)}
        """))
    assert CK.locked_md5(path) == CK.file_md5(path)
    STAGE.check(path, {"width": 4})
    assert STAGE.existing_output_action(path, {"width": 4}) == "replace"  # the committed checkpoint: DVC reruns
    torch.save({"model": {"w": torch.ones(2)}, "step": 3, "config": {"max_steps": 3}}, path)
    with pytest.raises(CK.CheckpointCorruptError, match="not the checkpoint dvc.lock records"):
        STAGE.check(path, {"width": 4})


def test_existing_output_action(root):
    settings = {"width": 4, "workers": 1}
    assert STAGE.existing_output_action(root / "none.pt", settings) == "train"
    assert STAGE.existing_output_action(_checkpoint(root / "u.pt", step=1), settings) == "train"  # resumes
    kept = _checkpoint(root / "k.pt")
    assert STAGE.existing_output_action(kept, settings) == "keep"
    assert STAGE.existing_output_action(kept, {"width": 4, "workers": 8}) == "keep"  # execution field only
    with pytest.raises(CK.CheckpointSettingsError, match="width: checkpoint 4, config 5"):
        STAGE.existing_output_action(kept, {"width": 5, "workers": 1})
    with pytest.raises(CK.CheckpointSettingsError, match="neither dvc.lock nor its stats file records"):
        STAGE.existing_output_action(_checkpoint(root / "n.pt", stats=False), settings)
    (root / "bad.pt").write_bytes(b"\x00" * 10)
    with pytest.raises(CK.CheckpointCorruptError):
        STAGE.existing_output_action(root / "bad.pt", settings)
