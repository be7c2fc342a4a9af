"""Figures of the Boolformer notebook, drawn from :mod:`paper_code.boolformer.experiments` and
:mod:`paper_code.boolformer.applications` results (DataFrames); each returns a matplotlib figure."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from paper_code.boolformer.circuits import GATES
from paper_code.boolformer.experiments import NOISY_SWEEPS, circuit_table, recovery_grid
from paper_code.common.plotting import label_axes, new_figure, palette

__all__ = ["fig_recovery", "fig_best_of_k", "fig_circuits", "fig_noisy", "fig_classification", "fig_grn",
           "fig_inference_time"]


def fig_recovery(res: pd.DataFrame):
    """(a) Perfect recovery of held-out functions by binary gates and D (counts in the cells); (b) by D."""
    fig, axes = new_figure(2, 1, width=3.9, height=3.0)
    ax, bx = axes.ravel()
    grid = recovery_grid(res)
    counts = (res.assign(gate_bin=pd.cut(res["gates"], [-1, 2, 5, 8, 12, 1000],
                                         labels=["0-2", "3-5", "6-8", "9-12", "13+"]))
              .pivot_table(index="gate_bin", columns="dim", values="recovered", aggfunc="size", observed=False))
    im = ax.imshow(grid.to_numpy(float), origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (i, j), n in np.ndenumerate(counts.to_numpy(float)):
        if n > 0:
            ax.text(j, i, f"{grid.iloc[i, j]:.2f}\n(n={int(n)})", ha="center", va="center", fontsize=6.5,
                    color="w" if grid.iloc[i, j] < 0.6 else "k")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(i) for i in grid.index])
    ax.set_xlabel("number of variables D")
    ax.set_ylabel("binary gates of the target")
    ax.set_title("held-out functions: perfect recovery")
    ax.grid(False)
    fig.colorbar(im, ax=ax, fraction=0.046)
    by_dim = res.groupby("dim").agg(rec=("recovered", "mean"), greedy=("greedy_recovered", "mean"),
                                    n=("recovered", "size"))
    x = np.arange(len(by_dim))
    bx.bar(x - 0.2, by_dim["rec"], 0.4, label="best of sampled candidates", color=palette(2)[0])
    bx.bar(x + 0.2, by_dim["greedy"], 0.4, label="greedy", color=palette(2)[1])
    bx.set_xticks(x, [f"{d}\n(n={n})" for d, n in zip(by_dim.index, by_dim["n"])])
    bx.set_xlabel("number of variables D")
    bx.set_ylabel("perfect recovery")
    bx.set_ylim(0, 1.05)
    bx.legend(fontsize=7, frameon=False)
    label_axes([ax, bx])
    return fig


def fig_best_of_k(metrics: Mapping[str, Any]):
    """Perfect recovery of the best of the first k sampled candidates (ranked by fitting accuracy) vs greedy."""
    fig, ax = new_figure(1, 1, width=3.6, height=2.7)
    ax.plot(metrics["best_of_k"], metrics["best_of_k_recovery"], "o-", label="best of first k samples")
    ax.axhline(metrics["greedy_recovery"], ls=":", color="k", label="greedy decoding")
    ax.set_xscale("log", base=2)
    ax.set_xticks(metrics["best_of_k"], [str(k) for k in metrics["best_of_k"]])
    ax.set_xlabel("candidates k")
    ax.set_ylabel("perfect recovery (held-out)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8)
    return fig


def fig_circuits(res: pd.DataFrame):
    """Named circuits: worst output error (0 = every output exact) and gates of the formulas, by input size (the
    2-variable gates AND, OR, XOR left out: one point each)."""
    table = circuit_table(res[~res["circuit"].isin(GATES)])
    fig, axes = new_figure(2, 1, width=3.7, height=2.8)
    ax, bx = axes.ravel()
    cols = dict(zip(table["circuit"].unique(), palette(table["circuit"].nunique())))
    for name, g in table.groupby("circuit", sort=False):
        ax.plot(g["dim"], g["worst_error"], "o-", color=cols[name], label=name)
        bx.plot(g["dim"], g["gates"], "o-", color=cols[name], label=name)
        for _, r in g[g["all_exact"]].iterrows():
            ax.plot(r["dim"], r["worst_error"], "o", ms=8, mfc="none", mec=cols[name])
    ax.set_xlabel("input bits D")
    ax.set_ylabel("worst output error")
    ax.set_title("open circles: every output exact")
    bx.set_xlabel("input bits D")
    bx.set_ylabel("binary gates (all outputs)")
    bx.legend(fontsize=7, frameon=False, ncol=2)
    label_axes([ax, bx])
    return fig


_SWEEP_LABELS = {"points": "observed rows N", "flip": "flip probability", "inactive": "inactive variables"}


def fig_noisy(res: pd.DataFrame):
    """Noisy regime: test accuracy and exact recovery along each sweep (the others fixed)."""
    fig, axes = new_figure(len(NOISY_SWEEPS), 1, width=2.9, height=2.6)
    axes = axes.ravel()
    c = palette(3)
    for ax, sweep in zip(axes, NOISY_SWEEPS):
        part = res[res["sweep"] == sweep]
        g = part.groupby("value").agg(acc=("test_accuracy", "mean"), sem=("test_accuracy", "sem"),
                                      exact=("exact", "mean"), perfect=("test_perfect", "mean"))
        ax.errorbar(g.index, g["acc"], yerr=g["sem"], fmt="o-", color=c[0], ms=4, capsize=2, label="test accuracy")
        ax.plot(g.index, g["exact"], "s--", color=c[1], ms=4, label="exact recovery")
        ax.plot(g.index, g["perfect"], "^:", color=c[2], ms=4, label="test perfect recovery")
        ax.set_xlabel(_SWEEP_LABELS[sweep])
        ax.set_ylim(0, 1.02)
    axes[0].set_ylabel("fraction")
    axes[0].legend(fontsize=7, frameon=False, loc="lower right")
    label_axes(axes)
    return fig


def fig_classification(res: pd.DataFrame):
    """Test F1 per dataset for Boolformer and the scikit-learn baselines."""
    pivot = res.pivot_table(index="dataset", columns="method", values="f1", sort=False)
    methods = list(pivot.columns)
    fig, ax = new_figure(1, 1, width=7.2, height=2.8)
    x = np.arange(len(pivot))
    w = 0.8 / len(methods)
    for i, (m, col) in enumerate(zip(methods, palette(len(methods)))):
        ax.bar(x + (i - (len(methods) - 1) / 2) * w, pivot[m], w, label=m, color=col)
    ax.set_xticks(x, pivot.index, rotation=30, ha="right", fontsize=7.5)
    ax.set_ylabel("test F1")
    ax.set_ylim(0, 1.05)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=7.5, frameon=False, ncol=len(methods),
               loc="outside upper center")
    return fig


def fig_grn(summary: pd.DataFrame):
    """Gene networks: dynamic accuracy, structural F1, Youden's J and seconds per fold, per method and data."""
    keys = [("dynamic_accuracy", "dynamic accuracy"), ("f1", "structural F1"), ("bm", "Youden's J"),
            ("seconds", "seconds per fold (log)")]
    fig, axes = new_figure(len(keys), 1, width=2.4, height=2.8)
    axes = axes.ravel()
    datas = list(summary["data"].unique())
    methods = list(summary["method"].unique())
    cols = dict(zip(methods, palette(len(methods))))
    w = 0.8 / len(methods)
    for ax, (key, label) in zip(axes, keys):
        for i, m in enumerate(methods):
            part = summary[summary["method"] == m].set_index("data").reindex(datas)
            ax.bar(np.arange(len(datas)) + (i - (len(methods) - 1) / 2) * w, part[key], w, color=cols[m], label=m)
        ax.set_xticks(range(len(datas)), datas, fontsize=7)
        ax.set_title(label, fontsize=8.5)
        if key == "seconds":
            ax.set_yscale("log")
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=7.5, frameon=False, ncol=len(methods),
               loc="outside lower center")
    label_axes(axes)
    return fig


