"""Evaluation harness: compare ODE-discovery methods on ODEBench and the Strogatz set.

Protocol: the paper's evaluation, restated in ``docs/papers/odeformer.md`` §5 (and §3 for our offline SINDy
reference protocol); § numbers below refer to that page.

1. :func:`prepare_tasks` — one :class:`Task` per (system, initial condition, noise σ, subsampling ρ):
   ``n_points`` evenly spaced points of the reference grid (ODEBench: of the 512-point grid on [0, 10];
   Strogatz: of the 100-point grid t = 0..9.9), integrated once with ``ODEBENCH_SOLVER`` and cached in
   memory; the method sees the corrupted copy (random removal of a fraction ρ, then multiplicative noise
   ``x (1 + σ ε)``, :func:`~paper_code.odeformer.integrate.corrupt`), seeded per task so that a task does
   not depend on which other tasks were prepared.
2. :func:`run_benchmark` — every :class:`Method` is fitted on every task; its prediction is scored by
   *reconstruction* (integrate from the first clean state over the full grid, R² against the clean
   trajectory) and *generalisation* (integrate from the next initial condition of the system — ODEBench:
   IC 2 — and compare with the true solution from there). R² is variance-weighted and clipped at 0; a
   method that raises, a prediction with the wrong dimension, and a failed / diverging integration all
   score 0 and carry a reason in ``error``. Wall time of each ``fit`` call is recorded (§3, "Inference time").
3. Summaries (small functions returning DataFrames for the notebook's figures): accuracy (R² > 0.9) vs
   noise, vs subsampling, vs dimension, vs operator count, chaotic vs regular, reconstruction vs
   generalisation, and median inference time.

Chaotic ODEBench systems (ids 56, 59, 60, 61) are flagged rather than dropped: even the true system can
score below 0.9 on them only through integration error, so analyse them separately (§3 (iv)).
"""
from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from paper_code.common.parallel import fork_map
from paper_code.common.progress import progress as progress_bar
from paper_code.odeformer.integrate import ODEBENCH_SOLVER, SolverSettings, corrupt, integrate
from paper_code.odeformer.odebench import CHAOTIC_IDS, ODEBENCH_TIME, STROGATZ_TIME, ODESystem
from paper_code.odeformer.scoring import ACCURACY_THRESHOLD, SCORING_SOLVER, simulate, trajectory_r2
from paper_code.odeformer.sindy import REFERENCE_GRID, SINDyGrid, sindy_search
from paper_code.symbolic.expressions import Node

__all__ = [
    "Method",
    "SindyMethod",
    "FunctionMethod",
    "OracleMethod",
    "Task",
    "time_grid",
    "clean_solution",
    "prepare_tasks",
    "RESULT_COLUMNS",
    "BenchmarkResult",
    "score_task",
    "fit_and_score",
    "run_benchmark",
    "accuracy_table",
    "accuracy_vs_noise",
    "accuracy_vs_subsampling",
    "accuracy_vs_dimension",
    "accuracy_vs_operators",
    "chaotic_vs_regular",
    "reconstruction_vs_generalization",
    "inference_time",
]

log = logging.getLogger(__name__)

Prediction: TypeAlias = tuple[Node, ...]


# ----------------------------------------------------------------------------- methods
@runtime_checkable
class Method(Protocol):
    """A method maps one observed trajectory to a predicted system ``(f_0, ..., f_{D-1})``.

    ``fit(t, y)``: ``t`` ``(N,)`` increasing (possibly irregular) times, ``y`` ``(N, D)`` noisy states;
    returns one core tree per component reading ``x_0..x_{D-1}``. The harness measures the wall time of
    each call, so a method only has to return its best candidate (e.g. ODEFormer: sample B candidates,
    rank by trajectory fit, optionally BFGS-refine the constants, return the winner). It may raise: the
    harness records the failure.
    """

    name: str

    def fit(self, t: np.ndarray, y: np.ndarray) -> Prediction: ...


