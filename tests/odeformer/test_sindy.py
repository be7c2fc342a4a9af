"""SINDy baseline (the paper's baseline protocol, pysindy): recovery of known polynomial ODEBench systems,
tree conversion against pysindy's own ``predict``, behaviour under noise / irregular sampling, bad inputs."""
from __future__ import annotations

import numpy as np
import pysindy as ps
import pytest

from paper_code.odeformer.odebench import ODEBENCH_TIME, odebench_system
from paper_code.odeformer.scoring import reconstruction_score
from paper_code.odeformer.sindy import (
    PAPER_GRID,
    QUICK_GRID,
    REFERENCE_GRID,
    SINDyGrid,
    SINDySetting,
    fit_sindy,
    sindy_odebench,
    sindy_search,
    sindy_to_trees,
)

# 150 evenly spaced points of the 512-point ODEBench grid.
IDX = np.round(np.linspace(0, len(ODEBENCH_TIME) - 1, 150)).astype(int)
T = ODEBENCH_TIME[IDX]


def _clean(system_id: int) -> np.ndarray:
    traj = odebench_system(system_id).solve(0, T)
    assert traj.ok
    return traj.y


def _coef(result, component: int, feature: str) -> float:
    return float(result.coefficients[component, result.feature_names.index(feature)])


# id, expected non-zero coefficients {(component, feature): value}; every other coefficient must be ~0.
KNOWN = [
    (3, {(0, "x_0"): 0.79, (0, "x_0^2"): -0.79 / 74.3}),                    # logistic growth
    (24, {(0, "x_1"): 1.0, (1, "x_0"): -2.1}),                              # harmonic oscillator (linear)
    (31, {(0, "x_0 x_1"): -0.4, (1, "x_0 x_1"): 0.4, (1, "x_1"): -0.314}),  # SIR-type, Lotka-Volterra form
]


@pytest.mark.parametrize("system_id,expected", KNOWN)
def test_recovers_polynomial_systems_on_clean_data(system_id, expected):
    y = _clean(system_id)
    result = sindy_search(T, y, REFERENCE_GRID)
    for (i, feat), value in expected.items():
        assert _coef(result, i, feat) == pytest.approx(value, rel=2e-2)
    # spurious terms are small compared with the true ones
    mask = np.ones_like(result.coefficients, dtype=bool)
    for (i, feat) in expected:
        mask[i, result.feature_names.index(feat)] = False
    assert np.max(np.abs(result.coefficients[mask]), initial=0.0) < 0.02
    assert reconstruction_score(result.trees, T, y) > 0.99
    assert result.inference_time_s > 0 and result.n_failed == 0
    assert len(result.scores) == REFERENCE_GRID.n_settings


def test_tree_conversion_matches_pysindy_predict():
    rng = np.random.default_rng(0)
    y = 1.0 + _clean(31)  # positive states, so log / sqrt / 1/x stay in the library
    setting = SINDySetting(degree=3, functions=("sin", "cos", "exp", "log", "sqrt", "inv"), threshold=0.0)
    model = fit_sindy(T, y, setting)
    assert len(model.get_feature_names()) == 10 + 12  # all functions kept
    trees = sindy_to_trees(model)
    X = rng.uniform(0.5, 3.0, size=(200, 2))
    ours = np.stack([tr.evaluate(X) for tr in trees], axis=1)
    np.testing.assert_allclose(ours, model.predict(X), rtol=1e-9, atol=1e-9)


def test_all_zero_component_becomes_constant_zero():
    model = fit_sindy(T, _clean(24), SINDySetting(threshold=1e6))
    trees = sindy_to_trees(model)
    assert [tr.value for tr in trees] == [0.0, 0.0]
    assert np.all(trees[0].evaluate(np.ones((3, 2))) == 0.0)


def test_derivative_selection_with_held_out_tail_and_refit():
    y = _clean(24)
    result = sindy_search(T, y, QUICK_GRID)
    assert np.isfinite(result.score)
    assert reconstruction_score(result.trees, T, y) > 0.99
    # the winner is refit on all points: its trees evaluate like the refit model on the data
    ours = np.stack([tr.evaluate(y) for tr in result.trees], axis=1)
    np.testing.assert_allclose(ours, result.model.predict(y), rtol=1e-9, atol=1e-9)


def test_noise_changes_selected_setting_and_model_stays_valid():
    grid = SINDyGrid(degrees=(2, 3), thresholds=(0.01, 0.05, 0.2), smoother_windows=(None, 15))
    clean, clean_score = sindy_odebench(odebench_system(31), grid, noise=0.0, seed=1)
    noisy, noisy_score = sindy_odebench(odebench_system(31), grid, noise=0.05, seed=1)
    assert noisy.setting != clean.setting
    assert all(np.all(np.isfinite(tr.evaluate(_clean(31)))) for tr in noisy.trees)
    assert clean_score.reconstruction > 0.99 and noisy_score.reconstruction > 0.9
    assert noisy_score.reconstruction <= clean_score.reconstruction


def test_irregular_sampling():
    result, score = sindy_odebench(odebench_system(24), REFERENCE_GRID, subsample_fraction=0.5, seed=3)
    assert score.reconstruction > 0.99 and score.generalization > 0.99


def test_paper_grid_matches_the_official_search():
    assert PAPER_GRID.n_settings == 3 * 2 * 3 * 3 * 2 * 3 * 2  # degrees × functions × thr × α × iter × FD × smooth
    assert PAPER_GRID.eval_fraction == 0.3 and PAPER_GRID.selection == "derivative"
    assert set(PAPER_GRID.thresholds) == {0.05, 0.1, 0.15} and set(PAPER_GRID.alphas) == {0.025, 0.05, 0.075}


@pytest.mark.parametrize("t,y,grid", [
    (T[None, :], _clean(24), REFERENCE_GRID),                       # t not 1-D
    (T[:-1], _clean(24), REFERENCE_GRID),                           # length mismatch
    (T[::-1], _clean(24), REFERENCE_GRID),                          # not increasing
    (T, np.where(np.arange(150)[:, None] == 5, np.nan, _clean(24)), REFERENCE_GRID),  # NaN
    (T[:5], _clean(24)[:5], REFERENCE_GRID),                        # too few points
    (T[:10], _clean(24)[:10], QUICK_GRID),                          # too few for a 30 % tail
    (T, np.zeros((150, 2, 2)), REFERENCE_GRID),                     # 3-D y
])
def test_bad_inputs_raise(t, y, grid):
    with pytest.raises(ValueError):
        sindy_search(t, y, grid)


@pytest.mark.parametrize("make", [
    lambda: SINDyGrid(selection="bic"),
    lambda: SINDyGrid(eval_fraction=1.0),
    lambda: SINDyGrid(thresholds=()),
    lambda: SINDySetting(degree=0),
    lambda: SINDySetting(functions=("tanh",)),
    lambda: SINDySetting(smoother_window=14),
    lambda: sindy_to_trees(ps.SINDy()),
    lambda: sindy_odebench(odebench_system(3), n_points=4),
])
def test_bad_configuration_raises(make):
    with pytest.raises(ValueError):
        make()
