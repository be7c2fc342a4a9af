"""Process-group set-up for data-parallel training launched by ``torchrun``.

The same script runs as one process (``python train.py``) or as several
(``torchrun --nproc_per_node=4 train.py``)::

    ctx = init_distributed()          # no-op context when not under torchrun
    seed_everything(cfg.seed)
    trainer = Trainer(model, opt, loss_fn, batches, config, device=ctx.device)
    history = trainer.fit()           # wraps the model in DDP when ctx.is_distributed
    cleanup_distributed()

``torchrun`` sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT;
:func:`init_distributed` reads them through ``init_method="env://"``. The
backend is NCCL when the process has a GPU and gloo on CPU.
"""
from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from paper_code.common.devices import choose_device

__all__ = [
    "DistContext",
    "init_distributed",
    "cleanup_distributed",
    "is_distributed",
    "is_main_process",
    "get_rank",
    "get_world_size",
    "all_reduce_mean",
    "barrier",
    "unwrap_model",
]

log = logging.getLogger(__name__)

_TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job.

    Attributes:
        rank: global index of this process, ``0 .. world_size - 1``.
        world_size: number of processes (1 without torchrun).
        local_rank: index on this machine; selects the GPU ``cuda:local_rank``.
        device: the device this process trains on.
        is_main: ``rank == 0``; the process that logs, shows progress and saves.
    """

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    is_main: bool

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1 or is_distributed()


def _env_int(name: str) -> int:
    value = os.environ[name]
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} must be an integer (set by torchrun)") from None


def init_distributed(
    backend: str | None = None,
    device: str = "auto",
    timeout_s: float = 1800.0,
) -> DistContext:
    """Join the process group described by torchrun's environment variables.

    Without those variables (a plain ``python`` run) nothing is initialised and
    a single-process context on ``choose_device(device)`` is returned, so
    callers need no branch. Calling it again once the group exists returns
    the context of the existing group.

    Args:
        backend: ``"nccl"`` or ``"gloo"``; default NCCL if this process uses
            CUDA, else gloo.
        device: ``"auto"`` (GPU ``cuda:LOCAL_RANK`` when CUDA is available,
            else CPU) or ``"cpu"`` to force CPU training under torchrun.
        timeout_s: collective-operation timeout.
    """
    present = [v for v in _TORCHRUN_VARS if v in os.environ]
    if not present and not is_distributed():
        dev = choose_device(device)
        return DistContext(rank=0, world_size=1, local_rank=0, device=dev, is_main=True)
    missing = [v for v in _TORCHRUN_VARS if v not in os.environ]
    if missing and not is_distributed():
        raise ValueError(
            f"partial torchrun environment: {', '.join(present)} set but {', '.join(missing)} missing; "
            "launch with torchrun or set all of RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT"
        )
    local_rank = _env_int("LOCAL_RANK") if "LOCAL_RANK" in os.environ else 0
    use_cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    if device not in ("auto", "cuda", "cpu"):
        raise ValueError(f"init_distributed(device={device!r}): use 'auto', 'cuda' or 'cpu' "
                         "(the GPU index comes from LOCAL_RANK)")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("init_distributed(device='cuda') but CUDA is not available; use 'auto' or 'cpu'")
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK={local_rank} but only {torch.cuda.device_count()} CUDA device(s) are visible")
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    if not is_distributed():
        backend = backend or ("nccl" if use_cuda else "gloo")
        dist.init_process_group(
            backend=backend,
            init_method="env://",
            timeout=datetime.timedelta(seconds=timeout_s),
            device_id=dev if use_cuda else None,
        )
        log.info("joined process group: rank %d/%d, backend %s, device %s",
                 dist.get_rank(), dist.get_world_size(), backend, dev)
    rank, world = dist.get_rank(), dist.get_world_size()
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, device=dev, is_main=rank == 0)


def cleanup_distributed() -> None:
    """Leave the process group if one was initialised (safe to call always)."""
    if is_distributed():
        dist.destroy_process_group()


def is_distributed() -> bool:
    """True when a torch.distributed process group is initialised."""
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """True on rank 0, and in any single-process run."""
    return get_rank() == 0


def all_reduce_mean(tensor: torch.Tensor) -> torch.Tensor:
    """Mean of ``tensor`` over all processes (a new tensor; input untouched).

    Every rank must call it at the same point. Without a process group it
    returns ``tensor`` itself.
    """
    if not is_distributed():
        return tensor
    out = tensor.detach().clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out.div_(dist.get_world_size())


def barrier() -> None:
    """Wait for every process (no-op without a process group)."""
    if is_distributed():
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


def unwrap_model(model: nn.Module) -> nn.Module:
    """The plain module inside a DistributedDataParallel wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
