"""The paper's experiments, one function per figure, each returning data and metrics (the notebook's ``X``).

Every ``run_*`` takes the resolved :class:`~paper_code.dfa.config.DFAConfig` and returns
a small frozen dataclass; every ``*_metrics`` turns it into the plain numbers written to
``metrics/dfa_alignment.json`` and checked by :mod:`paper_code.dfa.claims`. Figures are
drawn by :mod:`paper_code.dfa.figures`. The code lives in three modules, re-exported
here: :mod:`~paper_code.dfa.exp_shallow` (figures 1-2), :mod:`~paper_code.dfa.exp_deep_linear`
(figure 3) and :mod:`~paper_code.dfa.exp_images` (figures 4-8). Figure numbers are ours
(docs/papers/dfa_alignment.md lists what each one regenerates).
"""
from __future__ import annotations

from paper_code.dfa.curves import crossing_time, first_crossing, has_peaked, onset_time, settle_time
from paper_code.dfa.exp_deep_linear import NEAR_IDENTITY_COND, DeepLinearRun, deep_linear_metrics, run_deep_linear
from paper_code.dfa.exp_images import (
    CNN_MEMBERS,
    CNNRun,
    ImageData,
    MLPRun,
    cnn_metrics,
    load_fashion,
    load_images,
    mlp_metrics,
    noise_metrics,
    run_cnn,
    run_mlp,
)
from paper_code.dfa.exp_shallow import (
    ALIGNED_LEVEL,
    LinearZeroInit,
    ShallowResult,
    linear_zero_metrics,
    run_linear_zero_init,
    run_shallow,
    shallow_metrics,
)

__all__ = [
    "ALIGNED_LEVEL",
    "ShallowResult",
    "run_shallow",
    "shallow_metrics",
    "LinearZeroInit",
    "run_linear_zero_init",
    "linear_zero_metrics",
    "NEAR_IDENTITY_COND",
    "DeepLinearRun",
    "run_deep_linear",
    "deep_linear_metrics",
    "ImageData",
    "load_images",
    "load_fashion",
    "MLPRun",
    "run_mlp",
    "mlp_metrics",
    "noise_metrics",
    "CNN_MEMBERS",
    "CNNRun",
    "run_cnn",
    "cnn_metrics",
    "first_crossing",
    "crossing_time",
    "settle_time",
    "onset_time",
    "has_peaked",
]
