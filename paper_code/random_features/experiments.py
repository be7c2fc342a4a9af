"""The paper's experiments, one function per figure, each returning data and metrics.

Every ``run_*`` takes the resolved :class:`~paper_code.random_features.config.RandomFeaturesConfig`
and returns a small frozen dataclass; every ``*_metrics`` turns it into the plain
numbers written to ``metrics/random_features_phase_space.json`` and checked by the
claims in :mod:`paper_code.random_features.claims`. Figures are drawn by
:mod:`paper_code.random_features.figures`. Figure ids (PS, SW, PW, DD, RPHI, ORD,
FS, MU0, NN) are ours: docs/papers/random_features_phase_space.md lists what each
one shows. Asymmetry is measured by the swap ratios of
:mod:`paper_code.random_features.asymmetry`.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from paper_code.common.threads import limit_threads

from .asymmetry import asymmetry_ratio, matched_swap_ratio
from .config import NN_CLASSES, RandomFeaturesConfig
from .fits import PowerLawFit, fit_power_law
from .model import TASKS, StrongWeakData
from .simulation import SimulationResult, simulate_random_features
from .theory import TheoryResult, solve_saddle_point

__all__ = [
    "PhaseSpaceRun",
    "run_phase_space",
    "phase_space_metrics",
    "CurveRun",
    "CurvesRun",
    "curve_structures",
    "run_curves",
    "curves_metrics",
    "CentredRun",
    "run_centred",
    "centred_metrics",
    "FiniteSizeRun",
    "run_finite_size",
    "finite_size_metrics",
    "DDRun",
    "run_double_descent",
    "double_descent_metrics",
    "RphiRun",
    "run_rphi",
    "rphi_metrics",
    "steepest_drop",
    "first_min_then_max",
    "NetworkRun",
    "run_network",
    "network_metrics",
    "network_swap_ratio",
    "network_params",
    "load_images",
]

log = logging.getLogger(__name__)

_T = {"regression": "reg", "classification": "cls"}


def _rel_dev(sim: SimulationResult, theory: np.ndarray) -> np.ndarray:
    """Seed-mean simulated test error over the theory, minus 1, per point: (K,)."""
    return sim.mean_sem()[0] / theory - 1.0


# ---------------------------------------------------------------------------------------
# Figure PS: phase-space maps (theory)


@dataclass(frozen=True)
class PhaseSpaceRun:
    """Theory test error on a square log grid.

    Fields: psi (G,) the values of both N/D and P/D; activations (A,), r_x_values (R,),
    noises (Z,); test_error[task]: (A, R, Z, G, G) indexed [activation, r_x, noise, P index, N index].
    """

    psi: np.ndarray
    activations: tuple[str, ...]
    r_x_values: tuple[float, ...]
    noises: tuple[float, ...]
    r_phi: float
    r_beta: float
    ridge: float
    test_error: dict[str, np.ndarray]
    solver_max_change: float = 0.0  # largest |F(x) - x| relative change of any grid point

    def errors(self, task: str, activation: str) -> np.ndarray:
        """(R, Z, G, G) maps of one task and activation."""
        return self.test_error[task][self.activations.index(activation)]


def _ps_data(cfg: RandomFeaturesConfig, r_x: float) -> StrongWeakData:
    # r_x = 1 is the isotropic reference: r_beta = 1 as well (the reference code skips r_beta there)
    if r_x == 1.0:
        return StrongWeakData(1.0, 1.0, 1.0)
    return StrongWeakData(cfg.ps_r_phi, r_x, cfg.ps_r_beta)


def run_phase_space(cfg: RandomFeaturesConfig) -> PhaseSpaceRun:
    psi = np.logspace(cfg.ps_log10_min, cfg.ps_log10_max, cfg.ps_points)
    P, N = np.meshgrid(psi, psi, indexing="ij")  # [P index, N index]
    out: dict[str, np.ndarray] = {}
    change = 0.0
    shape = (len(cfg.ps_activations), len(cfg.ps_r_x_values), len(cfg.ps_noises), psi.size, psi.size)
    for task in TASKS:
        err = np.empty(shape)
        for a, act in enumerate(cfg.ps_activations):
            for i, r_x in enumerate(cfg.ps_r_x_values):
                for j, noise in enumerate(cfg.ps_noises):
                    res = solve_saddle_point(P, N, data=_ps_data(cfg, r_x), task=task, activation=act,
                                             ridge=cfg.ps_ridge, noise=noise)
                    err[a, i, j] = res.test_error
                    change = max(change, float(res.change.max()))
        out[task] = err
    return PhaseSpaceRun(psi, cfg.ps_activations, cfg.ps_r_x_values, cfg.ps_noises, cfg.ps_r_phi, cfg.ps_r_beta,
                         cfg.ps_ridge, out, change)


def _safe_ratio(a: float, b: float) -> float:
    return a / b if b > 0 else (math.inf if a > 0 else math.nan)


def phase_space_metrics(run: PhaseSpaceRun) -> dict[str, Any]:
    """Swap ratios per task and activation, and for the claims the worst over the activations.

    ``ps_<t>_<act>_*``: one activation; ``ps_<t>_*_min`` / ``_max``: the least favourable
    activation for a "> 1" / "< 1" claim, so a claim holds only if it holds for every one.
    """
    iso = run.r_x_values.index(1.0)
    clean = run.noises.index(0.0)
    noisy = next(j for j, z in enumerate(run.noises) if z > 0)
    strong = int(np.argmax(run.r_x_values))  # the most salient (r_x = 100)
    weak = int(np.argmin(run.r_x_values))  # r_x = 0.01
    m: dict[str, Any] = {"ps_activations": list(run.activations), "ps_noise": run.noises[noisy],
                         "ps_r_x_strong": run.r_x_values[strong], "ps_r_x_weak": run.r_x_values[weak],
                         "ps_solver_max_change": run.solver_max_change}
    for task in TASKS:
        t = _T[task]
        per_act: dict[str, dict[str, float]] = {}
        for act in run.activations:
            err = run.errors(task, act)
            a_iso, a_noisy = asymmetry_ratio(err[iso, clean]), asymmetry_ratio(err[iso, noisy])
            a_strong, a_weak = asymmetry_ratio(err[strong, clean]), asymmetry_ratio(err[weak, clean])
            per_act[act] = {
                "asym_isotropic_clean": a_iso,
                "asym_isotropic_noisy": a_noisy,
                "asym_relevant_salient": a_strong,
                "asym_weak_salient": a_weak,
                "asym_gain_noise": a_noisy / a_iso,
                "asym_gain_salient": a_strong / a_iso,
                # |log(a_weak/a_iso)| / |log(a_strong/a_iso)| < 1: weak saliency stays closer to isotropic
                "weak_vs_strong_departure": _safe_ratio(abs(math.log(a_weak / a_iso)), abs(math.log(a_strong / a_iso))),
            }
            m[f"ps_{t}_{act}_asymmetry"] = {f"r_x={r:g}, noise={z:g}": asymmetry_ratio(err[i, j])
                                            for i, r in enumerate(run.r_x_values) for j, z in enumerate(run.noises)}
            m.update({f"ps_{t}_{act}_{k}": v for k, v in per_act[act].items()})
        for key in ("asym_isotropic_clean", "asym_isotropic_noisy", "asym_relevant_salient", "asym_gain_noise",
                    "asym_gain_salient"):
            lo = min(per_act, key=lambda act: per_act[act][key])
            hi = max(per_act, key=lambda act: per_act[act][key])
            m.update({f"ps_{t}_{key}_min": per_act[lo][key], f"ps_{t}_{key}_min_activation": lo,
                      f"ps_{t}_{key}_max": per_act[hi][key], f"ps_{t}_{key}_max_activation": hi})
        m[f"ps_{t}_weak_vs_strong_departure_max"] = max(v["weak_vs_strong_departure"] for v in per_act.values())
        m[f"ps_{t}_min_error"] = float(run.test_error[task].min())
    return m


# ---------------------------------------------------------------------------------------
# Figures SW / PW: sample-wise and parameter-wise curves, theory + simulation


def curve_structures(cfg: RandomFeaturesConfig) -> dict[str, StrongWeakData]:
    """The three data sets of the curves: isotropic, relevant / irrelevant salient."""
    return {
        "Isotropic": StrongWeakData(1.0, 1.0, 1.0),
        "Relevant salient": StrongWeakData(cfg.curve_r_phi, cfg.curve_r_x, cfg.curve_r_beta_relevant),
        "Irrelevant salient": StrongWeakData(cfg.curve_r_phi, cfg.curve_r_x, cfg.curve_r_beta_irrelevant),
    }


@dataclass(frozen=True)
class CurveRun:
    """One curve: theory line (TheoryResult along psi) and simulation points (SimulationResult, drawn from ``seed``)."""

    task: str
    noise: float
    structure: str
    direction: str  # "sample" (P/D = 1, N varies) or "parameter" (N/D = 1, P varies)
    psi: np.ndarray
    theory: TheoryResult
    sim: SimulationResult
    sim_theory: TheoryResult  # theory at the simulation's realised (P/D, N/D)
    seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.task}/{self.noise:g}/{self.structure}/{self.direction}"

    @property
    def sim_psi(self) -> np.ndarray:
        return self.sim.psi2 if self.direction == "sample" else self.sim.psi1

    def z_scores(self) -> np.ndarray:
        mu, se = self.sim.mean_sem()
        return (mu - self.sim_theory.test_error) / se

    def rel_dev(self) -> np.ndarray:
        """sim / theory - 1 at each simulated point (seed means), (K,)."""
        return _rel_dev(self.sim, self.sim_theory.test_error)


@dataclass(frozen=True)
class CurvesRun:
    curves: tuple[CurveRun, ...]
    D: int
    ridge: float

    def get(self, task: str, noise: float, structure: str, direction: str) -> CurveRun:
        for c in self.curves:
            if (c.task, c.noise, c.structure, c.direction) == (task, noise, structure, direction):
                return c
        raise KeyError((task, noise, structure, direction))


def _activation(cfg: RandomFeaturesConfig, task: str) -> str:
    return cfg.curve_activation_regression if task == "regression" else cfg.curve_activation_classification


def run_curves(cfg: RandomFeaturesConfig) -> CurvesRun:
    with limit_threads(cfg.cpu_threads):
        return _run_curves(cfg)


def _run_curves(cfg: RandomFeaturesConfig) -> CurvesRun:
    psi = np.logspace(cfg.curve_log10_min, cfg.curve_log10_max, cfg.curve_points)
    sim_psi = np.logspace(cfg.sim_log10_min, cfg.sim_log10_max, cfg.sim_points)
    curves = []
    k = 0
    for task in TASKS:
        act = _activation(cfg, task)
        for noise in cfg.curve_noises:
            for name, data in curve_structures(cfg).items():
                for direction in ("sample", "parameter"):
                    p1, p2 = (1.0, psi) if direction == "sample" else (psi, 1.0)
                    s1, s2 = (1.0, sim_psi) if direction == "sample" else (sim_psi, 1.0)
                    kw = dict(data=data, task=task, activation=act, ridge=cfg.curve_ridge, noise=noise)
                    th = solve_saddle_point(p1, p2, **kw)
                    seed = cfg.seed * 1000 + k
                    sim = simulate_random_features(s1, s2, D=cfg.sim_d, n_seeds=cfg.sim_seeds, n_test=cfg.sim_n_test,
                                                   seed=seed, **kw)
                    k += 1
                    sim_th = solve_saddle_point(sim.psi1, sim.psi2, **kw)
                    curves.append(CurveRun(task, noise, name, direction, psi, th, sim, sim_th, seed))
    return CurvesRun(tuple(curves), cfg.sim_d, cfg.curve_ridge)


def curves_metrics(run: CurvesRun, cfg: RandomFeaturesConfig) -> dict[str, Any]:
    """Theory vs simulation at D = sim_d, and the theory values the SW claims read.

    ``sim_curve_median_rel_dev``: per curve, the median over its points of |sim/theory - 1|
    (seed means); ``sim_worst_curve_median_rel_dev`` is the largest of them, so no curve's
    failure can hide behind the others. z-scores are kept as diagnostics: at fixed D their
    size grows with the number of seeds wherever a finite-size bias exists.
    """
    z = np.concatenate([c.z_scores() for c in run.curves])
    per_curve = {c.name: float(np.median(np.abs(c.rel_dev()))) for c in run.curves}
    worst = max(per_curve, key=per_curve.get)
    iso = {k: v for k, v in per_curve.items() if "/Isotropic/" in k}
    salient = {k: v for k, v in per_curve.items() if "/Isotropic/" not in k}
    irr = run.get("regression", 0.0, "Irrelevant salient", "sample")
    i01 = int(np.argmin(np.abs(np.log10(irr.psi) + 1)))  # N/D = 0.1
    rel_c = run.get("regression", 0.0, "Relevant salient", "sample")
    iso_c = run.get("regression", 0.0, "Isotropic", "sample")
    i_salient = int(np.argmin(np.abs(irr.psi - 1.0 / cfg.curve_r_phi)))
    return {
        "sim_d": run.D,
        "sim_n_points": int(z.size),
        "sim_curve_median_rel_dev": per_curve,
        "sim_worst_curve": worst,
        "sim_worst_curve_median_rel_dev": per_curve[worst],
        "sim_isotropic_worst_curve_median_rel_dev": max(iso.values()),
        "sim_salient_worst_curve_median_rel_dev": max(salient.values()),
        "sim_max_abs_z": float(np.abs(z).max()),
        "sim_isotropic_max_abs_z": float(max(np.abs(c.z_scores()).max()
                                             for c in run.curves if c.structure == "Isotropic")),
        "sim_fraction_within_2_sem": float(np.mean(np.abs(z) < 2)),
        "sim_max_abs_z_per_curve": {c.name: float(np.abs(c.z_scores()).max()) for c in run.curves},
        "curves_solver_max_change": float(max(max(c.theory.change.max(), c.sim_theory.change.max())
                                              for c in run.curves)),
        "sw_reg_irrelevant_error_at_N_tenth_of_D": float(irr.theory.test_error[i01]),
        # at N = D / r_phi (the salient dimension count) the relevant-salient error has already dropped
        "sw_reg_relevant_over_isotropic_at_salient_N": float(rel_c.theory.test_error[i_salient]
                                                             / iso_c.theory.test_error[i_salient]),
    }


# ---------------------------------------------------------------------------------------
# Figure MU0: do the uncentred ReLU features matter?


@dataclass(frozen=True)
class CentredRun:
    """ReLU curves simulated again with centred features, on the same draws: pairs[i] = (curve, centred sim)."""

    pairs: tuple[tuple[CurveRun, SimulationResult], ...]
    mu0: float


def run_centred(cfg: RandomFeaturesConfig, curves: CurvesRun) -> CentredRun:
    """Re-simulate every ReLU curve at a noise level of ``cfg.mu0_noises`` with features sigma - mu0.

    The Gaussian-equivalence theory has no mu0 term; the simulations (like the reference
    code's) use plain, uncentred ReLU features. Same seed, same data, teacher and features.
    """
    from .model import gaussian_equivalence

    pairs = []
    with limit_threads(cfg.cpu_threads):
        for c in curves.curves:
            if c.sim.activation != "relu" or c.noise not in cfg.mu0_noises:
                continue
            s = c.sim
            centred = simulate_random_features(s.psi1, s.psi2, D=s.D, data=s.data, task=s.task, activation=s.activation,
                                               ridge=s.ridge, noise=s.noise, n_seeds=s.n_seeds, n_test=cfg.sim_n_test,
                                               seed=c.seed, centre=True)
            pairs.append((c, centred))
    if not pairs:
        raise ValueError("no ReLU curve at the noise levels of mu0_noises: nothing to compare")
    return CentredRun(tuple(pairs), gaussian_equivalence("relu").mu0)


def centred_metrics(run: CentredRun) -> dict[str, Any]:
    """Paired effect of centring (per curve: median over points of |E_uncentred / E_centred - 1|, seed means)
    and each variant's distance to the theory (per curve: median |sim/theory - 1|)."""
    change, dev_unc, dev_cen = {}, {}, {}
    for c, cen in run.pairs:
        change[c.name] = float(np.median(np.abs(c.sim.mean_sem()[0] / cen.mean_sem()[0] - 1.0)))
        dev_unc[c.name] = float(np.median(np.abs(c.rel_dev())))
        dev_cen[c.name] = float(np.median(np.abs(_rel_dev(cen, c.sim_theory.test_error))))
    worst = max(change, key=change.get)
    return {
        "mu0_relu": run.mu0,
        "mu0_n_curves": len(change),
        "mu0_curve_median_rel_change": change,
        "mu0_worst_curve": worst,
        "mu0_worst_curve_median_rel_change": change[worst],
        "mu0_uncentred_worst_curve_rel_dev": max(dev_unc.values()),
        "mu0_centred_worst_curve_rel_dev": max(dev_cen.values()),
    }


# ---------------------------------------------------------------------------------------
# Figure FS: the theory is the D -> infinity limit


@dataclass(frozen=True)
class FiniteSizeRun:
    """Relevant-salient regression (the curves' worst case) at growing D.

    Fields: d_values (K,); psi2 (M,) points at P/D = 1; sims: one SimulationResult per D;
    theory (M,) test error. The salient block has only D / r_phi coordinates, whose
    norm fluctuations (relative size sqrt(2 r_phi / D)) the Gaussian-equivalent theory
    neglects; they vanish as D grows.
    """

    d_values: tuple[int, ...]
    psi2: np.ndarray
    sims: tuple[SimulationResult, ...]
    theory: np.ndarray

    def rel_dev(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean over the points of sim/theory - 1, and its standard error over seeds, per D; each (K,)."""
        devs, ses = [], []
        for sim in self.sims:
            per_seed = (sim.test_error / self.theory - 1.0).mean(1)  # (S,)
            devs.append(per_seed.mean())
            ses.append(per_seed.std(ddof=1) / math.sqrt(per_seed.size))
        return np.array(devs), np.array(ses)

    def fit(self) -> PowerLawFit:
        """gap(D) = A (D/D_0)^(-a), weighted by the standard errors (:func:`~.fits.fit_power_law`)."""
        dev, se = self.rel_dev()
        return fit_power_law(np.asarray(self.d_values, float), dev, se)


def run_finite_size(cfg: RandomFeaturesConfig) -> FiniteSizeRun:
    with limit_threads(cfg.cpu_threads):
        data = StrongWeakData(cfg.curve_r_phi, cfg.curve_r_x, cfg.curve_r_beta_relevant)
        psi2 = np.asarray(cfg.fs_psi2, dtype=float)
        kw = dict(data=data, task="regression", activation=cfg.curve_activation_regression, ridge=cfg.curve_ridge,
                  noise=0.0)
        sims = tuple(simulate_random_features(1.0, psi2, D=D, n_seeds=cfg.fs_seeds, n_test=cfg.sim_n_test,
                                              seed=cfg.seed * 1000 + 500 + k, **kw)
                     for k, D in enumerate(cfg.fs_d_values))
        th = solve_saddle_point(1.0, psi2, **kw).test_error
    return FiniteSizeRun(cfg.fs_d_values, psi2, sims, th)


def finite_size_metrics(run: FiniteSizeRun) -> dict[str, Any]:
    dev, se = run.rel_dev()
    fit = run.fit()
    return {
        "fs_d_values": list(run.d_values),
        "fs_rel_dev": dev,
        "fs_rel_dev_sem": se,
        "fs_gap_exponent": fit.exponent,
        "fs_gap_exponent_ci95": list(fit.ci),
        "fs_gap_exponent_ci95_low": fit.ci[0],
        "fs_gap_amplitude": fit.amplitude,
        "fs_gap_fit_chi2": fit.chi2,
        "fs_gap_fit_dof": len(run.d_values) - 2,
    }


# ---------------------------------------------------------------------------------------
# Figure DD: double-descent cuts at fixed P/D


@dataclass(frozen=True)
class DDRun:
    """Theory test error vs N/D (psi2, (G,)) at each P/D of ``psi1_values``; test_error (C, G)."""

    psi1_values: tuple[float, ...]
    psi2: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    ridge: float
    noise: float
    activation: str
    solver_max_change: float = 0.0


def run_double_descent(cfg: RandomFeaturesConfig) -> DDRun:
    lo, hi = -3.0, 3.0
    psi2 = np.logspace(lo, hi, int(round((hi - lo) * cfg.dd_points_per_decade)) + 1)
    p1 = np.asarray(cfg.dd_psi1_values)[:, None]
    res = solve_saddle_point(p1, psi2[None, :], data=StrongWeakData(), task="regression",
                             activation=cfg.curve_activation_regression, ridge=cfg.dd_ridge, noise=cfg.dd_noise)
    return DDRun(cfg.dd_psi1_values, psi2, res.test_error, res.train_loss, cfg.dd_ridge, cfg.dd_noise,
                 cfg.curve_activation_regression, float(res.change.max()))


def double_descent_metrics(run: DDRun) -> dict[str, Any]:
    peaks = run.psi2[np.argmax(run.test_error, axis=1)]
    offsets = np.log10(peaks / np.asarray(run.psi1_values))
    return {
        "dd_psi1_values": list(run.psi1_values),
        "dd_peak_N_over_D": peaks,
        "dd_peak_log10_N_over_P": offsets,
        "dd_max_abs_log10_peak_offset": float(np.abs(offsets).max()),
        "dd_resolution_decades": float(np.log10(run.psi2[1] / run.psi2[0])),
        "dd_peak_error": run.test_error.max(1),
        "dd_solver_max_change": run.solver_max_change,
    }


# ---------------------------------------------------------------------------------------
# Figure RPHI: effect of the number of salient directions


@dataclass(frozen=True)
class RphiRun:
    """Theory test error vs N/D at P/D = psi1: test_error[task] (len(r_x), len(r_phi), G)."""

    psi2: np.ndarray
    psi1: float
    r_phi_values: tuple[float, ...]
    r_x_values: tuple[float, ...]
    r_beta: float
    test_error: dict[str, np.ndarray]
    solver_max_change: float = 0.0


def run_rphi(cfg: RandomFeaturesConfig) -> RphiRun:
    psi2 = np.logspace(-3, 3, 6 * cfg.rphi_points_per_decade + 1)
    out = {}
    change = 0.0
    for task in TASKS:
        err = np.empty((len(cfg.rphi_r_x_values), len(cfg.rphi_values), psi2.size))
        for i, r_x in enumerate(cfg.rphi_r_x_values):
            for j, r_phi in enumerate(cfg.rphi_values):
                res = solve_saddle_point(cfg.rphi_psi1, psi2, data=StrongWeakData(r_phi, r_x, cfg.rphi_r_beta),
                                         task=task, activation=cfg.rphi_activation, ridge=cfg.rphi_ridge)
                err[i, j] = res.test_error
                change = max(change, float(res.change.max()))
        out[task] = err
    return RphiRun(psi2, cfg.rphi_psi1, cfg.rphi_values, cfg.rphi_r_x_values, cfg.rphi_r_beta, out, change)


def steepest_drop(psi: np.ndarray, err: np.ndarray, max_psi: float = np.inf) -> float:
    """psi <= max_psi where the error falls fastest per decade: argmax of -dE/dlog10(psi) (centred differences)."""
    slope = -np.gradient(err, np.log10(psi))
    slope = np.where(psi <= max_psi, slope, -np.inf)
    return float(psi[int(np.argmax(slope))])


def first_min_then_max(psi: np.ndarray, err: np.ndarray) -> tuple[float, float, float, float]:
    """(psi, E) of the first interior local minimum and of the local maximum after it; NaNs if monotone."""
    d = np.diff(err)
    mins = np.flatnonzero((d[:-1] < 0) & (d[1:] > 0)) + 1
    if mins.size == 0:
        return (math.nan,) * 4
    i = int(mins[0])
    maxs = np.flatnonzero((d[:-1] > 0) & (d[1:] < 0)) + 1
    maxs = maxs[maxs > i]
    if maxs.size == 0:
        return float(psi[i]), float(err[i]), math.nan, math.nan
    j = int(maxs[0])
    return float(psi[i]), float(err[i]), float(psi[j]), float(err[j])


def rphi_metrics(run: RphiRun) -> dict[str, Any]:
    i100 = run.r_x_values.index(100.0)
    # the salient drop is looked for a decade below the interpolation peak at N = P, whose
    # descent (steep at small ridge) is a different phenomenon (figure DD)
    max_psi = run.psi1 / 10
    m: dict[str, Any] = {"rphi_drop_search_max_N_over_D": max_psi, "rphi_solver_max_change": run.solver_max_change}
    offsets = []
    for task in TASKS:
        t = "reg" if task == "regression" else "cls"
        drops = {f"r_x={rx:g}, r_phi={rp:g}": steepest_drop(run.psi2, run.test_error[task][i, j], max_psi)
                 for i, rx in enumerate(run.r_x_values) for j, rp in enumerate(run.r_phi_values)}
        m[f"rphi_{t}_steepest_drop_N_over_D"] = drops
        for j, rp in enumerate(run.r_phi_values):
            offsets.append(math.log10(steepest_drop(run.psi2, run.test_error[task][i100, j], max_psi) * rp))
    m["rphi_steepest_drop_log10_offsets"] = offsets  # log10(N*/D * r_phi): 0 means N* = D / r_phi
    m["rphi_max_abs_log10_drop_offset"] = float(np.max(np.abs(offsets)))
    j100 = run.r_phi_values.index(100.0)
    pmin, emin, pmax, emax = first_min_then_max(run.psi2, run.test_error["classification"][i100, j100])
    m.update({"rphi_cls_first_min_N_over_D": pmin, "rphi_cls_first_min_error": emin,
              "rphi_cls_bump_N_over_D": pmax, "rphi_cls_bump_error": emax})
    return m


# ---------------------------------------------------------------------------------------
# Figure NN: one-hidden-layer networks on images


def _subsample(ds, n: int, seed: int, salt: int):
    """At most ``n`` images of ``ds``, drawn without replacement (seeded); all of them if it has fewer."""
    if len(ds) <= n:
        return ds
    rng = np.random.default_rng(np.random.SeedSequence([seed, 23, salt]))
    return ds.take(np.sort(rng.choice(len(ds), size=n, replace=False)))


def load_images(name: str, cfg: RandomFeaturesConfig):
    """(train pool, test set, used name) for image set ``name``.

    The training pool holds max(nn_sizes) images and the test set at most ``nn_test_size``
    (seeded subsamples of the full splits, so that pre-processing costs what the grid
    uses). CIFAR-10 falls back to Fashion-MNIST when its files are absent, and says so
    in the used name.
    """
    from paper_code.data import DatasetNotFoundError, load_cifar10, load_fashion_mnist, load_mnist, load_mnist_subset

    if name == "mnist_subset":
        train, test = load_mnist_subset().train_test_split(cfg.nn_test_fraction, seed=cfg.seed)
        used = name
    elif name == "mnist":
        train, test, used = load_mnist("train"), load_mnist("test"), name
    elif name == "fashion_mnist":
        train, test, used = load_fashion_mnist("train"), load_fashion_mnist("test"), name
    else:
        try:
            train, test, used = load_cifar10("train"), load_cifar10("test"), name
        except DatasetNotFoundError as exc:
            try:
                train, test = load_fashion_mnist("train"), load_fashion_mnist("test")
            except DatasetNotFoundError:
                raise exc from None
            log.warning("CIFAR-10 not found; using Fashion-MNIST as the harder dataset instead "
                        "(recorded in the metrics)")
            used = "fashion_mnist (for cifar10)"
    return _subsample(train, max(cfg.nn_sizes), cfg.seed, 1), _subsample(test, cfg.nn_test_size, cfg.seed, 2), used


@dataclass(frozen=True)
class NetworkRun:
    """Network grids per (dataset, input mode): results[(dataset, mode)] = NetworkGridResult."""

    results: dict[tuple[str, str], Any]
    datasets: tuple[str, ...]
    spectra: dict[tuple[str, str], np.ndarray]  # eigenvalues of the input covariance, descending
    n_test: dict[str, int]  # test images per dataset


def run_network(cfg: RandomFeaturesConfig) -> NetworkRun:
    with limit_threads(cfg.cpu_threads):
        return _run_network(cfg)


def _run_network(cfg: RandomFeaturesConfig) -> NetworkRun:
    from .network import prepare_images, train_network_grid  # torch import here

    results, spectra, used, n_test = {}, {}, [], {}
    for name in cfg.nn_datasets:
        train, test, used_name = load_images(name, cfg)
        used.append(used_name)
        n_test[used_name] = len(test)
        for mode in cfg.nn_input_modes:
            images = prepare_images(train, test, cfg.nn_d, mode, seed=cfg.seed)
            x = images.x_train.astype(np.float64)
            spectra[(used_name, mode)] = np.sort(np.linalg.eigvalsh(np.cov(x.T)))[::-1]
            results[(used_name, mode)] = train_network_grid(
                images, cfg.nn_sizes, cfg.nn_widths, cfg.nn_noises, n_seeds=cfg.nn_seeds, epochs=cfg.nn_epochs,
                lr=cfg.nn_lr, momentum=cfg.nn_momentum, seed=cfg.seed, device=cfg.nn_device,
            )
    return NetworkRun(results, tuple(used), spectra, n_test)


def network_params(res) -> np.ndarray:
    """Trainable weights of each width of a grid: width x (d + classes) (no biases)."""
    return np.asarray(res.widths) * (res.d + NN_CLASSES)


def network_swap_ratio(res, noise_index: int, *, every: int = 1) -> float:
    """Matched swap ratio (n samples vs p = width (d + classes) weights) of one noise level's seed-mean errors.

    ``every`` > 1 keeps every ``every``-th size and width (ends included): the same ratio from a coarser grid.
    """
    err = res.mean_test_error()[noise_index]  # (n index, width index)
    keep_n = _every(len(res.sizes), every)
    keep_w = _every(len(res.widths), every)
    return matched_swap_ratio(err[np.ix_(keep_n, keep_w)], np.asarray(res.sizes)[keep_n], network_params(res)[keep_w])


def _every(n: int, step: int) -> np.ndarray:
    idx = np.arange(0, n, step)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def network_metrics(run: NetworkRun) -> dict[str, Any]:
    """Swap ratios of every grid; ``nn_<mode>_*`` for the first dataset, ``nn_second_<mode>_*`` for the second."""
    m: dict[str, Any] = {"nn_datasets_used": list(run.datasets), "nn_test_images": dict(run.n_test)}
    table = {}
    for (name, mode), res in run.results.items():
        for k, z in enumerate(res.noises):
            table[f"{name}/{mode}/noise={z:g}"] = network_swap_ratio(res, k)
        spec = run.spectra[(name, mode)]
        m[f"nn_effective_rank/{name}/{mode}"] = float(spec.sum() ** 2 / (spec**2).sum())
    m["nn_asymmetry"] = table
    first = run.results[next(iter(run.results))]
    m["nn_swap_range"] = [max(first.sizes[0], network_params(first)[0]),
                          min(first.sizes[-1], network_params(first)[-1])]
    for pos, name in enumerate(run.datasets[:2]):
        tag = "" if pos == 0 else "second_"
        for mode in ("pca", "downsample"):
            if (name, mode) not in run.results:
                continue
            res = run.results[(name, mode)]
            clean = int(np.flatnonzero(res.noises == 0)[0])
            noisy = int(np.flatnonzero(res.noises > 0)[-1])
            a_clean, a_noisy = network_swap_ratio(res, clean), network_swap_ratio(res, noisy)
            m[f"nn_{tag}{mode}_asym_clean"] = a_clean
            m[f"nn_{tag}{mode}_asym_noisy"] = a_noisy
            m[f"nn_{tag}{mode}_asym_gain_noise"] = a_noisy / a_clean
            if pos == 0 and mode == "pca":  # the same ratio from every other grid line: how much it depends on the grid
                m["nn_pca_asym_noisy_coarse_grid"] = network_swap_ratio(res, noisy, every=2)
                m["nn_pca_asym_clean_coarse_grid"] = network_swap_ratio(res, clean, every=2)
        if (name, "pca") in run.results and (name, "downsample") in run.results:
            m[f"nn_{tag}asym_gain_anisotropy_clean"] = (m[f"nn_{tag}downsample_asym_clean"]
                                                        / m[f"nn_{tag}pca_asym_clean"])
    return m
