"""Wall time and peak memory of the p-spin DMFT integrator vs the number of steps.

    python benchmarks/langevin_integrator.py [--sizes 250 500 1000 2000] [--batches 1 9]

The integrator stores C and R as two packed lower triangles, (B, (Nmax+1)(Nmax+2)/2)
float64 arrays, and does three packed matrix-vector products per step, so memory grows
as B Nmax^2 and time as B Nmax^3. Peak memory is measured with tracemalloc
(NumPy reports its buffers to it); "history" is the size of the C and R arrays alone.
The run is p = 3, T = 1, h = 0.1, eta = (1+t)^-beta with B betas in [0, 1.2].
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np

from paper_code.langevin.dmft import integrate_pspin
from paper_code.langevin.schedules import power_laws


def run(n_steps: int, batch: int, h: float = 0.1) -> tuple[float, float, float]:
    """(wall seconds, peak MiB, history MiB) of one batched integration."""
    betas = np.linspace(0.0, 1.2, batch) if batch > 1 else np.array([0.5])
    tracemalloc.start()
    t0 = time.perf_counter()
    res = integrate_pspin(3, 1.0, power_laws(betas), h=h, t_max=n_steps * h)
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.isfinite(res.energy).all()
    history = batch * (n_steps + 1) * (n_steps + 2) * 8  # two packed triangles
    return wall, peak / 2**20, history / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 9])
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"{'Nmax':>6} {'B':>3} {'wall [s]':>9} {'s/schedule':>10} {'peak [MiB]':>11} {'history [MiB]':>13}")
    for n in args.sizes:
        for b in args.batches:
            wall, peak, hist = run(n, b)
            print(f"{n:6d} {b:3d} {wall:9.2f} {wall / b:10.2f} {peak:11.1f} {hist:13.1f}", flush=True)


if __name__ == "__main__":
    main()
