"""Figures of the recurrent-sequences notebook, drawn from :mod:`paper_code.recurrence.experiments` results; each
returns a matplotlib figure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from paper_code.common.plotting import label_axes, new_figure, palette
from paper_code.recurrence.experiments import METHODS, OovPrediction, accuracy_table
from paper_code.recurrence.scoring import TOLERANCES

__all__ = ["LABELS", "fig_operators_degree", "fig_horizon_tolerance", "fig_oeis", "fig_oov_functions"]

LABELS = {"symbolic_beam": "symbolic, beam + fit ranking", "symbolic_greedy": "symbolic, greedy",
          "numeric": "numeric, greedy", "linear_recurrence": "linear recurrence (SymPy)",
          "holonomic_recurrence": "holonomic guess"}
_STYLE = {"symbolic_beam": "o-", "symbolic_greedy": "s--", "numeric": "^-"}


def _with_error(ax, table: pd.DataFrame, counts: pd.Series, colors: list) -> None:
    for m, c in zip(METHODS, colors):
        if m not in table:
            continue
        p = table[m].to_numpy(float)
        se = np.sqrt(p * (1 - p) / counts.to_numpy(float))
        ax.errorbar(table.index, p, yerr=se, fmt=_STYLE[m], color=c, ms=4, capsize=2, label=LABELS[m])


def fig_operators_degree(res: pd.DataFrame, horizon: int, tol: float = 0.0):
    """Accuracy on the next ``horizon`` terms of held-out sequences (exact, or within ``tol``) (a) by number of
    operators, (b) by recurrence degree (largest lag used); error bars: binomial standard errors."""
    fig, axes = new_figure(2, 1, width=3.7, height=2.9)
    colors = palette(3)
    what = f"exact on next {horizon} terms" if tol == 0 else f"next {horizon} terms within {tol:g}"
    for ax, by, label in zip(axes.ravel(), ("n_ops", "degree"), ("number of operators o", "recurrence degree d")):
        table = accuracy_table(res, by, horizon, tol)
        counts = res[res.method == METHODS[0]].groupby(by).size()
        _with_error(ax, table, counts, colors)
        ax.set_xticks(table.index, [f"{k}\n(n={counts[k]})" for k in table.index])
        ax.set_xlabel(label)
        ax.set_ylabel(what)
        ax.set_ylim(-0.02, 1.02)
    axes.ravel()[0].legend(fontsize=7, frameon=False)
    label_axes(axes.ravel())
    return fig


def fig_horizon_tolerance(metrics: Mapping[str, Any], exact: str = "exact", prefix: str = ""):
    """(a) Accuracy vs the number of next terms that must all be exact; (b) accuracy on all next terms vs the
    tolerance on their largest relative error (the first tolerance is labelled ``exact``: 0 for integers, 1e-10 for
    floats; ``prefix``: that of the metrics' keys, e.g. ``"float_"``)."""
    fig, axes = new_figure(2, 1, width=3.7, height=2.9)
    ax, bx = axes.ravel()
    horizon, tolerance = metrics[f"{prefix}horizon_acc"], metrics[f"{prefix}tolerance_acc"]
    for m, c in zip(METHODS, palette(3)):
        ax.plot(range(1, len(horizon[m]) + 1), horizon[m], _STYLE[m], color=c, ms=4, label=LABELS[m])
        bx.plot(range(len(TOLERANCES)), tolerance[m], _STYLE[m], color=c, ms=4, label=LABELS[m])
    ax.set_xlabel("prediction horizon (terms)")
    ax.set_ylabel(f"accuracy ({exact})")
    bx.set_xticks(range(len(TOLERANCES)), [exact if t == 0 else f"1e{int(np.log10(t))}" for t in TOLERANCES],
                  rotation=60, fontsize=7)
    bx.set_xlabel("tolerance τ")
    bx.set_ylabel(f"all {len(horizon[METHODS[0]])} terms within τ")
    ax.legend(fontsize=7, frameon=False)
    label_axes([ax, bx])
    return fig


def fig_oeis(table: pd.DataFrame):
    """OEIS: exact accuracy on the next term and the next 10 for each method and number of input terms, and each
    method's seconds per sequence (``table``: :func:`~paper_code.recurrence.experiments.oeis_table`)."""
    fig, axes = new_figure(2, 1, width=3.9, height=3.0)
    ax, bx = axes.ravel()
    methods = list(dict.fromkeys(table.method))
    colors = palette(len(methods))
    cols = [c for c in table.columns if c.startswith("next")]
    groups = [(n, c) for n in sorted(table.n_inputs.unique()) for c in cols]
    w = 0.8 / len(methods)
    for i, (m, color) in enumerate(zip(methods, colors)):
        mine = table[table.method == m].set_index("n_inputs")
        ax.bar(np.arange(len(groups)) + (i - (len(methods) - 1) / 2) * w, [mine.loc[n, c] for n, c in groups], w,
               color=color, label=LABELS.get(m, m))
        bx.bar(i, mine.seconds.mean(), color=color)
    ax.set_xticks(range(len(groups)), [f"N_I={n}\n{c.replace('next', 'next ')}" for n, c in groups], fontsize=7)
    ax.set_ylabel("exact")
    ax.set_ylim(0, 1.0)
    ax.legend(fontsize=6, frameon=False, ncol=2, loc="upper left")
    bx.set_yscale("log")
    bx.set_xticks(range(len(methods)), [LABELS.get(m, m) for m in methods], rotation=60, ha="right", fontsize=7)
    bx.set_ylabel("seconds per sequence")
    label_axes([ax, bx])
    return fig


def _continuation(ax, pred: OovPrediction, terms: tuple[float, ...] | None, style: str, color, label: str) -> None:
    if terms:
        ax.plot(np.arange(pred.n_observed + 1, pred.n_observed + len(terms) + 1), terms, style, color=color, ms=3,
                lw=1, label=label)
    else:  # None or empty: the model gave no prediction
        ax.text(0.97, 0.04 if label == "numeric" else 0.12, f"{label}: no prediction", transform=ax.transAxes,
                ha="right", fontsize=6, color=color)


def fig_oov_functions(preds: Sequence[OovPrediction], ncols: int = 3):
    """Out-of-vocabulary functions (the paper's abstract: ``bessel0``), one panel each: the true ``u_n = f(n)`` over
    the observed and predicted terms, and the continuations of the float symbolic model (its recurrence rolled
    forward) and of the numeric one (a model with no prediction is named in the panel); a dotted line separates the
    observed and predicted terms. The y-range is the true values' range, padded: a diverging continuation leaves the
    panel (``preds``: :func:`~paper_code.recurrence.experiments.oov_predictions`)."""
    if not preds:
        raise ValueError("preds is empty: pass the output of oov_predictions")
    nrows = -(-len(preds) // ncols)
    fig, axes = new_figure(min(ncols, len(preds)), nrows, width=2.7, height=2.2)
    axes = np.atleast_1d(axes).ravel()
    c_sym, c_num = palette(3)[0], palette(3)[2]
    for ax, pred in zip(axes, preds):
        n = np.arange(1, len(pred.terms) + 1)
        true = np.asarray(pred.terms)
        ax.plot(n, true, "-", color="0.6", lw=1, zorder=0)
        ax.plot(n[:pred.n_observed], true[:pred.n_observed], "k.", ms=4, label="true, observed")
        ax.plot(n[pred.n_observed:], true[pred.n_observed:], "o", mfc="none", mec="k", ms=4, label="true, future")
        _continuation(ax, pred, pred.symbolic, "o-", c_sym, "symbolic")
        _continuation(ax, pred, pred.numeric, "^-", c_num, "numeric")
        ax.axvline(pred.n_observed + 0.5, color="0.4", ls=":", lw=1)
        ax.text(pred.n_observed + 0.5, 0.98, "observed ", transform=ax.get_xaxis_transform(), ha="right", va="top",
                fontsize=6, color="0.4")
        lo, hi = float(true.min()), float(true.max())
        pad = 0.25 * (hi - lo) if hi > lo else 1.0
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(pred.label, fontsize=8)
        ax.set_xlabel("n", fontsize=8)
    for ax in axes[len(preds):]:
        ax.set_visible(False)
    axes[0].set_ylabel("$u_n$")
    handles = {lab: h for ax in axes for h, lab in zip(*ax.get_legend_handles_labels())}  # every model once
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles), fontsize=7,
               frameon=False)
    label_axes(axes[:len(preds)])
    return fig
