"""The figures of ``new_paper``, one function per paper figure, drawn from experiment results."""
from __future__ import annotations

import numpy as np

from paper_code.common.plotting import new_figure
from paper_code.new_package.experiments import ErrorVsSamples

__all__ = ["fig_error_vs_samples"]


def fig_error_vs_samples(res: ErrorVsSamples):
    """1: RMS error of the sample mean against n, with the n^(-1/2) law."""
    fig, ax = new_figure()
    ax.loglog(res.sample_sizes, res.rms_error, "o-", label="measured")
    ax.loglog(res.sample_sizes, 1 / np.sqrt(res.sample_sizes), "k--", lw=1, label=r"$n^{-1/2}$")
    ax.set(xlabel="sample size $n$", ylabel="RMS error of the mean")
    ax.legend()
    return fig
