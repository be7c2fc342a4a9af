"""Pick the torch device from one short string, defaulting to whatever is there.

Model code never names a device: it takes it from its parameters or inputs.
Only entry points (notebooks, stage scripts, :class:`~paper_code.common.training.Trainer`)
call :func:`choose_device`, so the same code runs on a laptop CPU and on a GPU.

    >>> choose_device("cpu")
    device(type='cpu')
"""
from __future__ import annotations

import re

import torch

__all__ = ["choose_device", "VALID_DEVICE_SPECS"]

#: Human-readable list of accepted specs (used in error messages).
VALID_DEVICE_SPECS = "'auto', 'cpu', 'cuda', 'cuda:N' (N = GPU index) or 'mps'"

_CUDA_RE = re.compile(r"^cuda(?::(\d+))?$")


def choose_device(spec: str | torch.device = "auto") -> torch.device:
    """Resolve a device spec to a :class:`torch.device`.

    Args:
        spec: ``"auto"`` (CUDA GPU 0 if available, else CPU), ``"cpu"``,
            ``"cuda"`` (current CUDA device), ``"cuda:N"``, ``"mps"`` (Apple
            GPU, only when requested explicitly), or a ``torch.device``.

    Raises:
        ValueError: the spec is not understood, or names a GPU that this
            machine/torch build does not have. The message says which.
    """
    if isinstance(spec, torch.device):
        spec = str(spec)
    if not isinstance(spec, str):
        raise ValueError(f"device spec must be a string, got {type(spec).__name__}; use {VALID_DEVICE_SPECS}")
    s = spec.strip().lower()
    if s == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if s == "cpu":
        return torch.device("cpu")
    m = _CUDA_RE.match(s)
    if m:
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {spec!r} requested but CUDA is not available "
                f"(torch {torch.__version__}); use 'auto' or 'cpu'"
            )
        if m.group(1) is not None:
            index, count = int(m.group(1)), torch.cuda.device_count()
            if index >= count:
                raise ValueError(f"device {spec!r} requested but only {count} CUDA device(s) exist "
                                 f"(valid: cuda:0..cuda:{count - 1})")
        return torch.device(s)
    if s == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device {spec!r} requested but MPS is not available on this machine; use 'auto' or 'cpu'")
        return torch.device("mps")
    raise ValueError(f"device spec {spec!r} not understood; use {VALID_DEVICE_SPECS}")
