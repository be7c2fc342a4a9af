"""Swap ratios: on a shared theory grid, and matched (n samples vs p weights) on a network grid."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.random_features.asymmetry import asymmetry_ratio, common_range, matched_swap_ratio, swap_log_ratio


def test_asymmetry_ratio_of_symmetric_and_tilted_grids():
    g = np.random.default_rng(0).uniform(0.1, 1.0, (6, 6))
    assert asymmetry_ratio(g + g.T) == pytest.approx(1.0)
    # E[P index, N index]: error falls twice as fast with N as with P -> data wins
    i = np.arange(6)
    err = 0.5 ** (0.5 * i[:, None] + 1.0 * i[None, :])
    r = asymmetry_ratio(err)
    assert r > 1
    # every pair (a < b) has ratio 0.5^(0.5 b + a) / 0.5^(0.5 a + b) = 2^(0.5 (b - a)); mean of b - a over pairs is 7/3
    assert r == pytest.approx(2 ** (0.5 * 7 / 3))
    lr = swap_log_ratio(err)
    np.testing.assert_allclose(lr, -lr.T)


def test_asymmetry_rejects_bad_grids():
    with pytest.raises(ValueError, match="square"):
        asymmetry_ratio(np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite and > 0"):
        asymmetry_ratio(np.zeros((3, 3)))


def _power_law(sizes, params, alpha=0.6, beta=0.2):
    """E(n, p) = n^-alpha p^-beta on the grid, (len(sizes), len(params))."""
    return np.asarray(sizes, float)[:, None] ** -alpha * np.asarray(params, float)[None, :] ** -beta


def test_matched_ratio_of_a_power_law_is_exact():
    # E = n^-a p^-b: every swap on the common range gives (hi/lo of the pair)^(a - b), so on k log-uniform
    # points with step h the mean log10 ratio is (a - b) h (k + 1) / 3
    sizes, params = np.geomspace(100, 10_000, 5), np.geomspace(300, 30_000, 4)
    r = matched_swap_ratio(_power_law(sizes, params), sizes, params, points_per_decade=10)
    lo, hi = np.log10(300), np.log10(10_000)
    k = int(np.ceil((hi - lo) * 10)) + 1
    h = (hi - lo) / (k - 1)
    assert r == pytest.approx(10 ** ((0.6 - 0.2) * h * (k + 1) / 3), rel=1e-9)
    assert r > 1  # the error falls faster with data: data wins


def test_matched_ratio_does_not_depend_on_how_the_grid_samples_the_range():
    # the same error surface on two 5 x 5 grids that cover the same common range of n and p = 110 width
    # (250..3520) with other points, and a finer third grid with an extra size beyond the range
    per_width = 110
    grids = [
        (np.array([250, 500, 1000, 2000, 4000]), np.array([2, 4, 8, 16, 32])),
        (np.array([250, 600, 1400, 3520, 8000]), np.array([2, 3, 8, 20, 32])),
        (np.geomspace(250, 4000, 13), np.geomspace(2, 32, 9)),
    ]
    matched = [matched_swap_ratio(_power_law(n, w * per_width), n, w * per_width) for n, w in grids]
    np.testing.assert_allclose(matched, matched[0], rtol=1e-9)
    # the old index swap (k-th size with k-th width) changes with the grid: it is not a physical quantity
    index = [asymmetry_ratio(_power_law(n, w * per_width).T) for n, w in grids[:2]]
    assert abs(np.log(index[0] / index[1])) > 0.05


def test_matched_ratio_of_a_symmetric_surface_is_one():
    sizes = np.geomspace(200, 5000, 6)
    params = np.geomspace(150, 7000, 7)
    ln, lp = np.log(sizes)[:, None], np.log(params)[None, :]
    err = np.exp(-0.3 * (ln + lp))  # symmetric in (n, p) and linear in the logs: interpolation is exact
    assert matched_swap_ratio(err, sizes, params) == pytest.approx(1.0, rel=1e-12)


def test_matched_ratio_rejects_bad_input():
    sizes, params = np.array([100, 200, 400]), np.array([1000, 2000, 4000])
    with pytest.raises(ValueError, match="do not overlap"):
        matched_swap_ratio(np.ones((3, 3)), sizes, params)
    with pytest.raises(ValueError, match="expected"):
        matched_swap_ratio(np.ones((2, 3)), sizes, sizes)
    with pytest.raises(ValueError, match="finite and > 0"):
        matched_swap_ratio(np.zeros((3, 3)), sizes, sizes)
    with pytest.raises(ValueError, match="strictly increasing"):
        matched_swap_ratio(np.ones((3, 3)), sizes[::-1], sizes)
    assert common_range([100, 400], [200, 800]) == (200.0, 400.0)
