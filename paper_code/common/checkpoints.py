"""The health of a model trained by a DVC stage: missing, corrupt, unfinished, or trained with other settings.

A training stage (e.g. ``train_odeformer``) writes a :class:`~paper_code.common.training.Trainer` checkpoint and
``<stem>_stats.json`` beside it; ``dvc push`` stores the checkpoint in ``dvc-store/``. Each failure has its own
error and its own fix, named in the message (:class:`ModelStage` knows the stage's commands):

* missing -> :class:`CheckpointMissingError`: ``dvc pull <stage>`` restores it offline;
* unreadable (truncated, overwritten), or its md5 differs from the md5 its training run recorded in the stats
  file (or, for the committed checkpoint, the md5 ``dvc.lock`` records) -> :class:`CheckpointCorruptError`:
  ``dvc pull --force <stage>`` restores the committed one;
* a valid checkpoint trained with other settings than the config selects, or unfinished ->
  :class:`CheckpointSettingsError`, naming the differing fields.

:meth:`ModelStage.existing_output_action` is what a training run does with a file already at its output path
(DVC keeps it between runs: ``persist``), and :meth:`ModelStage.check` is what an evaluation does before loading.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from paper_code.common.paths import REPO_ROOT

__all__ = ["CheckpointError", "CheckpointMissingError", "CheckpointCorruptError", "CheckpointSettingsError",
           "ModelStage", "resolve", "display", "stats_path", "runs_path", "file_md5", "locked_md5", "read_stats",
           "is_complete", "training_summary", "models_training_stats"]


class CheckpointError(RuntimeError):
    """The trained model cannot be used as it is; the message says how to fix it."""


class CheckpointMissingError(CheckpointError, FileNotFoundError):
    """No checkpoint on disk."""


class CheckpointCorruptError(CheckpointError):
    """The file is not the checkpoint its training run wrote (truncated, overwritten, bit rot)."""


class CheckpointSettingsError(CheckpointError):
    """A valid checkpoint, trained with other settings than the config selects (or not finished)."""


def resolve(path: str | Path) -> Path:
    """``path`` made absolute against the repository root."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def display(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it (for messages)."""
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def stats_path(checkpoint: Path) -> Path:
    """``<stem>_stats.json`` beside the checkpoint (written by a finished training run)."""
    return checkpoint.with_name(checkpoint.stem + "_stats.json")


def runs_path(checkpoint: Path) -> Path:
    """``<stem>_runs.json`` beside an unfinished checkpoint: the earlier runs that led to it."""
    return checkpoint.with_name(checkpoint.stem + "_runs.json")


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locked_md5(path: Path, lock: Path | None = None) -> str | None:
    """The md5 ``dvc.lock`` records for the stage output at ``path`` (None: not a tracked output)."""
    lock = lock or REPO_ROOT / "dvc.lock"
    if not lock.exists():
        return None
    try:
        rel = path.resolve().relative_to(lock.parent.resolve()).as_posix()
    except ValueError:
        return None
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    for stage in stages.values():
        for out in stage.get("outs", []) or []:
            if out.get("path") == rel:
                return out.get("md5")
    return None


def read_stats(checkpoint: Path) -> dict[str, Any] | None:
    """The training run's stats file beside ``checkpoint`` (None when absent or unreadable)."""
    try:
        return json.loads(stats_path(checkpoint).read_text())
    except (OSError, ValueError):
        return None


def training_summary(checkpoint: Path) -> dict[str, Any]:
    """The training figures of the run(s) behind ``checkpoint``, from its stats file: parameters, steps, batch size,
    samples seen, samples/s, minutes summed over the runs (a resumed checkpoint has several), device, and the final
    loss (mean of the last 10 logged)."""
    stats = json.loads(stats_path(checkpoint).read_text())
    runs = stats.get("runs") or [{"train_s": stats["wall_time_s"]}]
    batch = stats["config"]["batch_size"]
    return {"n_params": stats["n_params"], "steps": stats["steps"], "batch_size": batch,
            "samples": stats["steps"] * batch, "samples_per_s": stats["samples_per_s"],
            "train_minutes": sum(r["train_s"] for r in runs) / 60,
            "device": stats.get("device_name") or stats["device"], "final_loss": stats["final_loss_mean_last10"]}


