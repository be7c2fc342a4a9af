"""Figures A-F of the learning-rate-schedule paper, drawn from :mod:`experiments` results.

Each function takes the result dataclass(es) and returns a matplotlib figure in
the project style. The letters follow docs/papers/lr_schedule_langevin.md (section
"Figures"): the paper's own figure numbers could not be checked against its text.
Schedule names (``beta=0.5``) are metric keys; :func:`pretty` turns them into
legend labels with Greek letters.
"""
from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np

from paper_code.common.plotting import label_axes, new_figure, palette
from paper_code.langevin import exact
from paper_code.langevin.dmft import HConvergence
from paper_code.langevin.experiments import FiniteNRun, Ladder, ProtocolRun, PureRun, SpikedRuns

__all__ = [
    "pretty",
    "fig_energy_vs_time",
    "fig_energy_vs_beta",
    "fig_spiked_jump",
    "fig_protocol",
    "fig_finite_n",
    "fig_convergence",
    "fig_network",
]


def pretty(label: str) -> str:
    """A schedule name as a legend label: ``beta=0.5`` -> ``β = 0.5``, ``eta0`` -> ``η₀``."""
    label = re.sub(r"\bbeta\s*=\s*", "β = ", label)
    label = re.sub(r"\beta0\b", "η₀", label)
    return label.replace("m>", "m > ")


def _beta_colours(betas) -> list:
    cmap = plt.get_cmap("viridis")
    lo, hi = min(betas), max(betas)
    return [cmap(0.9 * (b - lo) / (hi - lo if hi > lo else 1.0)) for b in betas]


def fig_energy_vs_time(run: PureRun):
    """A: energy per spin vs time for eta = (1+t)^-beta; p = 3 (left) and p = 2 (right), one legend outside."""
    fig, axes = new_figure(2, width=3.5)
    colours = _beta_colours(run.betas)
    for ax, res, p in ((axes[0, 0], run.p3, 3), (axes[0, 1], run.p2, 2)):
        t = res.t[1:]
        for b, c, e in zip(run.betas, colours, res.energy):
            ax.plot(t, e[1:], color=c, label=f"β = {b:g}")
        if p == 2:
            for e in run.p2_exact:
                ax.plot(t, e[1:], color="k", lw=0.7, ls=":", alpha=0.8)
            ax.plot([], [], color="k", lw=0.7, ls=":", label="exact (Volterra)")
            ax.axhline(-1.0, color="0.3", lw=0.8, ls="--")
            ax.text(t[0], -0.99, "ground state −1", fontsize=7, va="bottom")
        else:
            e_th = exact.threshold_energy(3)
            ax.axhline(e_th, color="0.3", lw=0.8, ls="--")
            ax.text(t[0], e_th + 0.01, f"threshold $e_{{th}}$ = {e_th:.3f}", fontsize=7, va="bottom")
        ax.set_xscale("log")
        ax.set_xlabel("time t")
        ax.set_ylabel("energy per spin e(t)")
        ax.set_title(f"pure p = {p} (DMFT, h = {res.h:g})")
    fig.suptitle(f"Energy under η = (1 + t)$^{{-β}}$ at temperature T = {run.temperature:g}", fontsize=9)
    handles, labels = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", title="η = (1 + t)$^{-β}$", fontsize=7.5)
    label_axes(axes.ravel())
    return fig


