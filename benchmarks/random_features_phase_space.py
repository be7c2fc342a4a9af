"""Benchmark rows of random_features_phase_space: the grid of one-hidden-layer networks on images
(training) and the random-features simulation against the input dimension D (numerics).

    python -m paper_code.pipeline.bench --only random_features_phase_space
"""
from __future__ import annotations

import numpy as np

from paper_code.common.config import resolve_config
from paper_code.common.threads import limit_threads
from paper_code.pipeline.bench_rows import ScalingRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, captured_trainer, measure_training, peak_memory
from paper_code.random_features.experiments import load_images
from paper_code.random_features.model import StrongWeakData
from paper_code.random_features.network import prepare_images, train_network_grid
from paper_code.random_features.simulation import simulate_random_features

PAPER = "random_features_phase_space"


def training(ctx: BenchContext) -> TrainingRow:
    """The network grid of the quick preset on its first dataset, PCA inputs (one of the notebook's grids)."""
    cfg = resolve_config(PAPER, "quick")
    train, test, used = load_images(cfg.nn_datasets[0], cfg)
    images = prepare_images(train, test, cfg.nn_d, "pca", seed=cfg.seed)
    with limit_threads(cfg.cpu_threads):
        trainer = captured_trainer(train_network_grid, images, cfg.nn_sizes, cfg.nn_widths, cfg.nn_noises,
                                   n_seeds=cfg.nn_seeds, epochs=cfg.nn_epochs, lr=cfg.nn_lr,
                                   momentum=cfg.nn_momentum, seed=cfg.seed, device="cpu")
        members = trainer.model.n_members
        per_step = members * len(cfg.nn_widths) * sum(cfg.nn_sizes)
        return measure_training(
            trainer, ctx, paper=PAPER,
            model=f"{len(cfg.nn_sizes)}×{len(cfg.nn_widths)} grid of 1-hidden-layer ReLU nets × {members} label "
                  f"streams, full batch ({used}, d={cfg.nn_d})",
            sample="one training image through one network", samples_per_step=per_step,
            note=f"config threads: cpu_threads={cfg.cpu_threads}",
        )


def simulation_cost(ctx: BenchContext) -> ScalingRow:
    """``simulate_random_features`` at P/D = 1 on the finite-size sweep's N/D values, 2 seeds, against D."""
    cfg = resolve_config(PAPER, "quick")
    sizes = ctx.pick([100, 200, 400, 800], [50, 100, 200])
    data = StrongWeakData(cfg.curve_r_phi, cfg.curve_r_x, cfg.curve_r_beta_relevant)
    psi2 = np.asarray(cfg.fs_psi2, dtype=float)
    secs, mem = [], []
    with limit_threads(max(cfg.cpu_threads, 1)):
        for D in sizes:
            wall, peak = peak_memory(lambda D=D: simulate_random_features(
                1.0, psi2, D=D, data=data, task="regression", activation=cfg.curve_activation_regression,
                ridge=cfg.curve_ridge, noise=0.0, n_seeds=2, n_test=cfg.sim_n_test, seed=0))
            secs.append(wall)
            mem.append(peak)
    return ScalingRow(PAPER, f"random-features simulation (P = D, N/D = {', '.join(f'{p:g}' for p in psi2)}; "
                             "2 seeds)", "D", sizes, secs, threads=max(cfg.cpu_threads, 1), memory_mib=mem,
                      note="features of N + test inputs, then a ridge solve per point: N·P² + P³ ∝ D³ at fixed "
                           "ratios, until the fixed test-set size dominates")


def bench(ctx: BenchContext) -> list:
    return [training(ctx), simulation_cost(ctx)]
