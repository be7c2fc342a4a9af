"""The trained ODEFormer checkpoint's health, through the shared :mod:`paper_code.common.checkpoints`.

The DVC stage ``train_odeformer`` writes ``models/odeformer/model.pt`` and ``model_stats.json`` beside it. Each
failure has its own error and fix: missing -> ``dvc pull train_odeformer``; corrupt -> ``dvc pull --force
train_odeformer``; trained with other settings (or unfinished) -> retrain (``dvc repro train_odeformer``) or
restore the committed params. This module binds the shared checks to the stage (:data:`MODEL_STAGE`) and keeps
the functions the rest of the package calls with an :class:`~paper_code.odeformer.config.OdeformerConfig`.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paper_code.common.checkpoints import (
    CheckpointCorruptError,
    CheckpointError,
    CheckpointMissingError,
    CheckpointSettingsError,
    ModelStage,
    display,
    file_md5,
    is_complete,
    locked_md5,
    read_stats,
    resolve,
    runs_path,
    stats_path,
)
from paper_code.odeformer.config import EXECUTION_FIELDS, OdeformerConfig

__all__ = ["MODEL_STAGE", "STAGE", "PULL", "FORCE_PULL", "RETRAIN", "CheckpointError", "CheckpointMissingError",
           "CheckpointCorruptError", "CheckpointSettingsError", "resolve", "display", "stats_path", "runs_path",
           "file_md5", "locked_md5", "read_stats", "read_checkpoint", "is_complete", "verify_integrity",
           "settings_differences"]

MODEL_STAGE = ModelStage("train_odeformer", "ODEFormer", EXECUTION_FIELDS,
                         cost="about 3 h on 2 cores at quick scale, cache included")
STAGE, PULL, FORCE_PULL, RETRAIN = MODEL_STAGE.stage, MODEL_STAGE.pull, MODEL_STAGE.force_pull, MODEL_STAGE.retrain


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's contents; :class:`CheckpointCorruptError` when it cannot be read as one."""
    return MODEL_STAGE.read_checkpoint(path)


def verify_integrity(path: Path, stats: Mapping[str, Any] | None = None) -> None:
    """md5 against the training run's record (else ``dvc.lock``); :class:`CheckpointCorruptError` on a mismatch."""
    MODEL_STAGE.verify_integrity(path, stats)


def settings_differences(cfg: OdeformerConfig, trained: Mapping[str, Any]) -> list[str]:
    """``"field: checkpoint X, config Y"`` for every training field of ``cfg`` that differs in ``trained`` (the
    config the checkpoint was trained with), except :data:`~paper_code.odeformer.config.EXECUTION_FIELDS`."""
    return MODEL_STAGE.settings_differences(cfg.training_settings(), trained)
