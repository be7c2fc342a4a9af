"""``new_paper``: presets, validation, and the experiment's known limit."""
from __future__ import annotations

import pytest

from paper_code.common.config import ConfigError, resolve_config
from paper_code.new_package import experiments as X
from paper_code.new_package.claims import CLAIMS


def test_presets_resolve():
    quick, paper = resolve_config("new_paper", "quick"), resolve_config("new_paper", "paper")
    assert max(quick.sample_sizes) <= max(paper.sample_sizes)


def test_bad_values_are_rejected():
    with pytest.raises(ConfigError, match="sample_sizes: must be strictly increasing"):
        resolve_config("new_paper", "quick", {"sample_sizes": [100, 10]})


def test_error_follows_the_inverse_sqrt_law():
    res = X.run_error_vs_samples(resolve_config("new_paper", "quick"))
    assert X.error_slope(res) == pytest.approx(-0.5, abs=0.1)


def test_claims_check_reported_metrics():
    metrics = X.summarize(X.run_error_vs_samples(resolve_config("new_paper", "quick", {"n_repeats": 20})))
    assert {c.metric for c in CLAIMS} <= set(metrics)
