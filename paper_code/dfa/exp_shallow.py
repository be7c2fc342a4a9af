"""Figures 1-2: shallow networks, simulation vs ODEs, early alignment, degeneracy breaking.

docs/papers/dfa_alignment.md, section 1. The student starts with small first-layer
weights and, by default, a second layer at zero; the ODEs are also integrated from the
same first layer with a second layer drawn at the first layer's scale, so the notebook
shows how much the second layer's initial size delays alignment.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from paper_code.common.teacher_student import order_parameters
from paper_code.common.threads import limit_threads
from paper_code.dfa.config import DFAConfig
from paper_code.dfa.curves import first_crossing, settle_time
from paper_code.dfa.feedback import pairwise_cosine
from paper_code.dfa.resumable import checkpoint_file
from paper_code.dfa.shallow import (
    ODEResult,
    ShallowRun,
    ShallowSetup,
    draw_teacher_student,
    integrate_ode,
    train_shallow,
)

__all__ = [
    "ALIGNED_LEVEL",
    "ShallowResult",
    "shallow_setup",
    "shallow_record_steps",
    "simulate_shallow",
    "run_shallow",
    "shallow_metrics",
    "LinearZeroInit",
    "run_linear_zero_init",
    "linear_zero_metrics",
]

log = logging.getLogger(__name__)

#: cos(v, b) above which a student counts as aligned: the alignment time is when the seed mean stays above it.
ALIGNED_LEVEL = 0.9


@dataclass(frozen=True)
class ShallowResult:
    """The simulation (S DFA then S BP members), the ODEs from its initial conditions, and the ODEs of the
    S DFA members started from a second layer drawn at the first layer's scale (``ode_v0_like_w``)."""

    sim: ShallowRun
    ode: ODEResult
    ode_v0_like_w: ODEResult
    v0_like_w_std: float

    @property
    def n_seeds(self) -> int:
        return int(self.sim.dfa.sum())

    def curves(self, source: str, quantity: str, method: str) -> np.ndarray:
        """Seed-mean curve (n,) of ``quantity`` ('eg' | 'alignment') for ``method`` ('dfa' | 'bp').

        ``source``: 'sim', 'ode', or 'ode_v0_like_w' (DFA only).
        """
        if source == "ode_v0_like_w":
            if method != "dfa":
                raise ValueError("the comparison ODE has DFA members only")
            res = self.ode_v0_like_w
            return (res.eg if quantity == "eg" else res.alignment(self.sim.b)).mean(0)
        sel = self.sim.dfa if method == "dfa" else ~self.sim.dfa
        if source == "sim":
            data = self.sim.eg if quantity == "eg" else self.sim.alignment
        else:
            data = self.ode.eg if quantity == "eg" else self.ode.alignment(self.sim.b)
        return data[sel].mean(0)


def shallow_setup(cfg: DFAConfig, v0_std: float | None = None) -> ShallowSetup:
    return ShallowSetup(
        N=cfg.shallow_n, K=cfg.shallow_k, M=cfg.shallow_m, lr=cfg.shallow_lr, w0_std=cfg.shallow_init_std,
        v0_std=cfg.shallow_v0_std if v0_std is None else v0_std, t_max=cfg.shallow_t_max,
        eval_dt=cfg.shallow_eval_dt, n_seeds=cfg.shallow_seeds, seed=cfg.seed, feedback_seed=cfg.feedback_seed,
    )


def shallow_record_steps(cfg: DFAConfig) -> np.ndarray:
    """Recording times in Euler steps of the ODE (t = k ode_dt): every shallow_eval_dt, plus a log grid."""
    n = int(round(cfg.shallow_t_max / cfg.ode_dt))
    lin = np.arange(0, n + 1, int(round(cfg.shallow_eval_dt / cfg.ode_dt)))
    logs = np.round(np.geomspace(1, n, cfg.shallow_log_evals)).astype(int) if cfg.shallow_log_evals else []
    return np.unique(np.concatenate([lin, logs, [n]]).astype(int))


