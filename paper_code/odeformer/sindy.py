"""SINDy baseline for ODEFormer's benchmarks, with the per-system hyper-parameter search.

The paper's baseline protocol (``docs/papers/odeformer.md`` §5, "Baselines"; § numbers below refer to that page)
and our offline reference protocol (§3). SINDy
(Brunton, Proctor & Kutz, PNAS 2016) through PyPI ``pysindy`` (2.1):

1. derivatives of the observed trajectory by finite differences of order 2-4, optionally after
   Savitzky-Golay smoothing with a window of 15 points (pysindy ``FiniteDifference`` /
   ``SmoothedFiniteDifference``; both accept an irregular time grid, the smoother assumes uniform spacing);
2. library = polynomials up to a degree, optionally concatenated with ``{sin, cos, exp, log, sqrt, 1/x}``
   of each state variable;
3. sparse regression by STLSQ (threshold, ridge ``alpha``, ``max_iter``);
4. per-system grid search; the setting with the best validation score wins (:class:`SINDyGrid`):

   * ``selection="derivative"`` (the official code, read in ``sdascoli/odeformer``: a scikit-learn grid
     search with one split, fit on the first ``1 - eval_fraction`` of the points, scored by pysindy's
     ``SINDy.score`` = variance-weighted R² between predicted and finite-difference derivatives on the
     held-out points, then refit on all points);
   * ``selection="trajectory"`` (our offline reference, §3: integrate each candidate from the first
     observed state and take the R² of the integrated trajectory against the observed one; with
     ``eval_fraction > 0`` only the held-out tail is scored, and the winner is refit on all points).

The fitted model becomes a tuple of core trees (:func:`sindy_to_trees`), so the project's
:mod:`paper_code.odeformer.scoring` applies unchanged (reconstruction / generalisation R², a diverging
prediction scores 0). :func:`sindy_search` reports the wall-clock time of the whole search
(``time.perf_counter``) for the timing comparison with ODEFormer (§3, "Inference time").
"""
from __future__ import annotations

import itertools
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pysindy as ps
import sympy
from scipy.integrate import solve_ivp
from sklearn.metrics import r2_score as sk_r2_score

from paper_code.common.config import Validated, param
from paper_code.odeformer.integrate import add_noise, subsample
from paper_code.odeformer.odebench import ODEBENCH_TIME, ODESystem
from paper_code.odeformer.scoring import SystemScore, generalization_score, reconstruction_score
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.sympy_bridge import from_sympy, symbol

__all__ = [
    "LIBRARY_FUNCTIONS",
    "SINDySetting",
    "SINDyGrid",
    "PAPER_GRID",
    "REFERENCE_GRID",
    "NOISY_REFERENCE_GRID",
    "QUICK_GRID",
    "SINDyResult",
    "fit_sindy",
    "sindy_to_trees",
    "sindy_search",
    "sindy_odebench",
]

log = logging.getLogger(__name__)

#: §5: optional non-polynomial library terms, applied to each state variable. Names are core operators
#: (``inv`` = 1/x). The numpy versions match the core's tree semantics on their domain; a function that is
#: not finite on the observed data is dropped from the library for that fit (the official code raises and
#: scores that setting as failed). With smoothing, pysindy evaluates the library on the *smoothed* states,
#: which can leave the domain of log/sqrt; such settings fail and count in ``SINDyResult.n_failed``.
LIBRARY_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": lambda x: np.sin(x),
    "cos": lambda x: np.cos(x),
    "exp": lambda x: np.exp(x),
    "log": lambda x: np.log(x),
    "sqrt": lambda x: np.sqrt(x),
    "inv": lambda x: 1.0 / x,
}
_SYMPY_FUNCS: dict[str, Callable] = {"sin": sympy.sin, "cos": sympy.cos, "exp": sympy.exp, "log": sympy.log,
                                     "sqrt": sympy.sqrt, "inv": lambda a: 1 / a}
