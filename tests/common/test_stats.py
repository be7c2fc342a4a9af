from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.stats import bootstrap_diff


def test_bootstrap_diff_unpaired_and_paired():
    rng = np.random.default_rng(0)
    b = rng.normal(0.0, 1.0, 120)
    a = b + 0.5 + rng.normal(0.0, 0.01, 120)
    d, lo, hi = bootstrap_diff(a, b, 2000, seed=1)
    assert d == pytest.approx(a.mean() - b.mean()) and lo < d < hi
    assert bootstrap_diff(a, b, 2000, seed=1) == (d, lo, hi)  # seeded
    pd_, plo, phi = bootstrap_diff(a, b, 2000, seed=1, paired=True)
    assert pd_ == d and plo < d < phi
    assert phi - plo < 0.01 < hi - lo  # pairs remove the shared spread
    _, nlo, nhi = bootstrap_diff(a, b, 2000, seed=1, level=0.5)
    assert lo < nlo < nhi < hi
    d, lo, hi = bootstrap_diff(np.ones(30), np.zeros(10), 500, seed=0)  # unequal sizes
    assert (d, lo, hi) == (1.0, 1.0, 1.0)


def test_bootstrap_diff_rejects_empty_and_unequal_pairs():
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_diff(np.array([]), np.ones(3), 10, seed=0)
    with pytest.raises(ValueError, match="same length"):
        bootstrap_diff(np.ones(3), np.ones(4), 10, seed=0, paired=True)
