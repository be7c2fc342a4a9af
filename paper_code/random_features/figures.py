"""Figures of the generalization-phase-space paper, drawn from :mod:`experiments` results.

Each function takes the result dataclass(es) and returns a matplotlib figure in the
project style. Figure ids are ours (docs/papers/random_features_phase_space.md, section 4;
the paper's own numbering is not used): PS phase-space maps, ASYM their N <-> P
asymmetry, SW / PW sample-wise / parameter-wise curves, DD double-descent cuts, RPHI
the number of salient directions, ORD order parameters, FS the finite-size gap, MU0
centred vs uncentred ReLU features, NN the network check on images.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, TwoSlopeNorm

from paper_code.common.plotting import label_axes, new_figure, palette, use_style

from .asymmetry import asymmetry_ratio, common_range, swap_log_ratio
from .experiments import (
    CentredRun,
    CurvesRun,
    DDRun,
    FiniteSizeRun,
    NetworkRun,
    PhaseSpaceRun,
    RphiRun,
    network_params,
    network_swap_ratio,
)

__all__ = [
    "fig_phase_space",
    "fig_asymmetry",
    "fig_curves",
    "fig_double_descent",
    "fig_rphi",
    "fig_order_parameters",
    "fig_network",
    "fig_finite_size",
    "fig_centred",
]

_TASK_LABEL = {"regression": "regression", "classification": "classification"}


def _structure_label(r_x: float, r_phi: float, r_beta: float) -> str:
    if r_x == 1.0:
        return "isotropic"
    kind = "salient" if r_x > 1 else "weak salient block"
    return f"$r_x$ = {r_x:g} ({kind}), $r_\\phi$ = {r_phi:g}, $r_\\beta$ = {r_beta:g}"


def _edges(logv: np.ndarray) -> np.ndarray:
    step = np.diff(logv)
    return np.concatenate([[logv[0] - step[0] / 2], logv[:-1] + step / 2, [logv[-1] + step[-1] / 2]])


def _guides(ax, lo: float, hi: float) -> None:
    ax.plot([lo, hi], [lo, hi], color="w", lw=1.0, ls="--")  # N = P
    ax.axvline(0.0, color="w", lw=1.0, ls=":")  # N = D
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)


def fig_phase_space(run: PhaseSpaceRun, task: str, activation: str):
    """PS: test error over (log10 N/D, log10 P/D) for one activation; rows: noise levels, columns: input structure."""
    err = run.errors(task, activation)
    R, Z = len(run.r_x_values), len(run.noises)
    fig, axes = new_figure(R, Z, width=3.0, height=2.7)
    lg = np.log10(run.psi)
    e = _edges(lg)
    if task == "classification":
        norm, cmap, clabel = plt.Normalize(0.0, 0.5), "viridis", "test error P[sign(ŷ) ≠ sign(u)]"
    else:
        lo = max(float(err.min()), 1e-4)
        norm, cmap, clabel = LogNorm(lo, max(float(err.max()), 1.0)), "viridis", "test error ½E(ŷ − u)²"
    mesh = None
    for j, z in enumerate(run.noises):
        for i, r_x in enumerate(run.r_x_values):
            ax = axes[j, i]
            mesh = ax.pcolormesh(e, e, np.clip(err[i, j], norm.vmin, None), norm=norm, cmap=cmap, shading="flat",
                                 rasterized=True)
            levels = [0.05, 0.1, 0.2, 0.3, 0.4] if task == "classification" else [1e-3, 1e-2, 1e-1]
            ax.contour(lg, lg, err[i, j], levels=levels, colors="w", linewidths=0.6, alpha=0.7)
            _guides(ax, e[0], e[-1])
            a = asymmetry_ratio(err[i, j])
            noise_name = "Δ" if task == "regression" else "δ"
            title = "isotropic" if r_x == 1.0 else f"$r_x$ = {r_x:g}"
            ax.set_title(f"{title}, {noise_name} = {z:g}\nswap ratio {a:.2f}")
            ax.set_xlabel("log$_{10}$ N/D (data)")
            ax.set_ylabel("log$_{10}$ P/D (parameters)")
    fig.colorbar(mesh, ax=axes, shrink=0.8,
                 label=clabel + ("\ncontours 0.05, 0.1, 0.2, 0.3, 0.4" if task == "classification"
                                 else "\ncontours 1e-3, 1e-2, 0.1"))
    fig.suptitle(
        f"Phase space, {_TASK_LABEL[task]} ({activation} features, λ = {run.ridge:g}; salient: "
        f"$r_\\phi$ = {run.r_phi:g}, $r_\\beta$ = {run.r_beta:g}). Dashed: N = P; dotted: N = D",
        fontsize=9.5,
    )
    label_axes(axes.ravel())
    return fig


def fig_asymmetry(run: PhaseSpaceRun, activation: str | None = None):
    """ASYM: log10 E(N=a,P=b)/E(N=b,P=a) on the parameter-rich half (classification, one activation)
    and the swap ratios of every task and activation."""
    activation = activation or run.activations[0]
    iso, clean = run.r_x_values.index(1.0), run.noises.index(0.0)
    noisy = next(j for j, z in enumerate(run.noises) if z > 0)
    strong, weak = int(np.argmax(run.r_x_values)), int(np.argmin(run.r_x_values))
    panels = [
        (iso, clean, "isotropic, δ = 0"),
        (iso, noisy, f"isotropic, δ = {run.noises[noisy]:g}"),
        (strong, clean, f"$r_x$ = {run.r_x_values[strong]:g}, δ = 0"),
        (weak, clean, f"$r_x$ = {run.r_x_values[weak]:g}, δ = 0"),
    ]
    use_style()
    fig = plt.figure(figsize=(11.5, 6.2), layout="constrained")
    axd = fig.subplot_mosaic([["A", "B", "E"], ["C", "D", "E"]], width_ratios=[1, 1, 1.2])
    axes = [axd[k] for k in "ABCDE"]
    e = _edges(np.log10(run.psi))
    err = run.errors("classification", activation)
    norm = TwoSlopeNorm(0.0, -0.5, 0.5)
    mesh = None
    for ax, (i, j, title) in zip(axes, panels):
        lr = swap_log_ratio(err[i, j])
        lr = np.where(np.tril(np.ones_like(lr, dtype=bool), k=-1), lr, np.nan)  # P > N half only
        mesh = ax.pcolormesh(e, e, np.clip(lr, -0.5, 0.5), cmap="RdBu_r", norm=norm, shading="flat", rasterized=True)
        ax.plot([e[0], e[-1]], [e[0], e[-1]], color="k", lw=0.8, ls="--")
        ax.set_xlim(e[0], e[-1])
        ax.set_ylim(e[0], e[-1])
        ax.set_title(f"{title} ({activation})\nswap ratio {asymmetry_ratio(err[i, j]):.2f}")
        ax.set_xlabel("log$_{10}$ N/D")
        ax.set_ylabel("log$_{10}$ P/D")
    fig.colorbar(mesh, ax=axes[:4], shrink=0.85, label="log$_{10}$ E(N=a, P=b) / E(N=b, P=a)\n(red: more data wins)")
    ax = axes[4]
    combos = [(task, act) for task in ("classification", "regression") for act in run.activations]
    cols = palette(len(combos))
    width = 0.8 / len(combos)
    for k, (task, act) in enumerate(combos):
        vals = [asymmetry_ratio(run.errors(task, act)[i, j]) for i, j, _ in panels]
        x = np.arange(len(panels)) + (k - (len(combos) - 1) / 2) * width
        bars = ax.bar(x, vals, width=width, color=cols[k], label=f"{task}, {act}")
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1, rotation=90)
    names = ["iso", "iso+noise", f"r_x={run.r_x_values[strong]:g}", f"r_x={run.r_x_values[weak]:g}"]
    ax.set_xticks(np.arange(len(panels)), names, rotation=30, fontsize=8)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("swap ratio (> 1: more data wins)")
    ax.set_title("swap ratio: geometric mean over the grid\n(pairs of points with equal budget N·P)")
    lo = min(min(p.get_height() for p in ax.patches), 0.5)
    ax.set_ylim(lo / 1.3, 4.0)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    label_axes(axes)
    return fig


def fig_curves(run: CurvesRun, direction: str):
    """SW (direction="sample", P/D = 1) or PW ("parameter", N/D = 1): theory lines, simulation points ± s.e."""
    tasks = ("regression", "classification")
    noises = sorted({c.noise for c in run.curves})
    structures = list(dict.fromkeys(c.structure for c in run.curves))
    fig, axes = new_figure(len(noises), len(tasks), width=3.6, height=2.9)
    cols = palette(len(structures))
    for r, task in enumerate(tasks):
        for q, noise in enumerate(noises):
            ax = axes[r, q]
            for s, name in enumerate(structures):
                c = run.get(task, noise, name, direction)
                ax.plot(c.psi, c.theory.test_error, color=cols[s], label=name)
                mu, se = c.sim.mean_sem()
                ax.errorbar(c.sim_psi, mu, yerr=se, fmt="o", ms=3, color=cols[s], mec="k", mew=0.4, elinewidth=0.8)
            ax.axvline(1.0, color="0.5", lw=0.7, ls="--")
            ax.set_xscale("log")
            if task == "regression":
                ax.set_yscale("log")
            xlab = "N/D (P/D = 1)" if direction == "sample" else "P/D (N/D = 1)"
            ax.set_xlabel(xlab)
            ax.set_ylabel("test error")
            lo, hi = c.sim_psi.min() / 3, c.sim_psi.max() * 3
            ax.set_xlim(lo, hi)
            nz = "Δ" if task == "regression" else "δ"
            act = c.theory.activation
            ax.set_title(f"{task} ({act}), {nz} = {noise:g}")
    axes[0, 0].plot([], [], "ko", ms=3, label=f"simulation, D = {run.D} (mean ± s.e.)")
    axes[0, 0].plot([], [], "k-", label="theory (D → ∞)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    what = "Sample-wise" if direction == "sample" else "Parameter-wise"
    fig.suptitle(f"{what} curves, λ = {run.ridge:g}; dashed: N = P", fontsize=9.5)
    label_axes(axes.ravel())
    return fig


def fig_double_descent(run: DDRun):
    """DD: test error and train loss vs N/D at fixed P/D, with the interpolation threshold N = P."""
    fig, axes = new_figure(2, 1, width=3.8, height=2.9)
    cols = palette(len(run.psi1_values))
    for k, p in enumerate(run.psi1_values):
        axes[0, 0].plot(run.psi2, run.test_error[k], color=cols[k], label=f"P/D = {p:g}")
        axes[0, 0].axvline(p, color=cols[k], lw=0.8, ls="--")
        axes[0, 1].plot(run.psi2, run.train_loss[k], color=cols[k], label=f"P/D = {p:g}")
        axes[0, 1].axvline(p, color=cols[k], lw=0.8, ls="--")
    for ax, name in zip(axes[0], ("test error ½E(ŷ − u)²", "train loss ½ mean (y − ŷ)²")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N/D")
        ax.set_ylabel(name)
    axes[0, 0].set_title(f"double descent: peak at N = P (dashed)\nisotropic regression, {run.activation}, "
                         f"λ = {run.ridge:g}, Δ = {run.noise:g}")
    axes[0, 1].set_title("train loss vanishes for N < P (interpolation)")
    axes[0, 0].legend()
    label_axes(axes.ravel())
    return fig


def fig_rphi(run: RphiRun):
    """RPHI: test error vs N/D at P/D = psi1 for several r_phi (lines) and r_x (columns); dashed at 1/r_phi."""
    tasks = ("regression", "classification")
    fig, axes = new_figure(len(run.r_x_values), len(tasks), width=3.2, height=2.7)
    cols = palette(len(run.r_phi_values))
    for r, task in enumerate(tasks):
        for i, r_x in enumerate(run.r_x_values):
            ax = axes[r, i]
            for j, rp in enumerate(run.r_phi_values):
                ax.plot(run.psi2, run.test_error[task][i, j], color=cols[j], label=f"$r_\\phi$ = {rp:g}")
                ax.axvline(1.0 / rp, color=cols[j], lw=0.8, ls="--")
            ax.set_xscale("log")
            if task == "regression":
                ax.set_yscale("log")
            ax.set_xlabel(f"N/D (P/D = {run.psi1:g})")
            ax.set_ylabel("test error")
            ax.set_title(f"{task}, $r_x$ = {r_x:g}, $r_\\beta$ = {run.r_beta:g}")
    axes[0, 0].legend(fontsize=7, title="dashed: N/D = 1/$r_\\phi$", title_fontsize=7)
    label_axes(axes.ravel())
    return fig


def fig_order_parameters(run: CurvesRun, task: str = "regression", noise: float | None = None):
    """ORD: the aggregates M (overlap with the teacher), Q (student norm), V (variance) vs N/D at P/D = 1."""
    noises = sorted({c.noise for c in run.curves})
    noise = noises[-1] if noise is None else noise
    structures = list(dict.fromkeys(c.structure for c in run.curves))
    fig, axes = new_figure(3, 1, width=3.3, height=2.7)
    cols = palette(len(structures))
    for s, name in enumerate(structures):
        c = run.get(task, noise, name, "sample")
        for ax, key in zip(axes[0], ("M", "Q", "V")):
            ax.plot(c.psi, getattr(c.theory, key), color=cols[s], label=name)
    for ax, key, what in zip(axes[0], ("M", "Q", "V"),
                             ("overlap with the teacher", "squared norm of the output",
                              "response; train residual ∝ 1/(1+V)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axvline(1.0, color="0.5", lw=0.7, ls="--")
        ax.set_xlabel("N/D (P/D = 1)")
        ax.set_ylabel(key)
        ax.set_title(f"{key}: {what}")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Order parameters at the saddle point ({task}, noise {noise:g}, λ = {run.ridge:g})", fontsize=9.5)
    label_axes(axes.ravel())
    return fig


def fig_network(run: NetworkRun):
    """NN: input spectrum and test-error phase space (training-set size x width) per dataset, input mode and noise.

    The dashed line is n = p, equal numbers of samples and weights p = width (d + 10); the
    swap ratio compares points mirrored across it, on the range both axes cover (dotted box).
    """
    keys = list(run.results)
    noises = run.results[keys[0]].noises
    fig, axes = new_figure(1 + len(noises), len(keys), width=3.1, height=2.7)
    last = None
    for r, key in enumerate(keys):
        res = run.results[key]
        name, mode = key
        ax = axes[r, 0]
        spec = run.spectra[key]
        share = np.clip(spec / spec.sum(), 1e-6, None)
        ax.plot(np.arange(1, spec.size + 1), share, "o-", ms=2, color=palette(1)[0])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-6, 1.0)
        ax.set_xlabel("principal component")
        ax.set_ylabel("share of the input variance")
        erank = spec.sum() ** 2 / (spec**2).sum()
        ax.set_title(f"{name}, {'whitened PCA' if mode == 'pca' else 'downsampled'}\n"
                     f"d = {res.d}, effective rank {erank:.0f}")
        mean = res.mean_test_error()
        ln, lw = np.log2(res.sizes), np.log2(res.widths)
        per_width = network_params(res)[0] / res.widths[0]  # d + classes
        lo, hi = common_range(res.sizes, network_params(res))
        for k, z in enumerate(noises):
            ax = axes[r, 1 + k]
            last = ax.pcolormesh(_edges(ln), _edges(lw), mean[k].T, cmap="viridis", vmin=0.0, vmax=0.8, shading="flat")
            for i in range(len(res.sizes)):
                for j in range(len(res.widths)):
                    ax.text(ln[i], lw[j], f"{100 * mean[k, i, j]:.0f}", ha="center", va="center", fontsize=6.5,
                            color="w" if mean[k, i, j] > 0.35 else "k")
            xs = np.array([_edges(ln)[0], _edges(ln)[-1]])
            ax.plot(xs, xs - np.log2(per_width), color="w", lw=1.0, ls="--")  # n = p
            box_x = np.log2([lo, hi, hi, lo, lo])
            box_y = np.log2(np.array([lo, lo, hi, hi, lo]) / per_width)
            ax.plot(box_x, box_y, color="w", lw=0.8, ls=":")
            ax.set_xlim(_edges(ln)[0], _edges(ln)[-1])
            ax.set_ylim(_edges(lw)[0], _edges(lw)[-1])
            ax.set_xticks(ln, [str(n) for n in res.sizes], fontsize=7, rotation=45)
            ax.set_yticks(lw, [str(w) for w in res.widths], fontsize=7)
            ax.set_xlabel("training images n")
            ax.set_ylabel("hidden width")
            ax.set_title(f"label noise {z:g}: error (%)\nswap ratio n ↔ p {network_swap_ratio(res, k):.2f}")
    fig.colorbar(last, ax=axes[:, 1:], shrink=0.8, label="test error (clean test labels)")
    res0 = run.results[keys[0]]
    fig.suptitle(f"1-hidden-layer ReLU networks, full-batch SGD+momentum, {res0.epochs} epochs, "
                 f"{res0.test_error.shape[1]} seeds; dashed: n = p weights; "
                 "swap ratio > 1: more data beats more weights",
                 fontsize=9.5)
    label_axes(axes.ravel())
    return fig


def fig_finite_size(run: FiniteSizeRun):
    """FS: relative gap between simulation and theory vs D (relevant salient regression), with the fitted power law."""
    dev, se = run.rel_dev()
    fit = run.fit()
    D = np.asarray(run.d_values, dtype=float)
    fig, ax = new_figure(width=4.4, height=3.2)
    ax.errorbar(D, dev, yerr=se, fmt="o", color=palette(1)[0], label="mean(sim / theory − 1) ± s.e. over seeds")
    Dl = np.geomspace(D[0], D[-1], 100)
    lo, hi = fit.ci
    ax.plot(Dl, fit(Dl), "k-", lw=1.0,
            label=f"fit ∝ D$^{{-a}}$, a = {fit.exponent:.2f} (95 %: {lo:.2f} to {hi:.2f})")
    ax.axhline(0.0, color="0.5", lw=0.7)
    ax.set_xscale("log")
    ax.set_xticks(D, [f"{d:g}" for d in D])
    ax.minorticks_off()
    ax.set_xlabel(f"input dimension D (salient block: D/{run.sims[0].data.r_phi:g} coordinates)")
    ax.set_ylabel("relative deviation from theory")
    psi = ", ".join(f"{p:g}" for p in run.psi2)
    ax.set_title(f"finite-size gap, relevant salient regression\n(P/D = 1, N/D ∈ {{{psi}}}, "
                 f"{run.sims[0].activation}, λ = {run.sims[0].ridge:g}, {run.sims[0].n_seeds} seeds per D)")
    ax.legend(fontsize=7)
    return fig


def fig_centred(run: CentredRun, threshold: float = 0.05):
    """MU0: simulated error with uncentred vs centred ReLU features (same draws), and the per-curve change."""
    fig, axes = new_figure(2, 1, width=3.9, height=3.1)
    ax = axes[0, 0]
    cols = palette(len(run.pairs))
    lo, hi = np.inf, 0.0
    for k, (c, cen) in enumerate(run.pairs):
        u, v = c.sim.mean_sem()[0], cen.mean_sem()[0]
        ax.plot(v, u, "o", ms=3, color=cols[k], label=c.name.replace("classification/", "").replace("regression/", ""))
        lo, hi = min(lo, u.min(), v.min()), max(hi, u.max(), v.max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set_xlabel("test error, centred features σ − μ$_0$")
    ax.set_ylabel("test error, uncentred σ (default)")
    ax.set_title(f"same data, teacher and features\n(μ$_0$ = {run.mu0:.3f}); dashed: equal")
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    names = [c.name for c, _ in run.pairs]
    change = [np.median(np.abs(c.sim.mean_sem()[0] / cen.mean_sem()[0] - 1.0)) for c, cen in run.pairs]
    ax.barh(np.arange(len(names)), np.asarray(change) * 100, color=cols)
    ax.axvline(threshold * 100, color="k", lw=0.8, ls="--")
    ax.set_yticks(np.arange(len(names)),
                  [n.replace("classification/", "cls/").replace("regression/", "reg/") for n in names], fontsize=7)
    ax.set_xlabel("median |E$_{uncentred}$ / E$_{centred}$ − 1| (%)")
    ax.set_title(f"change per curve\ndashed: {threshold:.0%} (the agreement tolerance)")
    label_axes(axes.ravel())
    return fig