@dataclass
class SindyMethod:
    """SINDy with the per-system hyper-parameter search of :func:`~paper_code.odeformer.sindy.sindy_search`."""

    grid: SINDyGrid = REFERENCE_GRID
    name: str = "SINDy"

    def fit(self, t: np.ndarray, y: np.ndarray) -> Prediction:
        return sindy_search(t, y, self.grid).trees


@dataclass
class FunctionMethod:
    """Adapter: any ``fn(t, y) -> trees`` under a name (handy for quick baselines and tests)."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray], Sequence[Node]]

    def fit(self, t: np.ndarray, y: np.ndarray) -> Prediction:
        return tuple(self.fn(t, y))


# ----------------------------------------------------------------------------- tasks
@dataclass(frozen=True, eq=False)
class Task:
    """One benchmark problem.

    ``t`` ``(N,)`` / ``y_clean`` ``(N, D)``: clean reference trajectory from IC ``ic`` (scored against);
    ``t_obs`` ``(M,)`` / ``y_obs`` ``(M, D)``: the corrupted observation the method sees (M ≤ N);
    ``gen_ic`` / ``y_gen`` ``(N, D)``: the initial condition used for generalisation and the true solution
    from it over ``t`` (``None`` when the system has a single IC or that integration failed).
    """

    system: ODESystem
    ic: int
    noise: float
    subsample: float
    seed: int
    t: np.ndarray
    y_clean: np.ndarray
    t_obs: np.ndarray
    y_obs: np.ndarray
    gen_ic: int | None
    y_gen: np.ndarray | None = field(repr=False)

    @property
    def dim(self) -> int:
        return self.system.dim

    @property
    def chaotic(self) -> bool:
        return self.system.source == "ODEBench" and self.system.id in CHAOTIC_IDS

    @property
    def n_operators(self) -> int:
        """Operator nodes of the true system's trees (all components), a complexity proxy (§4, trend 3)."""
        return sum(1 for tree in self.system.trees for n in tree.nodes() if n.is_operator)


def time_grid(system: ODESystem, n_points: int | None = None) -> np.ndarray:
    """``n_points`` evenly spaced points of the system's reference grid (ODEBench: 512 points on [0, 10],
    the §3 protocol; Strogatz: t = 0, 0.1, ..., 9.9). ``None`` = the whole grid."""
    base = STROGATZ_TIME if system.source.startswith("ODE-Strogatz") else ODEBENCH_TIME
    if n_points is None:
        return base.copy()
    if not 8 <= n_points <= len(base):
        raise ValueError(f"n_points must be in 8..{len(base)} for system {system.id!r}, got {n_points}")
    return base[np.round(np.linspace(0, len(base) - 1, n_points)).astype(int)]


# (source, id, ic, n_points) -> clean solution or None; integrating once is most of the preparation cost.
_SOLUTIONS: dict[tuple, np.ndarray | None] = {}


def clean_solution(system: ODESystem, ic: int, n_points: int | None,
                   settings: SolverSettings = ODEBENCH_SOLVER) -> np.ndarray | None:
    """True solution ``(N, D)`` from IC ``ic`` on :func:`time_grid`, cached in memory; ``None`` if the
    integration failed."""
    key = (system.source, system.id, ic, n_points, settings)
    if key not in _SOLUTIONS:
        traj = integrate(system.trees, system.init[ic], time_grid(system, n_points), settings, compiled=True)
        if not traj.ok:  # per system: DEBUG; prepare_tasks logs one summary
            log.debug("system %r IC %d could not be integrated (%s)", system.id, ic, traj.reason)
        _SOLUTIONS[key] = traj.y if traj.ok else None
    return _SOLUTIONS[key]


def _task_seed(seed: int, system: ODESystem, ic: int, noise: float, fraction: float) -> np.random.SeedSequence:
    # Stable across processes (no Python hash) and independent of the order tasks are built in.
    sid = zlib.crc32(f"{system.source}/{system.id}".encode())
    return np.random.SeedSequence([seed, sid, ic, int(round(noise * 1e6)), int(round(fraction * 1e6))])


