"""Reconstruction / generalisation scoring on crafted cases (the paper's R² > 0.9 accuracy)."""
from __future__ import annotations

import numpy as np

from paper_code.odeformer.integrate import ODEBENCH_SOLVER, integrate
from paper_code.odeformer.odebench import ODEBENCH_TIME, odebench_system, parse_system
from paper_code.odeformer.scoring import (
    SystemScore,
    accuracy,
    generalization_score,
    reconstruction_score,
    trajectory_r2,
)

TRUE = parse_system(["x1", "-2.1 * x0"])  # ODEBench id 24 (harmonic oscillator)
T = ODEBENCH_TIME


def _clean(x0):
    return integrate(TRUE, x0, T, ODEBENCH_SOLVER).y


def test_perfect_prediction_scores_one():
    y = _clean([0.4, -0.03])
    assert reconstruction_score(TRUE, T, y) > 1 - 1e-9
    equivalent = parse_system(["x1", "-(1.05 * x0 + 1.05 * x0)"])  # same ODE, different tree
    assert generalization_score(equivalent, T, [0.0, 0.5], true_system=TRUE) > 1 - 1e-6


def test_diverging_prediction_scores_zero():
    y = _clean([0.4, -0.03])
    assert reconstruction_score(parse_system(["x1^2 + 1", "x0^2"]), T, y) == 0.0  # finite-time blow-up
    assert reconstruction_score(parse_system(["log(x0 - 10)", "x0"]), T, y) == 0.0  # NaN right-hand side
    assert reconstruction_score(parse_system(["x1"]), T, y) == 0.0  # wrong dimension
    assert trajectory_r2(y, np.full_like(y, np.nan)) == 0.0


def test_wrong_prediction_is_clipped_and_ranked():
    y = _clean([0.4, -0.03])
    close = reconstruction_score(parse_system(["x1", "-2.12 * x0"]), T, y)
    far = reconstruction_score(parse_system(["x1", "-4 * x0"]), T, y)
    assert 0.9 < close < 1.0 and 0.0 <= far < close


def test_generalisation_against_reference_ic2_of_odebench_system():
    s = odebench_system(24)
    y2 = s.solve(1).y
    assert generalization_score(s.trees, T, s.init[1], y_true_new=y2) > 1 - 1e-9
    # a slightly wrong system scores below 1 on both ICs
    wrong = parse_system(["x1", "-2.1 * x0 + 0.3 * x0^3"])
    rec = reconstruction_score(wrong, T, s.solve(0).y)
    gen = generalization_score(wrong, T, s.init[1], y_true_new=y2)
    assert 0.0 < rec < 1 - 1e-4 and 0.0 < gen < 1 - 1e-5


def test_accuracy_threshold_is_strict():
    assert accuracy([0.95, 0.9, 0.2, 1.0]) == 0.5
    assert SystemScore(0.91, 0.9).reconstructed and not SystemScore(0.91, 0.9).generalized
