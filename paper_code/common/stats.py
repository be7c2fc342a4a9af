"""Small statistics shared by the papers' experiments."""
from __future__ import annotations

import numpy as np

__all__ = ["bootstrap_diff"]


def bootstrap_diff(a: np.ndarray, b: np.ndarray, n: int, seed: int, paired: bool = False,
                   level: float = 0.9) -> tuple[float, float, float]:
    """``mean(a) - mean(b)`` and its ``level`` percentile-bootstrap interval from ``n`` resamples (resampling the
    pairs ``(a_i, b_i)`` together when ``paired``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not len(a) or not len(b):
        raise ValueError(f"bootstrap_diff needs two non-empty samples, got {len(a)} and {len(b)} values")
    if paired and len(a) != len(b):
        raise ValueError(f"paired samples must have the same length, got {len(a)} and {len(b)}")
    rng = np.random.default_rng([seed, 0xB007])
    if paired:
        idx = rng.integers(0, len(a), (n, len(a)))
        diffs = a[idx].mean(1) - b[idx].mean(1)
    else:
        diffs = (a[rng.integers(0, len(a), (n, len(a)))].mean(1) - b[rng.integers(0, len(b), (n, len(b)))].mean(1))
    lo, hi = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return float(a.mean() - b.mean()), float(lo), float(hi)
