"""ODEFormer training examples: random system → sampled IC → integrated, filtered, corrupted trajectory.

Spec ``shared/papers/odeformer.md`` §2.1 (full scale) and §4 (quick scale). Trees come from the core
generator (:func:`paper_code.symbolic.generator.generate_system`); this module adds the paper-specific
part: dimension, time grid, initial condition ``x0 ~ N(0, 1)^D``, integration with rejection
(:mod:`paper_code.odeformer.integrate`), the stationarity filter, noise/subsampling and tokenisation.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import torch

from paper_code.odeformer.integrate import (GENERATOR_SOLVER, QUICK_SOLVER, SolverSettings, corrupt,
                                            integrate, stationary_reason)
from paper_code.symbolic.encoding import encode_system
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.generator import ODEFORMER, GeneratorConfig, generate_system
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["ODEGeneratorConfig", "FULL", "QUICK", "Example", "sample_example", "tokenize_example",
           "ODEDataset", "worker_seeds"]


@dataclasses.dataclass(frozen=True)
class ODEGeneratorConfig:
    """Paper-specific settings on top of the core :class:`GeneratorConfig`."""

    min_dim: int = 1
    max_dim: int = 6
    min_points: int = 50
    max_points: int = 200
    t_min: float = 1.0
    t_max: float = 10.0
    trees: GeneratorConfig = ODEFORMER
    solver: SolverSettings = GENERATOR_SOLVER
    p_reject_stationary: float = 0.9
    corrupt: bool = True
    max_tries: int = 1000


#: §2.1 (final launch script: D in 1..6).
FULL = ODEGeneratorConfig()
#: §4 quick scale: D in {1, 2}, b_i <= 3, <= 2 unaries, N = 64, evaluation cap instead of a time-out.
QUICK = ODEGeneratorConfig(max_dim=2, min_points=64, max_points=64, solver=QUICK_SOLVER,
                           trees=dataclasses.replace(ODEFORMER, max_binary=3, max_unary=2))


@dataclasses.dataclass
class Example:
    system: list[Node]
    t: np.ndarray          # observed (possibly subsampled) times
    y: np.ndarray          # observed (possibly noisy) states, (len(t), D)
    t_clean: np.ndarray
    y_clean: np.ndarray
    noise: float
    fraction: float


def sample_example(rng: np.random.Generator, cfg: ODEGeneratorConfig = QUICK) -> Example:
    """Rejection-sample one accepted example; raises ``RuntimeError`` after ``cfg.max_tries``."""
    for _ in range(cfg.max_tries):
        dim = int(rng.integers(cfg.min_dim, cfg.max_dim + 1))
        system = generate_system(rng, dim, cfg.trees)
        n = int(rng.integers(cfg.min_points, cfg.max_points + 1))
        t = np.linspace(cfg.t_min, cfg.t_max, n)
        x0 = rng.standard_normal(dim)
        traj = integrate(system, x0, t, cfg.solver)
        if not traj.ok or stationary_reason(traj.y, rng, cfg.p_reject_stationary) is not None:
            continue
        if cfg.corrupt:
            t_obs, y_obs, gamma, rho = corrupt(t, traj.y, rng)
        else:
            t_obs, y_obs, gamma, rho = t, traj.y, 0.0, 0.0
        return Example(system, t_obs, y_obs, t, traj.y, gamma, rho)
    raise RuntimeError(f"no accepted ODE example after {cfg.max_tries} tries")


def tokenize_example(ex: Example, floats: FloatTokenizer = FloatTokenizer()) -> tuple[list[list[str]], list[str]]:
    """``(points, target)``: per time point the ``3 (1 + D)`` float tokens of ``(t, x_1..x_D)``; target =
    prefix tokens of the system with ``|`` separators."""
    rows = np.concatenate([ex.t[:, None], ex.y], axis=1)
    enc = floats.encode(rows)  # (N, 1 + D, 3)
    points = [list(np.asarray(r).ravel()) for r in enc]
    return points, encode_system(ex.system, floats)


def worker_seeds(seed: int, n_workers: int) -> list[np.random.SeedSequence]:
    """Independent child seeds, one per worker (``SeedSequence.spawn``)."""
    return np.random.SeedSequence(seed).spawn(n_workers)


class ODEDataset(torch.utils.data.IterableDataset):
    """On-the-fly stream of tokenised examples; each DataLoader worker draws from its own spawned seed."""

    def __init__(self, seed: int, cfg: ODEGeneratorConfig = QUICK, floats: FloatTokenizer = FloatTokenizer(),
                 length: int | None = None) -> None:
        self.seed, self.cfg, self.floats, self.length = seed, cfg, floats, length

    def __iter__(self) -> Iterator[tuple[list[list[str]], list[str]]]:
        info = torch.utils.data.get_worker_info()
        wid, nw = (0, 1) if info is None else (info.id, info.num_workers)
        rng = np.random.default_rng(worker_seeds(self.seed, nw)[wid])
        count = 0
        while self.length is None or count < (self.length - wid + nw - 1) // nw:
            yield tokenize_example(sample_example(rng, self.cfg), self.floats)
            count += 1
