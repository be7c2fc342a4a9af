"""The trained checkpoint's health: missing, corrupt, unfinished, or trained with other settings.

The DVC stage ``train_odeformer`` writes ``models/odeformer/model.pt`` (a :class:`~paper_code.common.training.
Trainer` checkpoint) and ``model_stats.json`` beside it; ``dvc push`` stores the checkpoint in ``dvc-store/``.
Each failure has its own error and its own fix:

* missing -> :class:`CheckpointMissingError`: ``dvc pull train_odeformer`` restores it offline;
* unreadable (truncated, overwritten), or its md5 differs from the md5 its training run recorded in the stats
  file (or, for the committed checkpoint, the md5 ``dvc.lock`` records) -> :class:`CheckpointCorruptError`:
  ``dvc pull --force train_odeformer`` restores the committed one;
* a valid checkpoint trained with other settings than the config selects ->
  :class:`CheckpointSettingsError`, naming the differing fields: retrain (``dvc repro train_odeformer``) or
  restore the committed params.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import yaml

from paper_code.common.paths import REPO_ROOT
from paper_code.odeformer.config import EXECUTION_FIELDS, OdeformerConfig

__all__ = ["STAGE", "PULL", "FORCE_PULL", "RETRAIN", "CheckpointError", "CheckpointMissingError",
           "CheckpointCorruptError", "CheckpointSettingsError", "resolve", "display", "stats_path", "file_md5",
           "locked_md5", "read_stats", "read_checkpoint", "is_complete", "verify_integrity", "settings_differences"]

log = logging.getLogger(__name__)

STAGE = "train_odeformer"
PULL = f"dvc pull {STAGE}"
FORCE_PULL = f"dvc pull --force {STAGE}"
RETRAIN = f"dvc repro {STAGE}"


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
    """``<stem>_stats.json`` beside the checkpoint (written by the training run)."""
    return checkpoint.with_name(checkpoint.stem + "_stats.json")


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
    path = stats_path(checkpoint)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's contents; :class:`CheckpointCorruptError` when it cannot be read as one."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 — any failure to read is the same diagnosis
        first = str(err).strip().splitlines()[0].split(". ")[0] if str(err).strip() else ""
        raise CheckpointCorruptError(
            f"{display(path)} cannot be read ({type(err).__name__}: {first}): the file is corrupt or truncated. "
            f"Restore the committed checkpoint with `{FORCE_PULL}`") from err
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), Mapping):
        raise CheckpointCorruptError(
            f"{display(path)} is not an ODEFormer checkpoint (no 'model' weights). Restore the committed checkpoint "
            f"with `{FORCE_PULL}`")
    return ckpt


def is_complete(ckpt: Mapping[str, Any]) -> bool:
    """A Trainer checkpoint at its run's ``max_steps`` (a bare ``{"model": ...}`` counts as complete)."""
    max_steps = (ckpt.get("config") or {}).get("max_steps")
    return max_steps is None or ckpt.get("step") == max_steps


def verify_integrity(path: Path, stats: Mapping[str, Any] | None = None) -> None:
    """Compare the file's md5 with the one its training run recorded in its stats file, else with the one
    ``dvc.lock`` records; a difference raises :class:`CheckpointCorruptError`. Nothing recorded: nothing checked."""
    stats = read_stats(path) if stats is None else stats
    expected = (stats or {}).get("checkpoint_md5") or locked_md5(path)
    source = "its training run recorded" if (stats or {}).get("checkpoint_md5") else "dvc.lock records"
    if expected is None:
        return
    actual = file_md5(path)
    if actual != expected:
        raise CheckpointCorruptError(
            f"{display(path)} is not the checkpoint {source} (md5 {actual}, expected {expected}): the file is "
            f"corrupt or was replaced. Restore the committed checkpoint with `{FORCE_PULL}`")


def settings_differences(cfg: OdeformerConfig, trained: Mapping[str, Any]) -> list[str]:
    """``"field: checkpoint X, config Y"`` for every training field whose value in ``trained`` (the config the
    checkpoint was trained with) differs from ``cfg``'s. Fields ``trained`` lacks are not compared, nor those of
    :data:`~paper_code.odeformer.config.EXECUTION_FIELDS` (e.g. the number of generation processes), which do not
    change the model."""
    mine = cfg.training_settings()
    return [f"{k}: checkpoint {trained[k]!r}, config {v!r}" for k, v in mine.items()
            if k in trained and trained[k] != v and k not in EXECUTION_FIELDS]
