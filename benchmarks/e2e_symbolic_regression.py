"""Benchmark rows of e2e_symbolic_regression: training the end-to-end and the skeleton model (training), and
inference on Feynman problems against the GP baselines on the same data (inference).

    python -m paper_code.pipeline.bench --only e2e_symbolic_regression

Needs the trained quick checkpoints for the inference rows (``dvc pull train_e2e_sr_end_to_end
train_e2e_sr_skeleton``).
"""
from __future__ import annotations

from paper_code.common.config import resolve_config
from paper_code.e2e_sr import experiments as X
from paper_code.e2e_sr.config import MODELS
from paper_code.e2e_sr.feynman import problems
from paper_code.e2e_sr.inference import Variant
from paper_code.e2e_sr.train import train
from paper_code.pipeline.bench_rows import InferenceRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, symbolic_training, threads_label

PAPER = "e2e_symbolic_regression"


def training(ctx: BenchContext, model: str) -> TrainingRow:
    """The quick preset's ``model`` and batch, functions generated in the loop (no prefetching process)."""
    writes = "the function with its constants" if model == "end_to_end" else "the skeleton (constants → C)"

    def sample(cfg) -> str:
        gen = cfg.generator_config()
        return f"D ≤ {gen.max_dim}, {gen.min_points}-{gen.max_points} points (x, y) → {writes}"
    return symbolic_training(ctx, paper=PAPER, train=train, model=model, name="E2E", sample=sample,
                             drawn="functions drawn")


def inference(ctx: BenchContext) -> list[InferenceRow]:
    """Noise-free Feynman problems with at most 3 variables: E2E + BFGS against gplearn and Operon at the quick
    budgets, each fit on one thread."""
    cfg = resolve_config(PAPER, "quick").replace(noise_levels=(0.0,))
    tasks = problems(cfg.feynman_max_dim)[:: ctx.pick(1, 8)]
    df = X.run_feynman(X.load_methods(cfg), cfg, tasks=tasks, progress=False)
    table = df.groupby("method").agg(acc=("acc", "mean"), seconds=("seconds", "mean"), n=("acc", "size"))
    e2e = Variant.E2E_BFGS.value
    rows = []
    for base in ("gplearn", "Operon"):
        rows.append(InferenceRow(
            paper=PAPER, task=f"Feynman, ≤ {cfg.feynman_max_dim} variables, {cfg.feynman_rows} rows, no noise",
            n_problems=int(table.loc[e2e, "n"]), threads=threads_label(),
            model=f"E2E + BFGS ({cfg.n_bags} bags × beam {cfg.n_candidates}, top {cfg.refine_top} refined)",
            model_s=float(table.loc[e2e, "seconds"]), model_accuracy=float(table.loc[e2e, "acc"]),
            baseline=base, baseline_s=float(table.loc[base, "seconds"]),
            baseline_accuracy=float(table.loc[base, "acc"]), accuracy="test R² > 0.999",
            note="mean seconds per problem, one thread per fit"))
    return rows


def bench(ctx: BenchContext):
    for model in MODELS:
        yield training(ctx, model)
    yield from inference(ctx)
