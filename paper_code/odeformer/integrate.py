"""Integrating ODE systems given as symbolic trees, rejecting bad trajectories, corrupting observations.

A system is a sequence of trees ``(f_0, ..., f_{D-1})`` with ``dx_i/dt = f_i(x)`` (autonomous; the
trees read ``x_0..x_{D-1}``). § numbers refer to ``docs/papers/odeformer.md`` (the paper's generator and
evaluation in our words, with the official code's defaults).

* :data:`GENERATOR_SOLVER` — §2.1 step 8: SciPy ``solve_ivp`` (RK45, default tolerances), 1 s wall-clock
  time-out, terminal event when any ``|x_j|`` reaches 100; reject on failure / early stop / NaN /
  any SciPy warning / values above 1e100.
* :data:`QUICK_SOLVER` — §4: the same, but a cap of 3000 right-hand-side evaluations replaces the
  wall-clock time-out (deterministic on a loaded machine).
* :data:`ODEBENCH_SOLVER` — §6: LSODA, rtol 1e-5, atol 1e-7, first_step 1e-6, min_step 1e-10; the
  settings that produced the ODEBench reference solutions.
* :func:`stationary_reason` — §2.1 step 9: with probability 0.9 reject a trajectory whose last quarter
  is flat in every component, ``(max - min) / window_length < 1e-3``. We read ``window_length`` as the
  number of points in the window, as the official code computes it (``n_points // 4`` points).
* :func:`add_noise` / :func:`subsample` / :func:`corrupt` — §2.1 step 10: multiplicative noise
  ``x (1 + γ ε)``, random removal of a fraction ρ of the points, both seeded.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from paper_code.common.config import Validated, param
from paper_code.symbolic.compile import compile_system
from paper_code.symbolic.expressions import Node

__all__ = [
    "SolverSettings",
    "SOLVE_IVP_METHODS",
    "GENERATOR_SOLVER",
    "QUICK_SOLVER",
    "ODEBENCH_SOLVER",
    "SCORING_SOLVER",
    "Trajectory",
    "system_dimension",
    "make_rhs",
    "integrate",
    "stationary_reason",
    "add_noise",
    "subsample",
    "corrupt",
    "NOISE_LEVELS",
    "SUBSAMPLE_FRACTIONS",
]

#: §2.1 step 10: γ and ρ are drawn uniformly from these grids during training.
NOISE_LEVELS: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1)
SUBSAMPLE_FRACTIONS: tuple[float, ...] = (0.0, 0.125, 0.25, 0.375, 0.5)


#: The integration methods of ``scipy.integrate.solve_ivp``.
SOLVE_IVP_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


@dataclass(frozen=True)
class SolverSettings(Validated):
    """``solve_ivp`` settings plus the rejection limits applied during the integration (validated).

    ``None`` for ``rtol``/``atol``/``first_step``/``min_step`` means SciPy's default (``min_step`` is only
    passed to LSODA). ``max_abs``: terminal event at ``max_j |x_j| = max_abs`` (an early stop is a
    rejection). ``timeout_s`` / ``max_nfev``: abort after that much wall-clock time / RHS evaluations.
    """

    method: str = param("RK45", "solve_ivp method", choices=SOLVE_IVP_METHODS)
    rtol: float | None = param(None, "relative tolerance; None = SciPy's default", gt=0)
    atol: float | None = param(None, "absolute tolerance; None = SciPy's default", gt=0)
    first_step: float | None = param(None, "initial step; None = chosen by SciPy", gt=0)
    min_step: float | None = param(None, "smallest step (LSODA only); None = SciPy's default", gt=0)
    max_abs: float | None = param(100.0, "stop (and reject) when some |x_j| reaches this; None = no event", gt=0)
    max_value: float = param(1e100, "reject a trajectory with a value above this in absolute value", gt=0)
    timeout_s: float | None = param(1.0, "wall-clock limit in seconds; None = no limit", ge=0)
    max_nfev: int | None = param(None, "limit on right-hand-side evaluations; None = no limit", ge=1)
    reject_warnings: bool = param(True, "reject a trajectory during which SciPy warned")

    def solver_kwargs(self) -> dict:
        kw: dict = {"method": self.method}
        for name in ("rtol", "atol", "first_step"):
            if getattr(self, name) is not None:
                kw[name] = getattr(self, name)
        if self.min_step is not None and self.method == "LSODA":
            kw["min_step"] = self.min_step
        return kw


GENERATOR_SOLVER = SolverSettings()
QUICK_SOLVER = SolverSettings(timeout_s=None, max_nfev=3000)
ODEBENCH_SOLVER = SolverSettings(method="LSODA", rtol=1e-5, atol=1e-7, first_step=1e-6, min_step=1e-10,
                                 max_abs=None, timeout_s=None, max_nfev=200_000, reject_warnings=False)
#: Integration of predicted systems for scoring: the ODEBench settings; a failed or overflowing
#: integration scores 0 (§5). The RHS-evaluation cap keeps a stiff wrong prediction from hanging.
SCORING_SOLVER = SolverSettings(method="LSODA", rtol=1e-5, atol=1e-7, first_step=1e-6, min_step=1e-10,
                                max_abs=None, timeout_s=None, max_nfev=50_000, reject_warnings=False)


@dataclass
class Trajectory:
    """Result of :func:`integrate`: ``y`` has shape ``(len(t), D)``; ``reason`` is ``None`` when accepted."""

    t: np.ndarray
    y: np.ndarray
    reason: str | None
    nfev: int

    @property
    def ok(self) -> bool:
        return self.reason is None


class _Abort(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def system_dimension(system: Sequence[Node]) -> int:
    """Number of components; checks that no tree reads a variable beyond ``x_{D-1}``."""
    d = len(system)
    if d == 0:
        raise ValueError("a system needs at least one component")
    for i, tree in enumerate(system):
        for v in tree.variables():
            if not v.startswith("x_") or int(v[2:]) >= d:
                raise ValueError(f"component {i} uses {v!r}, not a state variable of a {d}-D system")
    return d


def make_rhs(system: Sequence[Node]) -> Callable[[float, np.ndarray], np.ndarray]:
    """``f(t, x) -> dx/dt`` evaluating the trees with the core's safe semantics (NaN, never raises)."""
    trees = list(system)

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        X = np.asarray(x, dtype=float).reshape(1, -1)
        return np.array([tree.evaluate(X)[0] for tree in trees])

    return rhs


