"""ODEFormer inference: one observed trajectory → a ranked set of candidate ODE systems.

Spec ``shared/papers/odeformer.md`` §2.5:

1. **Rescaling** (:class:`Rescaling`): time is mapped affinely onto ``[1, 10]`` (the generator's time
   range), ``τ = a t + b``; each component is divided by its value at the earliest observed time,
   ``z = s x`` with ``s_j = 1 / x_j(t_0)`` (``s_j = 1`` when ``x_j(t_0) = 0``). The model predicts
   ``dz/dτ = g(z)``, and the chain rule maps it back: ``dx/dt = (a / s) g(s x)``.
2. **Bagging**: the points are shuffled and split into bags of at most ``max_bag``; each bag is decoded
   on its own.
3. **Decoding**: temperature sampling of ``n_candidates`` per bag (greedy when ``temperature = 0``), or
   beam search when ``beam_size > 1``. Unparsable sequences and systems of the wrong dimension are dropped,
   duplicates merged.
4. **Ranking**: every candidate (in the original coordinates) is integrated from the first observed state
   over the observed times and scored by the variance-weighted R² against the observation; the best wins.
5. **Optional refinement** ("ODEFormer (opt)"): BFGS with finite-difference gradients on ``1 − R²`` of the
   integrated trajectory over the winner's constants, started at the predicted constants, within a
   wall-clock budget; the best parameters seen are kept (never worse than the start).

:class:`OdeformerMethod` implements the benchmark's :class:`~paper_code.odeformer.benchmark.Method`
protocol; :func:`candidate_sweep` scores best-of-first-``k`` candidates for the "more candidates help"
figure from a single sampling run per task.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize
import torch

from paper_code.odeformer.integrate import SolverSettings
from paper_code.odeformer.scoring import simulate, trajectory_r2
from paper_code.symbolic.embedder import tokenize_points
from paper_code.symbolic.encoding import decode_system
from paper_code.symbolic.expressions import Node, const, op

__all__ = ["RANKING_SOLVER", "Rescaling", "substitute", "Candidate", "OdeformerMethod", "candidate_sweep"]

log = logging.getLogger(__name__)

#: Integration used to rank candidates on the observed points: LSODA at the scoring tolerances, but with a
#: tighter evaluation cap (a wrong, stiff candidate must not cost seconds; it simply ranks last).
RANKING_SOLVER = SolverSettings(method="LSODA", rtol=1e-5, atol=1e-7, first_step=1e-6, min_step=1e-10,
                                max_abs=None, timeout_s=None, max_nfev=5_000, reject_warnings=False)


# --------------------------------------------------------------------------- rescaling
def substitute(tree: Node, mapping: dict[str, Node]) -> Node:
    """Copy of ``tree`` with each variable leaf named in ``mapping`` replaced by (a copy of) its subtree."""
    if not tree.children:
        return mapping[tree.value].copy() if isinstance(tree.value, str) and tree.value in mapping else tree.copy()
    return Node(tree.value, [substitute(c, mapping) for c in tree.children])


@dataclass(frozen=True)
class Rescaling:
    """``τ = a t + b`` onto ``t_range`` and ``z = s ⊙ x`` (§2.5 step 1)."""

    a: float
    b: float
    s: np.ndarray

    @classmethod
    def fit(cls, t: np.ndarray, y: np.ndarray, t_range: tuple[float, float] = (1.0, 10.0)) -> Rescaling:
        t = np.asarray(t, dtype=float)
        y = np.asarray(y, dtype=float).reshape(len(t), -1)
        span = t[-1] - t[0]
        if not np.isfinite(span) or span <= 0:
            raise ValueError("t must be increasing with t[-1] > t[0]")
        a = (t_range[1] - t_range[0]) / span
        first = y[int(np.argmin(t))]
        s = np.where(np.isfinite(first) & (first != 0), 1.0 / np.where(first == 0, 1.0, first), 1.0)
        return cls(a, t_range[0] - a * t[0], s)

    @classmethod
    def identity(cls, dim: int) -> Rescaling:
        return cls(1.0, 0.0, np.ones(dim))

    def apply(self, t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(τ, z)`` of an observation."""
        return self.a * np.asarray(t, dtype=float) + self.b, np.asarray(y, dtype=float) * self.s

    def unscale(self, system: Sequence[Node]) -> tuple[Node, ...]:
        """``f_i(x) = (a / s_i) g_i(s ⊙ x)`` for a predicted ``g`` in the rescaled coordinates."""
        if np.all(self.s == 1.0) and self.a == 1.0:
            return tuple(tree.copy() for tree in system)
        mapping = {f"x_{j}": op("mul", const(float(sj)), Node(f"x_{j}")) for j, sj in enumerate(self.s)
                   if sj != 1.0}
        return tuple(op("mul", const(float(self.a / self.s[i])), substitute(g, mapping))
                     for i, g in enumerate(system))


