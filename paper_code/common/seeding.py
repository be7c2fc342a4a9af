"""Seeds and random-number-generator state for python, numpy and torch.

:func:`seed_everything` is the one call every entry point makes.
:func:`get_rng_state` / :func:`set_rng_state` capture and restore the global
generators; the trainer stores them in checkpoints so that a resumed run draws
the same dropout masks and noise as an uninterrupted one.

    >>> rng = seed_everything(0)
    >>> rng.integers(10)  # same value on every run
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

__all__ = ["seed_everything", "get_rng_state", "set_rng_state"]

_MAX_SEED = 2**32 - 1  # numpy's legacy global seed is a uint32


def seed_everything(seed: int, *, deterministic: bool = False) -> np.random.Generator:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and all GPUs).

    Args:
        seed: integer in ``[0, 2**32 - 1]``.
        deterministic: also ask torch for deterministic kernels
            (``torch.use_deterministic_algorithms(True, warn_only=True)`` and
            cuDNN non-benchmark mode). CPU results are deterministic without it;
            on GPUs it trades speed for run-to-run equality.

    Returns:
        A fresh ``numpy.random.Generator`` seeded with ``seed``: prefer it over
        the legacy ``np.random.*`` functions in new code. Note that its state is
        yours to keep; the trainer's checkpoints restore only the global
        generators (python, numpy legacy, torch).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int in [0, {_MAX_SEED}], got {seed!r}")
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be an int in [0, {_MAX_SEED}], got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return np.random.default_rng(seed)


def get_rng_state(device: torch.device | None = None) -> dict[str, Any]:
    """Snapshot of the global RNGs, made only of tensors, ints, strs and tuples.

    That keeps checkpoints loadable with ``torch.load(..., weights_only=True)``.
    With a CUDA ``device`` its generator is included as well.
    """
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].copy()), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict[str, Any], device: torch.device | None = None) -> None:
    """Restore a snapshot from :func:`get_rng_state` (inverse operation)."""
    random.setstate(_tuples(state["python"]))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and device is not None and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def _tuples(x: Any) -> Any:
    """``random.setstate`` needs tuples; a serialiser may hand back lists."""
    return tuple(_tuples(v) for v in x) if isinstance(x, (list, tuple)) else x
