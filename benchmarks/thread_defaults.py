"""Thread behaviour: ODEFormer inference and a BLAS solve under the old and the new thread defaults.

    python -m paper_code.pipeline.bench --only thread_defaults
    python benchmarks/thread_defaults.py --probe SETTING     # one setting, JSON on stdout

Each setting runs in a fresh process, because the OpenMP wait policy is read once, when torch loads
libgomp:

* ``before``: torch imported before ``paper_code`` with no wait policy (libgomp spins), every library at
  its default thread count (all the cores it may use): what a user got before the defaults;
* ``before-1``: the same runtime, 1 torch thread and 1 BLAS thread (the old work-around);
* ``after``: the project's defaults (``paper_code.common.threads``): ``OMP_WAIT_POLICY=PASSIVE``, torch at
  its default thread count, 1 BLAS thread.

Two conditions: the machine as it is, and a controlled busy machine: the probe and ``BURNERS`` busy
loops pinned to the same two cores, which is what a 2-core machine shared with other jobs looks like
(Linux only; elsewhere that condition is skipped).

Workloads, both timed in each process: ODEFormer's ``fit`` (decoding 16 samples, then ranking them by
integrating each candidate) on clean 64-point ODEBench tasks, with the decoding share; NumPy ``solve``
of a 400 × 400 system (BLAS). Needs the trained quick checkpoint (``dvc pull train_odeformer``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SETTINGS = ("after", "before", "before-1")


def _probe(setting: str, n_systems: int) -> dict:
    """Run the workloads in this (fresh) process under ``setting``; the caller set the environment."""
    import importlib

    if setting.startswith("before"):  # torch first: libgomp starts with the environment as given (no wait policy)
        importlib.import_module("torch")
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    from paper_code.common.config import resolve_config
    from paper_code.common.threads import apply_defaults, thread_state
    from paper_code.odeformer.benchmark import prepare_tasks
    from paper_code.odeformer.inference import OdeformerMethod
    from paper_code.odeformer.odebench import ODEBENCH
    from paper_code.odeformer.train import load_model
    from paper_code.pipeline.bench_tools import timed_fit
    from paper_code.symbolic.estimator import resolve_path

    if setting == "after":
        apply_defaults()
    elif setting == "before-1":
        torch.set_num_threads(1)
        threadpool_limits(1, user_api="blas")
    cfg = resolve_config("odeformer", "quick")
    path = resolve_path(cfg.checkpoint_path)
    if not path.is_file():
        raise SystemExit(f"no checkpoint at {path}: `dvc pull train_odeformer`")
    model, vocabs = load_model(path, cfg)
    method = OdeformerMethod(model, vocabs, n_candidates=16, temperature=0.5, max_bag=cfg.max_bag)
    tasks = prepare_tasks([s for s in ODEBENCH if s.dim <= 2][: n_systems + 1], n_points=64)
    warm = OdeformerMethod(model, vocabs, n_candidates=2, temperature=0.5, max_bag=cfg.max_bag)
    timed_fit(warm, tasks[0].t_obs, tasks[0].y_obs)  # warm-up (allocations, first calls) on a short decode
    fits = [timed_fit(method, task.t_obs, task.y_obs) for task in tasks[1:]]
    fit_s = sum(f for f, _ in fits) / n_systems
    decode_s = sum(d for _, d in fits)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 400)) + 400 * np.eye(400)
    b = rng.standard_normal((400, 400))
    np.linalg.solve(a, b)
    solve_s = float("inf")
    for _ in range(5):
        t1 = time.perf_counter()
        np.linalg.solve(a, b)
        solve_s = min(solve_s, time.perf_counter() - t1)
    return {"setting": setting, "n_systems": n_systems, "fit_s": fit_s, "decode_s": decode_s / n_systems,
            "solve_s": solve_s, "threads": thread_state()}


#: Busy loops sharing the two pinned cores with the probe in the "busy" condition.
BURNERS = 6


def _pinned_cores() -> set[int] | None:
    """Two cores this process may use (None where CPU affinity is unavailable or fewer than two cores)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    return set(cores[:2]) if len(cores) >= 2 else None


def _pin(cores: set[int] | None):
    return (lambda: os.sched_setaffinity(0, cores)) if cores else None


def run_setting(setting: str, n_systems: int, cores: set[int] | None = None, timeout: float = 1800) -> dict:
    """One probe in a fresh interpreter with the environment ``setting`` needs (pinned to ``cores`` if given)."""
    env = dict(os.environ)
    for key in ("OMP_WAIT_POLICY", "PAPER_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(key, None)
    if setting == "after":
        env["OMP_WAIT_POLICY"] = "PASSIVE"  # what `import paper_code` (or the Makefile) puts there
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--probe", setting, "--systems",
                           str(n_systems)], capture_output=True, text=True, env=env, timeout=timeout,
                          preexec_fn=_pin(cores))
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"thread probe {setting!r} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _label(threads: dict) -> str:
    return f"torch {threads.get('torch_threads', '?')}, BLAS {threads.get('blas_threads', '?')}"


def busy_cores(cores: set[int], n: int = BURNERS) -> list[subprocess.Popen]:
    """``n`` busy loops pinned to ``cores`` (the caller stops them)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=_pin(cores)) for _ in range(n)]


def bench(ctx):
    from paper_code.pipeline.bench_rows import ThreadRow

    n = ctx.pick(4, 1)
    conditions = {"machine as is": {s: run_setting(s, n) for s in SETTINGS}}
    cores = _pinned_cores()
    if cores:
        burners = busy_cores(cores)
        try:
            busy = f"busy: 2 cores shared with {BURNERS} busy loops"
            conditions[busy] = {s: run_setting(s, n, cores) for s in SETTINGS}
        finally:
            for p in burners:
                p.kill()
                p.wait()
    names = {"after": "new default (OMP_WAIT_POLICY=PASSIVE)", "before": "before: libgomp spins, library defaults",
             "before-1": "before: libgomp spins, 1 thread each"}
    rows = []
    for key, workload in (("fit_s", "ODEFormer fit per problem (ODEBench tasks, 16 samples)"),
                          ("solve_s", "NumPy solve, 400 × 400 (BLAS)")):
        for condition, results in conditions.items():
            ref = results["after"][key]
            for s in SETTINGS:
                r = results[s]
                note = f"mean of {r['n_systems']} task(s); decoding share {r['decode_s'] / r['fit_s']:.0%}" \
                    if key == "fit_s" and r["fit_s"] else ""
                rows.append(ThreadRow(workload, f"{condition}; {names[s]}", _label(r["threads"]), r[key],
                                      r[key] / ref, note))
    return rows


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", choices=SETTINGS, required=True)
    ap.add_argument("--systems", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(_probe(args.probe, args.systems)))


if __name__ == "__main__":
    main()
