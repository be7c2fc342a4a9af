"""Where ODEFormer's inference time goes: RHS evaluation, integration, decoding, ranking; and the training
data's generation rate.

    python benchmarks/odeformer_inference.py [--systems 12] [--candidates 32] [--generated 200]

1. One right-hand-side call on a single state, NumPy tree walk vs the compiled scalar function
   (``paper_code.symbolic.compile``), averaged over the ODEBench systems with D <= 2.
2. One scoring integration (LSODA at the ODEBench tolerances) of each of those systems, both ways.
3. The quick checkpoint's ``fit`` on clean 64-point ODEBench tasks, split into decoding (encoder +
   sampling) and ranking (integrating every candidate), per system.
4. Generation of accepted training systems (the cache's unit of work), CPU seconds per system of one process:
   the first quick generator (NumPy tree walk, raw targets) vs the quick mix (compiled right-hand side,
   canonical targets rewritten for accepted draws only). CPU time, so that other processes distort it less.

Needs the trained checkpoint (``dvc pull models/odeformer/model.pt``) for part 3.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from paper_code.odeformer.integrate import make_rhs
from paper_code.odeformer.odebench import ODEBENCH
from paper_code.odeformer.scoring import SCORING_SOLVER
from paper_code.pipeline.bench_tools import timed_fit
from paper_code.symbolic.compile import compile_system


def rhs_costs(systems, reps: int = 2000) -> tuple[float, float]:
    slow, fast = [], []
    for s in systems:
        x = np.asarray(s.init[0], dtype=float)
        f_np, f_c = make_rhs(s.trees), compile_system(s.trees)
        t0 = time.perf_counter()
        for _ in range(reps):
            f_np(0.0, x)
        slow.append((time.perf_counter() - t0) / reps)
        t0 = time.perf_counter()
        for _ in range(reps):
            f_c(x)
        fast.append((time.perf_counter() - t0) / reps)
    return float(np.mean(slow)), float(np.mean(fast))


def integration_costs(systems) -> tuple[float, float]:
    from paper_code.odeformer.integrate import integrate
    t = np.linspace(0, 10, 150)
    out = []
    for compiled in (False, True):
        t0 = time.perf_counter()
        for s in systems:
            integrate(s.trees, s.init[0], t, SCORING_SOLVER, compiled=compiled)
        out.append((time.perf_counter() - t0) / len(systems))
    return out[0], out[1]


def fit_costs(n_systems: int, n_candidates: int) -> None:
    from paper_code.common.config import resolve_config
    from paper_code.odeformer.benchmark import prepare_tasks
    from paper_code.odeformer.experiments import load_method

    method = load_method(resolve_config("odeformer", "quick"), n_candidates=n_candidates)
    systems = [s for s in ODEBENCH if s.dim <= 2][:n_systems]
    tasks = prepare_tasks(systems, n_points=64)
    decode_s, total_s = 0.0, 0.0
    for task in tasks:
        fit_s, dec_s = timed_fit(method, task.t_obs, task.y_obs)
        total_s += fit_s
        decode_s += dec_s
    n = len(tasks)
    print(f"ODEFormer fit ({n_candidates} candidates, {n} clean 64-point tasks): {total_s / n * 1e3:.0f} ms/system "
          f"= decoding {decode_s / n * 1e3:.0f} ms + ranking/other {(total_s - decode_s) / n * 1e3:.0f} ms")


def generation_costs(n: int) -> None:
    from paper_code.odeformer.generator import preset, sample_example

    rates = {}
    for name, canonical in (("quick", False), ("quick_mix", True)):
        gen = preset(name, canonical=canonical, corrupted=False)
        rng = np.random.default_rng(0)
        t0 = time.process_time()
        for _ in range(n):
            sample_example(rng, gen)
        rates[name] = (time.process_time() - t0) / n
    print(f"generation ({n} accepted systems each, one process): first quick generator "
          f"{rates['quick'] * 1e3:.0f} ms CPU/system, quick mix {rates['quick_mix'] * 1e3:.0f} ms CPU/system "
          f"({rates['quick'] / rates['quick_mix']:.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", type=int, default=12)
    ap.add_argument("--candidates", type=int, default=32)
    ap.add_argument("--generated", type=int, default=200, help="accepted systems per generator in part 4 (0 = skip)")
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    systems = [s for s in ODEBENCH if s.dim <= 2]
    slow, fast = rhs_costs(systems)
    print(f"RHS call, {len(systems)} ODEBench systems (D <= 2): NumPy {slow * 1e6:.1f} µs, "
          f"compiled {fast * 1e6:.2f} µs ({slow / fast:.0f}x)")
    slow, fast = integration_costs(systems)
    print(f"scoring integration (LSODA, 150 points): NumPy {slow * 1e3:.1f} ms, compiled {fast * 1e3:.1f} ms "
          f"({slow / fast:.1f}x)")
    fit_costs(args.systems, args.candidates)
    if args.generated:
        generation_costs(args.generated)


if __name__ == "__main__":
    main()