def fig_energy_vs_beta(run: PureRun, conv: HConvergence):
    """B: energy at the horizon vs beta (left); the grid check h vs h/2 (right)."""
    fig, axes = new_figure(2, width=3.7)
    ax = axes[0, 0]
    c3, c2 = palette(2)
    e_th = exact.threshold_energy(3)
    ax.plot(run.betas, run.p3.energy[:, -1], "o-", color=c3, label="p = 3 (DMFT)")
    ax.plot(run.betas, run.p2.energy[:, -1], "s-", color=c2, label="p = 2 (DMFT)")
    ax.plot(run.betas, run.p2_exact[:, -1], "k:", lw=1, label="p = 2 (exact)")
    for e, c in ((run.p3.energy[:, -1], c3), (run.p2.energy[:, -1], c2)):
        i = int(np.argmin(e))
        ax.plot(run.betas[i], e[i], "*", ms=13, color=c, mec="k", mew=0.6)
    ax.axhline(e_th, color="0.3", ls="--", lw=0.8)
    ax.axvline(1.0, color="0.6", ls="-", lw=0.6)
    ax.text(1.02, e_th + 0.02, "$e_{th}$ (p = 3)", fontsize=7)
    ax.set_xlabel("decay exponent β")
    ax.set_ylabel(f"energy at t = {run.p3.t[-1]:g}")
    ax.set_title("late-time energy vs β (★ = best)")
    ax.legend()

    ax = axes[0, 1]
    cols = palette(len(conv.coarse.labels))
    for k, c in enumerate(cols):
        ax.plot(conv.coarse.t[1:], conv.coarse.energy[k, 1:], color=c,
                label=f"{pretty(conv.coarse.labels[k])}, h = {conv.coarse.h:g}")
        ax.plot(conv.fine.t[1:], conv.fine.energy[k, 1:], color=c, ls="--", label=f"h = {conv.fine.h:g}")
    ax.set_xscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("energy per spin (p = 3)")
    ax.set_title(f"grid check: max |Δe| = {conv.max_diff_energy.max():.3f}")
    ax.legend(fontsize=6.5, ncol=1)
    label_axes(axes.ravel())
    return fig


def fig_spiked_jump(runs: SpikedRuns, betas, threshold: float):
    """C: overlap m(t) under pure decays from the reference start (left); jump time vs beta from both starts (right)."""
    fig, axes = new_figure(2, width=3.6)
    ax = axes[0, 0]
    for b, c, m_ref, m_alt in zip(betas, _beta_colours(betas), runs.ref.m, runs.alt.m):
        ax.plot(runs.ref.t[1:], m_ref[1:], color=c, label=f"β = {b:g}")
        ax.plot(runs.alt.t[1:], m_alt[1:], color=c, lw=0.8, ls="--")
    ax.plot([], [], color="0.3", ls="-", label=f"from $m_0$ = {runs.m0_ref:.0e}")
    ax.plot([], [], color="0.3", lw=0.8, ls="--", label=f"from $m_0$ = {runs.m0_alt:.0e}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(threshold, color="0.4", lw=0.7, ls=":")
    ax.set_xlabel("time t")
    ax.set_ylabel("overlap with the signal m(t)")
    ax.set_title("explore, then jump")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=7)
    ax = axes[0, 1]
    t_end = runs.ref.t[-1]
    for res, m0, c, mk in ((runs.ref, runs.m0_ref, palette(2)[0], "o"), (runs.alt, runs.m0_alt, palette(2)[1], "s")):
        jumps = res.jump_time(threshold)
        ok = np.isfinite(jumps)
        ax.plot(np.asarray(betas)[ok], jumps[ok], mk + "-", color=c, label=f"$m_0$ = {m0:.0e}")
        if (~ok).any():
            ax.plot(np.asarray(betas)[~ok], np.full((~ok).sum(), t_end), "^", color=c, mfc="none")
    ax.plot([], [], "^", color="0.3", mfc="none", label=f"no jump by t = {t_end:g}")
    ax.set_ylim(0, 1.08 * t_end)
    ax.set_xlabel("decay exponent β (from t = 0)")
    ax.set_ylabel(f"jump time (first t with m > {threshold:g})")
    ax.set_title("decay from t = 0 delays the jump")
    ax.legend()
    label_axes(axes.ravel())
    return fig