def prepare_tasks(systems: Iterable[ODESystem], noise_levels: Sequence[float] = (0.0,),
                  subsample_fractions: Sequence[float] = (0.0,), n_points: int | None = 150, seed: int = 0,
                  ics: Sequence[int] = (0,)) -> list[Task]:
    """Tasks for every (system, IC in ``ics``, noise σ, subsampling ρ).

    Args:
        systems: e.g. ``ODEBENCH``, ``STROGATZ`` or a filtered subset.
        noise_levels: multiplicative noise σ (§5: swept up to ~0.05).
        subsample_fractions: fraction ρ of the points removed at random (§5: 0 or 0.5).
        n_points: points of the clean grid (§3: 150 of ODEBench's 512; capped at 100 for Strogatz).
        seed: base seed; each task's noise/subsampling stream derives from it and the task's key.
        ics: initial conditions to fit from; generalisation uses the next IC of the system (cyclically).

    Systems whose clean trajectory cannot be integrated are skipped, and tasks whose generalisation IC cannot
    be integrated have no generalisation target; one warning names them.
    """
    tasks = []
    skipped, no_gen = [], []
    for system in systems:
        npts = None if n_points is None else min(n_points, len(time_grid(system)))
        t = time_grid(system, npts)
        for ic in ics:
            if ic >= len(system.init):
                raise ValueError(f"system {system.id!r} has {len(system.init)} initial conditions, asked for {ic}")
            y_clean = clean_solution(system, ic, npts)
            if y_clean is None:
                skipped.append(f"{system.id} (IC {ic})")
                continue
            gen_ic = (ic + 1) % len(system.init) if len(system.init) > 1 else None
            y_gen = clean_solution(system, gen_ic, npts) if gen_ic is not None else None
            if gen_ic is not None and y_gen is None:
                no_gen.append(f"{system.id} (IC {gen_ic})")
            for noise in noise_levels:
                for fraction in subsample_fractions:
                    rng = np.random.default_rng(_task_seed(seed, system, ic, noise, fraction))
                    t_obs, y_obs, _, _ = corrupt(t, y_clean, rng, noise=noise, fraction=fraction)
                    tasks.append(Task(system, ic, float(noise), float(fraction), seed, t, y_clean,
                                      t_obs, y_obs, gen_ic, y_gen))
    if skipped or no_gen:
        log.warning("the true system could not be integrated: %d skipped [%s]; %d without a generalisation target "
                    "[%s]", len(skipped), ", ".join(skipped), len(no_gen), ", ".join(no_gen))
    return tasks


@dataclass
class OracleMethod:
    """Returns the true system of whichever task produced the observation (an upper bound / sanity check:
    accuracy 1 on clean non-chaotic tasks). Looks the task up by the observed array's bytes."""

    tasks: Sequence[Task]
    name: str = "oracle"

    def __post_init__(self) -> None:
        self._by_obs = {t.y_obs.tobytes(): t.system.trees for t in self.tasks}

    def fit(self, t: np.ndarray, y: np.ndarray) -> Prediction:
        return self._by_obs[np.asarray(y, dtype=float).tobytes()]


# ----------------------------------------------------------------------------- running
#: One row per (method, task). ``error`` is missing (``None``/NaN) when the method ran and both integrations
#: succeeded; ``r2_generalization`` is NaN when the system has no second initial condition.
RESULT_COLUMNS: tuple[str, ...] = (
    "method", "source", "system", "name", "dim", "n_operators", "chaotic", "ic", "noise", "subsample",
    "n_obs", "r2_reconstruction", "r2_generalization", "reconstructed", "generalized", "inference_s",
    "error", "prediction",
)
#: A pandas DataFrame with :data:`RESULT_COLUMNS`.
BenchmarkResult: TypeAlias = pd.DataFrame