def integrate(system: Sequence[Node], x0: Sequence[float] | np.ndarray, t: Sequence[float] | np.ndarray,
              settings: SolverSettings = GENERATOR_SOLVER, compiled: bool = False) -> Trajectory:
    """Integrate ``system`` from ``x0`` at time ``t[0]`` and report the solution at the times ``t``.

    ``compiled=True`` evaluates the right-hand side with :func:`paper_code.symbolic.compile.compile_system`
    (same safe semantics, ~20× faster per call; used to score and rank predictions). The default NumPy
    tree walk is what generated the training data.

    Never raises on numerical trouble; ``reason`` is one of ``"timeout"``, ``"max_nfev"``,
    ``"diverged"`` (terminal ``|x| = max_abs`` event), ``"failed"`` (solver status < 0),
    ``"warning"``, ``"nan"``, ``"overflow"``, ``"nan_initial"``.
    """
    t = np.asarray(t, dtype=float)
    x0 = np.asarray(x0, dtype=float).ravel()
    d = system_dimension(system)
    if x0.shape != (d,):
        raise ValueError(f"x0 has {x0.size} entries, the system has {d} components")
    if t.ndim != 1 or len(t) < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("t must be a strictly increasing 1-D grid with at least 2 points")
    nan = np.full((len(t), d), np.nan)
    if not np.all(np.isfinite(x0)):
        return Trajectory(t, nan, "nan_initial", 0)

    if compiled:
        fast = compile_system(system, d)

        def base(_t: float, x: np.ndarray) -> np.ndarray:
            return fast(x)
    else:
        base = make_rhs(system)
    nfev = [0]
    start = time.perf_counter()

    def rhs(tt: float, x: np.ndarray) -> np.ndarray:
        nfev[0] += 1
        if settings.max_nfev is not None and nfev[0] > settings.max_nfev:
            raise _Abort("max_nfev")
        if settings.timeout_s is not None and time.perf_counter() - start > settings.timeout_s:
            raise _Abort("timeout")
        out = base(tt, x)
        if not np.isfinite(out).all():  # NaN/inf derivative: the solver would only shrink its step
            raise _Abort("nan")
        return out

    events = None
    if settings.max_abs is not None:
        limit = float(settings.max_abs)

        def blow_up(_t: float, x: np.ndarray) -> float:
            return limit - float(np.max(np.abs(x)))

        blow_up.terminal = True  # type: ignore[attr-defined]
        events = [blow_up]

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            sol = solve_ivp(rhs, (t[0], t[-1]), x0, t_eval=t, events=events, **settings.solver_kwargs())
        except _Abort as stop:
            return Trajectory(t, nan, stop.reason, nfev[0])
        except (ValueError, ArithmeticError) as err:  # e.g. SciPy refusing a NaN state
            return Trajectory(t, nan, f"failed: {type(err).__name__}", nfev[0])
    if sol.status == 1:
        return Trajectory(t, nan, "diverged", nfev[0])
    if sol.status < 0 or sol.y.shape[1] != len(t):
        return Trajectory(t, nan, "failed", nfev[0])
    y = sol.y.T.copy()
    if not np.all(np.isfinite(y)):
        return Trajectory(t, y, "nan", nfev[0])
    if np.any(np.abs(y) > settings.max_value):
        return Trajectory(t, y, "overflow", nfev[0])
    if settings.reject_warnings and caught:
        return Trajectory(t, y, "warning", nfev[0])
    return Trajectory(t, y, None, nfev[0])


