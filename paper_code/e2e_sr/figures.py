"""Figures of the end-to-end symbolic-regression notebook, drawn from :mod:`paper_code.e2e_sr.experiments` results;
each returns a matplotlib figure. Error bars are binomial standard errors."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from paper_code.common.plotting import label_axes, new_figure, palette
from paper_code.e2e_sr.experiments import ACCURACY, FEYNMAN_ACCURACY, accuracy_by
from paper_code.e2e_sr.inference import Variant

__all__ = ["fig_ablation", "fig_operators_dimension", "fig_extrapolation", "fig_feynman_noise", "fig_pareto"]

_VARIANTS = [v.value for v in (Variant.SKELETON_BFGS, Variant.E2E, Variant.E2E_BFGS, Variant.E2E_BFGS_RANDOM)]
_STYLE = dict(zip(_VARIANTS, ("s--", "^:", "o-", "d-.")))


def _se(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.sqrt(p * (1 - p) / np.maximum(n, 1))


def fig_ablation(df: pd.DataFrame, taus: Sequence[float]):
    """The ablation: % of held-out functions with test R² >= 0.99 and within each tolerance τ, per variant."""
    fig, ax = new_figure(1, 1, width=6.2, height=2.9)
    metrics = [("acc", f"R² ≥ {ACCURACY:g}")] + [(f"acc_{t:g}", f"Acc$_{{{t:g}}}$") for t in taus]
    width = 0.8 / len(_VARIANTS)
    for i, (v, c) in enumerate(zip(_VARIANTS, palette(len(_VARIANTS)))):
        mine = df[df["variant"] == v]
        p = np.array([mine[col].mean() for col, _ in metrics])
        ax.bar(np.arange(len(metrics)) + (i - 1.5) * width, 100 * p, width, yerr=100 * _se(p, len(mine)), color=c,
               capsize=2, label=v)
    ax.set_xticks(range(len(metrics)), [name for _, name in metrics])
    ax.set_ylabel("held-out functions (%)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def fig_operators_dimension(df: pd.DataFrame):
    """Accuracy (R² >= 0.99) of every variant (a) by number of binary operators, (b) by input dimension D."""
    fig, axes = new_figure(2, 1, width=3.7, height=2.9)
    colors = palette(len(_VARIANTS))
    for ax, col, label in zip(axes.ravel(), ("binary_ops", "dim"), ("binary operators b", "input dimension D")):
        table = accuracy_by(df, col) / 100
        counts = df[df["variant"] == Variant.E2E_BFGS.value].groupby(col).size().reindex(table.index)
        for v, c in zip(_VARIANTS, colors):
            if v in table:
                p = table[v].to_numpy(float)
                ax.errorbar(table.index, 100 * p, yerr=100 * _se(p, counts.to_numpy(float)), fmt=_STYLE[v], color=c,
                            ms=4, capsize=2, label=v)
        ax.set_xticks(table.index, [f"{k}\n(n={counts[k]})" for k in table.index])
        ax.set_xlabel(label)
        ax.set_ylabel(f"R² ≥ {ACCURACY:g} (%)")
    axes.ravel()[0].legend(fontsize=6, frameon=False)
    label_axes(axes.ravel())
    return fig


def fig_extrapolation(table: pd.DataFrame, n: int):
    """% of functions with R² >= 0.99 on inputs scaled by σ (``table``: :func:`extrapolation_table`, ``n``
    functions per variant)."""
    fig, ax = new_figure(1, 1, width=3.9, height=2.9)
    sigmas = np.asarray(table.columns, float)
    for v, c in zip(_VARIANTS, palette(len(_VARIANTS))):
        if v in table.index:
            p = table.loc[v].to_numpy(float) / 100
            ax.errorbar(sigmas, 100 * p, yerr=100 * _se(p, np.full(len(p), n)), fmt=_STYLE[v], color=c, ms=4,
                        capsize=2, label=v)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sigmas, [f"{s:g}" for s in sigmas])
    ax.set_xlabel("input scaling σ (1 = training support)")
    ax.set_ylabel(f"R² ≥ {ACCURACY:g} (%)")
    ax.legend(fontsize=6, frameon=False)
    return fig


def fig_feynman_noise(df: pd.DataFrame):
    """Feynman problems: % solved (test R² > 0.999) against the target-noise level, per method."""
    fig, ax = new_figure(1, 1, width=3.9, height=2.9)
    methods = list(dict.fromkeys(df["method"]))
    levels = sorted(df["noise"].unique())
    for m, c in zip(methods, palette(len(methods))):
        g = df[df["method"] == m].groupby("noise")["acc"]
        p, n = g.mean().reindex(levels).to_numpy(float), g.size().reindex(levels).to_numpy(float)
        ax.errorbar(range(len(levels)), 100 * p, yerr=100 * _se(p, n), fmt="o-", color=c, ms=4, capsize=2, label=m)
    ax.set_xticks(range(len(levels)), [f"{nu:g}" for nu in levels])
    ax.set_xlabel("target noise ν")
    ax.set_ylabel(f"test R² > {FEYNMAN_ACCURACY:g} (%)")
    ax.legend(fontsize=6, frameon=False)
    return fig


def fig_pareto(df: pd.DataFrame):
    """Accuracy against median wall time per fit on the noise-free Feynman problems (the Pareto view); each point
    is a method, the time axis logarithmic."""
    fig, ax = new_figure(1, 1, width=3.9, height=2.9)
    clean = df[df["noise"] == 0]
    methods = list(dict.fromkeys(clean["method"]))
    for m, c in zip(methods, palette(len(methods))):
        mine = clean[clean["method"] == m]
        p = mine["acc"].mean()
        ax.errorbar(mine["seconds"].median(), 100 * p, yerr=100 * _se(p, len(mine)), fmt="o", color=c, ms=6,
                    capsize=2, label=m)
    ax.set_xscale("log")
    ax.set_xlabel("median seconds per problem (1 CPU thread)")
    ax.set_ylabel(f"test R² > {FEYNMAN_ACCURACY:g} (%)")
    ax.legend(fontsize=6, frameon=False)
    return fig