_SELECTIONS = ("derivative", "trajectory")
_FD_ORDERS = (1, 2, 3, 4)


def _check_windows(cfg: Validated, key: str, windows: tuple[int | None, ...]) -> None:
    for w in windows:
        if w is not None and w % 2 == 0:
            cfg.fail(key, f"{w} is even; a Savitzky-Golay window must be an odd number of points >= 3")


@dataclass(frozen=True)
class SINDySetting(Validated):
    """One point of the hyper-parameter grid (§5)."""

    degree: int = param(2, "polynomial library degree (with bias and interactions)", ge=1)
    functions: tuple[str, ...] = param(
        (), "extra unary library terms, keys of LIBRARY_FUNCTIONS", choices=tuple(LIBRARY_FUNCTIONS))
    threshold: float = param(0.1, "STLSQ sparsity threshold; paper grid {0.05, 0.1, 0.15}", ge=0)
    alpha: float = param(0.05, "STLSQ ridge strength; paper grid {0.025, 0.05, 0.075}", ge=0)
    max_iter: int = param(20, "STLSQ iterations; paper grid {20, 100}", ge=1)
    fd_order: int = param(2, "finite-difference order; paper grid {2, 3, 4}", choices=_FD_ORDERS)
    smoother_window: int | None = param(
        None, "Savitzky-Golay window (odd number of points) before differencing; paper grid {None, 15}", ge=3)

    def validate(self) -> None:
        _check_windows(self, "smoother_window", (self.smoother_window,))


@dataclass(frozen=True)
class SINDyGrid(Validated):
    """Hyper-parameter grid and selection criterion; the grid is the Cartesian product of the tuples."""

    degrees: tuple[int, ...] = param((2, 3), "polynomial library degrees", ge=1, min_len=1)
    function_sets: tuple[tuple[str, ...], ...] = param(
        ((),), "extra library-term sets, each a tuple of LIBRARY_FUNCTIONS keys", choices=tuple(LIBRARY_FUNCTIONS),
        min_len=1)
    thresholds: tuple[float, ...] = param((0.01, 0.05, 0.1), "STLSQ thresholds", ge=0, min_len=1)
    alphas: tuple[float, ...] = param((0.05,), "STLSQ ridge strengths (pysindy's default 0.05)", ge=0, min_len=1)
    max_iters: tuple[int, ...] = param((20,), "STLSQ iterations (pysindy's default 20)", ge=1, min_len=1)
    fd_orders: tuple[int, ...] = param(
        (2,), "finite-difference orders (pysindy's default 2)", choices=_FD_ORDERS, min_len=1)
    smoother_windows: tuple[int | None, ...] = param(
        (None,), "Savitzky-Golay windows (odd, >= 3) or None (no smoothing)", ge=3, min_len=1)
    selection: str = param(
        "trajectory", "'derivative' (official code) or 'trajectory' (integrated R², see the module doc)",
        choices=_SELECTIONS)
    eval_fraction: float = param(0.0, "held-out tail for selection; paper 0.3", ge=0, lt=1)

    def validate(self) -> None:
        _check_windows(self, "smoother_windows", self.smoother_windows)
        if self.selection == "derivative" and self.eval_fraction == 0.0 and self.n_settings > 1:
            log.warning("derivative selection without a held-out tail scores the fit on its own training data")

    @property
    def n_settings(self) -> int:
        return math.prod(len(v) for v in (self.degrees, self.function_sets, self.thresholds, self.alphas,
                                          self.max_iters, self.fd_orders, self.smoother_windows))

    def settings(self) -> list[SINDySetting]:
        """All settings, in a fixed order (ties in the search go to the earliest, after sparsity)."""
        return [SINDySetting(d, tuple(f), th, a, it, o, w) for d, f, th, a, it, o, w in itertools.product(
            self.degrees, self.function_sets, self.thresholds, self.alphas, self.max_iters, self.fd_orders,
            self.smoother_windows)]


