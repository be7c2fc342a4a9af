"""Benchmark rows of boolformer: training the noiseless and noisy models (training), and inference against
classical methods on the same problems (inference): SymPy's exact two-level minimiser on held-out truth tables, and
Best-Fit on gene-network folds.

    python -m paper_code.pipeline.bench --only boolformer

Needs the trained quick checkpoints for the inference rows (``dvc pull train_boolformer_noiseless
train_boolformer_noisy``).
"""
from __future__ import annotations

import numpy as np

from paper_code.boolformer import experiments as X
from paper_code.boolformer import grn as G
from paper_code.boolformer.applications import boolformer_grn
from paper_code.boolformer.config import MODELS
from paper_code.boolformer.train import train
from paper_code.common.config import resolve_config
from paper_code.pipeline.bench_rows import InferenceRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, symbolic_training, threads_label

PAPER = "boolformer"


def training(ctx: BenchContext, model: str) -> TrainingRow:
    """The quick preset's ``model`` and batch, batches generated in the loop (no prefetching process)."""
    def sample(cfg) -> str:
        return ("one truth table (≤ 32 rows of ≤ 6 bits) → ≤ 62 tokens" if model == "noiseless" else
                f"one noisy observation (16-64 rows of {cfg.noisy_max_inputs + 1} bits) → ≤ 42 tokens")
    return symbolic_training(ctx, paper=PAPER, train=train, model=model, name="Boolformer", sample=sample,
                             drawn="formulas drawn and simplified")


def inference(ctx: BenchContext) -> list[InferenceRow]:
    """Held-out truth tables (noiseless model vs SymPy SOPform) and E. coli / simulated 16-gene folds (noisy model vs
    Best-Fit)."""
    cfg = resolve_config(PAPER, "quick")
    noiseless = X.load_method(cfg, "noiseless")
    tasks = X.held_out_tasks(cfg)[: ctx.pick(cfg.timing_functions, 8)]
    timing = X.run_minimiser_timing(noiseless, tasks)
    bool_rows, sop_rows = timing[timing["method"] == "Boolformer"], timing[timing["method"] != "Boolformer"]
    rows = [InferenceRow(
        paper=PAPER, task=f"held-out truth tables, D ≤ {cfg.noiseless_max_dim}", n_problems=len(tasks),
        threads=threads_label(), model=f"Boolformer noiseless ({cfg.n_candidates} samples, ranked by fit)",
        model_s=float(bool_rows["seconds"].median()), model_accuracy=float(bool_rows["exact"].mean()),
        baseline="SymPy SOPform (exact minimal sum of products)", baseline_s=float(sop_rows["seconds"].median()),
        baseline_accuracy=1.0, accuracy="exact function", note="median over functions; one after the other")]
    noisy = X.load_method(cfg, "noisy")
    nets = [G.load_ecoli(16, k) for k in G.available_networks(16)[:1]] or [
        G.simulate_network(np.random.default_rng(0), 16)]
    net = nets[0]
    folds = list(range(ctx.pick(10, 2)))
    model = G.evaluate_network(net, boolformer_grn(noisy, cfg.grn_points, cfg.eval_seed), folds)
    base = G.evaluate_network(net, lambda Xs, Ys: G.infer_best_fit(Xs, Ys, cfg.best_fit_regulators), folds)
    rows.append(InferenceRow(
        paper=PAPER, task=f"gene network {net.name} ({net.n_genes} genes), leave-one-experiment-out folds",
        n_problems=len(folds), threads=threads_label(),
        model=f"Boolformer noisy ({cfg.grn_points} transitions per gene)", model_s=model["seconds"],
        model_accuracy=model["dynamic_accuracy"],
        baseline=f"Best-Fit (≤ {cfg.best_fit_regulators} regulators, numpy)", baseline_s=base["seconds"],
        baseline_accuracy=base["dynamic_accuracy"], accuracy="dynamic accuracy", note="mean seconds per fold"))
    return rows


def bench(ctx: BenchContext):
    for model in MODELS:
        yield training(ctx, model)
    yield from inference(ctx)