def score_task(pred: Prediction, task: Task, settings: SolverSettings = SCORING_SOLVER
               ) -> tuple[float, float, str | None]:
    """``(reconstruction R², generalisation R², error)`` of a prediction on a task (§5); generalisation is
    NaN without a second initial condition, ``error`` names a failed integration or a wrong dimension."""
    if len(pred) != task.dim:
        return 0.0, 0.0, f"prediction has {len(pred)} components, system has {task.dim}"
    y_rec = simulate(pred, task.y_clean[0], task.t, settings)
    rec = trajectory_r2(task.y_clean, y_rec)
    errors = [] if y_rec is not None else ["reconstruction integration failed"]
    gen = float("nan")
    if task.y_gen is not None:
        y_g = simulate(pred, task.y_gen[0], task.t, settings)
        gen = trajectory_r2(task.y_gen, y_g)
        if y_g is None:
            errors.append("generalization integration failed")
    return rec, gen, "; ".join(errors) or None


def fit_and_score(method: Method, task: Task, settings: SolverSettings = SCORING_SOLVER) -> dict[str, Any]:
    """One result row (:data:`RESULT_COLUMNS`): fit ``method`` on ``task`` and score it; never raises on the
    method's failure (score 0, reason in ``error``). ``inference_s`` is the wall time of ``fit`` alone."""
    start = time.perf_counter()
    pred: Prediction | None = None
    try:
        pred = tuple(method.fit(task.t_obs.copy(), task.y_obs.copy()))
        elapsed = time.perf_counter() - start
        rec, gen, error = score_task(pred, task, settings)
    except Exception as err:  # noqa: BLE001 — a failing method is a result, not a crash
        elapsed = time.perf_counter() - start
        rec, gen, error = 0.0, (0.0 if task.y_gen is not None else float("nan")), f"{type(err).__name__}: {err}"
        log.debug("%s failed on %r: %s", method.name, task.system.id, error)
    try:
        text = " ; ".join(tr.infix() for tr in pred) if pred is not None else None
    except Exception:  # noqa: BLE001 — a malformed prediction must not stop the run
        text = None
    return {
        "method": method.name, "source": task.system.source, "system": task.system.id,
        "name": task.system.name, "dim": task.dim, "n_operators": task.n_operators,
        "chaotic": task.chaotic, "ic": task.ic, "noise": task.noise, "subsample": task.subsample,
        "n_obs": len(task.t_obs), "r2_reconstruction": float(rec), "r2_generalization": float(gen),
        "reconstructed": bool(rec > ACCURACY_THRESHOLD), "generalized": bool(gen > ACCURACY_THRESHOLD),
        "inference_s": elapsed, "error": error, "prediction": text,
    }


def run_benchmark(methods: Sequence[Method], tasks: Sequence[Task], *, max_dim: int | None = None,
                  progress: bool = True, settings: SolverSettings = SCORING_SOLVER,
                  workers: int = 1) -> BenchmarkResult:
    """Fit every method on every task (with ``dim <= max_dim``) and score it (:func:`fit_and_score`).

    ``workers`` processes share the fits (0 = one per CPU core; each runs one thread, see
    :mod:`paper_code.common.parallel`); the rows are the same as with one, in the same order (methods,
    then tasks), except the measured ``inference_s``.
    """
    selected = [t for t in tasks if max_dim is None or t.dim <= max_dim]
    jobs = [(m, t) for m in range(len(methods)) for t in range(len(selected))]
    bar = progress_bar(total=len(jobs), disable=not progress, desc="benchmark")

    def one(job: tuple[int, int]) -> dict[str, Any]:
        return fit_and_score(methods[job[0]], selected[job[1]], settings)

    def done(i: int, row: dict[str, Any]) -> None:
        bar.set_postfix_str(f"{row['method']} / {row['system']}", refresh=False)
        bar.update()

    try:
        rows = fork_map(one, jobs, workers, on_result=done)
    finally:
        bar.close()
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


# ----------------------------------------------------------------------------- summaries
_SCORES = {"reconstruction": "r2_reconstruction", "generalization": "r2_generalization"}


def _filter(result: BenchmarkResult, chaotic: bool | None) -> BenchmarkResult:
    return result if chaotic is None else result[result["chaotic"] == chaotic]


