"""Resumable runs: evaluations on a grid, exact resume after an interruption, refusal of another run's checkpoint."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from paper_code.common.training import CheckpointMismatchError
from paper_code.dfa import deep as deep_mod
from paper_code.dfa.deep import MLPEnsemble, eval_steps_log, train_ensemble
from paper_code.dfa.feedback import uniform_feedback
from paper_code.dfa.precompute import main as precompute_main
from paper_code.dfa.precompute import record_times
from paper_code.dfa.resumable import checkpoint_file, digest
from paper_code.dfa.shallow import ShallowSetup, train_shallow

FIELDS = ("train_error", "test_error", "weight_alignment", "weight_alignment_total", "grad_alignment",
          "grad_alignment_total", "corrupt_error")


def _problem(noise_seed: int = 0):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    y = torch.randint(0, 3, (3, 64), generator=g)
    corrupted = torch.zeros(3, 64, dtype=torch.bool)
    corrupted[2, noise_seed::5] = True  # member 2 sees some labels as "corrupted"
    sizes = [8, 6, 6, 3]
    B = uniform_feedback(sizes[1:-1], 3, seed=1)
    model = MLPEnsemble(sizes, torch.tensor([True, False, True]), B, activation="tanh", member_seeds=[0, 0, 1])
    return model, x, y, corrupted


def _train(tmp_path=None, noise_seed: int = 0):
    model, x, y, corrupted = _problem(noise_seed)
    ckpt = None if tmp_path is None else tmp_path / "run.pt"
    return train_ensemble(model, x, y, x[:16], y[0, :16], task="classification", lr=0.1, batch_size=8, epochs=6,
                          order_seeds=[0, 0, 1], n_evals=12, align_batch=16, cross_seed_groups={"dfa": [0, 2]},
                          corrupted=corrupted, checkpoint=ckpt)


def test_evaluations_fall_on_the_log_grid():
    steps = eval_steps_log(48, 12)
    assert steps[0] == 0 and steps[-1] == 48 and (np.diff(steps) > 0).all()
    run = _train()
    np.testing.assert_allclose(run.epochs * 8, steps)  # 8 steps per epoch
    assert run.corrupt_error.shape == run.train_error.shape
    assert np.isnan(run.corrupt_error[:2]).all() and np.isfinite(run.corrupt_error[2]).all()
    assert run.cross_seed["dfa"].shape == run.epochs.shape


def test_an_interrupted_run_resumes_exactly(tmp_path, monkeypatch):
    reference = _train()
    calls = {"n": 0}
    real = deep_mod.gradient_alignment

    def crash_on_the_ninth_evaluation(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 9:
            raise KeyboardInterrupt  # a kill in the middle of training, after some checkpoints
        return real(*args, **kwargs)

    monkeypatch.setattr(deep_mod, "gradient_alignment", crash_on_the_ninth_evaluation)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path)
    monkeypatch.setattr(deep_mod, "gradient_alignment", real)
    assert (tmp_path / "run.pt").exists()
    resumed = _train(tmp_path)
    assert resumed.resumed_from > 0
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(resumed, f), getattr(reference, f), err_msg=f)
    np.testing.assert_array_equal(resumed.cross_seed["dfa"], reference.cross_seed["dfa"])
    for a, b in zip(resumed.model.weights, reference.model.weights):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # a finished checkpoint is read back without training again
    again = _train(tmp_path)
    assert again.resumed_from == 48
    np.testing.assert_array_equal(again.grad_alignment, reference.grad_alignment)


def test_another_runs_checkpoint_is_refused_not_reused(tmp_path):
    _train(tmp_path)
    before = (tmp_path / "run.pt").read_bytes()
    with pytest.raises(CheckpointMismatchError, match="belongs to a different run.*identity"):
        _train(tmp_path, noise_seed=1)  # same shapes, other corrupted labels
    assert (tmp_path / "run.pt").read_bytes() == before  # left as it was


def test_shallow_run_resumes_and_records_on_the_given_steps(tmp_path):
    setup = ShallowSetup(N=50, K=3, M=2, w0_std=1e-3, v0_std=0.0, t_max=4.0, eval_dt=1.0, n_seeds=2)
    steps = [0, 1, 5, 25, 100, 200]
    ref = train_shallow(setup, record_steps=steps)
    np.testing.assert_allclose(ref.t, np.array(steps) / 50)
    ckpt = tmp_path / "shallow.pt"
    first = train_shallow(setup, record_steps=steps, checkpoint=ckpt)
    again = train_shallow(setup, record_steps=steps, checkpoint=ckpt)  # read back
    for r in (first, again):
        np.testing.assert_array_equal(r.v, ref.v)
        np.testing.assert_array_equal(r.Q, ref.Q)
    with pytest.raises(CheckpointMismatchError):
        train_shallow(setup, record_steps=[0, 2, 200], checkpoint=ckpt)


def test_digest_and_checkpoint_names():
    a = torch.arange(6.0)
    assert digest(a, {"k": 1}) == digest(a.clone(), {"k": 1})
    assert digest(a, {"k": 1}) != digest(a + 1e-7, {"k": 1}) != digest(a, {"k": 2})
    assert digest(np.zeros(3)) != digest(np.zeros(4))
    assert checkpoint_file("", "x") is None and checkpoint_file(None, "x") is None
    assert checkpoint_file("/tmp/ck", "mlp").as_posix() == "/tmp/ck/mlp.pt"
    assert checkpoint_file("build/ck", "mlp").is_absolute()


def test_precompute_records_times_and_needs_a_checkpoint_dir(tmp_path, capsys):
    record_times(tmp_path, "cnn", 10.0, 8.0)
    record_times(tmp_path, "cnn", 5.0, 4.0)  # a resumed session adds to the part
    record_times(tmp_path, "shallow", 1.0, 1.0)
    data = json.loads((tmp_path / "cpu_times.json").read_text())
    assert data["cnn"] == {"wall_s": 15.0, "cpu_s": 12.0, "sessions": 2}
    assert data["total"] == {"wall_s": 16.0, "cpu_s": 13.0}
    assert precompute_main(["--scale", "quick"]) == 2
    assert "sets no checkpoint_dir" in capsys.readouterr().err


def test_a_device_this_machine_lacks_is_refused_with_the_valid_specs():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    model, x, y, corrupted = _problem()
    with pytest.raises(ValueError, match="cuda"):
        train_ensemble(model, x, y, x[:16], y[0, :16], task="classification", lr=0.1, batch_size=8, epochs=1,
                       order_seeds=[0, 0, 1], device="cuda")
