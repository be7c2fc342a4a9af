"""Benchmark rows of arithmetic_length_generalization: training throughput of the encoder-only model at quick scale,
for an absolute and a relative encoding on the padded addition task, and for the multiplication task (examples/s,
achieved GFLOP/s and the fraction of a same-shape matmul timed in the same run).

    python -m paper_code.pipeline.bench --only arithmetic_length_generalization
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from paper_code.arithmetic.train import runs, train_run
from paper_code.common.config import resolve_config
from paper_code.pipeline.bench_rows import TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, captured_trainer, measure_training

PAPER = "arithmetic_length_generalization"


def training(ctx: BenchContext, group: str, name_prefix: str) -> TrainingRow:
    """The quick preset's first run of ``group`` whose name starts with ``name_prefix``, measured through the
    trainer :func:`~paper_code.arithmetic.train.train_run` builds (its training set is generated first, outside
    the timing)."""
    cfg = resolve_config(PAPER, "quick")
    spec = next(r for r in runs(cfg, group) if r.name.startswith(name_prefix))
    with tempfile.TemporaryDirectory(prefix=f"bench_arith_{spec.name}_") as tmp:
        trainer = captured_trainer(train_run, cfg, spec, Path(tmp) / "run.pt", progress=False)
        n_params = sum(p.numel() for p in trainer.model.parameters())
        seq = trainer.batches.tensors[0].shape[1]
        task = "n + n addition" if spec.op == "+" else f"n × {spec.m_digits} multiplication"
        return measure_training(
            trainer, ctx, paper=PAPER,
            model=f"encoder-only, {spec.position} positions, d={cfg.d_model}, {cfg.n_layers} layers, "
                  f"{n_params / 1e3:.0f}k parameters",
            sample=f"one {task} problem, {spec.layout} layout: {seq} tokens", samples_per_step=cfg.batch_size,
            note=f"batch {cfg.batch_size}, AdamW, finite training set held in memory (TensorBatches)")


def bench(ctx: BenchContext):
    yield training(ctx, "addition", "padded_absolute")
    yield training(ctx, "addition", "padded_relative_k")
    yield training(ctx, "multiplication", "primed0")
