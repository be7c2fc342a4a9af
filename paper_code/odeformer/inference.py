"""ODEFormer inference: one observed trajectory → a ranked set of candidate ODE systems.

The inference of ODEFormer (d'Ascoli et al., ICLR 2024; official code github.com/sdascoli/odeformer):

1. **Rescaling** (:class:`Rescaling`): time is mapped affinely onto ``[1, 10]`` (the generator's time
   range), ``τ = a t + b``; each component is divided by its value at the earliest observed time,
   ``z = s x`` with ``s_j = 1 / x_j(t_0)`` (``s_j = 1`` when ``x_j(t_0) = 0``). The model predicts
   ``dz/dτ = g(z)``, and the chain rule maps it back: ``dx/dt = (a / s) g(s x)``.
2. **Bagging**: the points are shuffled and split into bags of at most ``max_bag``; each bag is decoded
   on its own.
3. **Decoding**: temperature sampling of ``n_candidates`` per bag (greedy when ``temperature = 0``), or
   beam search when ``beam_size > 1``, all bags in one batch. Unparsable sequences and systems of the wrong
   dimension are dropped, duplicates merged.
4. **Ranking**: every candidate (in the original coordinates) is integrated from the first observed state
   over the observed times and scored by the variance-weighted R² against the observation; the best wins.
   Several observations of one system (e.g. from different initial conditions) are rescaled and bagged one
   by one, their candidates pooled and scored by the mean R² over the observations.
5. **Optional refinement** ("ODEFormer (opt)"): BFGS with finite-difference gradients on ``1 − R²`` of the
   integrated trajectory over the winner's constants, started at the predicted constants, within a
   wall-clock budget; the best parameters seen are kept (never worse than the start).

Steps 3-5 run on the symbolic core's candidate loop (:mod:`paper_code.symbolic.candidates`), with the
trajectory R² as the paper's data-fit score. :class:`OdeformerMethod` implements the benchmark's
:class:`~paper_code.odeformer.benchmark.Method` protocol; :func:`candidate_sweep` scores best-of-first-``k``
candidates for the "more candidates help" figure from a single sampling run per task.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import torch

from paper_code.odeformer.integrate import SolverSettings
from paper_code.odeformer.scoring import simulate, trajectory_r2
from paper_code.symbolic.candidates import Candidate, CandidateProblem, DecodingSettings, decode_sequences
from paper_code.symbolic.embedder import tokenize_points
from paper_code.symbolic.encoding import decode_system
from paper_code.symbolic.expressions import Node, const, op, substitute  # substitute: re-exported

__all__ = ["RANKING_SOLVER", "Rescaling", "substitute", "Candidate", "Trajectories", "system_text", "OdeformerMethod",
           "candidate_sweep"]

log = logging.getLogger(__name__)

#: Integration used to rank candidates on the observed points: LSODA at the scoring tolerances, but with a
#: tighter evaluation cap (a wrong, stiff candidate must not cost seconds; it simply ranks last).
RANKING_SOLVER = SolverSettings(method="LSODA", rtol=1e-5, atol=1e-7, first_step=1e-6, min_step=1e-10,
                                max_abs=None, timeout_s=None, max_nfev=5_000, reject_warnings=False)


# --------------------------------------------------------------------------- rescaling
@dataclass(frozen=True)
class Rescaling:
    """``τ = a t + b`` onto ``t_range`` and ``z = s ⊙ x`` (step 1 above)."""

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
#: A list of ``(t, y)`` observations of one system: ``t`` ``(T,)`` increasing, ``y`` ``(T, D)``.
Trajectories = Sequence[tuple[np.ndarray, np.ndarray]]


def system_text(system: Sequence[Node]) -> str:
    """``f_0 ; f_1 ; ...`` in infix notation."""
    return " ; ".join(tree.infix() for tree in system)


def _is_system(pred: Sequence[Node] | None, dim: int) -> bool:
    """``dim`` components reading only ``x_0..x_{dim-1}``."""
    return pred is not None and len(pred) == dim and all(
        v.startswith("x_") and v[2:].isdigit() and int(v[2:]) < dim for tr in pred for v in tr.variables())


def _observed_r2(system: Sequence[Node], trajectories: Trajectories, settings: SolverSettings) -> float:
    """Mean over the observations of the R² of the system integrated from the first observed state."""
    return float(np.mean([trajectory_r2(y, simulate(system, y[0], t, settings)) for t, y in trajectories]))


def _as_arrays(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=float)
    return t, np.asarray(y, dtype=float).reshape(len(t), -1)


@dataclass
class OdeformerMethod:
    """The trained model as a benchmark method (steps 1-5 above), on the core candidate loop
    (:mod:`paper_code.symbolic.candidates`) with the trajectory R² as the data-fit score.

    ``model``/``vocabs`` from :func:`paper_code.odeformer.train.load_model`. ``n_candidates`` per bag
    (``temperature`` 0 → a single greedy candidate), ``beam_size > 1`` → beam search instead of sampling.
    ``refine_s > 0`` turns on the BFGS refinement with that wall-clock budget. ``use_cache=False`` decodes
    without the key/value cache (the slow reference path). After each :meth:`fit`, :attr:`last_candidates`
    holds every parsed candidate, best first.
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
    use_cache: bool = True
    last_candidates: list[Candidate] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        _ = self.decoding  # raises ValueError on bad decoding settings
        if self.max_bag < 2:
            raise ValueError(f"max_bag must be >= 2, got {self.max_bag}")
        if not self.refine_s >= 0:
            raise ValueError(f"refine_s must be >= 0 (0 = no refinement), got {self.refine_s}")
        self.max_dim = self.model.cfg.max_width - 1

    @property
    def decoding(self) -> DecodingSettings:
        return DecodingSettings(self.n_candidates, self.temperature, self.beam_size, self.seed, self.use_cache)

    # ---------------------------------------------------------------- decoding
    def _bags(self, tau: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        rows = np.concatenate([tau[:, None], z], axis=1)
        n_bags = -(-len(rows) // self.max_bag)
        if n_bags == 1:
            return [rows]
        perm = rng.permutation(len(rows))
        return [rows[np.sort(chunk)] for chunk in np.array_split(perm, n_bags)]

    def _parse(self, ids: list[int]) -> tuple[Node, ...] | None:
        voc = self.vocabs
        try:
            return tuple(decode_system(voc.out.decode(ids), voc.floats))
        except (ValueError, KeyError):
            return None

    def decode_bags(self, bags: Sequence[np.ndarray], dim: int) -> list[list[tuple[Node, ...] | None]]:
        """Raw candidates in the rescaled coordinates, per bag, in sampling order (``None`` = unparsable).
        All bags are decoded in one batch."""
        voc = self.vocabs
        ids, mask = tokenize_points(bags, voc.floats, voc.inp, self.model.cfg.max_width)
        return [[self._parse(s) for s in seqs] for seqs in decode_sequences(self.model, ids, mask, self.decoding)]

    # ---------------------------------------------------------------- the candidate loop
    def search(self, trajectories: Trajectories) -> list[Candidate]:
        """Every parsed, distinct candidate in the original coordinates, ranked by the mean R² of its
        integration against each observation (ties keep sampling order).

        The observations are rescaled and bagged one by one; all bags are decoded together, and a candidate
        decoded from an observation is mapped back with that observation's rescaling.
        """
        obs = [_as_arrays(t, y) for t, y in trajectories]
        if not obs:
            raise ValueError("no trajectory given")
        dim = obs[0][1].shape[1]
        if any(y.shape[1] != dim for _, y in obs):
            raise ValueError(f"every trajectory must have the same dimension, got {[y.shape[1] for _, y in obs]}")
        if dim > self.max_dim:
            raise ValueError(f"the model handles systems up to D={self.max_dim}, got D={dim}")
        scalings = [Rescaling.fit(t, y) if self.rescale else Rescaling.identity(dim) for t, y in obs]
        rng = np.random.default_rng(self.seed)
        bags, source = [], []
        for j, ((t, y), scaling) in enumerate(zip(obs, scalings)):
            new = self._bags(*scaling.apply(t, y), rng)
            bags += new
            source += [j] * len(new)
        raw = [None if pred is None else (source[b], pred)
               for b, preds in enumerate(self.decode_bags(bags, dim)) for pred in preds]
        problem = CandidateProblem(
            valid=lambda r: _is_system(r[1], dim),
            key=lambda r: (r[0], system_text(r[1])),
            finalize=lambda r: scalings[r[0]].unscale(r[1]),
            score=lambda system: _observed_r2(system, obs, self.ranking_solver),
            refine=(lambda c: self.refine(c, obs)) if self.refine_s > 0 else None,
        )
        return problem.rank(raw)

    def candidates(self, t: np.ndarray, y: np.ndarray) -> list[Candidate]:
        """:meth:`search` on one observation."""
        return self.search([(t, y)])

    def fit(self, t: np.ndarray, y: np.ndarray) -> tuple[Node, ...]:
        self.last_candidates = self.candidates(t, y)
        if not self.last_candidates:
            raise RuntimeError(f"none of the decoded sequences is a valid {np.shape(y)[-1]}-D system")
        return self.last_candidates[0].prediction

    # ---------------------------------------------------------------- refinement
    def refine(self, cand: Candidate, trajectories: Trajectories) -> Candidate:
        """BFGS (finite-difference gradients) on ``1 − R²`` over the constants of ``cand`` (step 5 above)."""
        system = cand.prediction
        c0 = np.concatenate([np.asarray(tr.constants(), dtype=float) for tr in system])
        if c0.size == 0:
            return cand
        sizes = [len(tr.constants()) for tr in system]
        splits = np.cumsum(sizes)[:-1]

        def build(c: np.ndarray) -> tuple[Node, ...]:
            return tuple(tr.with_constants(part) for tr, part in zip(system, np.split(c, splits)))

        best = {"c": c0, "r2": cand.score}
        deadline = time.monotonic() + self.refine_s

        class _Stop(Exception):
            pass

        def loss(c: np.ndarray) -> float:
            if time.monotonic() > deadline:
                raise _Stop
            r2 = _observed_r2(build(c), trajectories, self.ranking_solver)
            if r2 > best["r2"]:
                best.update(c=c.copy(), r2=r2)
            return 1.0 - r2

        try:
            scipy.optimize.minimize(loss, c0, method="BFGS", options={"maxiter": 50})
        except _Stop:
            pass
        if best["r2"] <= cand.score:
            return cand
        return Candidate(build(best["c"]), cand.order, float(best["r2"]), refined=True)


# --------------------------------------------------------------------------- candidate sweep
def candidate_sweep(method: OdeformerMethod, tasks: Sequence, ks: Sequence[int], progress: bool = True,
                    workers: int = 1) -> pd.DataFrame:
    """Reconstruction/generalisation accuracy of the best of the first ``k`` sampled candidates.

    One sampling run of ``method.n_candidates`` (must be ``>= max(ks)``) per task; for each ``k`` the
    candidate with the best observed-trajectory R² among samples ``0..k-1`` is scored exactly like
    :func:`~paper_code.odeformer.benchmark.run_benchmark` does. Columns: ``system, noise, k, r2_reconstruction,
    r2_generalization``. ``workers`` processes share the tasks (0 = one per core; same rows).
    """
    from paper_code.common.parallel import fork_map
    from paper_code.common.progress import progress as progress_bar
    from paper_code.odeformer.benchmark import score_task

    if max(ks) > method.n_candidates or min(ks) < 1:
        raise ValueError(f"ks must lie in 1..n_candidates={method.n_candidates}, got {list(ks)}")

    def one(task: Any) -> list[dict[str, Any]]:
        cands = method.candidates(task.t_obs, task.y_obs)
        scored: dict[int, tuple[float, float]] = {}
        rows = []
        for k in ks:
            pool = [c for c in cands if c.order < k]
            if not pool:
                rec, gen = 0.0, (0.0 if task.y_gen is not None else float("nan"))
            else:
                best = pool[0]  # cands are ranked, so the first one in the pool is the best of the first k
                key = id(best)
                if key not in scored:
                    scored[key] = score_task(best.prediction, task)[:2]
                rec, gen = scored[key]
            rows.append({"system": task.system.id, "noise": task.noise, "k": k,
                         "r2_reconstruction": rec, "r2_generalization": gen})
        return rows

    bar = progress_bar(total=len(tasks), disable=not progress, desc="candidate sweep")
    try:
        per_task = fork_map(one, list(tasks), workers, on_result=lambda i, r: bar.update())
    finally:
        bar.close()
    return pd.DataFrame([row for rows in per_task for row in rows],
                        columns=["system", "noise", "k", "r2_reconstruction", "r2_generalization"])
