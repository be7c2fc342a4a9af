"""Train Boolformer's two models (noiseless and noisy) with the shared Trainer and training-stage machinery.

Paper: arXiv 2309.12207 v2 §2.3 (encoder-decoder, cross-entropy on the prefix formula, AdamW, data generated on
the fly). Each batch is drawn afresh from ``(seed, step, rank)`` (:class:`~paper_code.boolformer.data.
BooleanBatches`), so a resumed or data-parallel run is exact; the noiseless model never sees the truth tables of
the held-out functions (:func:`held_out_set`), which are its test set. Formulas are cheap to draw (≈1 ms each on
one core), so no cache is needed: ``loader_workers`` processes assemble the batches ahead of the trainer.

Entry point (``--model`` picks the model; reads ``params.yaml``'s ``boolformer`` section when present, else the
quick preset)::

    python -m paper_code.boolformer.train --model noiseless [--scale quick|paper] [--max-steps N] [--out PATH]
    python -m paper_code.boolformer.train --model noisy --write-config models/boolformer/noisy/train_config.json
    python -m paper_code.boolformer.train --model noisy --config models/boolformer/noisy/train_config.json

The DVC stages ``boolformer_train_config`` (both settings files) and ``train_boolformer_noiseless`` /
``train_boolformer_noisy`` split training from the rest of the config as for ODEFormer
(:mod:`paper_code.common.training_runs`): only a change of a model's own training fields retrains it.

Outputs: the checkpoint (``models/boolformer/<model>/model.pt``) and ``model_stats.json`` beside it.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from paper_code.boolformer.config import EXECUTION_FIELDS, MODELS, NOISELESS, NOISY, BoolformerConfig
from paper_code.boolformer.data import BooleanBatches, held_out_formulas, output_vocabulary
from paper_code.boolformer.formulas import BooleanFormula, FormulaConfig
from paper_code.boolformer.inputs import INPUT_VOCAB, NoiseConfig
from paper_code.common import training_runs as R
from paper_code.common.checkpoints import ModelStage, resolve
from paper_code.common.devices import choose_device
from paper_code.common.training import warmup_cosine
from paper_code.common.training_runs import PrefetchedBatches, request_determinism, run_training
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer, sequence_loss

__all__ = ["MODEL_STAGES", "formula_config", "noise_config", "n_inputs", "max_len", "held_out_set", "batches",
           "build_model", "lr_factor", "RunSettings", "run_settings", "train", "load_model", "COMMAND", "main"]

MODEL_STAGES = {
    NOISELESS: ModelStage("train_boolformer_noiseless", "Boolformer (noiseless)", EXECUTION_FIELDS,
                          cost="about 25 min on 2 cores at quick scale"),
    NOISY: ModelStage("train_boolformer_noisy", "Boolformer (noisy)", EXECUTION_FIELDS,
                      cost="about 25 min on 2 cores at quick scale"),
}


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model={model!r} is invalid; valid: {', '.join(MODELS)}")


def formula_config(cfg: BoolformerConfig, model: str) -> FormulaConfig:
    """The random-formula distribution of ``model``: every variable active in the noiseless regime; in the noisy
    regime the formula's variables are its 1..``noisy_max_active`` active ones (the inactive columns are added by
    :func:`~paper_code.boolformer.inputs.noisy_task`)."""
    _check_model(model)
    if model == NOISELESS:
        return FormulaConfig(min_dim=cfg.noiseless_min_dim, max_dim=cfg.noiseless_max_dim,
                             max_active=cfg.noiseless_max_dim, all_active=True,
                             max_binary=cfg.noiseless_max_binary, max_tokens=cfg.noiseless_max_tokens)
    return FormulaConfig(min_dim=1, max_dim=cfg.noisy_max_active, max_active=cfg.noisy_max_active, all_active=True,
                         max_binary=cfg.noisy_max_binary, max_tokens=cfg.noisy_max_tokens)


def noise_config(cfg: BoolformerConfig, **changes: Any) -> NoiseConfig:
    """The noisy model's observation process (``changes``: fields of :class:`NoiseConfig` to fix, e.g. for a
    sweep)."""
    base = NoiseConfig(min_points=cfg.noisy_min_points, max_points=cfg.noisy_max_points,
                       max_inactive=cfg.noisy_max_inputs - 1, max_inputs=cfg.noisy_max_inputs,
                       max_flip=cfg.noisy_max_flip)
    return base.replace(changes) if changes else base


def n_inputs(cfg: BoolformerConfig, model: str) -> int:
    """Input columns the model reads (the row width minus the output bit)."""
    _check_model(model)
    return cfg.noiseless_max_dim if model == NOISELESS else cfg.noisy_max_inputs


def max_len(cfg: BoolformerConfig, model: str) -> int:
    """Decoder positions: the longest target plus both ``<EOS>``."""
    _check_model(model)
    return (cfg.noiseless_max_tokens if model == NOISELESS else cfg.noisy_max_tokens) + 2


def held_out_set(cfg: BoolformerConfig) -> list[BooleanFormula]:
    """The noiseless model's test functions: ``held_out`` distinct truth tables from a seed stream disjoint from
    training (:func:`~paper_code.boolformer.data.held_out_formulas`), excluded from every training batch."""
    if not cfg.held_out:
        return []
    return held_out_formulas(cfg.held_out, formula_config(cfg, NOISELESS), seed=cfg.seed,
                             max_fraction=cfg.held_out_fraction)


def batches(cfg: BoolformerConfig, model: str, exclude: frozenset[bytes] | None = None) -> BooleanBatches:
    """The training batches of ``model`` (the held-out truth tables excluded from the noiseless ones)."""
    if model == NOISELESS:
        if exclude is None:
            exclude = frozenset(f.key for f in held_out_set(cfg))
        return BooleanBatches(formula_config(cfg, NOISELESS), cfg.batch_size, regime="noiseless",
                              rows=cfg.noiseless_rows, n_inputs=n_inputs(cfg, model), max_len=max_len(cfg, model),
                              exclude=exclude, seed=cfg.seed)
    return BooleanBatches(formula_config(cfg, NOISY), cfg.batch_size, regime="noisy", noise=noise_config(cfg),
                          n_inputs=n_inputs(cfg, model), max_len=max_len(cfg, model), seed=cfg.seed)


def build_model(cfg: BoolformerConfig, model: str) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """The core encoder-decoder for ``model`` (rows of ``n_inputs + 1`` bits, one token each) and its output
    vocabulary."""
    width = n_inputs(cfg, model)
    out_vocab = output_vocabulary(width)
    mcfg = Seq2SeqConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, enc_layers=cfg.enc_layers,
                         dec_layers=cfg.dec_layers, token_dim=cfg.token_dim, max_width=width + 1, tokens_per_value=1,
                         max_len=max_len(cfg, model))
    net = Seq2SeqTransformer(mcfg, len(INPUT_VOCAB), len(out_vocab), out_vocab.pad_id, out_vocab.eos_id)
    return net, out_vocab


def lr_factor(step: int, cfg: BoolformerConfig, model: str) -> float:
    """``lr(step) / lr``: linear warm-up, then one cosine decay to ``min_lr_ratio`` at the model's last step."""
    return warmup_cosine(step, lr=cfg.lr, max_steps=run_settings(cfg, model).max_steps,
                         warmup_steps=cfg.warmup_steps, warmup_init_lr=cfg.warmup_init_lr,
                         min_lr_ratio=cfg.min_lr_ratio)