def accuracy_table(result: BenchmarkResult, by: str | Sequence[str] = (), score: str = "reconstruction",
                   threshold: float = ACCURACY_THRESHOLD, chaotic: bool | None = None) -> pd.DataFrame:
    """Accuracy (fraction with R² > ``threshold``) per method and ``by`` column(s).

    ``score``: ``"reconstruction"`` or ``"generalization"`` (rows without a generalisation target are
    left out of the latter); ``chaotic``: ``None`` all systems, ``False`` / ``True`` only regular / chaotic.
    Returns columns ``method, *by, accuracy, n`` (long form, ready for plotting).
    """
    col = _SCORES[score]
    by = [by] if isinstance(by, str) else list(by)
    df = _filter(result, chaotic)
    df = df[df[col].notna()].assign(_ok=lambda d: d[col] > threshold)
    out = df.groupby(["method", *by], sort=True)["_ok"].agg(accuracy="mean", n="size").reset_index()
    out["accuracy"] = out["accuracy"].astype(float)
    return out


def accuracy_vs_noise(result: BenchmarkResult, score: str = "reconstruction", **kw) -> pd.DataFrame:
    """Accuracy per (method, noise σ), pooled over subsampling levels unless filtered beforehand."""
    return accuracy_table(result, "noise", score, **kw)


def accuracy_vs_subsampling(result: BenchmarkResult, score: str = "reconstruction", **kw) -> pd.DataFrame:
    """Accuracy per (method, subsampling fraction ρ)."""
    return accuracy_table(result, "subsample", score, **kw)


def accuracy_vs_dimension(result: BenchmarkResult, score: str = "reconstruction", **kw) -> pd.DataFrame:
    """Accuracy per (method, system dimension D)."""
    return accuracy_table(result, "dim", score, **kw)


def accuracy_vs_operators(result: BenchmarkResult, score: str = "reconstruction",
                          bins: Sequence[int] | None = None, **kw) -> pd.DataFrame:
    """Accuracy per (method, operator count of the true system); with ``bins`` (edges, e.g.
    ``(0, 5, 10, 20, 100)``) the counts are grouped into right-closed intervals, column ``n_operators``
    then holds the interval labels."""
    if bins is not None:
        result = result.assign(n_operators=pd.cut(result["n_operators"], list(bins)).astype(str))
    return accuracy_table(result, "n_operators", score, **kw)


def chaotic_vs_regular(result: BenchmarkResult, score: str = "reconstruction", **kw) -> pd.DataFrame:
    """Accuracy per (method, chaotic flag)."""
    return accuracy_table(result, "chaotic", score, **kw)


def reconstruction_vs_generalization(result: BenchmarkResult, by: str | Sequence[str] = (),
                                     threshold: float = ACCURACY_THRESHOLD, chaotic: bool | None = None
                                     ) -> pd.DataFrame:
    """Columns ``method, *by, reconstruction, generalization, n`` (accuracies; ``n`` counts the rows with a
    generalisation target, on which both accuracies are computed so they are comparable)."""
    by = [by] if isinstance(by, str) else list(by)
    df = _filter(result, chaotic)
    df = df[df["r2_generalization"].notna()].assign(
        reconstruction=lambda d: d["r2_reconstruction"] > threshold,
        generalization=lambda d: d["r2_generalization"] > threshold)
    out = df.groupby(["method", *by], sort=True).agg(
        reconstruction=("reconstruction", "mean"), generalization=("generalization", "mean"),
        n=("reconstruction", "size")).reset_index()
    return out.astype({"reconstruction": float, "generalization": float})


def inference_time(result: BenchmarkResult, by: str | Sequence[str] = ()) -> pd.DataFrame:
    """Columns ``method, *by, median_s, mean_s, max_s, n_failed, n`` of the wall time per ``fit`` call."""
    by = [by] if isinstance(by, str) else list(by)
    df = result.assign(_failed=result["error"].notna())
    return df.groupby(["method", *by], sort=True).agg(
        median_s=("inference_s", "median"), mean_s=("inference_s", "mean"), max_s=("inference_s", "max"),
        n_failed=("_failed", "sum"), n=("inference_s", "size")).reset_index()
