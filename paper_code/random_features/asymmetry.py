"""How asymmetric is a phase space? The swap ratio, on a theory grid and on a network grid.

Swapping (data, parameters) = (a, b) <-> (b, a) keeps the budget (data x parameters)
fixed. The *swap ratio* is the geometric mean, over all pairs a < b of a set of
values, of

    E(data = a, parameters = b) / E(data = b, parameters = a)    (more parameters) / (more data),

so a value > 1 means that more data beats more parameters, and 1 is a symmetric
phase space (docs/papers/random_features_phase_space.md, section 4).

* Theory maps share one grid of values for N/D and P/D: :func:`asymmetry_ratio`
  swaps grid points directly, which are matched physical quantities.
* Network grids have training-set sizes n on one axis and hidden widths on the
  other, which are not the same kind of number. :func:`matched_swap_ratio` compares
  n samples with p = width x (d + classes) trainable weights: it interpolates the
  error (linearly in log n, log p, log E) on the range both axes cover and swaps
  equal values there, so the result does not depend on how the grid samples that
  range (the tests check this).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.interpolate import RegularGridInterpolator

__all__ = ["swap_log_ratio", "asymmetry_ratio", "matched_swap_ratio", "common_range"]


def swap_log_ratio(err: np.ndarray) -> np.ndarray:
    """log10 E(N=a, P=b) / E(N=b, P=a) for every pair: err is (P index, N index) square -> same shape.

    Entry [b, a] (row = P index b, column = N index a) compares the point with more
    parameters (P = b > N = a when b > a) to its swap. The diagonal is 0.
    """
    err = np.asarray(err, dtype=float)
    if err.ndim != 2 or err.shape[0] != err.shape[1]:
        raise ValueError(f"need a square (P, N) error grid, got shape {err.shape}")
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise ValueError("errors must be finite and > 0 to take ratios")
    return np.log10(err) - np.log10(err.T)


def asymmetry_ratio(err: np.ndarray) -> float:
    """Geometric mean over pairs a < b of E(N=a, P=b) / E(N=b, P=a); > 1: more data beats more parameters.

    err: (P index, N index) square grid with the same values on both axes.
    """
    lr = swap_log_ratio(err)
    lower = np.tril_indices(lr.shape[0], k=-1)  # row (P) index > column (N) index: the parameter-rich side
    return float(10 ** lr[lower].mean())


def common_range(sizes: Sequence[float], params: Sequence[float]) -> tuple[float, float]:
    """(lo, hi) of the values that both the sizes and the parameter counts cover."""
    lo, hi = max(min(sizes), min(params)), min(max(sizes), max(params))
    if not hi > lo:
        raise ValueError(f"sizes {min(sizes):g}..{max(sizes):g} and parameter counts "
                         f"{min(params):g}..{max(params):g} do not overlap")
    return float(lo), float(hi)


def matched_swap_ratio(err: np.ndarray, sizes: Sequence[float], params: Sequence[float], *,
                       points_per_decade: int = 10) -> float:
    """Swap ratio of a (size index, parameter index) error grid on the common range of n and p.

    Args:
        err: (len(sizes), len(params)) errors, all finite and > 0.
        sizes: increasing training-set sizes n; params: increasing parameter counts p.
        points_per_decade: resolution of the swap grid laid over the common range (at least 3 points).
    """
    err = np.asarray(err, dtype=float)
    ln, lp = np.log10(np.asarray(sizes, float)), np.log10(np.asarray(params, float))
    if err.shape != (ln.size, lp.size):
        raise ValueError(f"err has shape {err.shape}, expected (len(sizes), len(params)) = ({ln.size}, {lp.size})")
    if np.any(np.diff(ln) <= 0) or np.any(np.diff(lp) <= 0):
        raise ValueError("sizes and params must be strictly increasing")
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise ValueError("errors must be finite and > 0 to take ratios")
    common_range(sizes, params)  # raises if they do not overlap
    lo, hi = max(ln[0], lp[0]), min(ln[-1], lp[-1])  # in log space: exactly inside both axes
    k = max(3, int(math.ceil((hi - lo) * points_per_decade)) + 1)
    v = np.linspace(lo, hi, k)
    interp = RegularGridInterpolator((ln, lp), np.log10(err), method="linear")
    n_axis, p_axis = np.meshgrid(v, v, indexing="ij")
    log_e = interp(np.stack([n_axis, p_axis], axis=-1))  # [n index, p index]
    return asymmetry_ratio(10**log_e.T)  # as (P index, N index)
