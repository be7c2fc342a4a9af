"""Figures of the arithmetic length-generalization notebook, drawn from :mod:`paper_code.arithmetic.experiments`
results; each returns a matplotlib figure."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.ticker import NullFormatter

from paper_code.arithmetic.experiments import GroupAccuracy
from paper_code.arithmetic.model import POSITIONS
from paper_code.common.plotting import label_axes, new_figure, palette

__all__ = ["fig_addition", "fig_multiplication", "fig_priming_counts", "fig_multi_length", "fig_priming_law"]

_LABELS = {"none": "no position", "absolute": "absolute (learned)", "sinusoidal": "sinusoidal",
           "relative_k": "relative, keys", "relative_kq": "relative, keys + queries"}


def _log_ticks(ax, values, labels=None) -> None:
    """Log x axis labelled at ``values`` only (no minor labels)."""
    ax.set_xticks(values, labels or [f"{v:,}" for v in values])
    ax.xaxis.set_minor_formatter(NullFormatter())


def _train_band(ax, train: int) -> None:
    ax.axvspan(0.5, train + 0.5, color="0.92", zorder=0)
    ax.text(train + 0.3, 1.02, "train", ha="right", va="bottom", fontsize=7, color="0.4")


def fig_addition(res: GroupAccuracy, train_digits: int):
    """Exact-match accuracy vs operand length for each position encoding, (a) padded layout (mean over seeds,
    min-max band), (b) compact layout."""
    fig, axes = new_figure(2, 1, width=3.7, height=2.9, sharey=True)
    axes = np.ravel(axes)
    colors = dict(zip(POSITIONS, palette(len(POSITIONS))))
    for ax, layout in zip(axes, ("padded", "compact")):
        _train_band(ax, train_digits)
        for pos in POSITIONS:
            rows = np.array([res.acc[i] for i, n in enumerate(res.names)
                             if res.specs[n].layout == layout and res.specs[n].position == pos])
            if not len(rows):
                continue
            label = _LABELS[pos] + (f" ({len(rows)} seeds)" if len(rows) > 1 else "")
            ax.plot(res.lengths, rows.mean(0), "o-", ms=3, color=colors[pos], label=label)
            if len(rows) > 1:
                ax.fill_between(res.lengths, rows.min(0), rows.max(0), color=colors[pos], alpha=0.2, lw=0)
        ax.set_xlabel("digits of each operand")
        ax.set_title(f"addition, {layout} layout")
        ax.set_ylim(-0.03, 1.08)
    axes[0].set_ylabel("exact-match accuracy")
    axes[0].legend(fontsize=6.5, frameon=False, loc="lower left")
    label_axes(axes)
    return fig


def fig_multiplication(res: GroupAccuracy, train_digits: int, m_digits: int, target: int):
    """Exact match vs first-operand length for the unprimed and single-length primed models (n × m)."""
    fig, ax = new_figure(1, 1, width=4.2, height=2.9)
    _train_band(ax, train_digits)
    single = sorted(((s.n_primed, n) for n, s in res.specs.items() if len(s.prime_lengths) <= 1))
    for color, (count, name) in zip(palette(len(single)), single):
        label = "no priming" if count == 0 else f"{count} primed at n = {target}"
        ax.plot(res.lengths, [res.at(name, L) for L in res.lengths], "o-", ms=3, color=color, label=label)
    ax.axvline(target, ls=":", color="k", lw=0.8)
    ax.set_xlabel(f"digits n of the first operand (n × {m_digits})")
    ax.set_ylabel("exact-match accuracy")
    ax.set_ylim(-0.03, 1.08)
    ax.legend(fontsize=7, frameon=False)
    return fig


def fig_priming_counts(res: GroupAccuracy, target: int, train_digits: int):
    """Accuracy at the target length and in distribution vs the number of priming examples."""
    fig, ax = new_figure(1, 1, width=3.6, height=2.7)
    single = sorted(((s.n_primed, n) for n, s in res.specs.items() if len(s.prime_lengths) <= 1))
    counts = [c for c, _ in single]
    x = [max(c, 1) for c in counts]
    ax.plot(x, [res.at(n, target) for _, n in single], "o-", label=f"n = {target} (primed length)")
    ax.plot(x, [res.at(n, train_digits) for _, n in single], "s--", label=f"n = {train_digits} (in distribution)")
    ax.set_xscale("log")
    _log_ticks(ax, x, ["0" if c == 0 else str(c) for c in counts])
    ax.set_xlabel("priming examples (0 plotted at 1)")
    ax.set_ylabel("exact-match accuracy")
    ax.set_ylim(-0.03, 1.08)
    ax.legend(fontsize=7, frameon=False)
    return fig


def fig_multi_length(res: GroupAccuracy, train_digits: int):
    """Priming several lengths at once: the multi-length model vs the unprimed one, primed lengths marked."""
    fig, ax = new_figure(1, 1, width=4.2, height=2.9)
    _train_band(ax, train_digits)
    multi = next(n for n, s in res.specs.items() if len(s.prime_lengths) > 1)
    unprimed = next(n for n, s in res.specs.items() if s.n_primed == 0)
    spec = res.specs[multi]
    ax.plot(res.lengths, [res.at(unprimed, L) for L in res.lengths], "o-", ms=3, color="0.5", label="no priming")
    ax.plot(res.lengths, [res.at(multi, L) for L in res.lengths], "o-", ms=3,
            label=f"{spec.n_primed} primed over n = {', '.join(map(str, spec.prime_lengths))}")
    for L in spec.prime_lengths:
        ax.axvline(L, ls=":", color="k", lw=0.7)
    ax.set_xlabel("digits n of the first operand")
    ax.set_ylabel("exact-match accuracy")
    ax.set_ylim(-0.03, 1.08)
    ax.legend(fontsize=7, frameon=False)
    return fig


def fig_priming_law(res: GroupAccuracy, target: int, threshold: float, needed: Mapping[int, float],
                    fits: Mapping[str, float]):
    """(a) Accuracy at the target length vs priming count for each training-set size; (b) the count needed to
    reach ``threshold`` vs training-set size (log axis) with the fitted log and power laws."""
    fig, axes = new_figure(2, 1, width=3.7, height=2.9)
    ax, bx = np.ravel(axes)
    sizes = sorted({s.train_size for s in res.specs.values()})
    for color, size in zip(palette(len(sizes)), sizes):
        pts = sorted((s.n_primed, res.at(n, target)) for n, s in res.specs.items() if s.train_size == size)
        ax.plot([max(c, 1) for c, _ in pts], [a for _, a in pts], "o-", ms=3, color=color,
                label=f"N = {size:,}")
    ax.axhline(threshold, ls=":", color="k", lw=0.8)
    ax.set_xscale("log")
    counts = sorted({s.n_primed for s in res.specs.values()})
    _log_ticks(ax, [max(c, 1) for c in counts])
    ax.set_xlabel("priming examples" + (" (0 plotted at 1)" if 0 in counts else ""))
    ax.set_ylabel(f"exact match at n = {target}")
    ax.set_ylim(-0.03, 1.08)
    ax.legend(fontsize=7, frameon=False)
    finite = {n: c for n, c in needed.items() if math.isfinite(c)}
    bx.plot(list(finite), list(finite.values()), "o", color="k", label="needed (smallest count on the grid)")
    missing = [n for n, c in needed.items() if not math.isfinite(c)]
    if missing:
        top = max(list(finite.values()) + [1.0])
        bx.plot(missing, [top * 1.2] * len(missing), "^", color="C3", label="not reached on the grid")
    grid = np.geomspace(min(needed), max(needed), 50)
    if math.isfinite(fits.get("log_r2", math.nan)):
        bx.plot(grid, fits["log_a"] + fits["log_b"] * np.log(grid), "-",
                label=f"a + b ln N (R² = {fits['log_r2']:.2f})")
    if math.isfinite(fits.get("power_r2", math.nan)):
        bx.plot(grid, fits["power_c"] * grid ** fits["power_p"], "--",
                label=f"c N^{fits['power_p']:.2f} (R² = {fits['power_r2']:.2f})")
    bx.set_xscale("log")
    _log_ticks(bx, sizes)
    bx.set_xlabel("training-set size N")
    bx.set_ylabel(f"priming examples for {threshold:.0%} at n = {target}")
    bx.legend(fontsize=6.5, frameon=False)
    label_axes([ax, bx])
    return fig
