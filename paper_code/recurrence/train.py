"""Train the symbolic and the numeric recurrence model with the shared Trainer and training-stage machinery.

Paper: d'Ascoli, Kamienny, Lample, Charton, ICML 2022, §3-4 (encoder-decoder, cross-entropy on the target tokens,
sequences generated on the fly). Both models read the same batches (:class:`~paper_code.recurrence.data.
RecurrenceBatches` is a pure function of ``(seed, step, rank)`` and of nothing that depends on the model), for the
same number of steps: the paper's "same budget" comparison. Sequences are cheap to draw (about 1 ms each on one
core); ``loader_workers`` processes assemble the batches ahead of the trainer.

Entry point (``--model`` picks the model; reads ``params.yaml``'s ``recurrent_sequences`` section when present, else
the quick preset)::

    python -m paper_code.recurrence.train --model symbolic [--scale quick|paper] [--max-steps N] [--out PATH]
    python -m paper_code.recurrence.train --model numeric --write-config models/recurrence/numeric/train_config.json
    python -m paper_code.recurrence.train --model numeric --config models/recurrence/numeric/train_config.json

The DVC stages ``recurrence_train_config`` (both settings files) and ``train_recurrence_symbolic`` /
``train_recurrence_numeric`` split training from the rest of the config (:mod:`paper_code.common.training_runs`).
Outputs: the checkpoint (``models/recurrence/<model>/model.pt``) and ``model_stats.json`` beside it.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_code.common import training_runs as R
from paper_code.common.checkpoints import ModelStage, resolve
from paper_code.recurrence.config import EXECUTION_FIELDS, MODELS, RecurrentSequencesConfig, kind_of, target_of
from paper_code.recurrence.data import RecurrenceBatches, input_vocabulary, output_vocabulary
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.training import lr_factor, train_seq2seq

__all__ = ["MODEL_STAGES", "batches", "build_model", "lr_factor", "train", "load_model", "COMMAND", "main"]

MODEL_STAGES = {
    model: ModelStage(f"train_recurrence_{model}", f"recurrence model ({model.replace('_', ' ')})", EXECUTION_FIELDS,
                      cost="about 25-45 min on 2 cores at quick scale")
    for model in MODELS
}


def _check_model(model: str) -> None:
    kind_of(model)  # raises naming the valid models


def batches(cfg: RecurrentSequencesConfig, model: str) -> RecurrenceBatches:
    """The training batches of ``model``: the symbolic and the numeric model of a number type read the same
    sequences."""
    return RecurrenceBatches(cfg.generator(kind_of(model)), cfg.batch_size, target=target_of(model),
                             max_input_tokens=cfg.max_input_tokens, max_output_tokens=cfg.max_output_tokens,
                             seed=cfg.seed)


def build_model(cfg: RecurrentSequencesConfig, model: str) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """The core encoder-decoder reading the terms' tokens (``encoder_input="tokens"``) and writing ``model``'s
    target; and its output vocabulary."""
    kind = kind_of(model)
    out_vocab = output_vocabulary(target_of(model), kind)
    mcfg = Seq2SeqConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, enc_layers=cfg.enc_layers,
                         dec_layers=cfg.dec_layers, max_len=cfg.max_output_tokens + 2, encoder_input="tokens",
                         max_src_len=cfg.max_input_tokens)
    net = Seq2SeqTransformer(mcfg, len(input_vocabulary(kind)), len(out_vocab), out_vocab.pad_id, out_vocab.eos_id)
    return net, out_vocab


def train(cfg: RecurrentSequencesConfig, model: str, checkpoint_path: str | Path | None = None,
          progress: bool = True, time_budget_s: float | None = None,
          loader_workers: int | None = None) -> dict[str, Any]:
    """Train (or resume) ``model`` to ``cfg.steps``; returns the stats written beside the checkpoint.

    ``checkpoint_path`` overrides the config's; ``loader_workers`` overrides ``cfg.loader_workers``;
    ``time_budget_s`` stops at a checkpoint before the budget would be overrun (rerunning resumes)."""
    t_start = time.perf_counter()
    _check_model(model)
    path = resolve(checkpoint_path or getattr(cfg, f"{model}_checkpoint"))
    return train_seq2seq(cfg, model, batches(cfg, model), lambda: build_model(cfg, model), path,
                         desc=f"recurrence {model}", progress=progress, time_budget_s=time_budget_s,
                         loader_workers=loader_workers, t_start=t_start)


def load_model(path: str | Path, cfg: RecurrentSequencesConfig, model: str
               ) -> tuple[Seq2SeqTransformer, Vocabulary]:
    """Model (eval mode, CPU) and output vocabulary from a checkpoint of ``model`` written by :func:`train`; the file
    is checked first (missing, corrupt, unfinished, other settings: each with its fix)."""
    _check_model(model)
    return MODEL_STAGES[model].load_trained(resolve(path), cfg.training_settings(model),
                                            lambda: build_model(cfg, model))


def _train_command(cfg: RecurrentSequencesConfig, model: str | None, progress: bool, time_budget_s: float | None,
                   args: Any) -> dict[str, Any]:
    assert model is not None
    return train(cfg, model, progress=progress, time_budget_s=time_budget_s)


COMMAND = R.TrainingCommand(
    paper="recurrent_sequences", module="paper_code.recurrence.train", train=_train_command,
    stages=dict(MODEL_STAGES), models=MODELS, checkpoint_field=lambda m: f"{m}_checkpoint",
    steps_field=lambda m: "steps", description=__doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