# --------------------------------------------------------------------------- candidates
@dataclass
class Candidate:
    """A decoded system in the original coordinates, the sample it came from, and its fit to the data."""

    system: tuple[Node, ...]
    order: int           # position in sampling order (bag-major), for best-of-first-k sweeps
    fit_r2: float        # R² of the integrated candidate against the observed trajectory
    refined: bool = False

    @property
    def text(self) -> str:
        return " ; ".join(tree.infix() for tree in self.system)


def _is_system(pred: Sequence[Node] | None, dim: int) -> bool:
    """``dim`` components reading only ``x_0..x_{dim-1}``."""
    return pred is not None and len(pred) == dim and all(
        v.startswith("x_") and v[2:].isdigit() and int(v[2:]) < dim for tr in pred for v in tr.variables())


def _observed_r2(system: Sequence[Node], t: np.ndarray, y: np.ndarray, settings: SolverSettings) -> float:
    """R² of the system integrated from the first observed state against the observation."""
    return trajectory_r2(y, simulate(system, y[0], t, settings))


@dataclass
class OdeformerMethod:
    """The trained model as a benchmark method (§2.5).

    ``model``/``vocabs`` from :func:`paper_code.odeformer.train.load_model`. ``n_candidates`` per bag
    (``temperature`` 0 → a single greedy candidate), ``beam_size > 1`` → beam search instead of sampling.
    ``refine_s > 0`` turns on the BFGS refinement with that wall-clock budget. After each :meth:`fit`,
    :attr:`last_candidates` holds every parsed candidate, best first.
    """

    model: torch.nn.Module
    vocabs: object
    n_candidates: int = 16
    temperature: float = 0.5
    beam_size: int = 1
    max_bag: int = 200
    rescale: bool = True
    refine_s: float = 0.0
    seed: int = 0
    name: str = "ODEFormer"
    ranking_solver: SolverSettings = RANKING_SOLVER
    last_candidates: list[Candidate] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.n_candidates < 1 or self.max_bag < 2 or self.beam_size < 1:
            raise ValueError("need n_candidates >= 1, beam_size >= 1 and max_bag >= 2, got "
                             f"{self.n_candidates}, {self.beam_size}, {self.max_bag}")
        if self.temperature < 0 or self.refine_s < 0:
            raise ValueError(f"temperature and refine_s must be >= 0, got {self.temperature}, {self.refine_s}")
        self.max_dim = self.model.cfg.max_width - 1

    # ---------------------------------------------------------------- decoding
    def _bags(self, tau: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        rows = np.concatenate([tau[:, None], z], axis=1)
        n_bags = -(-len(rows) // self.max_bag)
        if n_bags == 1:
            return [rows]
        perm = rng.permutation(len(rows))
        return [rows[np.sort(chunk)] for chunk in np.array_split(perm, n_bags)]

    def decode_bags(self, bags: Sequence[np.ndarray], dim: int) -> list[tuple[Node, ...] | None]:
        """Raw candidates in the rescaled coordinates, bag-major (``None`` = unparsable)."""
        voc = self.vocabs
        ids, mask = tokenize_points(bags, voc.floats, voc.inp, self.model.cfg.max_width)
        seqs: list[list[int]] = []
        if self.beam_size > 1:
            for hyps in self.model.beam_search(ids, mask, beam_size=self.beam_size):
                seqs.extend(h for _, h in hyps[: self.n_candidates])
        else:
            greedy = self.temperature <= 0
            gen = torch.Generator().manual_seed(self.seed)
            out = self.model.sample(ids, mask, temperature=self.temperature,
                                    n_samples=1 if greedy else self.n_candidates, generator=gen)
            for row in out.tolist():
                seqs.append([i for i in row if i not in (voc.out.eos_id, voc.out.pad_id)])
        systems: list[tuple[Node, ...] | None] = []
        for s in seqs:
            try:
                trees = tuple(decode_system(voc.out.decode(s), voc.floats))
            except (ValueError, KeyError):
                systems.append(None)
                continue
            systems.append(trees)
        return systems

    def candidates(self, t: np.ndarray, y: np.ndarray) -> list[Candidate]:
        """Every parsed, distinct candidate in the original coordinates, ranked by observed-trajectory R²
        (ties keep sampling order)."""
        t = np.asarray(t, dtype=float)
        y = np.asarray(y, dtype=float).reshape(len(t), -1)
        dim = y.shape[1]
        if dim > self.max_dim:
            raise ValueError(f"the model handles systems up to D={self.max_dim}, got D={dim}")
        scaling = Rescaling.fit(t, y) if self.rescale else Rescaling.identity(dim)
        tau, z = scaling.apply(t, y)
        rng = np.random.default_rng(self.seed)
        raw = self.decode_bags(self._bags(tau, z, rng), dim)
        seen: dict[str, Candidate] = {}
        for order, pred in enumerate(raw):
            if not _is_system(pred, dim):
                continue
            key = " ; ".join(tr.infix() for tr in pred)
            if key in seen:
                continue
            system = scaling.unscale(pred)
            seen[key] = Candidate(system, order, _observed_r2(system, t, y, self.ranking_solver))
        ranked = sorted(seen.values(), key=lambda c: (-c.fit_r2, c.order))
        if ranked and self.refine_s > 0:
            ranked[0] = self.refine(ranked[0], t, y)
        return ranked

    def fit(self, t: np.ndarray, y: np.ndarray) -> tuple[Node, ...]:
        self.last_candidates = self.candidates(t, y)
        if not self.last_candidates:
            raise RuntimeError(f"none of the decoded sequences is a valid {np.shape(y)[-1]}-D system")
        return self.last_candidates[0].system

    # ---------------------------------------------------------------- refinement
    def refine(self, cand: Candidate, t: np.ndarray, y: np.ndarray) -> Candidate:
        """BFGS (finite-difference gradients) on ``1 − R²`` over the constants of ``cand`` (§2.5 step 5)."""
        c0 = np.concatenate([np.asarray(tr.constants(), dtype=float) for tr in cand.system])
        if c0.size == 0:
            return cand
        sizes = [len(tr.constants()) for tr in cand.system]
        splits = np.cumsum(sizes)[:-1]

        def build(c: np.ndarray) -> tuple[Node, ...]:
            return tuple(tr.with_constants(part) for tr, part in zip(cand.system, np.split(c, splits)))

        best = {"c": c0, "r2": cand.fit_r2}
        deadline = time.monotonic() + self.refine_s

        class _Stop(Exception):
            pass

        def loss(c: np.ndarray) -> float:
            if time.monotonic() > deadline:
                raise _Stop
            r2 = _observed_r2(build(c), t, y, self.ranking_solver)
            if r2 > best["r2"]:
                best.update(c=c.copy(), r2=r2)
            return 1.0 - r2

        try:
            scipy.optimize.minimize(loss, c0, method="BFGS", options={"maxiter": 50})
        except _Stop:
            pass
        if best["r2"] <= cand.fit_r2:
            return cand
        return Candidate(build(best["c"]), cand.order, float(best["r2"]), refined=True)


# --------------------------------------------------------------------------- candidate sweep
def candidate_sweep(method: OdeformerMethod, tasks: Sequence, ks: Sequence[int], progress: bool = True
                    ) -> pd.DataFrame:
    """Reconstruction/generalisation accuracy of the best of the first ``k`` sampled candidates.

    One sampling run of ``method.n_candidates`` (must be ``>= max(ks)``) per task; for each ``k`` the
    candidate with the best observed-trajectory R² among samples ``0..k-1`` is scored exactly like
    :func:`~paper_code.odeformer.benchmark.run_benchmark` does. Columns: ``system, k, r2_reconstruction,
    r2_generalization``.
    """
    from tqdm.auto import tqdm

    from paper_code.odeformer.benchmark import score_task

    if max(ks) > method.n_candidates or min(ks) < 1:
        raise ValueError(f"ks must lie in 1..n_candidates={method.n_candidates}, got {list(ks)}")
    rows = []
    for task in tqdm(tasks, disable=not progress, desc="candidate sweep"):
        cands = method.candidates(task.t_obs, task.y_obs)
        scored: dict[int, tuple[float, float]] = {}
        for k in ks:
            pool = [c for c in cands if c.order < k]
            if not pool:
                rec, gen = 0.0, (0.0 if task.y_gen is not None else float("nan"))
            else:
                best = pool[0]  # cands are ranked, so the first one in the pool is the best of the first k
                key = id(best)
                if key not in scored:
                    scored[key] = score_task(best.system, task)[:2]
                rec, gen = scored[key]
            rows.append({"system": task.system.id, "noise": task.noise, "k": k,
                         "r2_reconstruction": rec, "r2_generalization": gen})
    return pd.DataFrame(rows)
