"""ODEFormer as a scikit-learn style estimator on the user's own trajectories.

The fits use the trained quick checkpoint (``dvc pull train_odeformer``); the quick model is
small, so the recovery checks are on the simplest laws (exponential decay and growth), and on the other
systems only the output is checked (a valid system of the right dimension whose reported fit is its score).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from paper_code.odeformer import train as T
from paper_code.odeformer.checkpoint import CheckpointSettingsError
from paper_code.odeformer.config import PRESETS
from paper_code.odeformer.estimator import ODEFormer
from paper_code.odeformer.integrate import ODEBENCH_SOLVER, integrate
from paper_code.symbolic.estimator import CheckpointMissingError, resolve_path
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.sympy_bridge import symbol

HAVE_CHECKPOINT = resolve_path(PRESETS["quick"].checkpoint_path).is_file()
needs_checkpoint = pytest.mark.skipif(not HAVE_CHECKPOINT, reason="trained checkpoint not restored: "
                                      "`dvc pull train_odeformer`")

T_GRID = np.linspace(0.0, 10.0, 64)
DECAY = (op("mul", const(-0.5), var(0)),)


def _solve(system, x0, t=T_GRID):
    return integrate(system, x0, t, ODEBENCH_SOLVER).y


def test_params_round_trip_and_clone():
    est = ODEFormer(n_candidates=8, temperature=0.2)
    params = est.get_params()
    assert params["n_candidates"] == 8 and params["temperature"] == 0.2 and params["beam_size"] is None
    assert set(params) == {"checkpoint", "scale", "n_candidates", "temperature", "beam_size", "max_bag", "refine_s",
                           "rescale", "seed", "use_cache", "config"}
    assert est.set_params(beam_size=4, seed=3) is est and est.get_params()["beam_size"] == 4
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(n_candidate=3)
    with pytest.raises(NotFittedError):
        est.predict(T_GRID, [1.0])


def test_missing_checkpoint_says_dvc_pull(tmp_path):
    with pytest.raises(CheckpointMissingError, match="none.pt: .*`dvc pull train_odeformer`.*`dvc repro train_"):
        ODEFormer(checkpoint=str(tmp_path / "none.pt")).fit(T_GRID, np.exp(-T_GRID))


def test_checkpoint_of_another_size_is_refused(tmp_path):
    cfg = PRESETS["quick"].replace(dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8))
    path = tmp_path / "tiny.pt"
    torch.save({"model": T.build_model(cfg).state_dict()}, path)
    with pytest.raises(CheckpointSettingsError, match="does not fit the model of this config.*size mismatch"):
        ODEFormer(checkpoint=str(path)).fit(T_GRID, np.exp(-T_GRID))


def test_a_config_selects_the_checkpoint_and_the_decoding_defaults(tmp_path):
    """A session's resolved config (overrides included) replaces the scale preset: its checkpoint and settings."""
    cfg = PRESETS["quick"].replace(dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8, batch_size=8,
                                        cache_size=16, cache_chunk=8, gen_workers=1, max_steps=1, checkpoint_every=0,
                                        cache_dir=str(tmp_path / "cache"), checkpoint_path=str(tmp_path / "m.pt"),
                                        n_candidates=3, sweep_ks=(1, 2), temperature=0.7))
    systems, _ = T.build_cache(cfg)
    T.train(cfg, progress=False, systems=systems)
    method = ODEFormer(config=cfg)._method()  # the preset's checkpoint would not fit this 32-wide model
    assert (method.n_candidates, method.temperature, method.model.cfg.d_model) == (3, 0.7, 32)
    assert ODEFormer(config=cfg, n_candidates=5)._method().n_candidates == 5  # explicit parameters still win
    with pytest.raises(ValueError, match="config must be an OdeformerConfig"):
        ODEFormer(config={"d_model": 32}).fit(T_GRID, np.exp(-T_GRID))


@pytest.mark.parametrize("t, x, msg", [
    (np.ones((5, 2)), np.ones(5), "t must be a 1-D array"),
    (T_GRID, np.ones((63, 1)), r"x must have shape \(T, D\)"),
    (T_GRID[::-1], np.ones(64), "strictly increasing"),
    (T_GRID, np.r_[np.nan, np.ones(63)], "must be finite"),
    ([T_GRID, T_GRID], np.ones(64), "x must be a list of as many"),
    ([T_GRID, T_GRID], [np.ones(64), np.ones((64, 2))], "same dimension"),
    ([T_GRID, T_GRID[:10]], [np.ones(64), np.ones(11)], r"x\[1\] must have shape"),
])
def test_bad_inputs_are_one_line_errors(t, x, msg):
    with pytest.raises(ValueError, match=msg):
        ODEFormer().fit(t, x)