#: §5 / official code: 3 thresholds × 3 alphas × 2 max_iter × 3 FD orders × {no smoothing, window 15},
#: first 70 % fit / last 30 % select by derivative R², polynomial degrees 1..3 with the full function set or
#: none. The official wrapper's polynomial-degree and function grids are switches whose values in the
#: paper's runs we could not confirm (largest degree 3 is our guess). 648 settings: minutes per system.
PAPER_GRID = SINDyGrid(degrees=(1, 2, 3), function_sets=((), ("sin", "cos", "exp", "log", "sqrt", "inv")),
                       thresholds=(0.05, 0.1, 0.15), alphas=(0.025, 0.05, 0.075), max_iters=(20, 100),
                       fd_orders=(2, 3, 4), smoother_windows=(None, 15), selection="derivative",
                       eval_fraction=0.3)
#: §3 offline reference, no noise: degree {2, 3} × threshold {0.01, 0.05, 0.1}, pysindy defaults otherwise,
#: selected by the integrated trajectory's R² on the whole observed trajectory.
REFERENCE_GRID = SINDyGrid()
#: §3 offline reference under σ = 0.05 noise: degree 3 × threshold {0.05, 0.2}.
NOISY_REFERENCE_GRID = SINDyGrid(degrees=(3,), thresholds=(0.05, 0.2))
#: Cheap grid for tests and smoke runs: polynomial library only, derivative selection on a 30 % tail.
QUICK_GRID = SINDyGrid(degrees=(2, 3), thresholds=(0.05, 0.1), fd_orders=(2, 4), smoother_windows=(None, 15),
                       selection="derivative", eval_fraction=0.3)


@dataclass
class SINDyResult:
    """Outcome of :func:`sindy_search`.

    ``trees``: one core tree per component (``dx_i/dt``), ready for :mod:`paper_code.odeformer.scoring`;
    ``coefficients``: ``(D, n_features)`` STLSQ coefficients of the refit model, columns named by
    ``feature_names``; ``score``: validation score of the winner (R², unclipped; ``-inf`` if none
    succeeded); ``scores``: every setting with its score; ``inference_time_s``: wall-clock seconds of the
    whole search, refit and tree conversion included.
    """

    trees: tuple[Node, ...]
    setting: SINDySetting
    score: float
    coefficients: np.ndarray
    feature_names: list[str]
    model: ps.SINDy
    inference_time_s: float
    n_failed: int
    scores: list[tuple[SINDySetting, float]] = field(repr=False, default_factory=list)

    def equations(self) -> list[str]:
        """Infix strings of the trees, one per component."""
        return [t.infix() for t in self.trees]