def fig_protocol(run: ProtocolRun):
    """D: error to the T = 0 minimum vs time (a), after the switch vs t - t_jump (b), and the schedules (c)."""
    res = run.res
    fig, axes = new_figure(3, width=3.4)
    cols = palette(len(res.labels))
    n_pure = 3  # constant and the two pure decays come first, then one switch per protocol beta
    styles = ["-"] + [":"] * 2 + ["-"] * len(run.protocol_betas)
    ax = axes[0, 0]
    for lab, c, ls, err in zip(res.labels, cols, styles, run.error):
        ax.plot(res.t[1:], np.clip(err[1:], 1e-6, None), color=c, ls=ls, label=pretty(lab))
    ts = float(np.nanmin(res.t_switch)) if np.isfinite(res.t_switch).any() else math.nan
    if math.isfinite(ts):
        ax.axvline(ts, color="0.6", lw=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("e(t) − e* (T = 0 minimum)")
    ax.set_title("constant until the jump, then decay")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=7)
    ax = axes[0, 1]
    for k, beta in enumerate(run.protocol_betas):
        i = n_pure + k
        t_sw = float(res.t_switch[i])
        if not math.isfinite(t_sw):
            continue
        after = res.t > t_sw
        dt_after = res.t[after] - t_sw
        ax.plot(dt_after, np.clip(run.error[i, after], 1e-6, None), color=cols[i], label=f"β = {beta:g}")
        if beta <= 1:  # the convex rule's prediction: (t - t_jump)^-beta, anchored at the end of the run
            guide = dt_after[dt_after >= dt_after[-1] / 10]
            ax.plot(guide, run.error[i, -1] * (guide / dt_after[-1]) ** -beta, "k--", lw=0.8)
    ax.plot([], [], "k--", lw=0.8, label="∝ (t − t$_{jump}$)$^{-β}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time since the switch t − t$_{jump}$")
    ax.set_ylabel("e(t) − e*")
    ax.set_title("after the switch")
    ax.legend(fontsize=7)
    ax = axes[0, 2]
    for c, ls, eta in zip(cols, styles, res.eta):
        ax.plot(res.t[1:], eta[1:], color=c, ls=ls)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("learning rate η(t)")
    ax.set_title("the schedules")
    label_axes(axes.ravel())
    return fig


