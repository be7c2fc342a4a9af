"""ODEFormer training examples: random system → sampled IC → integrated, filtered, corrupted trajectory.

The paper's training distribution (ODEFormer, arXiv 2310.05573, and the defaults of the official code,
github.com/sdascoli/odeformer ``odeformer/envs/generators.py``; ``docs/papers/odeformer.md`` section 2 restates
it) at full scale, and our CPU-sized variants. Trees come from the core generator
(:func:`paper_code.symbolic.generator.generate_system`); this module adds the paper-specific part: dimension,
time grid, initial condition ``x0 ~ N(0, 1)^D``, integration with rejection (:mod:`paper_code.odeformer.integrate`),
the stationarity filter, noise/subsampling and tokenisation.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import torch

from paper_code.common.config import Validated, param
from paper_code.odeformer.integrate import (
    GENERATOR_SOLVER,
    QUICK_SOLVER,
    SolverSettings,
    corrupt,
    integrate,
    stationary_reason,
)
from paper_code.symbolic.encoding import encode_system
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.generator import ODEFORMER, GeneratorConfig, generate_system
from paper_code.symbolic.numbers import FloatTokenizer
from paper_code.symbolic.sympy_bridge import canonical_tree

__all__ = ["ODEGeneratorConfig", "FULL", "QUICK", "QUICK_MIX", "PRESETS", "preset", "Example", "sample_example",
           "tokenize_example", "ODEDataset", "worker_seeds"]


#: Relative weights of 0, 1, 2, 3 binary operators per component in :data:`QUICK_MIX` (uniform over 1..3 before).
QUICK_MIX_BINARY_WEIGHTS = (1.0, 3.0, 3.0, 2.0)
#: Unary weights of :data:`QUICK_MIX`: the official 1 : 1 : 1 : 3 with id's weight doubled, so more of the kept
#: unaries are affine maps and fewer are sin/inv/pow2.
QUICK_MIX_UNARY_OPS = (("sin", 1.0), ("inv", 1.0), ("pow2", 1.0), ("id", 6.0))


@dataclasses.dataclass(frozen=True)
class ODEGeneratorConfig(Validated):
    """Paper-specific settings on top of the core :class:`GeneratorConfig` (validated on construction)."""

    min_dim: int = param(1, "smallest system dimension D", ge=1)
    max_dim: int = param(6, "largest system dimension D", ge=1)
    min_points: int = param(50, "fewest points of a trajectory", ge=2)
    max_points: int = param(200, "most points of a trajectory", ge=2)
    t_min: float = param(1.0, "start of the uniform time grid")
    t_max: float = param(10.0, "end of the uniform time grid; > t_min")
    trees: GeneratorConfig = param(ODEFORMER, "expression generator of each component")
    solver: SolverSettings = param(GENERATOR_SOLVER, "integration and rejection limits")
    p_reject_stationary: float = param(0.9, "probability of rejecting a trajectory whose end is flat", ge=0, le=1)
    compiled: bool = param(False, "integrate with the compiled right-hand side (same safe semantics, several times "
                           "faster; trajectories equal up to rounding) instead of the NumPy tree walk")
    corrupt: bool = param(True, "apply noise and subsampling on the fly")
    max_tries: int = param(1000, "rejection-sampling attempts before RuntimeError", ge=1)

    def validate(self) -> None:
        if self.max_dim < self.min_dim:
            self.fail("max_dim", f"{self.max_dim} must be >= min_dim={self.min_dim}")
        if self.max_points < self.min_points:
            self.fail("max_points", f"{self.max_points} must be >= min_points={self.min_points}")
        if self.t_max <= self.t_min:
            self.fail("t_max", f"{self.t_max} must be > t_min={self.t_min}")


#: The paper's distribution (official launch script: D in 1..6; id unaries become affine maps as in its code).
FULL = ODEGeneratorConfig(trees=dataclasses.replace(ODEFORMER, affine_id=True))
#: The first quick-scale recipe: D in {1, 2}, 1-3 binary operators, <= 2 unaries, N = 64, an evaluation cap
#: instead of a time-out; ``id`` unaries dropped before the prefactors, so no component has an additive constant
#: outside another unary (x' = a - b·x cannot be drawn).
QUICK = ODEGeneratorConfig(max_dim=2, min_points=64, max_points=64, solver=QUICK_SOLVER,
                           trees=dataclasses.replace(ODEFORMER, max_binary=3, max_unary=2))
#: The quick mix: as :data:`QUICK`, but ``id`` unaries become affine maps ``a + b·arg`` as in the official code
#: (so affine and logistic components exist), 0-3 binary operators weighted toward small trees (0 gives
#: ``c·x_j``, e.g. the harmonic oscillator's ``x0' = x1``), fewer non-affine unaries, and the compiled
#: right-hand side (several times faster generation).
QUICK_MIX = dataclasses.replace(QUICK, compiled=True, trees=dataclasses.replace(
    QUICK.trees, min_binary=0, max_binary=3, binary_weights=QUICK_MIX_BINARY_WEIGHTS, affine_id=True,
    unary_ops=QUICK_MIX_UNARY_OPS))

#: The generator presets the config's ``generator`` field names.
PRESETS = {"quick": QUICK, "quick_mix": QUICK_MIX, "full": FULL}


def preset(name: str, canonical: bool = False, corrupted: bool = True) -> ODEGeneratorConfig:
    """Generator preset ``name`` of :data:`PRESETS`, with SymPy's canonical form of every component switched on or
    off and on-sample corruption on or off (the training cache stores clean data)."""
    if name not in PRESETS:
        raise ValueError(f"unknown generator preset {name!r}; valid: {', '.join(PRESETS)}")
    gen = PRESETS[name]
    return dataclasses.replace(gen, corrupt=corrupted, trees=dataclasses.replace(gen.trees, canonical=canonical))


@dataclasses.dataclass
class Example:
    system: list[Node]
    t: np.ndarray          # observed (possibly subsampled) times
    y: np.ndarray          # observed (possibly noisy) states, (len(t), D)
    t_clean: np.ndarray
    y_clean: np.ndarray
    noise: float
    fraction: float


def _canonical_system(system: list[Node], trees: GeneratorConfig) -> list[Node] | None:
    """Every component in SymPy's canonical form (None if one is rejected by the size guard)."""
    out = [canonical_tree(tree, trees.max_growth) for tree in system]
    return None if any(tree is None for tree in out) else out  # type: ignore[return-value]


