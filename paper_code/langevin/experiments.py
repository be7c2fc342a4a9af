"""The paper's experiments, one function per figure, each returning data and metrics.

Every ``run_*`` takes the resolved :class:`~paper_code.langevin.config.LangevinConfig`
and returns a small frozen dataclass; every ``*_metrics`` turns it into the
plain numbers written to ``metrics/lr_schedule_langevin.json`` and checked by
the claims in :mod:`paper_code.langevin.claims`. Figures are drawn by
:mod:`paper_code.langevin.figures`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from paper_code.langevin import exact
from paper_code.langevin.config import LangevinConfig
from paper_code.langevin.dmft import DMFTResult, HConvergence, h_convergence, integrate_pspin, integrate_spiked
from paper_code.langevin.schedules import Constant, ConstantThenPowerLaw, PowerLaw, SwitchAtOverlap, power_laws
from paper_code.langevin.simulation import (
    GapScaledRun,
    SimResult,
    simulate_pspin,
    simulate_sk_gap_scaled,
    simulate_spiked,
)
from paper_code.langevin.stats import PowerLawFit, convergence_order, fit_power_law, mean_ci, polynomial_intercept

__all__ = [
    "PureRun",
    "run_pure",
    "freeze_extrapolation",
    "pure_metrics",
    "run_convergence",
    "convergence_metrics",
    "SpikedRuns",
    "run_spiked_decays",
    "spiked_metrics",
    "ProtocolRun",
    "run_protocol",
    "protocol_metrics",
    "FiniteNRun",
    "run_finite_n",
    "finite_n_metrics",
    "GapSeries",
    "Ladder",
    "run_ladder",
    "ladder_metrics",
    "run_sk_diagnosis",
    "diagnosis_metrics",
    "run_network",
    "network_metrics",
    "loglog_slope",
]


# ---------------------------------------------------------------------------------------
# Figures A, B: pure p-spin, energy vs time for several beta


@dataclass(frozen=True)
class PureRun:
    """DMFT of the pure p = 3 and p = 2 models under eta0 (1+t)^-beta, plus the exact p = 2 energy.

    Fields: betas (B,); p3, p2: DMFTResult with energy (B, n); p2_exact: (B, n) on the same grid.
    """

    betas: np.ndarray
    temperature: float
    p3: DMFTResult
    p2: DMFTResult
    p2_exact: np.ndarray


def run_pure(cfg: LangevinConfig) -> PureRun:
    schedules = power_laws(cfg.betas, cfg.eta0)
    p3 = integrate_pspin(3, cfg.temperature, schedules, h=cfg.dmft_h, t_max=cfg.dmft_t_max)
    p2 = integrate_pspin(2, cfg.temperature, schedules, h=cfg.dmft_h, t_max=cfg.dmft_t_max)
    p2_exact = np.stack([exact.sk_energy(cfg.temperature, s, cfg.dmft_t_max, h=cfg.dmft_h)[1] for s in schedules])
    return PureRun(np.asarray(cfg.betas), cfg.temperature, p3, p2, p2_exact)


def freeze_extrapolation(t: np.ndarray, e: np.ndarray, beta: float, eta0: float = 1.0) -> tuple[float, float, float]:
    """e(infinity) of a run under eta0 (1+t)^-beta with beta > 1, extrapolated in the remaining clock.

    tau(t) = int_0^t eta tends to tau_inf = eta0 / (beta - 1), so the dynamics has a finite
    time budget and e(t) tends to e(tau_inf). Over the last decade of time we fit e against
    the remaining clock d(t) = tau_inf - tau(t) = eta0 (1+t)^(1-beta) / (beta - 1) and read
    the fit at d = 0. Returns (e_inf from a quadratic in d, |quadratic - linear| as its
    uncertainty, tau(t_max) / tau_inf: the fraction of the budget used by the horizon).
    """
    if not beta > 1:
        raise ValueError(f"beta={beta!r}: the clock budget is finite only for beta > 1")
    remaining = eta0 * (1.0 + t) ** (1.0 - beta) / (beta - 1.0)
    last = t >= t[-1] / 10.0
    quad = polynomial_intercept(remaining[last], e[last], 2)
    lin = polynomial_intercept(remaining[last], e[last], 1)
    used = 1.0 - (1.0 + t[-1]) ** (1.0 - beta)
    return quad, abs(quad - lin), float(used)


def pure_metrics(run: PureRun, cfg: LangevinConfig) -> dict[str, Any]:
    e3, e2, e2x = run.p3.energy[:, -1], run.p2.energy[:, -1], run.p2_exact[:, -1]
    e_th = exact.threshold_energy(3)
    freeze = {float(b): freeze_extrapolation(run.p3.t, run.p3.energy[k], b, cfg.eta0)
              for k, b in enumerate(run.betas) if b > 1}  # beta -> (e_inf, uncertainty, budget used)
    judged = {b: v for b, v in freeze.items() if v[2] >= cfg.freeze_budget_fraction}
    return {
        "pure_betas": run.betas,
        "pure_p3_energy_at_tmax": e3,
        "pure_p2_energy_at_tmax": e2,
        "pure_p2_exact_energy_at_tmax": e2x,
        "pure_p3_best_beta": float(run.betas[np.argmin(e3)]),
        "pure_p2_best_beta": float(run.betas[np.argmin(e2)]),
        "pure_p2_exact_best_beta": float(run.betas[np.argmin(e2x)]),
        "pure_p3_threshold_energy": e_th,
        # smallest distance to the threshold over every curve and time (> 0: never below e_th)
        "pure_p3_min_gap_to_threshold": float((run.p3.energy - e_th).min()),
        # beta > 1 freezes: e(inf) extrapolated in the remaining clock, with its uncertainty
        "pure_p3_freeze_e_inf": {f"beta={b:g}": v[0] for b, v in freeze.items()},
        "pure_p3_freeze_e_inf_err": {f"beta={b:g}": v[1] for b, v in freeze.items()},
        "pure_p3_freeze_budget_used": {f"beta={b:g}": v[2] for b, v in freeze.items()},
        "pure_p3_freeze_betas_judged": list(judged),
        # lower end of e(inf) - e_th over the judged runs (> 0: every one freezes above e_th)
        "pure_p3_freeze_margin": float(min(v[0] - v[1] - e_th for v in judged.values())) if judged else float("nan"),
        "pure_p2_dmft_vs_exact_max_diff": float(np.abs(run.p2.energy - run.p2_exact).max()),
        "pure_t_max": float(run.p3.t[-1]),
    }


def run_convergence(cfg: LangevinConfig) -> HConvergence:
    """The p = 3 integration at h and h/2 for a few betas (the grid-step check)."""
    schedules = power_laws(cfg.convergence_betas, cfg.eta0)
    return h_convergence(
        lambda h: integrate_pspin(3, cfg.temperature, schedules, h=h, t_max=cfg.convergence_t_max), cfg.dmft_h
    )


def convergence_metrics(conv: HConvergence, cfg: LangevinConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "dmft_h": cfg.dmft_h,
        "dmft_h_halving_max_diff": float(conv.max_diff_energy.max()),
        "plotted_precision": cfg.plotted_precision,
    }
    if 0.0 in cfg.convergence_betas:  # constant rate: Richardson estimate vs the paramagnetic energy
        i = cfg.convergence_betas.index(0.0)
        out["pure_p3_constant_rate_energy_extrapolated"] = float(conv.extrapolated_energy[i, -1])
        out["pure_p3_paramagnetic_energy"] = float(exact.paramagnetic_energy(3, cfg.temperature * cfg.eta0))
    return out


# ---------------------------------------------------------------------------------------
# Figure C: spiked matrix-tensor model, pure decays delay the jump


@dataclass(frozen=True)
class SpikedRuns:
    """Spiked DMFT under eta0 (1+t)^-beta for every spiked beta, from two initial overlaps.

    Fields: ref (from the reference code's m0 = cfg.spiked_m0), alt (from cfg.spiked_m0_alt).
    """

    ref: DMFTResult
    alt: DMFTResult
    m0_ref: float
    m0_alt: float


def _spiked(cfg: LangevinConfig, m0: float, schedules, t_max: float) -> DMFTResult:
    return integrate_spiked(cfg.spiked_p, cfg.spiked_delta2, cfg.spiked_deltap, cfg.spiked_temperature, m0,
                            schedules, h=cfg.spiked_h, t_max=t_max)


def run_spiked_decays(cfg: LangevinConfig) -> SpikedRuns:
    scheds = power_laws(cfg.spiked_betas, cfg.eta0)
    return SpikedRuns(_spiked(cfg, cfg.spiked_m0, scheds, cfg.spiked_t_max),
                      _spiked(cfg, cfg.spiked_m0_alt, scheds, cfg.spiked_t_max), cfg.spiked_m0, cfg.spiked_m0_alt)


def spiked_metrics(runs: SpikedRuns, cfg: LangevinConfig) -> dict[str, Any]:
    ref, alt = (r.jump_time(cfg.protocol_switch_overlap) for r in (runs.ref, runs.alt))
    return {
        "spiked_betas": cfg.spiked_betas,
        "spiked_m0": runs.m0_ref,
        "spiked_m0_alt": runs.m0_alt,
        "spiked_jump_time": ref,  # NaN (null) where no jump by spiked_t_max
        "spiked_jump_time_alt": alt,
        "spiked_n_jumped": int(np.isfinite(ref).sum()),
        "spiked_n_jumped_alt": int(np.isfinite(alt).sum()),
        "spiked_jump_delay_beta0": float(ref[0] - alt[0]),
        "spiked_t_max": float(runs.ref.t[-1]),
        "spiked_m_at_tmax_beta0": float(runs.ref.m[0, -1]),
    }


# ---------------------------------------------------------------------------------------
# Figure D: constant until the jump, then decay


@dataclass(frozen=True)
class ProtocolRun:
    """Spiked DMFT under pure decays and under constant-until-jump-then-decay.

    Fields: res (schedules: constant, pure decays 0.5 and 1, then SwitchAtOverlap per
    protocol beta); e_star, m_star: the T = 0 minimum reached after the jump;
    error: (B, n) energy minus e_star.
    """

    res: DMFTResult
    e_star: float
    m_star: float
    protocol_betas: tuple[float, ...]

    @property
    def error(self) -> np.ndarray:
        return self.res.energy - self.e_star


def run_protocol(cfg: LangevinConfig) -> ProtocolRun:
    schedules = [Constant(cfg.eta0), PowerLaw(cfg.eta0, 0.5), PowerLaw(cfg.eta0, 1.0)] + [
        SwitchAtOverlap(cfg.eta0, b, cfg.protocol_switch_overlap) for b in cfg.protocol_betas
    ]
    res = integrate_spiked(
        cfg.spiked_p,
        cfg.spiked_delta2,
        cfg.spiked_deltap,
        cfg.spiked_temperature,
        cfg.spiked_m0,
        schedules,
        h=cfg.spiked_h,
        t_max=cfg.protocol_t_max,
    )
    m_star, e_star = exact.spiked_zero_temperature_minimum(cfg.spiked_p, cfg.spiked_delta2, cfg.spiked_deltap)
    return ProtocolRun(res, float(e_star), float(m_star), cfg.protocol_betas)


def loglog_slope(t: np.ndarray, y: np.ndarray, t_from: float, t_to: float) -> float:
    """Least-squares slope of log y vs log t on [t_from, t_to] (points equally spaced in log t)."""
    if not 0 < t_from < t_to:
        raise ValueError(f"need 0 < t_from < t_to, got {t_from}, {t_to}")
    grid = np.geomspace(t_from, t_to, 20)
    yy = np.interp(grid, t, y)
    if np.any(yy <= 0):
        return float("nan")
    return float(np.polyfit(np.log(grid), np.log(yy), 1)[0])


def protocol_metrics(run: ProtocolRun) -> dict[str, Any]:
    res, err = run.res, run.error
    final = err[:, -1]
    labels = list(res.labels)
    n_pure = 3
    metrics: dict[str, Any] = {
        "protocol_e_star": run.e_star,
        "protocol_m_star": run.m_star,
        "protocol_error_at_tmax": dict(zip(labels, final)),
        "protocol_best_schedule": labels[int(np.argmin(final))],
    }
    t_end = float(res.t[-1])
    for k, beta in enumerate(run.protocol_betas):
        i = n_pure + k
        ts = float(res.t_switch[i])
        key = f"beta{beta:g}"
        metrics[f"protocol_switch_time_{key}"] = ts
        if math.isfinite(ts) and t_end - ts > 4:
            # slope against the time since the switch, over the second half of what is left
            mid = ts + (t_end - ts) / 2
            metrics[f"protocol_slope_after_switch_{key}"] = loglog_slope(res.t - ts, err[i], mid - ts, t_end - ts)
        else:
            metrics[f"protocol_slope_after_switch_{key}"] = float("nan")
    i_one = n_pure + run.protocol_betas.index(1.0)
    others = np.delete(final, i_one)
    metrics["protocol_error_ratio_next_best_over_switch_1_over_t"] = float(others.min() / final[i_one])
    return metrics


# ---------------------------------------------------------------------------------------
# Figure E: finite-N simulations against the theory, and the gap-scaled SK runs


@dataclass(frozen=True)
class FiniteNRun:
    """Finite-N simulations on the theory's axes.

    Fields: sk (SimResult, p = 2) and sk_exact (B, n_rec) its N -> infinity energy;
    spiked (SimResult, spiked matrix) and spiked_dmft its DMFT; gap (GapScaledRun).
    """

    sk: SimResult
    sk_exact: np.ndarray
    spiked: SimResult
    spiked_dmft: DMFTResult
    gap: GapScaledRun
    record_every: int


def _finite_n_schedules(eta0: float):
    return [Constant(eta0), PowerLaw(eta0, 0.5), PowerLaw(eta0, 1.0)]


def run_finite_n(cfg: LangevinConfig) -> FiniteNRun:
    scheds = _finite_n_schedules(cfg.eta0)
    n_steps = int(round(cfg.sim_t_max / cfg.sim_dt))
    every = max(1, n_steps // 50)
    sk = simulate_pspin(
        2, cfg.sim_temperature, scheds, N=cfg.sim_n, dt=cfg.sim_dt, t_max=cfg.sim_t_max,
        n_samples=cfg.sim_samples, seed=cfg.seed, record_every=every,
    )
    sk_exact = np.stack([exact.sk_energy(cfg.sim_temperature, s, cfg.sim_t_max, h=cfg.sim_dt)[1][::every]
                         for s in scheds])
    m0 = 1.0 / math.sqrt(cfg.sim_n)
    spiked = simulate_spiked(
        cfg.sim_delta2, math.inf, cfg.sim_temperature, scheds, N=cfg.sim_n, dt=cfg.sim_dt, t_max=cfg.sim_t_max,
        n_samples=cfg.sim_samples, m0=m0, seed=cfg.seed + 1, record_every=every,
    )
    spiked_dmft = integrate_spiked(3, cfg.sim_delta2, math.inf, cfg.sim_temperature, m0, scheds, h=cfg.sim_dt,
                                   t_max=cfg.sim_t_max)
    gap = simulate_sk_gap_scaled(
        N=cfg.gap_n, T=cfg.gap_temperature, betas=(0.5, 1.0), n_steps=cfg.gap_steps, n_samples=cfg.gap_samples,
        t_protocol=cfg.gap_t_protocol, seed=cfg.seed + 2, record_every=max(1, cfg.gap_steps // 100),
    )
    return FiniteNRun(sk, sk_exact, spiked, spiked_dmft, gap, every)


def finite_n_metrics(run: FiniteNRun) -> dict[str, Any]:
    mu, _ = run.sk.mean_sem("energy")
    am = np.abs(run.spiked.m[:, :, -1])  # (S, B) final |overlap|
    m_mean, m_se = am.mean(0), am.std(0, ddof=1) / math.sqrt(am.shape[0])
    excess = run.gap.excess_energy.mean(0)[:, -1]  # (B,) labels: beta 0.5, beta 1, protocol
    labels = list(run.gap.result.labels)
    return {
        "sim_n": run.sk.N,
        "sim_sk_max_abs_diff": float(np.abs(mu - run.sk_exact).max()),
        "sim_spiked_final_abs_m": m_mean,
        "sim_spiked_final_abs_m_sem": m_se,
        "sim_spiked_dmft_final_m": run.spiked_dmft.m[:, -1],
        "gap_n": run.gap.result.N,
        "gap_excess_energy_final": dict(zip(labels, excess)),
        "gap_mean_gap": float(run.gap.gap.mean()),
        "gap_excess_ratio_beta1_over_beta05": float(excess[1] / excess[0]),
    }


# ---------------------------------------------------------------------------------------
# Figure E, continued: does the simulation converge to the theory as N grows?
#
# The simulation is a discrete scheme (Euler-Maruyama steps dt, then projection). Its gap
# to the continuous-time N -> infinity theory has two parts: a time-step bias O(dt), which
# no N removes, and a finite-N part, O(1/N) for a mean-field average at fixed t. We
# separate them exactly: ``exact.matrix_scheme_limit`` is the N -> infinity limit of the
# scheme itself at the same dt. The finite-N part is measured against it on a ladder of N;
# the time-step part is deterministic and measured by halving dt.


def _record_every(dt: float, t_max: float) -> int:
    return max(1, int(round(t_max / dt)) // 40)


@dataclass(frozen=True)
class GapSeries:
    """A simulation minus a reference curve at the recorded times (one N, B schedules, S samples).

    Fields: t (n,); mean, sem (B, n): sample mean of the gap and its standard error;
    late (S,): each sample's gap averaged over the schedules and the times t >= t_max / 2.
    """

    t: np.ndarray
    mean: np.ndarray
    sem: np.ndarray
    late: np.ndarray

    @staticmethod
    def of(sim: np.ndarray, ref: np.ndarray, t: np.ndarray) -> GapSeries:
        """sim: (S, B, n) per-sample curves; ref: (B, n) on the same times."""
        d = sim - ref[None]
        return GapSeries(t, d.mean(0), d.std(0, ddof=1) / math.sqrt(d.shape[0]),
                         d[:, :, t >= t[-1] / 2].mean(axis=(1, 2)))

    @property
    def max_abs(self) -> float:
        return float(np.abs(self.mean[:, 1:]).max())

    @property
    def max_abs_z(self) -> float:
        """The largest |gap| / s.e. over schedules and times t > 0 (the start is shared)."""
        return float(np.abs(self.mean[:, 1:] / self.sem[:, 1:]).max())


@dataclass(frozen=True)
class Ladder:
    """Finite-N simulations at several N against N -> infinity references (K sizes).

    Fields: n (K,); sk: SK energy minus the N -> infinity limit of the same scheme;
    sk_continuous: SK energy minus the continuous-time theory; spiked: spiked-matrix |m|
    minus the scheme's limit, from the fixed start m0; each a tuple of K GapSeries.
    """

    n: np.ndarray
    samples: np.ndarray
    sk: tuple[GapSeries, ...]
    sk_continuous: tuple[GapSeries, ...]
    spiked: tuple[GapSeries, ...]
    dt: float
    t_max: float
    m0: float

    def summary(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """Late-window gap and its standard error at each N; each (K,)."""
        cis = [mean_ci(g.late) for g in getattr(self, which)]
        return np.array([c.mean for c in cis]), np.array([c.sem for c in cis])

    def fit(self, which: str) -> PowerLawFit:
        """Late-window gap = c N^-alpha, fitted over the ladder."""
        return fit_power_law(self.n, *self.summary(which))


def run_ladder(cfg: LangevinConfig) -> Ladder:
    """SK and spiked-matrix simulations at every ``cfg.ladder_n`` against their N -> infinity limits.

    The spiked runs start at the fixed overlap ``cfg.ladder_m0``: the noise moves m by
    O(1/sqrt(N)) at the start, so the limit N -> infinity at fixed m0 is reached once
    1/N << m0^2. (From m0 = 1/sqrt(N), as in the figure, noise and start stay of the same
    order at every N, and the escape never becomes deterministic.)
    """
    scheds = _finite_n_schedules(cfg.eta0)
    dt, t_max, T = cfg.sim_dt, cfg.sim_t_max, cfg.sim_temperature
    every = _record_every(dt, t_max)
    sk_ref = np.stack([exact.matrix_scheme_limit(T, s, dt, t_max)[1][::every] for s in scheds])
    sk_cont = np.stack([exact.sk_energy(T, s, t_max, h=dt / 4)[1][:: 4 * every] for s in scheds])
    m_ref = np.stack([exact.matrix_scheme_limit(T, s, dt, t_max, delta2=cfg.sim_delta2, m0=cfg.ladder_m0)[2][::every]
                      for s in scheds])
    sk, sk_c, sp = [], [], []
    for k, (N, S) in enumerate(zip(cfg.ladder_n, cfg.ladder_samples)):
        r = simulate_pspin(2, T, scheds, N=N, dt=dt, t_max=t_max, n_samples=S, seed=cfg.seed + 10 + k,
                           record_every=every)
        sk.append(GapSeries.of(r.energy, sk_ref, r.t))
        sk_c.append(GapSeries.of(r.energy, sk_cont, r.t))
        r = simulate_spiked(cfg.sim_delta2, math.inf, T, scheds, N=N, dt=dt, t_max=t_max, n_samples=S, m0=cfg.ladder_m0,
                            seed=cfg.seed + 20 + k, record_every=every)
        sp.append(GapSeries.of(np.abs(r.m), m_ref, r.t))
    return Ladder(np.asarray(cfg.ladder_n), np.asarray(cfg.ladder_samples), tuple(sk), tuple(sk_c), tuple(sp),
                  dt, t_max, cfg.ladder_m0)


def ladder_metrics(lad: Ladder) -> dict[str, Any]:
    out: dict[str, Any] = {"ladder_n": lad.n, "ladder_samples": lad.samples, "ladder_m0": lad.m0}
    for which, key in (("sk", "sim_sk"), ("spiked", "sim_spiked")):
        mean, sem = lad.summary(which)
        fit = lad.fit(which)
        out[f"{key}_ladder_gap"] = mean
        out[f"{key}_ladder_gap_sem"] = sem
        out[f"{key}_gap_exponent"] = fit.alpha
        out[f"{key}_gap_exponent_ci"] = fit.as_list()
        out[f"{key}_gap_fit_chi2_dof"] = fit.chi2_dof
    # the old check, simulation vs the continuous-time theory at each N: |z| grows with the statistics
    out["sim_sk_ladder_max_z_continuous"] = [g.max_abs_z for g in lad.sk_continuous]
    out["sim_sk_ladder_max_gap_continuous"] = [g.max_abs for g in lad.sk_continuous]
    return out


def _on_records(curves: list[np.ndarray], step: float, spacing: float) -> np.ndarray:
    """Curves on a grid of ``step`` subsampled to the recorded times (every ``spacing``); (B, n_rec)."""
    return np.stack([c[:: int(round(spacing / step))] for c in curves])


DIAGNOSIS_VARIANTS = ("baseline", "dt / 2", "dt / 4", "theory h / 4", "horizon x 2")


def run_sk_diagnosis(cfg: LangevinConfig) -> list[dict[str, Any]]:
    """Where the SK simulation-theory gap comes from: dt, the theory's step h, the horizon, one at a time.

    Every variant simulates ``cfg.diag_samples`` samples at N = cfg.sim_n and compares them
    with the continuous-time theory (``exact.sk_energy`` at step h). Two measured numbers:
    the old check's statistic, the largest |gap| / s.e. over schedules and times, and the
    gap of the constant-rate run averaged over the late half of the run (the schedule with
    the largest time-step bias), with its standard error. Next to them, deterministic: the
    same late gap of the scheme's own N -> infinity limit (``exact.matrix_scheme_limit`` at
    that dt), of the theory at step h, and the largest |scheme bias| over schedules and
    times, all against the theory at step dt / 8.
    """
    scheds = _finite_n_schedules(cfg.eta0)
    T, dt0, t0 = cfg.sim_temperature, cfg.sim_dt, cfg.sim_t_max
    settings = dict(zip(DIAGNOSIS_VARIANTS, [(dt0, dt0, t0), (dt0 / 2, dt0, t0), (dt0 / 4, dt0, t0),
                                             (dt0, dt0 / 4, t0), (dt0, dt0, 2 * t0)]))
    h_fine = dt0 / 8  # the reference: second order, so its own error is ~1/64 of the theory's at h = dt
    rows, sims, fines = [], {}, {}
    for k, (name, (dt, h, t_max)) in enumerate(settings.items()):
        if (dt, t_max) not in sims:  # "theory h / 4" reuses the baseline simulation
            sims[dt, t_max] = simulate_pspin(2, T, scheds, N=cfg.sim_n, dt=dt, t_max=t_max, n_samples=cfg.diag_samples,
                                             seed=cfg.seed + 30 + k, record_every=_record_every(dt, t_max))
        if t_max not in fines:
            fines[t_max] = [exact.sk_energy(T, s, t_max, h=h_fine)[1] for s in scheds]
        sim = sims[dt, t_max]
        spacing = float(sim.t[1])
        theory = _on_records([exact.sk_energy(T, s, t_max, h=h)[1] for s in scheds], h, spacing)
        fine = _on_records(fines[t_max], h_fine, spacing)
        scheme = _on_records([exact.matrix_scheme_limit(T, s, dt, t_max)[1] for s in scheds], dt, spacing)
        late = sim.t >= t_max / 2
        constant = mean_ci(GapSeries.of(sim.energy[:, :1], theory[:1], sim.t).late)  # schedule 0: constant rate
        rows.append({
            "variant": name, "N": cfg.sim_n, "samples": cfg.diag_samples, "dt": dt, "theory h": h, "horizon": t_max,
            "max |z|": GapSeries.of(sim.energy, theory, sim.t).max_abs_z,
            "gap": constant.mean, "gap s.e.": constant.sem,
            "scheme bias": float((scheme - fine)[0, late].mean()),
            "theory h bias": float((theory - fine)[0, late].mean()),
            "max |scheme bias|": float(np.abs(scheme - fine)[:, 1:].max()),
        })
    return rows


def diagnosis_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by = {r["variant"]: r for r in rows}
    dts = [by[v]["dt"] for v in ("baseline", "dt / 2", "dt / 4")]
    bias = [by[v]["max |scheme bias|"] for v in ("baseline", "dt / 2", "dt / 4")]
    return {
        "diag_max_z": {r["variant"]: r["max |z|"] for r in rows},
        "diag_gap": {r["variant"]: r["gap"] for r in rows},
        "diag_gap_sem": {r["variant"]: r["gap s.e."] for r in rows},
        "diag_scheme_bias": {r["variant"]: r["scheme bias"] for r in rows},
        "diag_theory_h_bias": {r["variant"]: r["theory h bias"] for r in rows},
        # the time-step bias of the scheme's N -> infinity limit: its order in dt (Euler-Maruyama: 1)
        "sim_sk_dt_bias_order": convergence_order(np.array(dts), np.array(bias)),
    }


# ---------------------------------------------------------------------------------------
# Figure F: the two-layer network check


def network_schedules(cfg: LangevinConfig):
    return [
        Constant(1.0),
        PowerLaw(1.0, 0.5),
        PowerLaw(1.0, 1.0),
        ConstantThenPowerLaw(1.0, 1.0, cfg.net_t_switch),
    ]


def run_network(cfg: LangevinConfig):
    from paper_code.langevin.network import TeacherStudentConfig, train_teacher_student  # torch import here

    ts_cfg = TeacherStudentConfig(
        D=cfg.net_d, sigma=cfg.net_sigma, lr=cfg.net_lr, t_max=cfg.net_t_max, n_seeds=cfg.net_seeds, seed=cfg.seed
    )
    return train_teacher_student(network_schedules(cfg), ts_cfg)


def plateau_exit_time(t: np.ndarray, eg: np.ndarray, fraction: float = 0.1) -> float:
    """First time the error falls below ``fraction`` of its initial value (NaN if never)."""
    below = eg <= fraction * eg[0]
    return float(t[np.argmax(below)]) if below.any() else float("nan")


def network_metrics(res) -> dict[str, Any]:
    final = res.final()
    labels = list(res.labels)
    mean_eg = res.eg.mean(axis=1)  # (B, n)
    exits = [plateau_exit_time(res.t, mean_eg[b]) for b in range(len(labels))]
    # a schedule still on the plateau at the horizon has left it no earlier than t_max (censored)
    exits_censored = [e if math.isfinite(e) else float(res.t[-1]) for e in exits]
    i_switch = len(labels) - 1  # constant-then-1/t is last (network_schedules)
    per_seed = res.eg[:, :, -max(1, int(round(0.1 * res.t.size))):].mean(axis=2)  # (B, S): the window of res.final()
    per_seed_best = np.argmin(per_seed, axis=0)  # (S,)
    # paired differences (other schedule - switch) over seeds: 95% t interval of the seed mean
    margins = {labels[b]: mean_ci(per_seed[b] - per_seed[i_switch]) for b in range(len(labels)) if b != i_switch}
    closest = min(margins, key=lambda k: margins[k].lo)
    return {
        "net_final_error": dict(zip(labels, final)),
        "net_final_error_sem": dict(zip(labels, per_seed.std(axis=1, ddof=1) / math.sqrt(per_seed.shape[1]))),
        "net_best_schedule": labels[int(np.argmin(final))],
        "net_error_ratio_next_best_over_switch": float(np.delete(final, i_switch).min() / final[i_switch]),
        "net_margin_over_switch": {k: v.mean for k, v in margins.items()},
        "net_margin_over_switch_ci": {k: [v.lo, v.hi] for k, v in margins.items()},
        "net_closest_schedule": closest,
        "net_margin_ci_closest": margins[closest].as_list(),
        "net_n_seeds": int(per_seed.shape[1]),
        "net_switch_best_fraction_of_seeds": float(np.mean(per_seed_best == i_switch)),
        "net_plateau_exit_time": dict(zip(labels, exits)),
        # a lower bound on the delay when beta = 1 never leaves the plateau
        "net_plateau_delay_beta1_vs_constant": float(exits_censored[2] - exits_censored[0]),
    }
