"""The estimator base every symbolic paper builds on: checkpoint loading, decoding settings, fitted output."""
from __future__ import annotations

import os

import pytest
import sympy
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from paper_code.symbolic.candidates import Candidate, DecodingSettings
from paper_code.symbolic.estimator import CheckpointMissingError, SymbolicEstimator, load_checkpoint
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.sympy_bridge import symbol


def test_missing_checkpoint_names_the_dvc_pull_command(tmp_path):
    with pytest.raises(CheckpointMissingError, match=r"restore it with `dvc pull models/nope/model.pt`"):
        load_checkpoint("models/nope/model.pt", lambda p: None)
    with pytest.raises(CheckpointMissingError, match=r"`dvc pull train_x`.*, or train it$"):
        load_checkpoint("models/nope/model.pt", lambda p: None, restore="dvc pull train_x", train_hint="train it")
    with pytest.raises(CheckpointMissingError, match=r"x.pt: check the path .*`dvc pull train_x`"):
        load_checkpoint(tmp_path / "x.pt", lambda p: None, restore="dvc pull train_x")


def test_checkpoints_are_loaded_once_per_file_version(tmp_path):
    path = tmp_path / "m.pt"
    path.write_bytes(b"one")
    calls = []

    def build(p):
        calls.append(p.read_bytes())
        return len(calls)

    assert load_checkpoint(path, build, key="a") == load_checkpoint(str(path), build, key="a") == 1
    assert load_checkpoint(path, build, key="b") == 2  # another config: built again
    path.write_bytes(b"second")
    os.utime(path, ns=(1, 10**18))
    assert load_checkpoint(path, build, key="a") == 3 and calls[-1] == b"second"


class _Toy(SymbolicEstimator):
    def __init__(self, n_candidates: int | None = None, temperature: float | None = None, beam_size: int | None = None,
                 seed: int | None = None, use_cache: bool = True) -> None:
        self.n_candidates = n_candidates
        self.temperature = temperature
        self.beam_size = beam_size
        self.seed = seed
        self.use_cache = use_cache


def test_decoding_settings_default_to_the_preset_and_are_checked():
    preset = DecodingSettings(n_candidates=50, temperature=0.1, beam_size=1, seed=3)
    assert _Toy()._decoding_settings(preset) == preset
    assert _Toy(temperature=0.0, use_cache=False)._decoding_settings(preset) == DecodingSettings(
        50, 0.0, 1, 3, use_cache=False)
    with pytest.raises(ValueError, match=r"DecodingSettings.n_candidates: 0 is out of range; valid: >= 1"):
        _Toy(n_candidates=0)._decoding_settings(preset)


def test_params_round_trip_and_fitted_output():
    est = _Toy(n_candidates=8)
    assert est.get_params() == {"n_candidates": 8, "temperature": None, "beam_size": None, "seed": None,
                                "use_cache": True}
    assert est.set_params(temperature=0.3) is est and clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est._check_fitted()
    trees = (op("mul", const(-0.5), var(0)), op("sin", var(1)))
    est._set_result([Candidate(trees, 0, 0.9), Candidate((var(0), var(1)), 1, 0.1)])
    est._check_fitted()
    x0, x1 = symbol("x_0"), symbol("x_1")
    assert sympy.simplify(est.equations_[0] - (-0.5 * x0)) == 0 and est.equations_[1] == sympy.sin(x1)
    assert est.equations_str_ == ("y_0 = -0.5*x_0", "y_1 = sin(x_1)") and str(est) == "y_0 = -0.5*x_0\ny_1 = sin(x_1)"
    assert est.trees_ == trees and len(est.candidates_) == 2
    assert not hasattr(clone(est), "trees_")  # clone gives an unfitted copy