def stationary_reason(y: np.ndarray, rng: np.random.Generator, p_reject: float = 0.9,
                      tol: float = 1e-3) -> str | None:
    """``"stationary"`` (with probability ``p_reject``) if every component is flat on the last quarter."""
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    window = y[-max(len(y) // 4, 1):]
    flat = bool(np.all((window.max(axis=0) - window.min(axis=0)) / len(window) < tol))
    # Always draw, so the random stream does not depend on the outcome.
    draw = rng.random()
    return "stationary" if flat and draw < p_reject else None


def add_noise(y: np.ndarray, level: float, rng: np.random.Generator, kind: str = "multiplicative") -> np.ndarray:
    """Noisy copy of ``y``: ``y (1 + level ε)`` (multiplicative, the paper's) or ``y + level·std_j ε``
    (additive, scaled by each component's standard deviation; our convention, not the paper's)."""
    y = np.asarray(y, dtype=float)
    if level < 0:
        raise ValueError(f"noise level must be >= 0, got {level}")
    eps = rng.standard_normal(y.shape)
    if kind == "multiplicative":
        return y * (1.0 + level * eps)
    if kind == "additive":
        scale = y.reshape(len(y), -1).std(axis=0).reshape((1,) + y.shape[1:]) if y.ndim > 1 else y.std()
        return y + level * scale * eps
    raise ValueError(f"kind must be 'multiplicative' or 'additive', got {kind!r}")


def subsample(t: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    """Drop ``round(fraction·N)`` points chosen uniformly at random; the kept points stay in time order.

    At least 2 points are always kept.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    n = len(t)
    keep_n = max(n - int(round(fraction * n)), min(n, 2))
    keep = np.sort(rng.choice(n, size=keep_n, replace=False))
    return np.asarray(t)[keep], np.asarray(y)[keep]


def corrupt(t: np.ndarray, y: np.ndarray, rng: np.random.Generator, noise: float | None = None,
            fraction: float | None = None) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Training-time corruption (§2.1 step 10): γ and ρ drawn from the paper's grids unless given.

    Returns ``(t_kept, y_noisy, γ, ρ)``.
    """
    gamma = float(rng.choice(NOISE_LEVELS)) if noise is None else float(noise)
    rho = float(rng.choice(SUBSAMPLE_FRACTIONS)) if fraction is None else float(fraction)
    t2, y2 = subsample(t, y, rho, rng)
    return t2, add_noise(y2, gamma, rng), gamma, rho
