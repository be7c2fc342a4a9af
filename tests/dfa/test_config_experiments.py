"""Presets, their validation, and the experiment helpers."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.common.claims import Claim
from paper_code.common.config import ConfigError, resolve_config
from paper_code.dfa.claims import CLAIMS
from paper_code.dfa.experiments import first_crossing, onset_time


def test_presets_resolve():
    quick = resolve_config("dfa_alignment", "quick")
    paper = resolve_config("dfa_alignment", "paper")
    assert paper.shallow_n == 500 and paper.lin_epochs == 10_000 and paper.mlp_epochs == 1000
    assert paper.label_noise == (0.0, 0.1, 0.2, 0.5, 0.9)
    assert quick.shallow_t_max <= paper.shallow_t_max


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"shallow_k": 2}, "dfa_alignment.shallow_k: must exceed shallow_m=2"),
        ({"label_noise": [0.2, 0.5]}, "label_noise: must include 0.0"),
        ({"label_noise": [0.0, 0.5, 0.2]}, "label_noise: must be strictly increasing"),
        ({"shallow_eval_dt": 0.015}, "shallow_eval_dt: must be a multiple of ode_dt"),
        ({"lin_alphas": [0.2, 0.5]}, "must include 1.0"),
        ({"mlp_activation": "gelu"}, "mlp_activation: 'gelu' is not a valid choice"),
        ({"shallow_lr": -1.0}, "shallow_lr: -1.0 is out of range"),
        ({"shalow_n": 3}, "unknown key 'shalow_n' (did you mean 'shallow_n'?)"),
    ],
)
def test_bad_values_fail_with_one_line_errors(overrides, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_config("dfa_alignment", "quick", overrides)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_crossing_and_onset():
    t = np.arange(6.0)
    assert first_crossing(t, np.array([5, 4, 3, 2, 1, 0.0]), 2.5, above=False) == 3.0
    assert np.isnan(first_crossing(t, np.zeros(6), 1.0))
    tl = np.geomspace(1, 100, 3)  # 1, 10, 100
    # half-way from 0 to 1 is reached between t = 1 (0) and t = 10 (1): at sqrt(10) in log interpolation
    assert onset_time(tl, np.array([0.0, 1.0, 1.0])) == pytest.approx(np.sqrt(10))
    assert np.isnan(onset_time(tl, np.array([1.0, 0.5, 0.2])))


def test_claims_are_well_formed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)) and all(isinstance(c, Claim) for c in CLAIMS)
    assert all(set(c.not_reproduced) <= {"quick", "paper"} for c in CLAIMS)
