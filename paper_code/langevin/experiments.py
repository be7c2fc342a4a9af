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
from paper_code.langevin.simulation import GapScaledRun, SimResult, simulate_pspin, simulate_sk_gap_scaled, simulate_spiked

__all__ = [
    "PureRun",
    "run_pure",
    "pure_metrics",
    "run_convergence",
    "convergence_metrics",
    "run_spiked_decays",
    "spiked_metrics",
    "ProtocolRun",
    "run_protocol",
    "protocol_metrics",
    "FiniteNRun",
    "run_finite_n",
    "finite_n_metrics",
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


def pure_metrics(run: PureRun) -> dict[str, Any]:
    e3, e2, e2x = run.p3.energy[:, -1], run.p2.energy[:, -1], run.p2_exact[:, -1]
    e_th = exact.threshold_energy(3)
    above_one = run.betas > 1
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
        # beta > 1 freezes: how far above e_th the beta > 1 curves end
        "pure_p3_freeze_gap_beta_gt_1": float((e3[above_one] - e_th).min()),
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


def run_spiked_decays(cfg: LangevinConfig) -> DMFTResult:
    return integrate_spiked(
        cfg.spiked_p,
        cfg.spiked_delta2,
        cfg.spiked_deltap,
        cfg.spiked_temperature,
        cfg.spiked_m0,
        power_laws(cfg.spiked_betas, cfg.eta0),
        h=cfg.spiked_h,
        t_max=cfg.spiked_t_max,
    )


def spiked_metrics(res: DMFTResult, cfg: LangevinConfig) -> dict[str, Any]:
    jumps = res.jump_time(cfg.protocol_switch_overlap)
    finite = jumps[np.isfinite(jumps)]
    return {
        "spiked_betas": cfg.spiked_betas,
        "spiked_jump_time": jumps,  # NaN (null) where no jump by spiked_t_max
        "spiked_jump_times_of_jumping_betas": finite,
        "spiked_n_jumped": int(finite.size),
        "spiked_m_at_tmax_beta0": float(res.m[0, -1]),
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
    sk_exact = np.stack([exact.sk_energy(cfg.sim_temperature, s, cfg.sim_t_max, h=cfg.sim_dt)[1][::every] for s in scheds])
    m0 = 1.0 / math.sqrt(cfg.sim_n)
    spiked = simulate_spiked(
        cfg.sim_delta2, math.inf, cfg.sim_temperature, scheds, N=cfg.sim_n, dt=cfg.sim_dt, t_max=cfg.sim_t_max,
        n_samples=cfg.sim_samples, m0=m0, seed=cfg.seed + 1, record_every=every,
    )
    spiked_dmft = integrate_spiked(3, cfg.sim_delta2, math.inf, cfg.sim_temperature, m0, scheds, h=cfg.sim_dt, t_max=cfg.sim_t_max)
    gap = simulate_sk_gap_scaled(
        N=cfg.gap_n, T=cfg.gap_temperature, betas=(0.5, 1.0), n_steps=cfg.gap_steps, n_samples=cfg.gap_samples,
        t_protocol=cfg.gap_t_protocol, seed=cfg.seed + 2, record_every=max(1, cfg.gap_steps // 100),
    )
    return FiniteNRun(sk, sk_exact, spiked, spiked_dmft, gap, every)


def finite_n_metrics(run: FiniteNRun) -> dict[str, Any]:
    mu, se = run.sk.mean_sem("energy")
    z_sk = np.abs(mu - run.sk_exact)[:, 1:] / se[:, 1:]  # t = 0 is the same random start for both
    am = np.abs(run.spiked.m[:, :, -1])  # (S, B) final |overlap|
    m_mean, m_se = am.mean(0), am.std(0, ddof=1) / math.sqrt(am.shape[0])
    z_m = np.abs(m_mean - run.spiked_dmft.m[:, -1]) / m_se
    excess = run.gap.excess_energy.mean(0)[:, -1]  # (B,) labels: beta 0.5, beta 1, protocol
    labels = list(run.gap.result.labels)
    return {
        "sim_n": run.sk.N,
        "sim_sk_max_abs_diff": float(np.abs(mu - run.sk_exact).max()),
        "sim_sk_max_z": float(z_sk.max()),
        "sim_spiked_final_abs_m": m_mean,
        "sim_spiked_final_abs_m_sem": m_se,
        "sim_spiked_dmft_final_m": run.spiked_dmft.m[:, -1],
        "sim_spiked_max_z": float(z_m.max()),
        "gap_n": run.gap.result.N,
        "gap_excess_energy_final": dict(zip(labels, excess)),
        "gap_mean_gap": float(run.gap.gap.mean()),
        "gap_excess_ratio_beta1_over_beta05": float(excess[1] / excess[0]),
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
    per_seed_best = np.argmin(res.eg[:, :, -max(1, res.t.size // 10):].mean(axis=2), axis=0)  # (S,)
    return {
        "net_final_error": dict(zip(labels, final)),
        "net_best_schedule": labels[int(np.argmin(final))],
        "net_error_ratio_next_best_over_switch": float(np.delete(final, i_switch).min() / final[i_switch]),
        "net_switch_best_fraction_of_seeds": float(np.mean(per_seed_best == i_switch)),
        "net_plateau_exit_time": dict(zip(labels, exits)),
        # a lower bound on the delay when beta = 1 never leaves the plateau
        "net_plateau_delay_beta1_vs_constant": float(exits_censored[2] - exits_censored[0]),
    }
