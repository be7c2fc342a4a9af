"""Training a core encoder-decoder on batches drawn on the fly: the recipe the papers built on sequences of tokens
share (recurrences, d'Ascoli et al., ICML 2022; end-to-end symbolic regression, Kamienny et al., NeurIPS 2022).

AdamW, a linear warm-up then one cosine decay to ``min_lr_ratio`` (:func:`~paper_code.common.training.warmup_cosine`),
the token cross-entropy of :func:`~paper_code.symbolic.model.sequence_loss`, gradient clipping, resumable checkpoints
and the stats file beside them (:func:`~paper_code.common.training_runs.run_training`), batches assembled ahead of the
trainer by ``loader_workers`` forked processes (the same batches as inline: a batch is a pure function of the step).

The paper's config supplies the fields ``seed, steps, batch_size, lr, weight_decay, warmup_steps, warmup_init_lr,
min_lr_ratio, grad_clip, loader_workers, log_every, checkpoint_every`` and ``training_settings(model)``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from paper_code.common.devices import choose_device
from paper_code.common.training import warmup_cosine
from paper_code.common.training_runs import PrefetchedBatches, request_determinism, run_training
from paper_code.symbolic.model import sequence_loss

__all__ = ["lr_factor", "train_seq2seq"]


def lr_factor(step: int, cfg: Any) -> float:
    """``lr(step) / lr``: linear warm-up, then one cosine decay to ``min_lr_ratio`` at the last step."""
    return warmup_cosine(step, lr=cfg.lr, max_steps=cfg.steps, warmup_steps=cfg.warmup_steps,
                         warmup_init_lr=cfg.warmup_init_lr, min_lr_ratio=cfg.min_lr_ratio)


class _RunSettings:
    """What :func:`~paper_code.common.training_runs.run_training` reads."""

    def __init__(self, cfg: Any) -> None:
        self.max_steps, self.batch_size, self.log_every = cfg.steps, cfg.batch_size, cfg.log_every
        self.checkpoint_every, self.grad_clip = cfg.checkpoint_every, cfg.grad_clip


def train_seq2seq(cfg: Any, model: str, source: Any, build: Callable[[], tuple[torch.nn.Module, Any]], path: Path,
                  *, desc: str, progress: bool = True, time_budget_s: float | None = None,
                  loader_workers: int | None = None, t_start: float | None = None) -> dict[str, Any]:
    """Train (or resume) ``model`` to ``cfg.steps`` on ``source`` (``get(step, rank, world_size)`` and
    ``fingerprint()``); ``build()`` returns ``(net, anything)``. Returns the stats written beside the checkpoint at
    ``path``. ``loader_workers`` overrides ``cfg.loader_workers``; ``time_budget_s`` stops at a checkpoint before the
    budget would be overrun (rerunning resumes); ``t_start`` is when the caller started (default: now)."""
    t_start = time.perf_counter() if t_start is None else t_start
    torch.manual_seed(cfg.seed)
    workers = cfg.loader_workers if loader_workers is None else loader_workers
    prefetch = PrefetchedBatches(source, workers) if workers > 0 else None
    try:
        request_determinism(choose_device("auto"))
        net, _ = build()
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        return run_training(cfg=_RunSettings(cfg), settings=cfg.training_settings(model), model=net, optimizer=opt,
                            loss_fn=sequence_loss, batches=prefetch or source, path=path,
                            lr_lambda=lambda t: lr_factor(t, cfg), desc=desc, progress=progress,
                            time_budget_s=time_budget_s, t_start=t_start, generation_s=0.0,
                            extra_stats={"model": model, "loader_workers": workers,
                                         "parameters": sum(p.numel() for p in net.parameters())})
    finally:
        if prefetch is not None:
            prefetch.close()
