"""Figures of the ODEFormer notebook, drawn from :mod:`paper_code.odeformer.experiments` results.

Each function takes result DataFrames (one row per method × task, :data:`benchmark.RESULT_COLUMNS`) and
returns a matplotlib figure in the project style.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paper_code.common.plotting import label_axes, new_figure, palette, use_style
from paper_code.odeformer.benchmark import ACCURACY_THRESHOLD, Task
from paper_code.odeformer.scoring import simulate

__all__ = ["fig_noise_subsampling", "fig_recon_vs_gen", "fig_candidates", "fig_trajectories",
           "fig_inference_time", "fig_complexity_chaos", "fig_in_distribution", "fig_own_data"]

_MARKERS = {"ODEFormer": "o", "SINDy": "s", "SINDy (trajectory selection)": "^"}


def _colors(methods: Sequence[str]) -> dict[str, tuple]:
    base = ["ODEFormer", "SINDy", "SINDy (trajectory selection)"]
    extra = [m for m in methods if m not in base]
    cols = palette(len(base) + len(extra))
    return dict(zip(base + extra, cols))


def _acc(df: pd.DataFrame, by: str, col: str = "r2_reconstruction") -> pd.DataFrame:
    df = df[df[col].notna()]
    return df.assign(ok=df[col] > ACCURACY_THRESHOLD).groupby(["method", by])["ok"].mean().reset_index()


def fig_noise_subsampling(res: pd.DataFrame):
    """Accuracy (R² > 0.9) vs noise σ (at ρ = 0) and vs subsampling ρ (at σ = 0); rows ODEBench / Strogatz;
    solid reconstruction, dashed generalisation."""
    fig, axes = new_figure(2, 2, width=3.7, height=2.7)
    colors = _colors(res["method"].unique())
    for row, bench in enumerate(("ODEBench", "Strogatz")):
        b = res[res["benchmark"] == bench]
        n_sys = b["system"].nunique()
        for col, (by, other) in enumerate((("noise", "subsample"), ("subsample", "noise"))):
            ax = axes[row, col]
            sub = b[b[other] == 0]
            for score, ls in (("r2_reconstruction", "-"), ("r2_generalization", "--")):
                acc = _acc(sub, by, score)
                for method, g in acc.groupby("method", sort=False):
                    ax.plot(g[by], g["ok"], ls, marker=_MARKERS.get(method, "o"), ms=4, color=colors[method],
                            label=f"{method}, {'reconstruction' if ls == '-' else 'generalisation'}")
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlabel("noise level σ" if by == "noise" else "fraction of points removed ρ")
            ax.set_ylabel("accuracy (R² > 0.9)")
            ax.set_title(f"{bench} (D ≤ {int(b['dim'].max())}, {n_sys} systems)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7.5, frameon=False)
    label_axes(axes.ravel())
    return fig


def fig_recon_vs_gen(res: pd.DataFrame):
    """Clean ODEBench: reconstruction vs generalisation accuracy per method (rows with a second IC)."""
    fig, ax = new_figure(1, width=4.6, height=2.8)
    clean = res[(res["noise"] == 0) & (res["subsample"] == 0) & (res["benchmark"] == "ODEBench")
                & res["r2_generalization"].notna()]
    methods = list(clean["method"].unique())
    colors = _colors(methods)
    x = np.arange(len(methods))
    for i, method in enumerate(methods):
        m = clean[clean["method"] == method]
        rec = float((m["r2_reconstruction"] > ACCURACY_THRESHOLD).mean())
        gen = float((m["r2_generalization"] > ACCURACY_THRESHOLD).mean())
        ax.bar(i - 0.18, rec, 0.34, color=colors[method])
        ax.bar(i + 0.18, gen, 0.34, color=colors[method], alpha=0.45, hatch="//", edgecolor="white")
        ax.text(i - 0.18, rec + 0.02, f"{rec:.0%}", ha="center", fontsize=7)
        ax.text(i + 0.18, gen + 0.02, f"{gen:.0%}", ha="center", fontsize=7)
    ax.set_xticks(x, [m.replace(" (", "\n(") for m in methods], fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy (R² > 0.9)")
    ax.set_title("ODEBench, σ = 0: reconstruction (solid) vs new IC (hatched)")
    return fig


def fig_candidates(sweep: pd.DataFrame):
    """Accuracy of the best of the first k sampled candidates (ranked by fit), greedy decoding as a line."""
    fig, ax = new_figure(1, width=3.8, height=2.8)
    c = palette(2)
    for score, color, label in (("r2_reconstruction", c[0], "reconstruction"),
                                ("r2_generalization", c[1], "generalisation")):
        s = sweep[sweep[score].notna()]
        acc = s.assign(ok=s[score] > ACCURACY_THRESHOLD).groupby("k")["ok"].mean()
        ks = [k for k in acc.index if k > 0]
        ax.plot(ks, acc[ks], "-o", ms=4, color=color, label=f"sampling, {label}")
        ax.axhline(acc[0], color=color, ls=":", lw=1.2, label=f"greedy, {label}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("candidates k (best of the first k by fit)")
    ax.set_ylabel("accuracy (R² > 0.9)")
    ax.set_title(f"ODEBench, σ = 0 ({sweep['system'].nunique()} systems)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def fig_trajectories(res: pd.DataFrame, tasks: Sequence[Task], systems: Sequence, method: str = "ODEFormer",
                     equations: dict | None = None):
    """True (clean) vs predicted trajectories on ``systems`` (ids), from the clean ODEBench tasks.

    Each example is a plot (title: id, full system name wrapped, reconstruction R²) above a text panel with
    the predicted and the true equations (``equations[id] = (trees, text)``; else the raw prediction). Colour
    is the state component (solid true, dashed predicted), grey dots the observation; one legend below all.
    """
    from matplotlib.lines import Line2D

    from paper_code.odeformer.scoring import SCORING_SOLVER

    ncols = 2 if len(systems) > 1 else 1
    nrows = -(-len(systems) // ncols)
    fig, grid = new_figure(ncols, 2 * nrows, width=4.6, height=1.6,
                           gridspec_kw={"height_ratios": [3.4, 0.75] * nrows})
    grid = np.atleast_2d(grid)
    plots, texts = grid[0::2].ravel(), grid[1::2].ravel()
    for ax in texts:
        ax.axis("off")
    for ax in plots[len(systems):]:
        ax.set_visible(False)
    by_id = {t.system.id: t for t in tasks if t.noise == 0 and t.subsample == 0 and t.system.source == "ODEBench"}
    rows = res[(res["method"] == method) & (res["noise"] == 0) & (res["subsample"] == 0)
               & (res["benchmark"] == "ODEBench")].set_index("system")
    max_dim = max(by_id[sid].dim for sid in systems)
    c = palette(max(max_dim, 2))
    for ax, tax, sid in zip(plots, texts, systems):
        task, row = by_id[sid], rows.loc[sid]
        ax.plot(task.t_obs, task.y_obs, "o", ms=2.2, color="0.6", zorder=1)
        pred = (equations or {}).get(sid)
        trees = pred[0] if pred else None
        y_hat = simulate(trees, task.y_clean[0], task.t, SCORING_SOLVER) if trees is not None else None
        for j in range(task.dim):
            ax.plot(task.t, task.y_clean[:, j], "-", color=c[j], lw=1.3, zorder=2)
            if y_hat is not None:
                ax.plot(task.t, y_hat[:, j], "--", color=c[j], lw=1.3, zorder=3)
        ax.set_title(textwrap.fill(f"#{sid} {task.system.name}", 52) + f"\nreconstruction R² = "
                     f"{row['r2_reconstruction']:.3f}", fontsize=8, loc="left")
        ax.set_xlabel("t")
        ax.set_ylabel("x(t)")
        text = pred[1] if pred else f"pred: {row['prediction']}"
        tax.text(0.0, 1.0, _wrap(text, 74), transform=tax.transAxes, va="top", ha="left", fontsize=6.8,
                 family="monospace")
    handles = [Line2D([], [], ls="", marker="o", ms=3, color="0.6", label="observed"),
               Line2D([], [], color="0.25", lw=1.3, label="true"),
               Line2D([], [], color="0.25", lw=1.3, ls="--", label="predicted")]
    handles += [Line2D([], [], color=c[j], lw=4, label=f"x{j}") for j in range(max_dim)]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=7.5, frameon=False)
    label_axes(plots[:len(systems)])
    return fig


def _wrap(text: str, width: int, max_lines: int = 3) -> str:
    """Each line of ``text`` wrapped at ``width`` characters into at most ``max_lines`` lines (… if longer);
    continuation lines are indented."""
    out = []
    for line in text.splitlines():
        pieces = textwrap.wrap(line, width, subsequent_indent="      ", break_long_words=True) or [""]
        if len(pieces) > max_lines:
            pieces = pieces[:max_lines]
            pieces[-1] = pieces[-1][: width - 1] + "…"
        out.extend(pieces)
    return "\n".join(out)


def fig_inference_time(timing: pd.DataFrame, main: pd.DataFrame):
    """Wall time per system: ODEFormer vs SINDy with the paper's search (same tasks, one run) and, for
    reference, the methods of the main run (all tasks)."""
    fig, ax = new_figure(1, width=5.0, height=2.8)
    groups = [(f"{m}\n(timing run)", g["inference_s"].to_numpy()) for m, g in timing.groupby("method", sort=False)]
    groups += [(f"{m}\n(all tasks)", g["inference_s"].to_numpy()) for m, g in main.groupby("method", sort=False)]
    rng = np.random.default_rng(0)
    cols = palette(len(groups))
    for i, (_label, v) in enumerate(groups):
        ax.scatter(i + 0.12 * rng.standard_normal(len(v)), v, s=6, alpha=0.5, color=cols[i])
        ax.plot([i - 0.3, i + 0.3], [np.median(v)] * 2, color="k", lw=1.5)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)), [g[0].replace("SINDy (", "SINDy\n(") for g in groups], fontsize=6.5)
    ax.set_ylabel("inference time per system (s)")
    ax.set_title("wall time of one fit (black: median), 2 CPU cores")
    return fig


def fig_complexity_chaos(res: pd.DataFrame, chaotic: pd.DataFrame, split: float):
    """(a) accuracy vs dimension, (b) vs operator count (≤ / > the median), (c) chaotic vs regular ODEBench
    systems for SINDy and the true equations with constants perturbed by 1 % (all dimensions)."""
    fig, axes = new_figure(3, width=3.0, height=2.7)
    axes = axes.ravel()
    clean = res[(res["noise"] == 0) & (res["subsample"] == 0) & (res["benchmark"] == "ODEBench")]
    colors = _colors(list(clean["method"].unique()) + list(chaotic["method"].unique()))
    methods = list(clean["method"].unique())
    w = 0.8 / len(methods)
    for panel, (ax, col, labels) in enumerate(((axes[0], "dim", None),
                                               (axes[1], "ops", [f"≤ {split:g}", f"> {split:g}"]))):
        df = clean.assign(ops=np.where(clean["n_operators"] <= split, 0, 1))
        acc = _acc(df, col)
        cats = sorted(acc[col].unique())
        for i, method in enumerate(methods):
            g = acc[acc["method"] == method].set_index(col)["ok"].reindex(cats)
            ax.bar(np.arange(len(cats)) + (i - (len(methods) - 1) / 2) * w, g.to_numpy(), w, color=colors[method],
                   label=method)
        ax.set_xticks(range(len(cats)), labels or [f"D = {int(c)}" for c in cats])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("accuracy (R² > 0.9)")
        ax.set_xlabel("dimension" if panel == 0 else "operators in the true system")
    axes[0].legend(fontsize=6.5, frameon=False, loc="upper left")
    ax = axes[2]
    cm = chaotic.assign(kind=np.where(chaotic["chaotic"], "chaotic", "regular"))
    acc = _acc(cm, "kind")
    ms = list(cm["method"].unique())
    w = 0.8 / len(ms)
    for i, method in enumerate(ms):
        g = acc[acc["method"] == method].set_index("kind")["ok"].reindex(["regular", "chaotic"])
        ax.bar(np.arange(2) + (i - (len(ms) - 1) / 2) * w, g.to_numpy(), w, color=colors[method], label=method)
    n_ch = int(cm.loc[cm["chaotic"], "system"].nunique())
    ax.set_xticks([0, 1], [f"regular ({cm['system'].nunique() - n_ch})", f"chaotic ({n_ch})"])
    ax.set_ylim(0, 1.05)
    ax.set_title("all ODEBench dimensions, σ = 0", fontsize=8)
    ax.legend(fontsize=6.5, frameon=False, loc="upper right")
    label_axes(axes)
    return fig


def fig_in_distribution(res: pd.DataFrame, metrics: dict):
    """Held-out generated systems: reconstruction accuracy at σ = 0 and the largest σ, per method."""
    fig, ax = new_figure(1, width=4.6, height=2.9)
    methods = list(res["method"].unique())
    sigmas = sorted(res["noise"].unique())
    cols = palette(len(sigmas))
    w = 0.8 / len(sigmas)
    for j, sig in enumerate(sigmas):
        vals = [float((res[(res["method"] == m) & (res["noise"] == sig)]["r2_reconstruction"] > ACCURACY_THRESHOLD)
                      .mean()) for m in methods]
        x = np.arange(len(methods)) + (j - (len(sigmas) - 1) / 2) * w
        ax.bar(x, vals, w, color=cols[j], label=f"σ = {sig:g}")
        for xi, v in zip(x, vals):
            ax.text(xi, v + 0.015, f"{v:.0%}", ha="center", fontsize=7)
    ax.set_xticks(range(len(methods)), [m.replace(" (", "\n(") for m in methods], fontsize=8)
    ax.set_ylabel("reconstruction accuracy (R² > 0.9)")
    ax.set_ylim(0, 1.0)
    lo, hi = metrics["indist_noise_retention_diff_ci_low"], metrics["indist_noise_retention_diff_ci_high"]
    ax.set_title(f"{res['system'].nunique()} held-out generated systems; retention ODEFormer − SINDy = "
                 f"{metrics['indist_noise_retention_diff']:.2f} [{lo:.2f}, {hi:.2f}]", fontsize=8)
    ax.legend(fontsize=7.5, frameon=False)
    return fig


def fig_own_data(t: np.ndarray, observed: np.ndarray, panels: Sequence[tuple[str, np.ndarray, dict[str, np.ndarray]]],
                 equations: dict[str, str]):
    """A system of the reader's own: per panel ``(title, true trajectory, {method: integrated prediction})`` on the
    grid ``t`` (the first panel also shows the noisy ``observed`` points), then each method's equations below.
    Colour is the state component; solid the truth, dashed / dotted the methods' predictions. A prediction whose
    integration failed (``None``) is not drawn, and the panel's title says so."""
    from matplotlib.lines import Line2D

    use_style()
    keys = [str(i) for i in range(len(panels))]
    fig, axd = plt.subplot_mosaic([keys, ["text"] * len(keys)], figsize=(3.8 * len(keys), 3.4), layout="constrained",
                                  height_ratios=[3.2, 0.7])
    plots, text = [axd[k] for k in keys], axd["text"]
    dim = observed.shape[1]
    c = palette(max(dim, 2))
    styles = ["--", ":", "-."]
    methods = list(equations)
    for i, (ax, (title, truth, preds)) in enumerate(zip(plots, panels)):
        if i == 0:
            ax.plot(t, observed, "o", ms=2.2, color="0.6", zorder=1)
        for j in range(dim):
            ax.plot(t, truth[:, j], "-", color=c[j], lw=1.3, zorder=2)
            for k, name in enumerate(methods):
                if preds.get(name) is not None:
                    ax.plot(t, preds[name][:, j], styles[k % len(styles)], color=c[j], lw=1.3, zorder=3)
        failed = [name for name in methods if name in preds and preds[name] is None]
        if failed:
            title += f" ({', '.join(failed)}: integration failed)"
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_xlabel("t")
        ax.set_ylabel("x(t)")
    text.axis("off")
    lines = [f"{name}: {eq}" for name, eq in equations.items()]
    text.text(0.0, 1.0, _wrap("\n".join(lines), 58 * len(keys), max_lines=2), transform=text.transAxes, va="top",
              ha="left", fontsize=6.8, family="monospace")
    handles = [Line2D([], [], ls="", marker="o", ms=3, color="0.6", label="observed"),
               Line2D([], [], color="0.25", lw=1.3, label="true")]
    handles += [Line2D([], [], color="0.25", lw=1.3, ls=styles[k % len(styles)], label=name)
                for k, name in enumerate(methods)]
    handles += [Line2D([], [], color=c[j], lw=4, label=f"x{j}") for j in range(dim)]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=7.5, frameon=False)
    label_axes(plots)
    return fig