# ----------------------------------------------------------------------------- inputs
def _check_inputs(t: np.ndarray | Sequence[float], y: np.ndarray | Sequence) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if t.ndim != 1:
        raise ValueError(f"t must be 1-D, got shape {t.shape}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"y must have shape (N, D) or (N,), got {y.shape}")
    if len(t) != len(y):
        raise ValueError(f"t has {len(t)} points but y has {len(y)} rows")
    if len(t) < 8:
        raise ValueError(f"SINDy needs at least 8 observations, got {len(t)}")
    if y.shape[1] < 1:
        raise ValueError("y has no components")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        raise ValueError("t and y must be finite (no NaN/inf)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    return t, y


# ----------------------------------------------------------------------------- one fit
def _library(setting: SINDySetting, y: np.ndarray) -> tuple[ps.feature_library.base.BaseFeatureLibrary,
                                                            tuple[str, ...]]:
    """Polynomial library, concatenated with the unary functions that are finite on ``y``."""
    poly = ps.PolynomialLibrary(degree=setting.degree, include_interaction=True, include_bias=True)
    used = []
    with np.errstate(all="ignore"):
        for name in setting.functions:
            if np.all(np.isfinite(LIBRARY_FUNCTIONS[name](y))):
                used.append(name)
            else:
                log.debug("library function %s is not finite on the data; dropped", name)
    if not used:
        return poly, ()
    custom = ps.CustomLibrary(
        library_functions=[LIBRARY_FUNCTIONS[n] for n in used],
        # names are parsed back by _feature_expr: "<fn>(x_j)"
        function_names=[lambda s, n=n: f"{n}({s})" for n in used],
    )
    return ps.ConcatLibrary([poly, custom]), tuple(used)


def _differentiation(setting: SINDySetting, n_points: int) -> ps.differentiation.base.BaseDifferentiation:
    if setting.smoother_window is None:
        return ps.FiniteDifference(order=setting.fd_order)
    # savgol needs window <= number of points; shrink to the largest odd window that fits.
    window = min(setting.smoother_window, n_points if n_points % 2 else n_points - 1)
    return ps.SmoothedFiniteDifference(order=setting.fd_order, smoother_kws={"window_length": window})


def fit_sindy(t: np.ndarray, y: np.ndarray, setting: SINDySetting = SINDySetting()) -> ps.SINDy:
    """Fit one pysindy model (§5 library and STLSQ) on the trajectory ``y`` ``(N, D)`` observed at ``t``
    ``(N,)``; the time grid may be irregular. Variables are named ``x_0..x_{D-1}``."""
    t, y = _check_inputs(t, y)
    library, _ = _library(setting, y)
    model = ps.SINDy(optimizer=ps.STLSQ(threshold=setting.threshold, alpha=setting.alpha,
                                        max_iter=setting.max_iter),
                     feature_library=library,
                     differentiation_method=_differentiation(setting, len(t)))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # STLSQ "all coefficients eliminated", ill-conditioning, ...
        model.fit(y, t=t, feature_names=[f"x_{j}" for j in range(y.shape[1])])
    return model


# ----------------------------------------------------------------------------- model -> trees
def _feature_expr(name: str, dim: int) -> sympy.Expr:
    """SymPy expression of a pysindy feature name: ``"1"``, ``"x_0^2 x_1"``, ``"sin(x_0)"``, ``"inv(x_1)"``."""
    local = {f"x_{j}": symbol(f"x_{j}") for j in range(dim)}
    local.update(_SYMPY_FUNCS)
    return sympy.sympify(name.replace("^", "**").replace(" ", "*"), locals=local)


def _sympy_system(model: ps.SINDy) -> list[sympy.Expr]:
    coef = np.asarray(model.coefficients(), dtype=float)
    names = model.get_feature_names()
    dim = coef.shape[0]
    feats = [_feature_expr(n, dim) for n in names]
    out = []
    for row in coef:
        terms = [sympy.Float(float(c), 17) * f for c, f in zip(row, feats) if c != 0.0]
        out.append(sympy.Add(*terms) if terms else sympy.Float(0.0))
    return out


def sindy_to_trees(model: ps.SINDy) -> tuple[Node, ...]:
    """Core trees ``(f_0, ..., f_{D-1})`` of a fitted model: ``f_i = Σ_k Ξ_ik θ_k(x)`` over the non-zero
    coefficients (an all-zero row becomes the constant 0.0). Evaluates equal to ``model.predict``."""
    if not hasattr(model, "optimizer") or not hasattr(model.optimizer, "coef_"):
        raise ValueError("the pysindy model is not fitted")
    return tuple(_to_tree(e) for e in _sympy_system(model))


def _to_tree(expr: sympy.Expr) -> Node:
    tree = from_sympy(expr)
    # from_sympy turns an exact integer 0 into int; keep float leaves for a uniform constant type
    return Node(float(tree.value)) if isinstance(tree.value, int) and not tree.children else tree


# ----------------------------------------------------------------------------- selection
def _fast_rhs(exprs: list[sympy.Expr], dim: int) -> Callable[[float, np.ndarray], np.ndarray]:
    syms = [symbol(f"x_{j}") for j in range(dim)]
    fns = [sympy.lambdify(syms, e, "numpy") for e in exprs]

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        return np.array([float(f(*x)) for f in fns])

    return rhs


def _integrated_r2(model: ps.SINDy, t: np.ndarray, y: np.ndarray, scored: slice, max_nfev: int = 20_000
                   ) -> float:
    """R² of the candidate integrated from ``y[0]`` over ``t`` against ``y[scored]`` (selection only: the
    ODEBench LSODA tolerances, a cap on RHS evaluations, and an escape bound of 100× the data range so a
    diverging candidate fails fast; failure = -inf)."""
    dim = y.shape[1]
    rhs = _fast_rhs(_sympy_system(model), dim)
    bound = 100.0 * (np.max(np.abs(y)) + 1.0)
    nfev = [0]

    class _Stop(Exception):
        pass

    def guarded(tt: float, x: np.ndarray) -> np.ndarray:
        nfev[0] += 1
        if nfev[0] > max_nfev or not np.all(np.abs(x) < bound):
            raise _Stop
        out = rhs(tt, x)
        if not np.all(np.isfinite(out)):
            raise _Stop
        return out

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            sol = solve_ivp(guarded, (t[0], t[-1]), y[0], t_eval=t, method="LSODA", rtol=1e-5, atol=1e-7,
                            first_step=1e-6, min_step=1e-10)
        except (_Stop, ValueError, ArithmeticError):
            return -math.inf
    if sol.status != 0 or sol.y.shape[1] != len(t) or not np.all(np.isfinite(sol.y)):
        return -math.inf
    return float(sk_r2_score(y[scored], sol.y.T[scored], multioutput="variance_weighted"))


def _derivative_r2(model: ps.SINDy, t: np.ndarray, y: np.ndarray) -> float:
    """pysindy's ``SINDy.score`` on the held-out points: variance-weighted R² of predicted vs.
    finite-difference derivatives (each candidate differentiates with its own method, as in the official
    code)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        x_dot = model.differentiation_method(y, t=t)
        pred = model.predict(y)
    ok = np.all(np.isfinite(x_dot), axis=1) & np.all(np.isfinite(pred), axis=1)
    if ok.sum() < 2:
        return -math.inf
    return float(sk_r2_score(x_dot[ok], pred[ok], multioutput="variance_weighted"))


def _n_terms(model: ps.SINDy) -> int:
    return int(np.count_nonzero(model.coefficients()))


def sindy_search(t: np.ndarray | Sequence[float], y: np.ndarray | Sequence, grid: SINDyGrid = REFERENCE_GRID
                 ) -> SINDyResult:
    """Per-system SINDy hyper-parameter search (§5, §3) on one observed trajectory.

    Args:
        t: ``(N,)`` strictly increasing observation times (irregular sampling allowed).
        y: ``(N, D)`` (or ``(N,)``) observed states, possibly noisy.
        grid: the grid and selection criterion (:data:`REFERENCE_GRID`, :data:`PAPER_GRID`, ...).

    Returns:
        :class:`SINDyResult` with the winner refit on all points (when a tail was held out), its core trees,
        and the wall-clock ``inference_time_s`` of everything done here.

    Raises:
        ValueError: bad inputs, too few points for the split, or no setting of the grid could be fitted.
    """
    start = time.perf_counter()
    t, y = _check_inputs(t, y)
    n = len(t)
    n_fit = int(math.floor((1.0 - grid.eval_fraction) * n)) if grid.eval_fraction > 0 else n
    if grid.eval_fraction > 0 and (n_fit < 8 or n - n_fit < 3):
        raise ValueError(f"{n} points are too few for a {grid.eval_fraction:.0%} held-out tail")
    fit_t, fit_y = t[:n_fit], y[:n_fit]
    tail = slice(n_fit, n) if grid.eval_fraction > 0 else slice(0, n)

    scores: list[tuple[SINDySetting, float]] = []
    best: tuple[float, int, int] | None = None  # (-score, n_terms, index)
    best_model: ps.SINDy | None = None
    n_failed = 0
    for k, setting in enumerate(grid.settings()):
        try:
            model = fit_sindy(fit_t, fit_y, setting)
            if grid.selection == "derivative":
                score = _derivative_r2(model, t[tail], y[tail]) if grid.eval_fraction > 0 else \
                    _derivative_r2(model, t, y)
            else:
                score = _integrated_r2(model, t, y, tail)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            log.debug("setting %s failed: %s", setting, err)
            n_failed += 1
            scores.append((setting, -math.inf))
            continue
        if not math.isfinite(score):
            score = -math.inf
        scores.append((setting, score))
        # ties (e.g. several perfect fits on clean data) go to the sparser model, then to grid order
        key = (-round(score, 10) if math.isfinite(score) else math.inf, _n_terms(model), k)
        if best is None or key < best:
            best, best_model = key, model
    if best_model is None:
        raise ValueError(f"none of the {grid.n_settings} SINDy settings could be fitted")
    setting = scores[best[2]][0]
    model = fit_sindy(t, y, setting) if n_fit < n else best_model  # refit on all points (GridSearchCV refit)
    trees = sindy_to_trees(model)
    elapsed = time.perf_counter() - start
    log.debug("SINDy search: %d settings (%d failed), best %s with score %.4f, %.2f s",  # per system: DEBUG
              grid.n_settings, n_failed, setting, scores[best[2]][1], elapsed)
    return SINDyResult(trees=trees, setting=setting, score=scores[best[2]][1],
                       coefficients=np.asarray(model.coefficients(), dtype=float).copy(),
                       feature_names=list(model.get_feature_names()), model=model, inference_time_s=elapsed,
                       n_failed=n_failed, scores=scores)


# ----------------------------------------------------------------------------- benchmark protocol
def sindy_odebench(system: ODESystem, grid: SINDyGrid = REFERENCE_GRID, n_points: int = 150,
                   noise: float = 0.0, subsample_fraction: float = 0.0, seed: int = 0
                   ) -> tuple[SINDyResult, SystemScore]:
    """Our offline reference protocol (§3) on one ODEBench system: ``n_points`` evenly spaced of the 512-point grid of
    IC 1 (clean reference solution re-integrated here), multiplicative noise ``noise`` and random removal of
    ``subsample_fraction`` of the points (seeded); search; reconstruction = integrate from the first clean
    state over the ``n_points`` grid against the clean trajectory; generalisation = from IC 2 against the
    true system's solution. Scored with :mod:`paper_code.odeformer.scoring` (R² clipped at 0)."""
    if n_points < 8 or n_points > len(ODEBENCH_TIME):
        raise ValueError(f"n_points must be in 8..{len(ODEBENCH_TIME)}, got {n_points}")
    idx = np.round(np.linspace(0, len(ODEBENCH_TIME) - 1, n_points)).astype(int)
    t = ODEBENCH_TIME[idx]
    clean = system.solve(0, t)
    if not clean.ok:
        raise ValueError(f"system {system.id} could not be integrated from IC 1 ({clean.reason})")
    rng = np.random.default_rng(seed)
    t_obs, y_obs = subsample(t, clean.y, subsample_fraction, rng) if subsample_fraction > 0 else (t, clean.y)
    if noise > 0:
        y_obs = add_noise(y_obs, noise, rng)
    result = sindy_search(t_obs, y_obs, grid)
    rec = reconstruction_score(result.trees, t, clean.y)
    gen = generalization_score(result.trees, t, system.init[1], true_system=system.trees)
    return result, SystemScore(rec, gen)