def sample_example(rng: np.random.Generator, cfg: ODEGeneratorConfig = QUICK) -> Example:
    """Rejection-sample one accepted example; raises ``RuntimeError`` after ``cfg.max_tries``.

    With ``cfg.trees.canonical`` the raw system is integrated and only an accepted one is rewritten (the same
    function, so the same acceptance as rewriting first, as the official code does, at a fraction of the SymPy
    cost: most draws are rejected by the integration)."""
    canonical = cfg.trees.canonical
    trees = dataclasses.replace(cfg.trees, canonical=False) if canonical else cfg.trees
    for _ in range(cfg.max_tries):
        dim = int(rng.integers(cfg.min_dim, cfg.max_dim + 1))
        system = generate_system(rng, dim, trees)
        n = int(rng.integers(cfg.min_points, cfg.max_points + 1))
        t = np.linspace(cfg.t_min, cfg.t_max, n)
        x0 = rng.standard_normal(dim)
        traj = integrate(system, x0, t, cfg.solver, compiled=cfg.compiled)
        if not traj.ok or stationary_reason(traj.y, rng, cfg.p_reject_stationary) is not None:
            continue
        if canonical:
            rewritten = _canonical_system(system, cfg.trees)
            if rewritten is None:
                continue
            system = rewritten
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