def fig_finite_n(run: FiniteNRun):
    """E: finite-N simulations (mean ± s.e. over samples) on the theory's axes, and the gap-scaled SK runs."""
    fig, axes = new_figure(3, width=3.5)
    cols = palette(3)
    ax = axes[0, 0]
    mu, se = run.sk.mean_sem("energy")
    for k, lab in enumerate(run.sk.labels):
        ax.errorbar(run.sk.t[1:], mu[k, 1:], yerr=se[k, 1:], fmt="o", ms=2.5, color=cols[k],
                    label=f"N = {run.sk.N}, {pretty(lab)}")
        ax.plot(run.sk.t[1:], run.sk_exact[k, 1:], color=cols[k], lw=1)
    ax.plot([], [], "k-", lw=1, label="N → ∞ (exact)")
    ax.set_xscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("energy per spin")
    ax.set_title("SK: simulation vs theory")
    ax.legend(fontsize=6.5)
    ax = axes[0, 1]
    am = np.abs(run.spiked.m)
    m_mu = am.mean(0)
    m_se = am.std(0, ddof=1) / math.sqrt(am.shape[0])
    for k, lab in enumerate(run.spiked.labels):
        ax.errorbar(run.spiked.t, m_mu[k], yerr=m_se[k], fmt="o", ms=2.5, color=cols[k],
                    label=f"N = {run.spiked.N}, {pretty(lab)}")
        ax.plot(run.spiked_dmft.t, run.spiked_dmft.m[k], color=cols[k], lw=1)
    ax.plot([], [], "k-", lw=1, label="DMFT")
    ax.set_xlabel("time t")
    ax.set_ylabel("|overlap| with the spike")
    ax.set_title("spiked, $m_0$ = 1/√N: sim vs DMFT")
    ax.legend(fontsize=6.5)
    ax = axes[0, 2]
    g = run.gap
    ex = g.excess_energy
    k_axis = g.result.t
    for k, lab in enumerate(g.result.labels):
        mean = ex[:, k].mean(0)
        ax.plot(k_axis[1:], mean[1:], color=cols[k], label=pretty(lab.replace("constant", "η₀")))
    n23 = g.result.N ** (2 / 3)
    ax.axvline(n23, color="0.5", ls="--", lw=0.8)
    ax.text(n23 * 1.1, np.nanmax(ex.mean(0)[:, 1:]) * 0.6, "$N^{2/3}$", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("excess energy")
    ax.set_title(f"SK, N = {g.result.N}, η₀ = 1/(3.8 gap)")
    ax.legend(fontsize=6.5)
    label_axes(axes.ravel())
    return fig


def fig_convergence(lad: Ladder, diagnosis: list[dict]):
    """E2: the simulation-theory gap vs N on the ladder (left), and what moves it at fixed N (right)."""
    fig, axes = new_figure(2, width=3.7)
    ax = axes[0, 0]
    cols = palette(2)
    n_grid = np.geomspace(lad.n[0] / 1.3, lad.n[-1] * 1.3, 50)
    for which, sign, c, mk, name in (("sk", 1, cols[0], "o", "SK energy: sim − limit"),
                                     ("spiked", -1, cols[1], "s", f"spiked, $m_0$ = {lad.m0:g}: limit − |m|")):
        mean, sem = lad.summary(which)
        fit = lad.fit(which)
        ax.errorbar(lad.n, sign * mean, yerr=2 * sem, fmt=mk, color=c, ms=4, capsize=2,
                    label=f"{name}\nα = {fit.alpha:.2f} [{fit.lo:.2f}, {fit.hi:.2f}]")
        ax.plot(n_grid, sign * fit(n_grid), color=c, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(lad.n, [f"{n:d}" for n in lad.n])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("system size N")
    ax.set_ylabel("late-window gap (± 2 s.e.)")
    ax.set_title(f"gap to the N → ∞ limit ∝ $N^{{-α}}$ (dt = {lad.dt:g})")
    ax.legend(fontsize=6.5)
    ax = axes[0, 1]
    names = [r["variant"] for r in diagnosis]
    x = np.arange(len(names))
    ax.bar(x, [r["gap"] for r in diagnosis], yerr=[2 * r["gap s.e."] for r in diagnosis], color=cols[0], alpha=0.5,
           capsize=3, error_kw={"ecolor": cols[0], "elinewidth": 1.2},
           label=f"measured, N = {diagnosis[0]['N']} (± 2 s.e.)")
    ax.plot(x, [r["scheme bias"] for r in diagnosis], "kD", ms=5, label="scheme's own bias (N = ∞)")
    ax.plot(x, [r["theory h bias"] for r in diagnosis], "_", color="C3", ms=18, mew=2, label="theory's step-h bias")
    ax.axhline(0.0, color="0.3", lw=0.6)
    values = [v for r in diagnosis for v in (r["gap"] - 2 * r["gap s.e."], r["gap"] + 2 * r["gap s.e."],
                                             r["scheme bias"], r["theory h bias"])]
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = hi - lo
    ax.set_ylim(lo - 0.5 * span, hi + 0.2 * span)  # room for the legend below and the |z| labels above
    for xi, r in zip(x, diagnosis):
        ax.text(xi, hi + 0.05 * span, f"max|z| {r['max |z|']:.1f}", ha="center", va="bottom", fontsize=6.5)
    ax.set_xticks(x, names, rotation=20, fontsize=7.5)
    ax.set_ylabel("sim − continuous theory")
    ax.set_title("SK at constant η: one setting varied")
    ax.legend(fontsize=6.5, loc="lower left")
    label_axes(axes.ravel())
    return fig


def fig_network(res, t_switch: float):
    """F: test error of the two-layer erf student vs time (mean ± s.e. over seeds)."""
    fig, ax = new_figure(width=4.4, height=3.0)
    cols = palette(len(res.labels))
    S = res.eg.shape[1]
    for k, lab in enumerate(res.labels):
        mu = res.eg[k].mean(0)
        ax.plot(res.t, mu, color=cols[k], label=pretty(lab))
        if S > 1:
            se = res.eg[k].std(0, ddof=1) / math.sqrt(S)
            ax.fill_between(res.t, mu - se, mu + se, color=cols[k], alpha=0.2, lw=0)
    ax.axvline(t_switch, color="0.6", lw=0.6, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("time t = SGD steps / D")
    ax.set_ylabel("test error (vs noiseless teacher)")
    ax.set_title(f"two-layer erf teacher-student, {S} seeds")
    ax.legend(fontsize=7)
    return fig
