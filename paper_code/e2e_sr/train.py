"""Train the end-to-end and the skeleton model with the shared Trainer and training-stage machinery.

Paper: Kamienny, d'Ascoli, Lample, Charton, NeurIPS 2022, §3 (encoder-decoder over embedded points, cross-entropy on
the target tokens, examples generated on the fly) and the ablation of §4.1 (a skeleton model trained like the
end-to-end one). Both models read the same batches (:class:`~paper_code.e2e_sr.data.FunctionBatches` is a pure
function of ``(seed, step, rank)`` and of nothing that depends on the model), for the same number of steps.

Entry point (``--model`` picks the model; reads ``params.yaml``'s ``e2e_symbolic_regression`` section when present,
else the quick preset)::

    python -m paper_code.e2e_sr.train --model end_to_end [--scale quick|paper] [--max-steps N] [--out PATH]
    python -m paper_code.e2e_sr.train --model skeleton --write-config models/e2e_sr/skeleton/train_config.json
    python -m paper_code.e2e_sr.train --model skeleton --config models/e2e_sr/skeleton/train_config.json

Outputs: the checkpoint (``models/e2e_sr/<model>/model.pt``) and ``model_stats.json`` beside it.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_code.common import training_runs as R
from paper_code.common.checkpoints import ModelStage, resolve
from paper_code.e2e_sr.config import EXECUTION_FIELDS, MODELS, E2EConfig
from paper_code.e2e_sr.data import FunctionBatches, vocabularies
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.training import lr_factor, train_seq2seq

__all__ = ["MODEL_STAGES", "batches", "build_model", "lr_factor", "train", "load_model", "COMMAND", "main"]

MODEL_STAGES = {
    model: ModelStage(f"train_e2e_sr_{model}", f"E2E model ({model.replace('_', ' ')})", EXECUTION_FIELDS,
                      cost="about 30-45 min on 2 cores at quick scale")
    for model in MODELS
}


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model={model!r} is invalid; valid: {', '.join(MODELS)}")


def batches(cfg: E2EConfig, model: str) -> FunctionBatches:
    """The training batches of ``model``: both models read the same examples."""
    _check_model(model)
    return FunctionBatches(cfg.generator_config(), cfg.floats(), cfg.batch_size, target=model,
                           max_output_tokens=cfg.max_output_tokens, seed=cfg.seed)


def build_model(cfg: E2EConfig, model: str) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """The core encoder-decoder over points ``(x_0..x_{D-1}, y)`` padded to ``max_dim + 1`` values; and its output
    vocabulary (the same for both models: the skeleton model never writes float tokens, the end-to-end model never
    writes ``C``)."""
    _check_model(model)
    max_dim = cfg.generator_config().max_dim
    in_vocab, out_vocab = vocabularies(cfg.floats(), max_dim)
    mcfg = Seq2SeqConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, enc_layers=cfg.enc_layers,
                         dec_layers=cfg.dec_layers, token_dim=cfg.token_dim, max_width=max_dim + 1,
                         max_len=cfg.max_output_tokens + 2)
    net = Seq2SeqTransformer(mcfg, len(in_vocab), len(out_vocab), out_vocab.pad_id, out_vocab.eos_id)
    return net, out_vocab


def train(cfg: E2EConfig, model: str, checkpoint_path: str | Path | None = None, progress: bool = True,
          time_budget_s: float | None = None, loader_workers: int | None = None) -> dict[str, Any]:
    """Train (or resume) ``model`` to ``cfg.steps``; returns the stats written beside the checkpoint.

    ``checkpoint_path`` overrides the config's; ``loader_workers`` overrides ``cfg.loader_workers``;
    ``time_budget_s`` stops at a checkpoint before the budget would be overrun (rerunning resumes)."""
    t_start = time.perf_counter()
    _check_model(model)
    path = resolve(checkpoint_path or getattr(cfg, f"{model}_checkpoint"))
    return train_seq2seq(cfg, model, batches(cfg, model), lambda: build_model(cfg, model), path,
                         desc=f"E2E {model}", progress=progress, time_budget_s=time_budget_s,
                         loader_workers=loader_workers, t_start=t_start)


def load_model(path: str | Path, cfg: E2EConfig, model: str) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """Model (eval mode, CPU) and output vocabulary from a checkpoint of ``model`` written by :func:`train`; the file
    is checked first (missing, corrupt, unfinished, other settings: each with its fix)."""
    _check_model(model)
    return MODEL_STAGES[model].load_trained(resolve(path), cfg.training_settings(model),
                                            lambda: build_model(cfg, model))


def _train_command(cfg: E2EConfig, model: str | None, progress: bool, time_budget_s: float | None,
                   args: Any) -> dict[str, Any]:
    assert model is not None
    return train(cfg, model, progress=progress, time_budget_s=time_budget_s)


COMMAND = R.TrainingCommand(
    paper="e2e_symbolic_regression", module="paper_code.e2e_sr.train", train=_train_command,
    stages=dict(MODEL_STAGES), models=MODELS, checkpoint_field=lambda m: f"{m}_checkpoint",
    steps_field=lambda m: "steps", description=__doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
