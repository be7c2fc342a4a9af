"""Benchmark rows of odeformer: training the seq2seq transformer of the symbolic core (training) and
ODEFormer against SINDy with its hyper-parameter search on the same ODEBench problems (inference).

    python -m paper_code.pipeline.bench --only odeformer

Needs the trained quick checkpoint for the inference row (``dvc pull train_odeformer``).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from odeformer_inference import integration_costs, rhs_costs  # benchmarks/odeformer_inference.py

from paper_code.common.config import resolve_config
from paper_code.odeformer import benchmark as B
from paper_code.odeformer.experiments import load_method, sindy_grid
from paper_code.odeformer.odebench import ODEBENCH
from paper_code.odeformer.train import generate_chunk, train
from paper_code.pipeline.bench_rows import InferenceRow, MeasureRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, captured_trainer, measure_training, threads_label

PAPER = "odeformer"


def training(ctx: BenchContext) -> TrainingRow:
    """The quick preset's model and batch, on one chunk of freshly generated systems (corruption drawn per step)."""
    cfg = resolve_config(PAPER, "quick")
    systems = generate_chunk(cfg.replace(cache_chunk=cfg.batch_size), 0)
    with tempfile.TemporaryDirectory(prefix="bench_odeformer_") as tmp:
        trainer = captured_trainer(train, cfg, checkpoint_path=Path(tmp) / "model.pt", progress=False,
                                   systems=systems)
        n_params = sum(p.numel() for p in trainer.model.parameters())
        return measure_training(
            trainer, ctx, paper=PAPER,
            model=f"seq2seq transformer d={cfg.d_model}, {cfg.enc_layers}+{cfg.dec_layers} layers, "
                  f"{n_params / 1e6:.2f}M parameters (symbolic core)",
            sample="one ODE system (≤ 64 points → ≤ 96 tokens)", samples_per_step=cfg.batch_size,
            note=f"batch {cfg.batch_size}, Adam, grad clip {cfg.grad_clip}; batches assembled from the cache in the "
                 "loop (corruption + tokenisation)")


def inference(ctx: BenchContext) -> list[InferenceRow]:
    """``run_timing``'s protocol: clean 64-point tasks of ODEBench systems evenly spread over those evaluated."""
    cfg = resolve_config(PAPER, "quick")
    method = load_method(cfg)
    systems = [s for s in ODEBENCH if not cfg.eval_max_dim or s.dim <= cfg.eval_max_dim]
    n = ctx.pick(cfg.timing_systems, 2)
    pick = np.linspace(0, len(systems) - 1, n).round().astype(int)
    tasks = B.prepare_tasks([systems[i] for i in pick], (0.0,), (0.0,), cfg.eval_points, cfg.eval_seed)
    rows = []
    model_res = B.run_benchmark([method], tasks, progress=False)
    for grid_name in dict.fromkeys((cfg.timing_grid, cfg.sindy_grid)):
        grid = sindy_grid(grid_name)
        base = B.run_benchmark([B.SindyMethod(grid, name="SINDy")], tasks, progress=False)
        rows.append(InferenceRow(
            paper=PAPER, task=f"clean ODEBench systems, D ≤ {cfg.eval_max_dim}, {cfg.eval_points} points",
            n_problems=len(tasks), threads=threads_label(),
            model=f"ODEFormer (quick checkpoint, {cfg.n_candidates} samples, ranked by fit)",
            model_s=float(model_res["inference_s"].median()),
            model_accuracy=float(model_res["reconstructed"].mean()),
            baseline=f"SINDy, {grid.n_settings}-setting search ('{grid_name}' grid)",
            baseline_s=float(base["inference_s"].median()), baseline_accuracy=float(base["reconstructed"].mean()),
            accuracy=f"reconstruction R² > {B.ACCURACY_THRESHOLD:g}",
            note="median over problems; ODEFormer measured once, before both searches"))
    return rows


def pieces(ctx: BenchContext) -> list[MeasureRow]:
    """The ranking's inner costs: one right-hand-side call and one scoring integration, NumPy tree walk vs compiled."""
    systems = [s for s in ODEBENCH if s.dim <= 2]
    group = f"ODEFormer ranking pieces, mean over the {len(systems)} ODEBench systems with D ≤ 2 " \
            "(benchmarks/odeformer_inference.py)"
    rhs_np, rhs_c = rhs_costs(systems, reps=ctx.pick(2000, 200))
    int_np, int_c = integration_costs(systems)
    return [
        MeasureRow(group, "right-hand side, NumPy tree walk", rhs_np * 1e6, "µs / call", 1),
        MeasureRow(group, "right-hand side, compiled", rhs_c * 1e6, "µs / call", 1, f"{rhs_np / rhs_c:.0f}x faster"),
        MeasureRow(group, "scoring integration (LSODA, 150 points), NumPy", int_np * 1e3, "ms / system", 1),
        MeasureRow(group, "scoring integration (LSODA, 150 points), compiled", int_c * 1e3, "ms / system", 1,
                   f"{int_np / int_c:.1f}x faster"),
    ]


def bench(ctx: BenchContext):
    yield training(ctx)
    yield from pieces(ctx)
    yield from inference(ctx)  # last: it needs the checkpoint of the configured preset
