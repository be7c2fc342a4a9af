"""Benchmark rows of lr_schedule_langevin: the teacher-student network (training) and the cost of the
DMFT integrator and of the finite-N simulations against their size (numerics).

    python -m paper_code.pipeline.bench --only lr_schedule_langevin
"""
from __future__ import annotations

from langevin_integrator import run as integrate_dmft  # benchmarks/langevin_integrator.py

from paper_code.common.config import resolve_config
from paper_code.langevin.experiments import run_network
from paper_code.langevin.schedules import PowerLaw
from paper_code.langevin.simulation import simulate_pspin
from paper_code.pipeline.bench_rows import ScalingRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, captured_trainer, measure_training, peak_memory

PAPER = "lr_schedule_langevin"


def training(ctx: BenchContext) -> list[TrainingRow]:
    cfg = resolve_config(PAPER, "quick")
    trainer = captured_trainer(run_network, cfg)
    members = len(trainer.model.w)
    return [measure_training(
        trainer, ctx, paper=PAPER, model=f"erf teacher-student, {members} students (D={cfg.net_d}, K=2), online SGD",
        sample="one fresh example for one student", samples_per_step=members,
        note="float64; batch of one example per student per step (online SGD, as in the paper)",
    )]


def dmft_cost(ctx: BenchContext) -> ScalingRow:
    """Wall time and peak memory of one p = 3 integration (B = 1 schedule) against the number of steps."""
    sizes = ctx.pick([250, 500, 1000, 1500], [100, 200, 400])
    secs, mem = [], []
    for n in sizes:
        wall, peak, _history = integrate_dmft(n, 1)
        secs.append(wall)
        mem.append(peak)
    return ScalingRow(PAPER, "DMFT integrator (p = 3, one schedule)", "time steps", sizes, secs,
                      threads=1, memory_mib=mem,
                      note="C and R histories are packed triangles of (n+1)(n+2)/2 numbers (memory ∝ n²); each step "
                           "reads the whole history (∝ n² per step, time ∝ n³ in total); "
                           "benchmarks/langevin_integrator.py")


def finite_n_cost(ctx: BenchContext) -> ScalingRow:
    """Langevin dynamics of the spherical SK model (the finite-N check) against N, 4 disorder samples."""
    sizes = ctx.pick([250, 500, 1000, 2000], [100, 200, 400])
    secs, mem = [], []
    for n in sizes:
        wall, peak = peak_memory(lambda n=n: simulate_pspin(2, 0.5, [PowerLaw(eta0=1.0, beta=0.5)], N=n, dt=0.05,
                                                            t_max=10.0, n_samples=4, seed=0, record_every=10))
        secs.append(wall)
        mem.append(peak)
    return ScalingRow(PAPER, "finite-N Langevin simulation (SK, 200 steps, 4 samples)", "N", sizes, secs,
                      threads=1, memory_mib=mem,
                      note="SK in the eigenbasis of its couplings (simulation.SpectralLandscape): sampling the GOE "
                           "spectrum (an N×N eigvalsh per sample) and O(N) per Euler step")


def bench(ctx: BenchContext) -> list:
    from paper_code.common.threads import limit_threads

    rows: list = training(ctx)
    with limit_threads(1):  # the notebook's numerics run in NumPy; one BLAS thread (threads module)
        rows += [dmft_cost(ctx), finite_n_cost(ctx)]
    return rows