def models_training_stats(cfg: Any, stages: Mapping[str, ModelStage], models: Sequence[str] | None = None
                          ) -> dict[str, Any]:
    """:func:`training_summary` of each model's checkpoint (``cfg.<model>_checkpoint``) with its keys prefixed
    ``<model>_``, and the name of the stage that trains it (``<model>_stage``); ``models`` defaults to every model
    of ``stages``."""
    out: dict[str, Any] = {}
    for model in stages if models is None else models:
        summary = training_summary(resolve(getattr(cfg, f"{model}_checkpoint")))
        out.update({f"{model}_{k}": v for k, v in summary.items()})
        out[f"{model}_stage"] = stages[model].stage
    return out


def is_complete(ckpt: Mapping[str, Any]) -> bool:
    """A Trainer checkpoint at its run's ``max_steps`` (a bare ``{"model": ...}`` counts as complete)."""
    max_steps = (ckpt.get("config") or {}).get("max_steps")
    return max_steps is None or ckpt.get("step") == max_steps


@dataclass(frozen=True)
class ModelStage:
    """A DVC stage that trains one model: its name, the model's name in messages, the training fields that only
    change how a run executes (not the model it trains), and its rough cost (for the retrain hint)."""

    stage: str                                  # e.g. "train_odeformer"
    model: str                                  # e.g. "ODEFormer"
    execution_fields: tuple[str, ...] = ()
    cost: str = ""                              # e.g. "about 3 h on 2 cores at quick scale"

    @property
    def pull(self) -> str:
        return f"dvc pull {self.stage}"

    @property
    def force_pull(self) -> str:
        return f"dvc pull --force {self.stage}"

    @property
    def retrain(self) -> str:
        return f"dvc repro {self.stage}"

    def _retrain_hint(self) -> str:
        return f"`{self.retrain}`" + (f" ({self.cost})" if self.cost else "")

    def read_checkpoint(self, path: Path) -> dict[str, Any]:
        """The checkpoint's contents; :class:`CheckpointCorruptError` when it cannot be read as one."""
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 — any failure to read is the same diagnosis
            first = str(err).strip().splitlines()[0].split(". ")[0] if str(err).strip() else ""
            raise CheckpointCorruptError(
                f"{display(path)} cannot be read ({type(err).__name__}: {first}): the file is corrupt or truncated. "
                f"Restore the committed checkpoint with `{self.force_pull}`") from err
        if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), Mapping):
            raise CheckpointCorruptError(
                f"{display(path)} is not a {self.model} checkpoint (no 'model' weights). Restore the committed "
                f"checkpoint with `{self.force_pull}`")
        return ckpt

    def verify_integrity(self, path: Path, stats: Mapping[str, Any] | None = None) -> None:
        """Compare the file's md5 with the one its training run recorded in its stats file, else with the one
        ``dvc.lock`` records; a difference raises :class:`CheckpointCorruptError`. Nothing recorded: nothing
        checked."""
        stats = read_stats(path) if stats is None else stats
        expected = (stats or {}).get("checkpoint_md5") or locked_md5(path)
        source = "its training run recorded" if (stats or {}).get("checkpoint_md5") else "dvc.lock records"
        if expected is None:
            return
        actual = file_md5(path)
        if actual != expected:
            raise CheckpointCorruptError(
                f"{display(path)} is not the checkpoint {source} (md5 {actual}, expected {expected}): the file is "
                f"corrupt or was replaced. Restore the committed checkpoint with `{self.force_pull}`")

    def settings_differences(self, settings: Mapping[str, Any], trained: Mapping[str, Any]) -> list[str]:
        """``"field: checkpoint X, config Y"`` for every field of ``settings`` (the config's training settings)
        whose value in ``trained`` (those the checkpoint was trained with) differs. Fields ``trained`` lacks are
        not compared, nor the execution fields, which do not change the model."""
        return [f"{k}: checkpoint {trained[k]!r}, config {v!r}" for k, v in settings.items()
                if k in trained and trained[k] != v and k not in self.execution_fields]

    def existing_output_action(self, path: Path, settings: Mapping[str, Any]) -> str:
        """What training with ``settings`` does with a checkpoint already at ``path``.

        Returns ``"train"`` (none there, or an unfinished run: the Trainer resumes it, or refuses one of other
        settings), ``"replace"`` (the checkpoint ``dvc.lock`` records: DVC reruns the stage because its inputs
        changed or it was forced; the old file stays restorable from the DVC cache and store) or ``"keep"`` (a
        finished run of exactly these settings, vouched for by its stats file's md5: nothing to train).

        Raises:
            CheckpointCorruptError: unreadable, or not the file its run recorded: restore it, never retrain silently.
            CheckpointSettingsError: someone's finished run of other settings, which training would overwrite.
        """
        if not path.exists():
            return "train"
        ckpt = self.read_checkpoint(path)
        if not is_complete(ckpt):
            return "train"
        if file_md5(path) == locked_md5(path):
            return "replace"
        stats = read_stats(path)
        self.verify_integrity(path, stats)
        where = display(path)
        if stats is None or not stats.get("checkpoint_md5"):
            raise CheckpointSettingsError(
                f"{where} holds a finished training run that neither dvc.lock nor its stats file records; training "
                "would overwrite it: move or delete it first")
        diffs = self.settings_differences(settings, stats.get("config") or {})
        if diffs:
            raise CheckpointSettingsError(
                f"{where} holds a finished training run of other settings ({'; '.join(diffs)}) that is not the "
                "committed checkpoint; training would overwrite it: move or delete it first")
        return "keep"

    def check(self, path: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Before an evaluation loads ``path``: it exists, reads, is finished, is the file its run recorded, and
        was trained with ``settings``. Returns the checkpoint's contents; raises the error that names the fix."""
        where = display(path)
        if not path.exists():
            raise CheckpointMissingError(
                f"no {self.model} checkpoint at {where}: restore the trained model with `{self.pull}` (offline, "
                f"from the in-repo store dvc-store/), or train it with {self._retrain_hint()}")
        ckpt = self.read_checkpoint(path)
        if not is_complete(ckpt):
            raise CheckpointSettingsError(
                f"{where} is an unfinished training run (step {ckpt.get('step')} of {ckpt['config']['max_steps']}): "
                f"finish it with `{self.retrain}` (it resumes) or restore the committed checkpoint with "
                f"`{self.force_pull}`")
        stats = read_stats(path)
        self.verify_integrity(path, stats)
        diffs = self.settings_differences(settings, (stats or {}).get("config") or {})
        if diffs:
            shown = "; ".join(diffs[:6]) + (f"; and {len(diffs) - 6} more" if len(diffs) > 6 else "")
            raise CheckpointSettingsError(f"{where} was trained with other settings ({shown}); "
                                          f"{self.other_model_hint()}")
        return ckpt

    def mismatch(self, err: Exception, path: Path) -> CheckpointSettingsError:
        """The error for weights that do not fit the config's model (``err``: ``load_state_dict``'s), naming the
        first size mismatch and the fix."""
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if ln.startswith("size mismatch")), lines[0] if lines else "")
        return CheckpointSettingsError(f"{display(path)} does not fit the model of this config ({detail}); "
                                       f"{self.other_model_hint()}")

    def load_weights(self, net: Any, state: Mapping[str, Any], path: Path) -> None:
        """``net.load_state_dict(state)``, raising :meth:`mismatch` for the weights of another architecture."""
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            raise self.mismatch(err, path) from err

    def load_trained(self, path: Path, settings: Mapping[str, Any], build: Callable[[], tuple[Any, Any]]
                     ) -> tuple[Any, Any]:
        """The model a training run wrote at ``path``: the file checked (:meth:`check`), ``build()`` called for
        ``(net, extra)`` (e.g. the vocabulary), the weights loaded (:meth:`load_weights`); ``net`` in eval mode."""
        ckpt = self.check(path, settings)
        net, extra = build()
        self.load_weights(net, ckpt["model"], path)
        return net.eval(), extra

    def other_model_hint(self) -> str:
        return (f"your params select a different model than the committed checkpoint: retrain with "
                f"{self._retrain_hint()} or restore the committed params")
