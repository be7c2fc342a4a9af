"""Figures 1-8 of the feedback-alignment notebook, drawn from :mod:`experiments` results.

Each function takes the result dataclass(es) and returns a matplotlib figure in the
project style. The numbering is ours; docs/papers/dfa_alignment.md says which figure of
the paper (or of the reference code's plotting notebook) each one regenerates.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from paper_code.common.plotting import label_axes, new_figure, palette
from paper_code.dfa.curves import onset_time
from paper_code.dfa.experiments import (
    ALIGNED_LEVEL,
    CNN_MEMBERS,
    NEAR_IDENTITY_COND,
    CNNRun,
    DeepLinearRun,
    LinearZeroInit,
    MLPRun,
    ShallowResult,
)
from paper_code.dfa.feedback import pairwise_cosine

__all__ = [
    "fig_alignment_dynamics",
    "fig_degeneracy_breaking",
    "fig_deep_linear",
    "fig_deep_dynamics",
    "fig_layerwise",
    "fig_label_noise",
    "fig_cnn",
]

DFA_BP_STYLE = {"dfa": ("DFA", "-"), "bp": ("BP", ":")}


def _log_subsample(t: np.ndarray, n: int = 40) -> np.ndarray:
    """Indices of ~n points equally spaced in log t (t > 0), for markers on log axes."""
    pos = np.flatnonzero(t > 0)
    grid = np.geomspace(t[pos[0]], t[-1], n)
    return np.unique(pos[np.searchsorted(t[pos], grid).clip(0, pos.size - 1)])


def fig_alignment_dynamics(res: ShallowResult, metrics: dict):
    """1: e_g(t) and cos(v, b)(t), DFA vs BP (ODE lines, simulation points); seed means, two v(0), and the dip."""
    fig, axes = new_figure(3, width=3.6, height=3.2)
    c_dfa, c_bp, c_alt = palette(3)
    t = res.sim.t
    idx = _log_subsample(t, 50)
    al_sim, al_ode = res.sim.alignment, res.ode.alignment(res.sim.b)
    for m, c in (("dfa", c_dfa), ("bp", c_bp)):
        lab = DFA_BP_STYLE[m][0]
        ax = axes[0, 0]  # error: seed means
        ax.plot(res.ode.t[1:], res.curves("ode", "eg", m)[1:], color=c, label=f"{lab}, ODE")
        ax.plot(t[idx], res.curves("sim", "eg", m)[idx], "o", ms=3.2, mfc="none", color=c,
                label=f"{lab}, SGD (N = {res.sim.setup.N})")
        ax = axes[0, 1]  # alignment: every seed
        sel = np.flatnonzero(res.sim.dfa if m == "dfa" else ~res.sim.dfa)
        for i, e in enumerate(sel):
            ax.plot(res.ode.t[1:], al_ode[e, 1:], color=c, lw=1.0, label=f"{lab}, ODE" if i == 0 else None)
            ax.plot(t[idx], al_sim[e, idx], "o", ms=2.6, mfc="none", mew=0.7, color=c,
                    label=f"{lab}, SGD" if i == 0 else None)
    t_al, t_alt = metrics["shallow_dfa_alignment_time"], metrics["shallow_dfa_alignment_time_v0_like_w"]
    ax = axes[0, 2]  # DFA seed means: the two initialisations
    ax.plot(t[idx], res.curves("sim", "alignment", "dfa")[idx], "o", ms=3, mfc="none", color=c_dfa,
            label="SGD, v(0) = 0")
    ax.plot(res.ode.t[1:], res.curves("ode", "alignment", "dfa")[1:], color=c_dfa, label="ODE, v(0) = 0")
    ax.plot(res.ode_v0_like_w.t[1:], res.curves("ode_v0_like_w", "alignment", "dfa")[1:], color=c_alt, ls="--",
            label=f"ODE, v(0) of std {res.v0_like_w_std:g}")
    ax.axvline(t_al, color=c_dfa, lw=0.8, ls=":")
    ax.axvline(t_alt, color=c_alt, lw=0.8, ls=":")
    ax.set_ylim(-0.3, 1.05)
    ax.set_ylabel("DFA alignment cos(v, b), seed mean")
    ax.set_title(f"aligned (> {ALIGNED_LEVEL:g} for good) at t = {t_al:.2g} from v(0) = 0,\n"
                 f"at t = {t_alt:.2g} from a random v(0) (dotted lines)", fontsize=7.5)
    ax.legend(fontsize=6.5, loc="lower left", bbox_to_anchor=(0.46, 0.43))
    ins = ax.inset_axes([0.52, 0.07, 0.45, 0.24])
    late = t >= t_al
    ins.plot(t[late], res.curves("sim", "alignment", "dfa")[late], color=c_dfa, lw=1)
    ins.set_xscale("log")
    ins.tick_params(labelsize=5.5)
    ins.set_title(f"the dip: down to {metrics['shallow_dfa_min_alignment_after_peak']:.3f}", fontsize=6)
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("time t = SGD steps / N")
    for ax in axes[0, :2]:
        ax.axvline(t_al, color=c_dfa, lw=0.8, ls="--")
        ax.axvline(metrics["shallow_dfa_error_drop_time"], color="0.4", lw=0.8, ls="-.")
    ax = axes[0, 0]
    ax.set_yscale("log")
    ax.set_ylabel("generalisation error $\\epsilon_g$ (seed mean)")
    ax.set_title(f"K = {res.sim.setup.K} student, M = {res.sim.setup.M} teacher, erf, η = {res.sim.setup.lr:g}",
                 fontsize=8)
    ax.plot([], [], color=c_dfa, lw=0.8, ls="--", label="DFA aligned")
    ax.plot([], [], color="0.4", lw=0.8, ls="-.", label="DFA $\\epsilon_g$ < 10% of $\\epsilon_g(0)$")
    ax.legend(fontsize=6.5, loc="lower left")
    ax = axes[0, 1]
    ax.set_ylabel("alignment cos(v, b)")
    ax.set_ylim(-1.02, 1.05)
    ax.set_title("each seed; BP's v is noise-driven while it is tiny", fontsize=7.5)
    ax.legend(fontsize=6.5, loc="lower left", ncol=2)
    label_axes(axes.ravel())
    return fig


def fig_degeneracy_breaking(res: ShallowResult, lin: LinearZeroInit):
    """2: final second layers vs b, their cosine between seeds over time, and the exact linear case."""
    fig, axes = new_figure(3, width=3.5, height=3.0)
    c_dfa, c_bp = palette(2)
    sim = res.sim
    b = sim.b / np.linalg.norm(sim.b)
    ax = axes[0, 0]
    vf = sim.v[:, -1] / np.linalg.norm(sim.v[:, -1], axis=-1, keepdims=True)
    for m, c, mk in (("dfa", c_dfa, "o"), ("bp", c_bp, "s")):
        sel = sim.dfa if m == "dfa" else ~sim.dfa
        for i, e in enumerate(np.flatnonzero(sel)):
            ax.plot(b, vf[e], mk, color=c, mfc=c if m == "dfa" else "none", ms=5, alpha=0.85,
                    label=f"{DFA_BP_STYLE[m][0]} ({sel.sum()} seeds)" if i == 0 else None)
    ax.plot([-1, 1], [-1, 1], color="0.5", lw=0.7, ls="--")
    ax.set_xlabel("feedback $b_k / |b|$")
    ax.set_ylabel("final $v_k / |v|$")
    ax.set_title(f"shallow, K = {sim.setup.K} > M = {sim.setup.M}: unit k of each seed", fontsize=8)
    ax.legend(fontsize=7)

    ax = axes[0, 1]
    for m, c in (("dfa", c_dfa), ("bp", c_bp)):
        sel = sim.dfa if m == "dfa" else ~sim.dfa
        pc = [pairwise_cosine(torch.from_numpy(sim.v[sel, i])) for i in range(sim.t.size)]
        lab, ls = DFA_BP_STYLE[m]
        ax.plot(sim.t[1:], pc[1:], color=c, ls=ls, label=f"{lab}: {pc[-1]:.2f} at the end")
    ax.set_xscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("mean cosine of v between seeds")
    ax.set_ylim(-1.02, 1.05)
    ax.set_title("same b, different initialisations", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")

    ax = axes[0, 2]
    r = lin.run
    mis = np.clip(1.0 - lin.dfa_alignment, 1e-18, None)
    for i, row in enumerate(mis):
        ax.plot(r.t[1:], row, color=c_dfa, lw=1.2, label="DFA: 1 − cos(v, b) (0 drawn at 1e-18)" if i == 0 else None)
    norm_bp = np.linalg.norm(r.v[~r.dfa], axis=-1).max(0)
    ax.plot(r.t[1:], np.clip(norm_bp[1:], 2e-20, None), color=c_bp, ls=":", lw=2,
            label="BP: |v| = 0 exactly (drawn at 2e-20)")
    ax.axhline(np.finfo(float).eps, color="0.5", lw=0.7, ls="--")
    ax.text(r.t[1], np.finfo(float).eps * 3, "float64 eps", fontsize=7, color="0.4")
    ax.set_yscale("log")
    ax.set_ylim(1e-20, 10)
    ax.set_xlabel("time t")
    ax.set_title(f"linear net from zero weights (N = {r.setup.N}): v ∥ b", fontsize=8)
    ax.legend(fontsize=6.5, loc="center right")
    label_axes(axes.ravel())
    return fig


def _heatmap(ax, values: np.ndarray, alphas, betas, title: str, cmap: str = "viridis"):
    im = ax.imshow(values, origin="lower", cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(betas)), [f"{b:g}" for b in betas])
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
    ax.set_xlabel("β (1 − correlation of the targets)")
    ax.set_ylabel("α (std of target 2)")
    ax.grid(False)
    for i in range(len(alphas)):
        for j in range(len(betas)):
            ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                    color="w" if values[i, j] < values.mean() else "k")
    ax.set_title(title)
    plt.colorbar(im, ax=ax, shrink=0.85)


def fig_deep_linear(run: DeepLinearRun, metrics: dict):
    """3: alignment over the alpha-beta grid, vs the conditioning of M_1, and over epochs."""
    fig, axes = new_figure(2, 2, width=4.2, height=3.3)
    alphas, betas = np.unique(run.grid[:, 0]), np.unique(run.grid[:, 1])
    shape = (len(alphas), len(betas))
    ep = run.train.epochs[-1]
    _heatmap(axes[0, 0], np.reshape(metrics["lin_final_weight_alignment"], shape), alphas, betas,
             f"weight alignment at epoch {ep:g}")
    _heatmap(axes[0, 1], np.reshape(metrics["lin_final_grad_alignment"], shape), alphas, betas,
             f"gradient alignment at epoch {ep:g}")
    ax = axes[1, 0]
    ga1 = run.train.grad_alignment[:, -1, 0]
    sc = ax.scatter(run.cond_bracket[0], ga1, c=np.log10(run.cond_target[run.point_of]), cmap="magma", s=18)
    plt.colorbar(sc, ax=ax, shrink=0.85, label="log10 cond(Σ) of the targets")
    ax.axvspan(1.0, NEAR_IDENTITY_COND, color="0.9", zorder=0)
    ax.set_xscale("log")
    ax.set_xlabel("cond($M_1$), $M_1 = A_2^T (B_2^T B_2) A_3^T$")
    ax.set_ylabel("layer-1 gradient alignment")
    ax.set_title(f"Spearman ρ = {metrics['lin_spearman_cond_bracket_vs_grad_alignment_near_identity']:.2f} "
                 f"for cond ≤ {NEAR_IDENTITY_COND:g} (shaded), "
                 f"{metrics['lin_spearman_cond_bracket_vs_grad_alignment_all']:.2f} for all;\n"
                 f"$W_l = B_l A_l B_{{l-1}}^T$ to {metrics['lin_max_factorisation_residual']:.0e} in every net",
                 fontsize=7)
    ax = axes[1, 1]
    corners = [(1.0, 1.0), (1.0, min(betas)), (min(alphas), 1.0), (min(alphas), min(betas))]
    cols = palette(len(corners))
    for (a, b), c in zip(corners, cols):
        g = int(np.flatnonzero((run.grid[:, 0] == a) & (run.grid[:, 1] == b))[0])
        sel = run.point_of == g
        cond = run.cond_target[g]
        ax.plot(run.train.epochs[1:], run.train.weight_alignment_total[sel, 1:].mean(0), color=c,
                label=f"α = {a:g}, β = {b:g} (cond Σ = {cond:.0f})")
    ax.set_xscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("weight alignment (total)")
    ax.set_title(f"ρ(cond Σ, weight alignment) = {metrics['lin_spearman_cond_target_vs_weight_alignment']:.2f}")
    ax.legend(fontsize=7)
    label_axes(axes.ravel())
    return fig


def fig_deep_dynamics(run: MLPRun):
    """4 (MNIST) and 8 (Fashion-MNIST): train error, weight / gradient alignment and cross-seed cosine, DFA vs BP."""
    fig, axes = new_figure(4, width=3.0, height=2.8)
    tr = run.train
    ep = tr.epochs
    cols = dict(zip(("dfa", "bp"), palette(2)))
    for m in ("dfa", "bp"):
        lab, ls = DFA_BP_STYLE[m]
        c = cols[m]
        axes[0, 0].plot(ep[1:], run.mean("train_error", m)[1:], color=c, ls=ls, label=lab)
        axes[0, 1].plot(ep[1:], run.mean("weight_alignment_total", m)[1:], color=c, ls=ls, label=lab)
        axes[0, 2].plot(ep[1:], run.mean("grad_alignment_total", m)[1:], color=c, ls=ls, label=lab)
        axes[0, 3].plot(ep[1:], tr.cross_seed[m][1:], color=c, ls=ls, label=lab)
    titles = ("train error", "weight alignment", "gradient alignment", "cosine between seeds")
    for ax, ttl in zip(axes[0], titles):
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ttl)
        ax.legend(fontsize=7)
    n_s = len(run.groups["dfa"])
    axes[0, 0].set_title(f"{run.data_name}\nmean of {n_s} seeds", fontsize=7.5)
    axes[0, 1].set_title("BP nets measured with the same $B_l$", fontsize=7.5)
    axes[0, 3].set_title("degeneracy breaking", fontsize=8)
    label_axes(axes.ravel())
    return fig


def fig_layerwise(run: MLPRun):
    """5: layer-wise gradient and weight alignment of the DFA nets over epochs (seed means)."""
    fig, axes = new_figure(2, width=4.0, height=3.0)
    tr = run.train
    ep = tr.epochs
    ga = run.mean("grad_alignment", "dfa")  # (n, L-1)
    wa = run.mean("weight_alignment", "dfa")
    n_h = ga.shape[1]
    cols = palette(max(n_h, 3))
    ax = axes[0, 0]
    for l in range(n_h):
        ax.plot(ep[1:], ga[1:, l], color=cols[l], label=f"hidden layer {l + 1}")
        t_on = onset_time(ep[1:], ga[1:, l])
        y_on = np.interp(np.log(t_on), np.log(ep[1:]), ga[1:, l])
        ax.plot([t_on], [y_on], "v", color=cols[l], ms=7, mec="k", mew=0.5)
        i_pk = int(np.argmax(ga[:, l]))
        ax.plot([ep[i_pk]], [ga[i_pk, l]], "^", color=cols[l], ms=7, mec="k", mew=0.5)
    ax.set_title("▼ onset (half-way to the maximum), ▲ peak", fontsize=8)
    ax.set_ylabel("gradient alignment")
    ax = axes[0, 1]
    for l in range(n_h):
        if l < n_h - 1:
            lab = f"W{l + 2} vs $B_{{{l + 2}}} B_{{{l + 1}}}^T$"
        else:
            lab = f"W{l + 2} (output) vs $B_{{{l + 1}}}^T$"
        ax.plot(ep[1:], wa[1:, l], color=cols[l], label=lab)
    ax.set_title("weight alignment per layer", fontsize=8)
    ax.set_ylabel("weight alignment")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    label_axes(axes.ravel())
    return fig


def fig_label_noise(run: MLPRun):
    """6: train error, gradient alignment and memorisation of the corrupted labels per noise level; final alignments."""
    fig, axes = new_figure(4, width=3.2, height=2.9)
    tr = run.train
    ep = tr.epochs
    cmap = plt.get_cmap("viridis")
    ps = run.noise
    for k, p in enumerate(ps):
        c = cmap(0.85 * k / max(1, len(ps) - 1))
        grp = run.noise_group(p)
        axes[0, 0].plot(ep[1:], run.mean("train_error", grp)[1:], color=c, label=f"p = {p:g}")
        ga = run.mean("grad_alignment_total", grp)
        axes[0, 1].plot(ep[1:], ga[1:], color=c, label=f"p = {p:g}")
        i_pk = int(np.argmax(ga))
        axes[0, 1].plot([ep[i_pk]], [ga[i_pk]], "^", color=c, ms=6, mec="k", mew=0.5)
        if p > 0:
            memorised = 1.0 - run.mean("corrupt_error", grp)
            axes[0, 2].plot(ep[1:], memorised[1:], color=c, label=f"p = {p:g}")
            axes[0, 2].axvline(ep[i_pk], color=c, lw=0.8, ls=":")
    for ax, ttl in zip(axes[0, :3], ("train error (noisy labels)", "gradient alignment (▲ peak)",
                                     "corrupted labels fitted")):
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ttl)
    axes[0, 0].legend(fontsize=7)
    axes[0, 2].set_ylim(-0.02, 1.02)
    axes[0, 2].set_title("memorisation (dotted: alignment peak)", fontsize=8)
    ax = axes[0, 3]
    wa = [tr.weight_alignment_total[run.groups[run.noise_group(p)], -1].mean() for p in ps]
    ga = [tr.grad_alignment_total[run.groups[run.noise_group(p)], -1].mean() for p in ps]
    c1, c2 = palette(2)
    ax.plot(ps, ga, "o-", color=c1, label="gradient alignment")
    ax.plot(ps, wa, "s--", color=c2, label="weight alignment")
    ax.set_xlabel("label noise p")
    ax.set_ylabel(f"alignment at epoch {ep[-1]:g}")
    ax.set_title("final alignment vs noise")
    ax.legend(fontsize=7)
    label_axes(axes.ravel())
    return fig


def fig_cnn(cnn: CNNRun, mlp: MLPRun):
    """7: a small CNN trained by DFA with random feedback does not align (vs the MLP); feedback aligned to the
    convolutions does; errors against BP."""
    fig, axes = new_figure(2, width=4.0, height=3.0)
    tr = cnn.train
    ep = tr.epochs
    c_dfa, c_bp, c_al = palette(3)
    style = {"dfa_random": (c_dfa, "-", "DFA, random feedback"), "dfa_aligned": (c_al, "--", "DFA, aligned feedback"),
             "bp": (c_bp, ":", "BP")}
    ax = axes[0, 0]
    for name in CNN_MEMBERS:
        e = cnn.member(name)
        c, ls, lab = style[name]
        ax.plot(ep[1:], tr.train_error[e, 1:], color=c, ls=ls, label=f"{lab} (train)")
        ax.plot(ep[-1], tr.test_error[e, -1], "o", color=c, label=f"test {tr.test_error[e, -1]:.3f}")
    ax.set_yscale("log")
    ax.set_ylabel("error")
    ax.legend(fontsize=6.5)
    n_conv = tr.grad_alignment.shape[-1]
    ax.set_title(f"{n_conv} conv layers (3x3) + dense output", fontsize=8)
    ax = axes[0, 1]
    for name in ("dfa_random", "dfa_aligned"):
        e = cnn.member(name)
        c, _, lab = style[name]
        for l, ls in zip(range(n_conv), ("-", "--", "-.", ":")):
            ax.plot(ep[1:], tr.grad_alignment[e, 1:, l], color=c, ls=ls, label=f"{lab}, conv {l + 1}")
    mep = mlp.train.epochs
    ga = mlp.mean("grad_alignment", "dfa").mean(-1)
    keep = (mep > 0) & (mep <= ep[-1] * 1.0001)
    ax.plot(mep[keep], ga[keep], color="0.3", lw=2, alpha=0.6, label="MLP hidden layers (DFA), mean")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("gradient alignment")
    ax.set_title("random feedback cannot align convolutions;\nfeedback from their singular vectors can", fontsize=8)
    ax.legend(fontsize=6.5)
    for a in axes[0]:
        a.set_xscale("log")
        a.set_xlabel("epoch")
    label_axes(axes.ravel())
    return fig
