"""Tests of seeding, RNG-state capture, device choice and the single-process distributed helpers."""
from __future__ import annotations

import io
import random

import numpy as np
import pytest
import torch
from torch import nn

from paper_code.common import distributed as D
from paper_code.common.devices import choose_device
from paper_code.common.seeding import get_rng_state, seed_everything, set_rng_state


def _draw(gen: np.random.Generator) -> tuple:
    return (random.random(), float(np.random.rand()), torch.rand(3).tolist(), torch.randn(2).tolist(),
            gen.integers(0, 2**31, size=3).tolist())


def test_seed_everything_reproduces_every_generator():
    first = _draw(seed_everything(7))
    second = _draw(seed_everything(7))
    other = _draw(seed_everything(8))
    assert first == second
    assert all(a != b for a, b in zip(first, other))  # each generator actually depends on the seed


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "3", None])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be an int in \\[0, 4294967295\\]"):
        seed_everything(seed)


def test_seed_everything_accepts_numpy_integers():
    assert _draw(seed_everything(np.int64(3))) == _draw(seed_everything(3))


def test_rng_state_round_trip_survives_safe_serialisation():
    seed_everything(1)
    random.random(), np.random.rand(), torch.rand(1)  # move away from the seeded state
    buf = io.BytesIO()
    torch.save(get_rng_state(), buf)
    expected = (random.random(), float(np.random.rand()), np.random.randn(3).tolist(), torch.rand(4).tolist())
    seed_everything(99)  # clobber
    buf.seek(0)
    set_rng_state(torch.load(buf, weights_only=True))
    assert (random.random(), float(np.random.rand()), np.random.randn(3).tolist(), torch.rand(4).tolist()) == expected


# --------------------------------------------------------------------------- devices


def test_choose_device_on_cpu():
    assert choose_device("cpu") == torch.device("cpu")
    assert choose_device(" CPU ") == torch.device("cpu")
    assert choose_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device().type == choose_device("auto").type == expected


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:-1", "", "tpu", 0])
def test_choose_device_rejects_unknown_specs(spec):
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda', 'cuda:N'"):
        choose_device(spec)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:3"])
def test_choose_device_without_cuda_says_so(spec):
    with pytest.raises(ValueError, match="CUDA is not available"):
        choose_device(spec)


def test_choose_device_with_fake_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert choose_device("auto") == torch.device("cuda")
    assert choose_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match=r"only 2 CUDA device\(s\) exist \(valid: cuda:0..cuda:1\)"):
        choose_device("cuda:2")


# --------------------------------------------------------------------------- distributed helpers (1 process)


def test_init_distributed_without_torchrun_is_a_single_process_context(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    ctx = D.init_distributed(device="cpu")
    assert (ctx.rank, ctx.world_size, ctx.local_rank, ctx.is_main, ctx.is_distributed) == (0, 1, 0, True, False)
    assert ctx.device == torch.device("cpu")
    assert D.is_main_process() and D.get_world_size() == 1
    t = torch.tensor([1.0, 2.0])
    assert D.all_reduce_mean(t) is t
    D.cleanup_distributed()  # safe without a group


def test_init_distributed_with_partial_environment_raises(monkeypatch):
    for var in ("LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="LOCAL_RANK, MASTER_ADDR, MASTER_PORT missing"):
        D.init_distributed()


def test_unwrap_model_passes_plain_modules_through():
    m = nn.Linear(2, 2)
    assert D.unwrap_model(m) is m