def _initial_overlaps(init: dict[str, torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
    Q, R, _ = order_parameters(init["W0"], init["W_t"].expand(init["W0"].shape[0], -1, -1))
    return Q.numpy(), R.numpy()


def simulate_shallow(cfg: DFAConfig) -> ShallowRun:
    """The simulation alone (S seeds x {DFA, BP}), checkpointed as ``shallow`` under ``cfg.checkpoint_dir``."""
    k = shallow_record_steps(cfg)
    per_dt = int(round(cfg.ode_dt * cfg.shallow_n))  # SGD steps per Euler step (checked by the config)
    with limit_threads(cfg.threads):
        return train_shallow(shallow_setup(cfg), record_steps=k * per_dt,
                             checkpoint=checkpoint_file(cfg.checkpoint_dir, "shallow"))


def run_shallow(cfg: DFAConfig) -> ShallowResult:
    """Simulate S seeds x {DFA, BP}; integrate the ODEs from the same start, and from v(0) at the w scale."""
    k = shallow_record_steps(cfg)
    sim = simulate_shallow(cfg)
    alt_std = cfg.shallow_init_std
    alt = draw_teacher_student(shallow_setup(cfg, v0_std=alt_std))  # same teacher, first layer and b
    S = sim.dfa.sum()
    Q_alt, R_alt = _initial_overlaps(alt)
    members = {  # one Euler loop for both: the simulation's members, then the comparison's DFA members
        "Q": np.concatenate([sim.Q[:, 0], Q_alt]), "R": np.concatenate([sim.R[:, 0], R_alt]),
        "v": np.concatenate([sim.v[:, 0], alt["v0"].numpy()]), "dfa": np.concatenate([sim.dfa, np.ones(S, bool)]),
    }
    ode = integrate_ode(members["Q"], members["R"], members["v"], sim.T, sim.A, sim.b, members["dfa"],
                        lr=cfg.shallow_lr, t_max=cfg.shallow_t_max, dt=cfg.ode_dt, record_steps=k)
    E = sim.dfa.size

    def part(sl: slice) -> ODEResult:
        return ODEResult(ode.t, ode.Q[sl], ode.R[sl], ode.v[sl], ode.eg[sl], ode.dt)

    return ShallowResult(sim, part(slice(0, E)), part(slice(E, None)), alt_std)


def shallow_metrics(res: ShallowResult) -> dict[str, Any]:
    sim, t = res.sim, res.sim.t
    a_dfa = res.curves("sim", "alignment", "dfa")
    eg_dfa, eg_bp = res.curves("sim", "eg", "dfa"), res.curves("sim", "eg", "bp")
    i_peak = int(np.argmax(a_dfa))
    t_drop = first_crossing(t, eg_dfa, 0.1 * eg_dfa[0], above=False)  # error below 10% of its initial value
    t_align = settle_time(t, a_dfa, ALIGNED_LEVEL)
    al = sim.alignment
    bp = ~sim.dfa
    # where v is below the O(1/sqrt N) fluctuation scale its direction is noise, which the N -> infinity ODEs
    # do not describe (docs section 1.4): compare each method's alignments once its seed-mean |v| exceeds 1/sqrt N
    d_align, grown, t_grown = {}, {}, {}
    for m, sel in (("dfa", sim.dfa), ("bp", ~sim.dfa)):
        d_align[m] = np.abs(res.curves("sim", "alignment", m) - res.curves("ode", "alignment", m))  # (n,)
        grown[m] = np.linalg.norm(sim.v[sel], axis=-1).mean(0) >= 1.0 / math.sqrt(sim.setup.N)
        t_grown[m] = float(t[np.argmax(grown[m])]) if grown[m].any() else float("nan")
    d_all = max(float(d.max()) for d in d_align.values())
    d_grown = max((float(d_align[m][grown[m]].max()) for m in d_align if grown[m].any()), default=float("nan"))
    d_eg = max(  # relative to the initial error
        np.abs(res.curves("sim", "eg", m) - res.curves("ode", "eg", m)).max() / res.curves("sim", "eg", m)[0]
        for m in ("dfa", "bp")
    )
    v_final = sim.v[:, -1]
    S, K = int(sim.dfa.sum()), sim.setup.K
    tol = 2.0 / math.sqrt(sim.setup.N)  # twice the O(1/sqrt N) finite-size fluctuations
    chance = 2.0 / math.sqrt(K * S)  # two standard errors of a mean of S cosines of random K-vectors with b
    bp_final = float(al[bp, -1].mean())
    pc_dfa = pairwise_cosine(torch.from_numpy(v_final[sim.dfa]))
    pc_bp = pairwise_cosine(torch.from_numpy(v_final[bp]))
    return {
        "shallow_n": sim.setup.N,
        "shallow_t_max": float(t[-1]),
        "shallow_dfa_alignment_time": t_align,
        "shallow_dfa_alignment_time_ode": settle_time(t, res.curves("ode", "alignment", "dfa"), ALIGNED_LEVEL),
        "shallow_dfa_alignment_time_v0_like_w": settle_time(
            res.ode_v0_like_w.t, res.curves("ode_v0_like_w", "alignment", "dfa"), ALIGNED_LEVEL),
        "shallow_v0_like_w_std": res.v0_like_w_std,
        "shallow_dfa_peak_alignment": float(a_dfa[i_peak]),
        "shallow_dfa_peak_time": float(t[i_peak]),
        "shallow_dfa_error_drop_time": t_drop,  # e_g <= 0.1 e_g(0)
        "shallow_align_before_drop_ratio": t_align / t_drop if math.isfinite(t_drop) else float("nan"),
        "shallow_dfa_min_alignment_after_peak": float(a_dfa[i_peak:].min()),
        "shallow_dfa_alignment_dip": float(a_dfa[i_peak] - a_dfa[i_peak:].min()),
        "shallow_dfa_final_alignment": float(a_dfa[-1]),
        "shallow_bp_final_alignment_per_seed": al[bp, -1],
        "shallow_bp_final_alignment": bp_final,
        "shallow_alignment_chance_bound": chance,
        "shallow_bp_final_alignment_over_chance": abs(bp_final) / chance,
        "shallow_dfa_final_eg": float(eg_dfa[-1]),
        "shallow_bp_final_eg": float(eg_bp[-1]),
        "shallow_final_eg_ratio_dfa_over_bp": float(eg_dfa[-1] / eg_bp[-1]),
        "shallow_ode_max_abs_diff_alignment_all_t": d_all,
        "shallow_dfa_v_grown_time": t_grown["dfa"],
        "shallow_bp_v_grown_time": t_grown["bp"],
        "shallow_ode_max_abs_diff_alignment": d_grown,
        "shallow_ode_max_rel_diff_eg": float(d_eg),
        "shallow_finite_n_tolerance": tol,
        "shallow_ode_alignment_diff_over_tolerance": d_grown / tol,
        "shallow_ode_eg_diff_over_tolerance": float(d_eg / tol),
        "shallow_dfa_pairwise_cos_v": pc_dfa,
        "shallow_bp_pairwise_cos_v": pc_bp,
        "shallow_pairwise_cos_gap_dfa_minus_bp": pc_dfa - pc_bp,
        "shallow_b": sim.b,
    }


@dataclass(frozen=True)
class LinearZeroInit:
    """Linear two-layer students from W = 0, v = 0 (the paper's exact statement; docs section 1.2): DFA and BP."""

    run: ShallowRun

    @property
    def dfa_alignment(self) -> np.ndarray:
        """cos(v, b) of the DFA members after the first step (v = 0 before); (S, n-1)."""
        return self.run.alignment[self.run.dfa, 1:]


def run_linear_zero_init(cfg: DFAConfig) -> LinearZeroInit:
    setup = ShallowSetup(
        N=cfg.linear_n, K=cfg.shallow_k, M=cfg.shallow_m, lr=cfg.shallow_lr, activation="linear", w0_std=0.0,
        v0_std=0.0, t_max=cfg.linear_t_max, eval_dt=cfg.linear_t_max / 50, n_seeds=2, seed=cfg.seed + 1,
        feedback_seed=cfg.feedback_seed,
    )
    with limit_threads(cfg.threads):
        return LinearZeroInit(train_shallow(setup))


def linear_zero_metrics(res: LinearZeroInit) -> dict[str, Any]:
    """What the linear panel shows (the exactness itself is a unit test: tests/dfa/test_shallow.py)."""
    r = res.run
    bp = ~r.dfa
    return {
        "linear_dfa_max_misalignment": float((1.0 - res.dfa_alignment).max()),  # 1 - min_t cos(v, b)
        "linear_bp_max_weight": float(max(np.abs(r.v[bp]).max(), np.abs(r.Q[bp]).max())),
    }
