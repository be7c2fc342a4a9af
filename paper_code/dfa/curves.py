"""Reading times and levels off recorded curves (alignment or error against training time)."""
from __future__ import annotations

import numpy as np

__all__ = ["first_crossing", "crossing_time", "settle_time", "onset_time", "has_peaked"]


def first_crossing(t: np.ndarray, y: np.ndarray, level: float, *, above: bool = True) -> float:
    """First recorded time at which y reaches ``level`` (from below if ``above``, else from above); NaN if never."""
    hit = y >= level if above else y <= level
    return float(t[np.argmax(hit)]) if hit.any() else float("nan")


def crossing_time(t: np.ndarray, y: np.ndarray, level: float, *, above: bool = True) -> float:
    """When y first reaches ``level``, interpolated between the two recordings around it in log t.

    NaN if it never does; t[0] if it already does at t[0]. Linear interpolation when the
    earlier recording is at t = 0.
    """
    hit = y >= level if above else y <= level
    if not hit.any():
        return float("nan")
    i = int(np.argmax(hit))
    if i == 0:
        return float(t[0])
    w = (level - y[i - 1]) / (y[i] - y[i - 1])
    if t[i - 1] <= 0:
        return float(t[i - 1] + w * (t[i] - t[i - 1]))
    lt = np.log(t[i - 1 : i + 1])
    return float(np.exp(lt[0] + w * (lt[1] - lt[0])))


def settle_time(t: np.ndarray, y: np.ndarray, level: float) -> float:
    """When y reaches ``level`` for good (it stays >= level at every later recording), interpolated in log t.

    Unlike :func:`crossing_time` this ignores early excursions above the level that are
    undone later (e.g. a fluctuating sign). NaN if y ends below the level.
    """
    below = np.flatnonzero(y < level)
    if below.size == 0:
        return float(t[0])
    i = int(below[-1]) + 1
    if i == len(y):
        return float("nan")
    return crossing_time(t[i - 1:], y[i - 1:], level)


def onset_time(t: np.ndarray, y: np.ndarray, fraction: float = 0.5) -> float:
    """When y first rises to ``fraction`` of the way from y(0) to max(y), interpolated in log t (t > 0).

    The alignment-phase onset of one layer: y is an alignment curve on log-spaced times.
    NaN if y never rises above y(0).
    """
    y0, top = float(y[0]), float(np.max(y))
    if top <= y0:
        return float("nan")
    return crossing_time(t, y, y0 + fraction * (top - y0))


def has_peaked(y: np.ndarray, after: int = 2) -> bool:
    """Whether the curve has turned down: its maximum lies before its last ``after`` recordings.

    Two recordings (not one) so that a single noisy last point does not count as a peak.
    """
    return bool(len(y) > after and np.argmax(y) < len(y) - after)
