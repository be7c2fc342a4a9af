"""The runs of ``new_paper``'s notebook: each takes the config, returns a result dataclass.

The example measures how the error of a sample mean shrinks with the sample
size n: the central limit theorem predicts an RMS error sigma / sqrt(n), i.e. a
slope of -1/2 on log-log axes. Replace it with the paper's experiments; keep the
shape: ``run_*`` functions of the config, a ``summarize`` that returns the
metrics the claims check.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from paper_code.new_package.config import NewPackageConfig

__all__ = ["ErrorVsSamples", "run_error_vs_samples", "error_slope", "summarize"]


@dataclasses.dataclass(frozen=True)
class ErrorVsSamples:
    """RMS error of the sample mean of N(0, 1) draws.

    Attributes:
        sample_sizes: (S,) sample sizes n.
        rms_error: (S,) root-mean-square error of the mean over the repeats.
    """

    sample_sizes: np.ndarray
    rms_error: np.ndarray


def run_error_vs_samples(cfg: NewPackageConfig) -> ErrorVsSamples:
    rng = np.random.default_rng(cfg.seed)
    errors = []
    for n in cfg.sample_sizes:
        means = np.array([rng.standard_normal(n).mean() for _ in range(cfg.n_repeats)])  # (n_repeats,)
        errors.append(np.sqrt(np.mean(means**2)))  # the true mean is 0
    return ErrorVsSamples(np.asarray(cfg.sample_sizes, dtype=float), np.asarray(errors))


def error_slope(res: ErrorVsSamples) -> float:
    """Least-squares slope of log(rms_error) against log(n)."""
    return float(np.polyfit(np.log(res.sample_sizes), np.log(res.rms_error), 1)[0])


def summarize(res: ErrorVsSamples) -> dict[str, Any]:
    """The metrics the claims check (keys of ``metrics/new_paper.json``)."""
    return {
        "error_slope": error_slope(res),
        "rms_error": res.rms_error,
        "error_decreases": bool(np.all(np.diff(res.rms_error) < 0)),
    }