def fig_inference_time(res: pd.DataFrame):
    """Seconds per function and formula size of Boolformer and SymPy's exact minimiser on the same tables."""
    fig, axes = new_figure(2, 1, width=3.5, height=2.7)
    ax, bx = axes.ravel()
    cols = dict(zip(res["method"].unique(), palette(res["method"].nunique())))
    for m, g in res.groupby("method", sort=False):
        t = g.groupby("dim")["seconds"].median()
        ax.plot(t.index, t.values, "o-", color=cols[m], label=m)
    ax.set_yscale("log")
    ax.set_xlabel("number of variables D")
    ax.set_ylabel("seconds per function (median)")
    ax.legend(fontsize=7, frameon=False)
    both = res.pivot_table(index="function", columns="method", values="gates")
    ok = res[res["method"] == "Boolformer"].set_index("function")["exact"].reindex(both.index).to_numpy(bool)
    both = both[ok]
    if len(both):
        lim = max(both.max().max(), 1) + 1
        bx.scatter(both["SymPy SOPform"], both["Boolformer"], s=12, alpha=0.6)
        bx.plot([0, lim], [0, lim], "k:", lw=1)
    bx.set_xlabel("gates, SymPy minimal SOP")
    bx.set_ylabel("gates, Boolformer (exact ones)")
    label_axes([ax, bx])
    return fig