class RunSettings:
    """What :func:`~paper_code.common.training_runs.run_training` reads, for one model."""

    def __init__(self, cfg: BoolformerConfig, model: str) -> None:
        self.max_steps = getattr(cfg, f"{model}_steps")
        self.batch_size, self.log_every = cfg.batch_size, cfg.log_every
        self.checkpoint_every, self.grad_clip = cfg.checkpoint_every, cfg.grad_clip


def run_settings(cfg: BoolformerConfig, model: str) -> RunSettings:
    _check_model(model)
    return RunSettings(cfg, model)


def train(cfg: BoolformerConfig, model: str, checkpoint_path: str | Path | None = None, progress: bool = True,
          time_budget_s: float | None = None, loader_workers: int | None = None) -> dict[str, Any]:
    """Train (or resume) ``model`` to its step count; returns the stats written beside the checkpoint.

    ``checkpoint_path`` overrides the config's; ``loader_workers`` overrides ``cfg.loader_workers``;
    ``time_budget_s`` stops at a checkpoint before the budget would be overrun
    (:class:`~paper_code.common.training_runs.TimeBudgetExhausted`; rerunning resumes)."""
    t_start = time.perf_counter()
    _check_model(model)
    path = resolve(checkpoint_path or getattr(cfg, f"{model}_checkpoint"))
    torch.manual_seed(cfg.seed)
    t_gen = time.perf_counter()
    source = batches(cfg, model)
    generation_s = time.perf_counter() - t_gen  # the held-out set
    workers = cfg.loader_workers if loader_workers is None else loader_workers
    prefetch = PrefetchedBatches(source, workers) if workers > 0 else None
    try:
        request_determinism(choose_device("auto"))
        net, _ = build_model(cfg, model)
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        return run_training(cfg=run_settings(cfg, model), settings=cfg.training_settings(model), model=net,
                            optimizer=opt, loss_fn=sequence_loss, batches=prefetch or source, path=path,
                            lr_lambda=lambda t: lr_factor(t, cfg, model), desc=f"boolformer {model}",
                            progress=progress, time_budget_s=time_budget_s, t_start=t_start,
                            generation_s=generation_s,
                            extra_stats={"model": model, "loader_workers": workers,
                                         "n_held_out": len(source.exclude)})
    finally:
        if prefetch is not None:
            prefetch.close()


def load_model(path: str | Path, cfg: BoolformerConfig, model: str) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """Model (eval mode, CPU) and output vocabulary from a checkpoint of ``model`` written by :func:`train`.

    Checks the file first (:meth:`~paper_code.common.checkpoints.ModelStage.check`: missing, corrupt, unfinished,
    other settings, each with its fix)."""
    return MODEL_STAGES[model].load_trained(resolve(path), cfg.training_settings(model),
                                            lambda: build_model(cfg, model))


# --------------------------------------------------------------------------- CLI


def _train_command(cfg: BoolformerConfig, model: str | None, progress: bool, time_budget_s: float | None,
                   args: argparse.Namespace) -> dict[str, Any]:
    assert model is not None
    return train(cfg, model, progress=progress, time_budget_s=time_budget_s)


COMMAND = R.TrainingCommand(
    paper="boolformer", module="paper_code.boolformer.train", train=_train_command, stages=dict(MODEL_STAGES),
    models=MODELS, checkpoint_field=lambda m: f"{m}_checkpoint", steps_field=lambda m: f"{m}_steps",
    description=__doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
