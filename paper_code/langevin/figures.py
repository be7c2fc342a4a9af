"""Figures A-F of the learning-rate-schedule paper, drawn from :mod:`experiments` results.

Each function takes the result dataclass(es) and returns a matplotlib figure in
the project style. The figure letters follow the brief's table (the paper's own
numbering could not be verified).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from paper_code.common.plotting import label_axes, new_figure, palette
from paper_code.langevin import exact
from paper_code.langevin.dmft import DMFTResult, HConvergence
from paper_code.langevin.experiments import FiniteNRun, ProtocolRun, PureRun

__all__ = ["fig_energy_vs_time", "fig_energy_vs_beta", "fig_spiked_jump", "fig_protocol", "fig_finite_n", "fig_network"]


def _beta_colours(betas) -> list:
    cmap = plt.get_cmap("viridis")
    lo, hi = min(betas), max(betas)
    return [cmap(0.9 * (b - lo) / (hi - lo if hi > lo else 1.0)) for b in betas]


def fig_energy_vs_time(run: PureRun):
    """A: energy per spin vs time for eta = (1+t)^-beta; p = 3 (left) and p = 2 (right)."""
    fig, axes = new_figure(2, width=3.7)
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
        ax.set_title(f"pure p = {p}, T = {run.temperature:g} (DMFT, h = {res.h:g})")
    axes[0, 1].legend(ncol=2, fontsize=7)
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
        ax.plot(conv.coarse.t[1:], conv.coarse.energy[k, 1:], color=c, label=f"{conv.coarse.labels[k]}, h = {conv.coarse.h:g}")
        ax.plot(conv.fine.t[1:], conv.fine.energy[k, 1:], color=c, ls="--", label=f"h = {conv.fine.h:g}")
    ax.set_xscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("energy per spin (p = 3)")
    ax.set_title(f"grid check: max |Δe| = {conv.max_diff_energy.max():.3f}")
    ax.legend(fontsize=6.5, ncol=1)
    label_axes(axes.ravel())
    return fig


def fig_spiked_jump(res: DMFTResult, betas, threshold: float):
    """C: overlap m(t) under pure decays (left) and the jump time vs beta (right)."""
    fig, axes = new_figure(2, width=3.7)
    ax = axes[0, 0]
    for b, c, m in zip(betas, _beta_colours(betas), res.m):
        ax.plot(res.t[1:], m[1:], color=c, label=f"β = {b:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(threshold, color="0.4", lw=0.7, ls="--")
    ax.set_xlabel("time t")
    ax.set_ylabel("overlap with the signal m(t)")
    ax.set_title("spiked model: explore, then jump")
    ax.legend(ncol=2, fontsize=6.5)
    ax = axes[0, 1]
    jumps = res.jump_time(threshold)
    ok = np.isfinite(jumps)
    ax.plot(np.asarray(betas)[ok], jumps[ok], "o-", color=palette(1)[0], label=f"first t with m > {threshold:g}")
    if (~ok).any():
        ax.plot(np.asarray(betas)[~ok], np.full((~ok).sum(), res.t[-1]), "^", color="C3", label=f"no jump by t = {res.t[-1]:g}")
    ax.set_yscale("log")
    ax.set_xlabel("decay exponent β (from t = 0)")
    ax.set_ylabel("jump time")
    ax.yaxis.set_major_formatter(plt.ScalarFormatter())
    ax.yaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_title("decay from t = 0 delays the jump")
    ax.legend()
    label_axes(axes.ravel())
    return fig


def fig_protocol(run: ProtocolRun):
    """D: error to the T = 0 minimum vs time (log-log) for pure decays and constant-then-decay."""
    res = run.res
    fig, axes = new_figure(2, width=3.8)
    ax = axes[0, 0]
    cols = palette(len(res.labels))
    styles = ["-"] + [":"] * 2 + ["-"] * len(run.protocol_betas)
    for lab, c, ls, err in zip(res.labels, cols, styles, run.error):
        ax.plot(res.t[1:], np.clip(err[1:], 1e-6, None), color=c, ls=ls, label=lab)
    i_one = 3 + run.protocol_betas.index(1.0)  # constant, two pure decays, then the switches
    ts = float(res.t_switch[i_one])
    if math.isfinite(ts):
        tt = np.geomspace(ts + 5, res.t[-1], 20)
        anchor = float(np.interp(tt[0], res.t, run.error[i_one]))
        ax.plot(tt, 2 * anchor * (tt - ts) ** -1.0 * (tt[0] - ts), "k--", lw=0.8, label="∝ (t − t_jump)$^{-1}$")
        ax.axvline(ts, color="0.6", lw=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("e(t) − e* (T = 0 minimum)")
    ax.set_title("constant until the jump, then decay")
    ax.legend(fontsize=6.5)
    ax = axes[0, 1]
    for lab, c, ls, eta in zip(res.labels, cols, styles, res.eta):
        ax.plot(res.t[1:], eta[1:], color=c, ls=ls, label=lab)
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
        ax.errorbar(run.sk.t[1:], mu[k, 1:], yerr=se[k, 1:], fmt="o", ms=2.5, color=cols[k], label=f"N = {run.sk.N}, {lab}")
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
        ax.errorbar(run.spiked.t, m_mu[k], yerr=m_se[k], fmt="o", ms=2.5, color=cols[k], label=f"N = {run.spiked.N}, {lab}")
        ax.plot(run.spiked_dmft.t, run.spiked_dmft.m[k], color=cols[k], lw=1)
    ax.plot([], [], "k-", lw=1, label="DMFT")
    ax.set_xlabel("time t")
    ax.set_ylabel("|overlap| with the spike")
    ax.set_title("spiked matrix: simulation vs DMFT")
    ax.legend(fontsize=6.5)
    ax = axes[0, 2]
    g = run.gap
    ex = g.excess_energy
    k_axis = g.result.t
    for k, lab in enumerate(g.result.labels):
        mean = ex[:, k].mean(0)
        ax.plot(k_axis[1:], mean[1:], color=cols[k], label=lab.replace("constant", "η0"))
    n23 = g.result.N ** (2 / 3)
    ax.axvline(n23, color="0.5", ls="--", lw=0.8)
    ax.text(n23 * 1.1, np.nanmax(ex.mean(0)[:, 1:]) * 0.6, "$N^{2/3}$", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("excess energy")
    ax.set_title(f"SK, N = {g.result.N}, η0 = 1/(3.8 gap)")
    ax.legend(fontsize=6.5)
    label_axes(axes.ravel())
    return fig


def fig_network(res, t_switch: float):
    """F: test error of the two-layer erf student vs time (mean ± s.e. over seeds)."""
    fig, ax = new_figure(width=4.4, height=3.0)
    cols = palette(len(res.labels))
    S = res.eg.shape[1]
    for k, lab in enumerate(res.labels):
        mu = res.eg[k].mean(0)
        ax.plot(res.t, mu, color=cols[k], label=lab)
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
