"""One plotting style for every figure: seaborn, colour-blind palette, print-readable.

Call :func:`use_style` once (the notebook session does it). Figures are saved by
:mod:`paper_code.common.outputs` (PNG at ``outputs.PNG_DPI`` plus a PDF), named
after the paper figure they regenerate; notebooks show them at the screen
resolution ``DPI``.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import seaborn as sns

from paper_code.common.outputs import PNG_DPI

__all__ = ["use_style", "palette", "new_figure", "label_axes", "show_inline"]

PALETTE = "colorblind"
DPI = 110  # on screen and in the executed notebooks

RC = {
    "figure.dpi": DPI,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
    "axes.titlesize": 9.5,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.6,
    "svg.hashsalt": "dascoli-repro",  # deterministic SVG ids
    "pdf.fonttype": 42,
}


def use_style() -> None:
    """Apply the project style (idempotent)."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC)
    plt.rcParams.update(RC)


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colour-blind-safe colours (cycles through a sequential map beyond 10)."""
    if n <= 10:
        return sns.color_palette(PALETTE, n)
    return sns.color_palette("viridis", n)


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.6, height: float = 2.8, **kwargs):
    """``plt.subplots`` with panel sizes in inches; returns ``(fig, axes)``."""
    use_style()
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kwargs)
    return fig, (axes[0, 0] if nrows == ncols == 1 else axes)


def label_axes(axes: Sequence, start: str = "a") -> None:
    """Panel letters (a), (b), ... in the top-left corner of each axis."""
    for i, ax in enumerate(axes):
        ax.text(-0.02, 1.02, f"({chr(ord(start) + i)})", transform=ax.transAxes, fontweight="bold", va="bottom",
                ha="right")


def show_inline(fig) -> None:
    """Display ``fig`` once in the running notebook (nothing outside a Jupyter kernel), then close it.

    Closing it keeps the inline backend from showing it a second time at the end of the cell.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is optional outside notebooks
        shell = None
    else:
        shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display(fig)
    plt.close(fig)