@needs_checkpoint
def test_fit_recovers_exponential_decay_and_predicts():
    y = _solve(DECAY, [2.0])
    est = ODEFormer().fit(T_GRID, y)
    assert est.fit(T_GRID, y[:, 0]) is est  # (T,) is one component
    assert est.n_features_in_ == 1 and len(est.trees_) == 1
    assert est.equations_str_[0].startswith("dx_0/dt = ")
    assert est.equations_[0].free_symbols == {symbol("x_0")}
    rate = sympy.diff(est.equations_[0], symbol("x_0"))
    assert float(rate) == pytest.approx(-0.5, rel=0.05)  # the law itself, not only a good fit
    assert est.score(T_GRID, y) > 0.9  # the paper's recovery threshold
    t_new = np.linspace(0.0, 5.0, 30)
    pred = est.predict(t_new, [-1.0])
    np.testing.assert_allclose(pred, _solve(est.trees_, [-1.0], t_new), rtol=1e-6)
    np.testing.assert_allclose(pred[:, 0], -np.exp(-0.5 * t_new), rtol=0.05, atol=1e-3)
    with pytest.raises(ValueError, match="fitted dimension D=1"):
        est.predict(t_new, [1.0, 2.0])
    with pytest.raises(ValueError, match="up to D=2"):
        ODEFormer().fit(T_GRID, np.ones((64, 3)) + T_GRID[:, None])


@needs_checkpoint
def test_fit_on_several_trajectories_of_one_system():
    ys = [_solve(DECAY, [2.0]), _solve(DECAY, [-1.0])]
    est = ODEFormer().fit([T_GRID, T_GRID], ys)
    assert est.score(T_GRID, ys[0]) > 0.9 and est.score(T_GRID, ys[1]) > 0.9
    assert est.score([T_GRID, T_GRID], ys) == pytest.approx(np.mean([est.score(T_GRID, y) for y in ys]))
    one = ODEFormer().fit(T_GRID, ys[0])
    assert len(est.candidates_) > len(one.candidates_)  # candidates of both observations are pooled


@needs_checkpoint
@pytest.mark.parametrize("name, system, x0", [
    ("logistic", (op("mul", op("mul", const(0.8), var(0)), op("sub", const(1.0), op("mul", const(0.2), var(0)))),),
     [0.3]),
    ("harmonic oscillator", (var(1), op("mul", const(-1.0), var(0))), [1.0, 0.0]),
    ("damped oscillator", (op("add", op("mul", const(-0.3), var(0)), var(1)),
                           op("sub", op("mul", const(-1.0), var(0)), op("mul", const(0.3), var(1)))), [1.0, 0.5]),
])
def test_fit_returns_a_valid_system_of_the_right_dimension(name, system, x0):
    y = _solve(system, x0)
    est = ODEFormer().fit(T_GRID, y)
    D = len(system)
    assert len(est.trees_) == len(est.equations_) == len(est.equations_str_) == D
    assert set().union(*(eq.free_symbols for eq in est.equations_)) <= {symbol(f"x_{i}") for i in range(D)}
    scores = [c.score for c in est.candidates_]
    assert scores == sorted(scores, reverse=True) and 0.0 <= scores[0] <= 1.0


@needs_checkpoint
def test_refinement_never_lowers_the_fit():
    y = _solve(DECAY, [2.0])
    plain = ODEFormer().fit(T_GRID, y)
    refined = ODEFormer(refine_s=2.0).fit(T_GRID, y)
    assert refined.candidates_[0].score >= plain.candidates_[0].score


def test_bad_settings_are_reported_at_fit():
    y = np.exp(-T_GRID)
    with pytest.raises(ValueError, match="'big' is not a preset; valid: quick, paper"):
        ODEFormer(scale="big").fit(T_GRID, y)
    if HAVE_CHECKPOINT:
        with pytest.raises(ValueError, match="temperature: -1.0 is out of range; valid: >= 0"):
            ODEFormer(temperature=-1.0).fit(T_GRID, y)
        with pytest.raises(ValueError, match="max_bag must be >= 2"):
            ODEFormer(max_bag=1).fit(T_GRID, y)
