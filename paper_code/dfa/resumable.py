"""Resumable training runs for the DFA experiments: evaluations on any step grid, checkpoints named by run.

Every experiment of this paper records its curves at a few hundred steps spread on a
log scale (the alignment phase is short and early, memorisation is long and late).
:class:`GridTrainer` is the shared :class:`~paper_code.common.training.Trainer` with
evaluations at exactly those steps, and what ``eval_fn`` returns at each of them is
kept in the trainer's history, which the checkpoints hold. So a run with a checkpoint
path resumes exactly where it stopped, and a finished checkpoint is a cache: the
notebook re-reads every recorded curve from it without training again.

A checkpoint must never be resumed by a different experiment. The Trainer already
refuses other shapes, optimisers and data streams; :class:`TaggedBatches` adds a
digest of everything else that defines the run (the data values, the initial weights
and feedback matrices, the evaluation grid), so changing, say, the label-noise level
or the feedback seed stops with :class:`~paper_code.common.training.CheckpointMismatchError`
(whose message names the file to delete or move) instead of silently reusing old results.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from paper_code.common.paths import REPO_ROOT
from paper_code.common.training import BatchSource, Trainer, TrainHistory

__all__ = [
    "GridTrainer",
    "TaggedBatches",
    "digest",
    "checkpoint_file",
    "checkpoint_every",
    "eval_records",
]

#: Checkpoints per run: often enough that an interruption loses little, rarely enough to cost nothing.
CHECKPOINTS_PER_RUN = 50


class GridTrainer(Trainer):
    """A :class:`Trainer` that evaluates at the steps of ``eval_steps`` (and after the last step) only.

    The shared trainer evaluates every ``eval_every`` steps; the alignment curves need a
    log-spaced grid. Same arguments as ``Trainer`` otherwise (``eval_every`` is set here).
    """

    def __init__(self, *args: Any, eval_steps: Iterable[int], **kwargs: Any):
        if "eval_every" in kwargs:
            raise ValueError("GridTrainer evaluates on eval_steps; do not pass eval_every")
        super().__init__(*args, eval_every=1, **kwargs)
        self.eval_steps = frozenset(int(s) for s in eval_steps)

    def _evaluate(self, step: int) -> None:
        if step in self.eval_steps or step == self.config.max_steps:
            super()._evaluate(step)


class TaggedBatches:
    """A batch source whose checkpoint fingerprint also carries ``identity`` (see the module doc)."""

    def __init__(self, source: BatchSource, identity: str):
        self.source = source
        self.identity = str(identity)

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> Any:
        return self.source.get(step, rank, world_size)

    def fingerprint(self) -> dict[str, Any]:
        inner = getattr(self.source, "fingerprint", None)
        fp = inner() if callable(inner) else {"class": type(self.source).__name__}
        return {**fp, "identity": self.identity}


def _feed(h: hashlib._Hash, part: Any) -> None:
    if isinstance(part, Tensor):
        t = part.detach().cpu().contiguous()
        h.update(f"tensor{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    elif isinstance(part, np.ndarray):
        a = np.ascontiguousarray(part)
        h.update(f"array{a.shape}{a.dtype}".encode())
        h.update(a.tobytes())
    elif isinstance(part, Mapping):
        for k in sorted(part, key=str):
            h.update(str(k).encode())
            _feed(h, part[k])
    elif isinstance(part, (list, tuple)) and any(isinstance(p, (Tensor, np.ndarray, Mapping)) for p in part):
        h.update(f"seq{len(part)}".encode())
        for p in part:
            _feed(h, p)
    else:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())


def digest(*parts: Any) -> str:
    """A short sha256 of tensors, arrays, mappings (e.g. a ``state_dict``) and JSON-able values, in order."""
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()[:16]


def checkpoint_file(folder: str | Path | None, name: str) -> Path | None:
    """``<folder>/<name>.pt``; a relative folder is under the repository root; ``''``/None means no checkpoint."""
    if folder is None or str(folder) == "":
        return None
    root = Path(folder)
    if not root.is_absolute():
        root = REPO_ROOT / root
    return root / f"{name}.pt"


def checkpoint_every(max_steps: int) -> int:
    """Steps between checkpoints: about :data:`CHECKPOINTS_PER_RUN` per run."""
    return max(1, math.ceil(max_steps / CHECKPOINTS_PER_RUN))


def eval_records(history: TrainHistory, key: str) -> list[dict[str, Any]]:
    """The history's evaluation records (those holding ``key``), one per step, in step order."""
    by_step = {int(r["step"]): r for r in history.records if key in r}
    return [by_step[s] for s in sorted(by_step)]
