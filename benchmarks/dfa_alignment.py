"""Benchmark rows of dfa_alignment: the four torch ensembles the notebook trains (shallow online
teacher-student, deep linear networks, MLPs and a small CNN on MNIST), each with DFA and BP members.

    python -m paper_code.pipeline.bench --only dfa_alignment
"""
from __future__ import annotations

from paper_code.common.config import resolve_config
from paper_code.common.threads import limit_threads
from paper_code.dfa.exp_deep_linear import run_deep_linear
from paper_code.dfa.exp_images import load_images, run_cnn, run_mlp
from paper_code.dfa.exp_shallow import run_shallow
from paper_code.pipeline.bench_rows import TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, captured_trainer, measure_training

PAPER = "dfa_alignment"


def bench(ctx: BenchContext) -> list[TrainingRow]:
    cfg = resolve_config(PAPER, "quick").replace({"checkpoint_dir": ""})  # never read or write checkpoints here
    note = f"config threads={cfg.threads}"
    rows = []
    with limit_threads(cfg.threads):  # as the notebook's runs (exp_*.py)
        tr = captured_trainer(run_shallow, cfg)
        E = tr.model.dfa.numel()
        rows.append(measure_training(
            tr, ctx, paper=PAPER, model=f"shallow erf teacher-student, {E} students (N={cfg.shallow_n}, "
                                        f"K={cfg.shallow_k}), DFA + BP, online SGD",
            sample="one fresh example for one student", samples_per_step=E, note=f"float64, batch 1; {note}"))

        tr = captured_trainer(run_deep_linear, cfg)
        E = tr.model.n_members
        rows.append(measure_training(
            tr, ctx, paper=PAPER, model=f"deep linear MLPs {'-'.join(map(str, tr.model.sizes))}, {E} members "
                                        "(one seed's grid of targets), DFA",
            sample="one example through one member", samples_per_step=E * cfg.batch_size,
            note=f"float64, batch {cfg.batch_size}; one of {cfg.lin_seeds} seeds' ensembles; {note}"))

        data = load_images(cfg)
        tr = captured_trainer(run_mlp, cfg, data)
        E = tr.model.n_members
        rows.append(measure_training(
            tr, ctx, paper=PAPER, model=f"MLPs {'-'.join(map(str, tr.model.sizes))} ({cfg.mlp_activation}), {E} "
                                        "members: DFA, BP, DFA on noisy labels",
            sample="one image through one member", samples_per_step=E * cfg.batch_size,
            note=f"batch {cfg.batch_size}; {note}"))

        tr = captured_trainer(run_cnn, cfg, data)
        E = tr.model.n_members
        rows.append(measure_training(
            tr, ctx, paper=PAPER, model=f"CNN {cfg.cnn_conv_layers}×conv3×3({cfg.cnn_channels}) + dense, {E} "
                                        "members: DFA random, DFA aligned, BP (grouped convolution)",
            sample="one image through one member", samples_per_step=E * cfg.batch_size,
            note=f"batch {cfg.batch_size}; {note}"))
    return rows
