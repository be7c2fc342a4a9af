"""The one training loop every paper uses: CPU, one GPU, or DDP under torchrun.

A run is four ingredients and a config::

    batches = TensorBatches(x, y, batch_size=64, seed=cfg.seed)
    def loss_fn(model, batch):                       # mean over the batch
        x, y = batch
        return F.cross_entropy(model(x), y)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, batches,
                      TrainConfig(max_steps=10_000, checkpoint_path="build/run.pt", checkpoint_every=1000),
                      lr_lambda=lambda t: 1 / (1 + t / 1000), eval_fn=evaluate, eval_every=500)
    history = trainer.fit()          # resumes from build/run.pt if it exists

Step convention (as in nanoGPT's loop). Step ``t`` (``0 <= t < max_steps``) is
the ``t``-th optimizer update. The parameters before it are θ_t (θ_0 = init).
Iteration ``t`` does the following, in order:

1. ``eval_fn(model, t)`` on θ_t, if ``eval_every`` divides ``t``;
2. ``loss = loss_fn(model, batches.get(t, rank, world_size))`` on θ_t;
3. backward, optional gradient clipping, then ``optimizer.step()`` with the learning
   rate ``base_lr * lr_lambda(t)`` (LambdaLR semantics);
4. a record ``{"step": t, "loss": loss, "lr": lr}`` on log steps
   (``t % log_every == 0`` and the last step);
5. a checkpoint once ``t + 1`` updates are done, if ``checkpoint_every``
   divides ``t + 1`` (and always after the last step).

After the loop, an eval_fn (if given) runs once more on θ_max_steps. So all the
numbers in a record with ``step == t`` describe the same parameters θ_t.

Data parallelism. When a process group is initialised (see
:mod:`paper_code.common.distributed`) the model is wrapped in
DistributedDataParallel, and ``loss_fn`` receives the wrapped model, so
calling ``model(x)`` synchronises gradients. Rank r trains on
``batches.get(t, r, W)``, its equal share of the global batch. With a
mean-reduced loss, DDP's gradient averaging then equals one process on the
whole global batch. Logged losses are averaged over ranks, so they are the
global-batch loss.

Checkpoints hold everything needed for an exact resume: the model and
optimizer states, the step (which fixes the learning-rate schedule), the
history, the global RNG states of every rank and a fingerprint of the set-up.
They are saved after step ``t`` and before any eval at ``t + 1``, so a
resumed run replays exactly what an uninterrupted one does. Resuming with
another model shape, optimizer, hyper-parameters, grad_clip, learning-rate
schedule or data source raises :class:`CheckpointMismatchError` instead of
overwriting. Checkpoints load with ``torch.load(..., weights_only=True)``.

Not included: mixed precision, gradient accumulation, SyncBatchNorm (with
BatchNorm, DDP normalises per-rank shards, so it is not the global-batch
computation), and the state of a ``numpy.random.Generator`` held by a
loss_fn. Draw randomness from the global generators, or derive it from the
step, to keep resumes exact.
"""
from __future__ import annotations

import dataclasses
import io
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from tqdm import tqdm

from paper_code.common import distributed as D
from paper_code.common.config import REQUIRED, Validated, param
from paper_code.common.devices import choose_device
from paper_code.common.seeding import get_rng_state, set_rng_state

__all__ = [
    "TrainConfig",
    "BatchSource",
    "TensorBatches",
    "TrainHistory",
    "Trainer",
    "CheckpointMismatchError",
    "move_to_device",
    "warmup_cosine",
]

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
# Param-group keys left out of the fingerprint: the lr is replaced by the lr it started from, and the
# rest are implementation switches (kernels), not hyper-parameters.
_NOT_FINGERPRINTED = ("params", "initial_lr", "lr", "foreach", "fused", "capturable", "differentiable")


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class TrainConfig(Validated):
    """How long to train and what to log and save. It does not change the maths, except ``grad_clip``.

    ``max_steps`` counts optimizer updates from step 0 of the run (a resumed run continues up to the
    same total). Only log steps synchronise with the device (``.item()``). Frozen: the loop reads it
    once, and a change after construction would bypass validation.
    """

    max_steps: int = param(REQUIRED, "total optimizer updates", ge=1)
    log_every: int = param(100, "record loss and lr every this many steps (and at the last step)", ge=1)
    checkpoint_path: str | os.PathLike | None = param(None, "file to save to and resume from; None = no checkpoints")
    checkpoint_every: int = param(0, "also save every this many steps; 0 = only at the end", ge=0)
    grad_clip: float | None = param(None, "clip the global gradient norm to this value; None = no clipping", gt=0)
    progress: bool = param(True, "show a tqdm bar (rank 0 only)")
    desc: str = param("train", "label of the progress bar and of log lines")

    def validate(self) -> None:
        if self.checkpoint_path is not None and os.fspath(self.checkpoint_path) == "":
            self.fail("checkpoint_path", "must be a file path or None, got ''")
        if self.checkpoint_every > 0 and self.checkpoint_path is None:
            self.fail("checkpoint_every", f"{self.checkpoint_every} needs a checkpoint_path (a file path); "
                      "set one, or use 0 to save nothing")


# --------------------------------------------------------------------------- data


@runtime_checkable
class BatchSource(Protocol):
    """Anything that hands out the training batch of a given step.

    ``get(step, rank, world_size)`` must be a pure function of its arguments
    (and of the source's own seed). It must not depend on how often or in
    which order it was called: that is what makes resumed and data-parallel
    runs match uninterrupted single-process ones. It returns this rank's
    shard of the global batch of ``step``. The shards of all ranks partition
    the global batch into equal parts.
    """

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> Any: ...


class TensorBatches:
    """Mini-batches drawn without replacement from tensors held in memory.

    Each epoch visits the ``n`` samples in a fresh random order. The order
    comes from ``(seed, epoch)`` only, so ``get(step)`` needs no state. The
    global batch of ``step`` is a block of ``batch_size`` consecutive indices
    of its epoch's order. Rank ``r`` of ``W`` receives the ``r``-th of ``W``
    equal consecutive slices of that block.

    Args:
        *tensors: tensors with the same first dimension ``n`` (e.g. ``x, y``).
        batch_size: global batch size (summed over ranks), ``1 <= batch_size <= n``.
        seed: seed of the per-epoch permutations.
        shuffle: ``False`` keeps the stored order in every epoch.
        drop_last: ``True`` (default): every step has exactly ``batch_size``
            samples and each epoch leaves out the last ``n % batch_size``
            samples of its permutation (different ones each epoch). ``False``:
            the last step of an epoch has the ``n % batch_size`` leftover
            samples. Under DDP that count must then be divisible by the world
            size (checked on every call, so it fails at step 0).
        device: move the tensors there once, up front (e.g. a GPU), so that
            no batch is copied host-to-device during training.

    ``get`` returns a tuple of tensors (or a single tensor when one tensor was
    given). They are fresh copies, so a loss function may modify them in place.
    """

    def __init__(self, *tensors: Tensor, batch_size: int, seed: int = 0, shuffle: bool = True,
                 drop_last: bool = True, device: str | torch.device | None = None):
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        if not all(isinstance(t, Tensor) for t in tensors):
            raise ValueError("TensorBatches takes torch tensors, got " + ", ".join(type(t).__name__ for t in tensors))
        n = tensors[0].shape[0] if tensors[0].dim() > 0 else 0
        if any(t.dim() == 0 or t.shape[0] != n for t in tensors):
            raise ValueError("TensorBatches tensors must share their first dimension, got shapes "
                             + ", ".join(str(tuple(t.shape)) for t in tensors))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= n:
            raise ValueError(f"TensorBatches.batch_size must be an int in [1, {n}] (number of samples), "
                             f"got {batch_size!r}")
        if device is not None:
            tensors = tuple(t.to(device) for t in tensors)
        self.tensors: tuple[Tensor, ...] = tuple(tensors)
        self.n = n
        self.batch_size = batch_size
        self.seed = int(seed)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.steps_per_epoch = n // batch_size if drop_last else -(-n // batch_size)
        self._last_size = batch_size if drop_last or n % batch_size == 0 else n % batch_size
        self._epoch = -1
        self._order: Tensor | None = None  # permutation of the cached epoch, on the data's device

    def __len__(self) -> int:
        """Steps per epoch."""
        return self.steps_per_epoch

    def order(self, epoch: int) -> Tensor:
        """Sample order of ``epoch`` (int64 indices on the data's device)."""
        if epoch != self._epoch:
            if self.shuffle:
                # SeedSequence mixes (seed, epoch) into an uncorrelated 64-bit seed.
                s = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1, dtype=np.uint64)[0])
                perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(s))
            else:
                perm = torch.arange(self.n)
            self._order = perm.to(self.tensors[0].device)
            self._epoch = epoch
        return self._order  # type: ignore[return-value]

    def indices(self, step: int, rank: int = 0, world_size: int = 1) -> Tensor:
        """Sample indices of this rank's shard of the global batch of ``step``."""
        if step < 0 or not 0 <= rank < world_size:
            raise ValueError(f"need step >= 0 and 0 <= rank < world_size, got step={step}, rank={rank}, "
                             f"world_size={world_size}")
        epoch, k = divmod(step, self.steps_per_epoch)
        size = self._last_size if k == self.steps_per_epoch - 1 else self.batch_size
        if world_size > 1 and (self.batch_size % world_size or self._last_size % world_size):
            raise ValueError(
                f"TensorBatches: global batch sizes {self.batch_size} and {self._last_size} (last of epoch) must be "
                f"divisible by world_size={world_size}; pick batch_size accordingly or drop_last=True"
            )
        shard = size // world_size
        start = k * self.batch_size + rank * shard
        return self.order(epoch)[start:start + shard]

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> Tensor | tuple[Tensor, ...]:
        idx = self.indices(step, rank, world_size)
        if len(self.tensors) == 1:
            return self.tensors[0].index_select(0, idx)
        return tuple(t.index_select(0, idx) for t in self.tensors)

    def fingerprint(self) -> dict[str, Any]:
        """What defines the data stream, for checkpoint compatibility checks."""
        return {
            "class": type(self).__name__,
            "n": self.n,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
            "tensors": [f"{tuple(t.shape)} {t.dtype}" for t in self.tensors],
        }


def warmup_cosine(step: int, *, lr: float, max_steps: int, warmup_steps: int = 0, warmup_init_lr: float = 0.0,
                  cosine_period: int = 0, period_mult: float = 1.0, peak_decay: float = 1.0,
                  min_lr_ratio: float = 0.0) -> float:
    """Learning-rate factor ``lr(step) / lr`` (a ``lr_lambda`` for :class:`Trainer`): linear warm-up from
    ``warmup_init_lr`` to ``lr`` over ``warmup_steps``, then cosine annealing with restarts, the schedule of the
    symbolic papers' official code (XLM's ``adam_cosine``): the first period lasts ``cosine_period`` steps
    (0 = until ``max_steps``), each restart multiplies the period by ``period_mult`` and the peak by
    ``peak_decay``, and the cosine bottoms out at ``min_lr_ratio`` times the period's peak."""
    if step < warmup_steps:
        start = warmup_init_lr / lr
        return start + (1.0 - start) * step / warmup_steps
    s = step - warmup_steps
    period = float(cosine_period or max(max_steps - warmup_steps, 1))
    peak = 1.0
    while s >= period:
        s -= period
        period *= period_mult
        peak *= peak_decay
    return peak * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * s / period)))


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors inside nested tuples/lists/dicts to ``device`` (no copy if already there)."""
    if isinstance(batch, Tensor):
        # non_blocking only towards a GPU: a non-blocking copy to the host may be read too early.
        return batch.to(device, non_blocking=device.type == "cuda")
    if isinstance(batch, tuple):
        return tuple(move_to_device(b, device) for b in batch)
    if isinstance(batch, list):
        return [move_to_device(b, device) for b in batch]
    if isinstance(batch, Mapping):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    return batch


# --------------------------------------------------------------------------- history


@dataclass
class TrainHistory:
    """What happened during a run.

    Attributes:
        records: one dict per logged or evaluated step, in step order. Keys:
            ``step``; ``loss`` and ``lr`` (learning rate of param group 0) on
            log steps; and the keys returned by ``eval_fn`` on eval steps. The
            final evaluation at ``step == max_steps`` has no loss and no lr.
        wall_time_s: seconds spent in ``fit`` (this process, this call).
        resumed_from: step the last ``fit`` resumed from (0 = fresh start).
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    wall_time_s: float = 0.0
    resumed_from: int = 0

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of every record that has ``key``. Handy for plots."""
        pairs = [(r["step"], r[key]) for r in self.records if key in r]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def last(self, key: str) -> Any:
        """Latest value of ``key``. Raises KeyError if it was never recorded."""
        for r in reversed(self.records):
            if key in r:
                return r[key]
        raise KeyError(f"no record has {key!r}; keys seen: {sorted({k for r in self.records for k in r})}")

    def _add(self, step: int, values: Mapping[str, Any]) -> None:
        if self.records and self.records[-1]["step"] == step:
            self.records[-1].update(values)
        else:
            self.records.append({"step": step, **values})


# --------------------------------------------------------------------------- trainer


class CheckpointMismatchError(ValueError):
    """The checkpoint at ``checkpoint_path`` was written by a different set-up."""


LossFn = Callable[[nn.Module, Any], Tensor]
EvalFn = Callable[[nn.Module, int], Mapping[str, float]]


class Trainer:
    """Runs ``config.max_steps`` optimizer updates; see the module docstring for the step convention.

    Args:
        model: the module to train. It is moved to ``device``. The optimizer
            must already hold its parameters (moving keeps them the same
            objects).
        optimizer: any ``torch.optim.Optimizer`` over the model's parameters.
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``, a *mean* over the
            batch. Under DDP ``model`` is the DDP wrapper: call ``model(x)``
            for the forward pass, and use
            :func:`~paper_code.common.distributed.unwrap_model` to reach
            attributes.
        batches: a :class:`BatchSource`. Its batches are moved to ``device``.
        config: a :class:`TrainConfig`.
        lr_lambda: multiplicative learning-rate factor of step ``t``, with
            ``torch.optim.lr_scheduler.LambdaLR`` semantics. Step ``t`` of
            group ``g`` uses ``base_lr_g * lr_lambda_g(t)``, where ``base_lr_g``
            is the group's ``lr`` when the trainer is built (kept in its
            ``initial_lr``, as LambdaLR does). Pass a list to give one function
            per param group. The rate is set from ``t`` at every step; there is
            no scheduler object to step or save.
        eval_fn: ``eval_fn(model, step) -> {name: float}``, called with the
            unwrapped model in eval mode (and train mode restored after). It is
            not wrapped in ``no_grad``, so it may compute gradients. It runs on
            every rank; the records keep rank 0's values.
        eval_every: call ``eval_fn`` every this many steps (step 0 included)
            and after the last step; ``0`` = only after the last step.
        device: ``None`` = the process-group device when one is initialised
            (``cuda:LOCAL_RANK`` or CPU), else ``choose_device("auto")``.
        ddp_kwargs: extra arguments for DistributedDataParallel (e.g.
            ``find_unused_parameters=True``).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loss_fn: LossFn,
        batches: BatchSource,
        config: TrainConfig,
        *,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]] | None = None,
        eval_fn: EvalFn | None = None,
        eval_every: int = 0,
        device: str | torch.device | None = None,
        ddp_kwargs: Mapping[str, Any] | None = None,
    ):
        if not isinstance(config, TrainConfig):
            raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
        if not callable(getattr(batches, "get", None)):
            raise ValueError(f"batches must have a get(step, rank, world_size) method, got {type(batches).__name__}")
        if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 0:
            raise ValueError(f"eval_every must be an int >= 0 (0 = only after the last step), got {eval_every!r}")
        if eval_every > 0 and eval_fn is None:
            raise ValueError(f"eval_every={eval_every} but no eval_fn was given")
        model_ids = {id(p) for p in model.parameters()}
        if not all(id(p) in model_ids for g in optimizer.param_groups for p in g["params"]):
            raise ValueError("optimizer holds parameters that are not the model's; build it from model.parameters()")

        self.config = config
        self.loss_fn = loss_fn
        self.batches = batches
        self.eval_fn = eval_fn
        self.eval_every = eval_every
        self.rank, self.world_size = D.get_rank(), D.get_world_size()
        self.is_main = self.rank == 0
        if device is None:
            if D.is_distributed():
                device = torch.device("cuda", torch.cuda.current_device()) \
                    if dist.get_backend() == "nccl" else torch.device("cpu")
            else:
                device = choose_device("auto")
        self.device = choose_device(device)
        if self.device.type == "cuda" and self.device.index is None:
            self.device = torch.device("cuda", torch.cuda.current_device())

        self.model = model.to(self.device)  # the unwrapped module: what is saved and evaluated
        self.optimizer = optimizer
        # Hyper-parameters as given, before the schedule rewrites "lr": part of the fingerprint.
        self._opt_hparams = [
            {k: repr(v) for k, v in sorted(g.items()) if k not in _NOT_FINGERPRINTED}
            | {"lr": repr(g.get("initial_lr", g["lr"])), "n_params": len(g["params"])}
            for g in optimizer.param_groups
        ]
        # LambdaLR semantics, applied directly: group g uses initial_lr_g * lr_lambda_g(t) at step t.
        # Setting the rate from t each step (instead of torch's incremental LambdaLR.step, ~7 us)
        # is cheaper and makes the schedule a pure function of the step, so it needs no state.
        self.lr_lambdas: list[Callable[[int], float]] | None = None
        if lr_lambda is not None:
            groups = optimizer.param_groups
            lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
            if len(lambdas) != len(groups):
                raise ValueError(f"lr_lambda has {len(lambdas)} function(s) but the optimizer has {len(groups)} "
                                 "param group(s); pass one function, or a list with one per group")
            if not all(callable(f) for f in lambdas):
                raise ValueError("lr_lambda must be a callable step -> factor, or a list of them")
            for g in groups:
                g.setdefault("initial_lr", g["lr"])
            self.lr_lambdas = lambdas
            self._set_lr(0)
        if D.is_distributed():
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.wrapped: nn.Module = nn.parallel.DistributedDataParallel(model, device_ids=ids,
                                                                          **dict(ddp_kwargs or {}))
        else:
            self.wrapped = model
        self._params = [p for g in optimizer.param_groups for p in g["params"]]
        self.step = 0  # updates done so far
        self.history = TrainHistory()
        self._loaded = False

    # ------------------------------------------------------------------ fingerprint

    def fingerprint(self) -> dict[str, Any]:
        """Everything a checkpoint must agree on to be resumed by this trainer.

        It does not include max_steps, log/checkpoint frequency, progress or
        desc (changing those is fine), nor the world size (the global batch is
        the same).
        """
        state = self.model.state_dict()
        fp: dict[str, Any] = {
            "model": type(self.model).__name__,
            "tensors": [f"{k} {tuple(v.shape)} {v.dtype}" for k, v in state.items()],
            "optimizer": type(self.optimizer).__name__,
            "param_groups": self._opt_hparams,
            "grad_clip": repr(self.config.grad_clip),
            "lr_lambdas": len(self.lr_lambdas) if self.lr_lambdas else 0,
        }
        data_fp = getattr(self.batches, "fingerprint", None)
        fp["data"] = data_fp() if callable(data_fp) else type(self.batches).__name__
        return fp

    # ------------------------------------------------------------------ checkpoints

    @property
    def checkpoint_path(self) -> Path | None:
        p = self.config.checkpoint_path
        return None if p is None else Path(p)

    def _rng_states(self) -> list[dict[str, Any]]:
        mine = get_rng_state(self.device)
        if not D.is_distributed():
            return [mine]
        # Gather serialised bytes: all_gather_object fails to unpickle tensors in torch 2.13.
        buf = io.BytesIO()
        torch.save({k: (v.cpu() if isinstance(v, Tensor) else v) for k, v in mine.items()}, buf)
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, buf.getvalue())
        return [torch.load(io.BytesIO(b), weights_only=True) for b in gathered]

    def save_checkpoint(self) -> None:
        """Write the checkpoint atomically (rank 0). Every rank must call it (RNG states are gathered)."""
        path = self.checkpoint_path
        if path is None:
            raise ValueError("TrainConfig.checkpoint_path is None: nothing to save to")
        rng = self._rng_states()
        if self.is_main:
            payload = {
                "format": CHECKPOINT_FORMAT,
                "fingerprint": self.fingerprint(),
                "step": self.step,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "history": self.history.records,
                "rng": rng,
                "world_size": self.world_size,
                "config": {k: (str(v) if isinstance(v, Path) else v)
                           for k, v in dataclasses.asdict(self.config).items()},
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    torch.save(payload, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            log.debug("%s: checkpoint at step %d -> %s", self.config.desc, self.step, path)
        D.barrier()

    def load_checkpoint(self, path: str | Path | None = None) -> None:
        """Restore the state saved by :meth:`save_checkpoint`, after checking the fingerprint."""
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("no checkpoint path given and TrainConfig.checkpoint_path is None")
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # not a torch file, or pickled objects a Trainer never writes
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise CheckpointMismatchError(
                f"{path} cannot be read as a Trainer checkpoint ({type(e).__name__}: {first_line}); "
                "delete or move it, or set another TrainConfig.checkpoint_path") from e
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
            raise CheckpointMismatchError(
                f"{path} is not a Trainer checkpoint of format {CHECKPOINT_FORMAT} (found {found!r}); "
                "delete or move it, or set another TrainConfig.checkpoint_path")
        self._check_fingerprint(path, ckpt)
        if ckpt["step"] > self.config.max_steps:
            raise CheckpointMismatchError(
                f"{path} is at step {ckpt['step']}, past max_steps={self.config.max_steps}; "
                "raise max_steps or use another checkpoint_path")
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.step = int(ckpt["step"])
        self.history = TrainHistory(records=[dict(r) for r in ckpt["history"]])
        rng = ckpt["rng"]
        if len(rng) != self.world_size:
            log.warning("%s was saved by %d process(es), resuming with %d: RNG streams (dropout, noise) "
                        "differ from an uninterrupted run", path, len(rng), self.world_size)
        set_rng_state(rng[self.rank % len(rng)], self.device)
        log.info("%s: resumed from %s at step %d", self.config.desc, path, self.step)

    def _check_fingerprint(self, path: Path, ckpt: Mapping[str, Any]) -> None:
        saved, mine = ckpt["fingerprint"], self.fingerprint()
        diffs = [_describe_diff(k, saved.get(k), mine.get(k))
                 for k in sorted(set(saved) | set(mine)) if saved.get(k) != mine.get(k)]
        if not diffs:
            diffs = self._schedule_diffs(ckpt["history"])
        if diffs:
            raise CheckpointMismatchError(
                f"{path} belongs to a different run ({'; '.join(diffs)}). Refusing to resume or overwrite it: "
                "delete or move it, or set another TrainConfig.checkpoint_path")

    def _schedule_diffs(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """The lr schedule cannot be compared as code, so compare it on the steps already logged."""
        if self.lr_lambdas is None:
            return []
        base, fn = self.optimizer.param_groups[0]["initial_lr"], self.lr_lambdas[0]
        for r in records:
            if "lr" in r:
                expect = base * fn(r["step"])
                if not math.isclose(expect, r["lr"], rel_tol=1e-9, abs_tol=1e-15):
                    return [f"lr at step {r['step']}: checkpoint {r['lr']:.6g}, schedule now gives {expect:.6g}"]
        return []

    # ------------------------------------------------------------------ loop

    def _set_lr(self, step: int) -> None:
        if self.lr_lambdas is not None:
            for g, fn in zip(self.optimizer.param_groups, self.lr_lambdas):
                g["lr"] = g["initial_lr"] * fn(step)

    def _evaluate(self, step: int) -> None:
        assert self.eval_fn is not None
        self.model.eval()
        try:
            metrics = self.eval_fn(self.model, step)
        finally:
            self.model.train()
        if not isinstance(metrics, Mapping):
            raise TypeError(f"eval_fn must return a dict of floats, got {type(metrics).__name__}")
        reserved = {"step", "loss", "lr"} & set(metrics)
        if reserved:
            raise ValueError(f"eval_fn returned the reserved key(s) {sorted(reserved)}, which the trainer records "
                             "itself; rename them (e.g. 'val_loss')")
        self.history._add(step, {k: _to_float(v) for k, v in metrics.items()})

    def fit(self) -> TrainHistory:
        """Train to ``config.max_steps``, resuming from ``checkpoint_path`` if it exists."""
        cfg = self.config
        t0 = time.perf_counter()
        path = self.checkpoint_path
        if not self._loaded and path is not None and path.exists():
            self.load_checkpoint(path)
        self._loaded = True
        start = self.step
        self.history.resumed_from = start
        if start > cfg.max_steps:
            raise ValueError(f"trainer is at step {start}, past max_steps={cfg.max_steps}")
        if start == 0:
            log.info("%s: %d steps on %s (world size %d)", cfg.desc, cfg.max_steps, self.device, self.world_size)

        # Hoist everything the loop touches into locals; per step, only the
        # indispensable work and a few integer comparisons remain.
        model, wrapped, opt = self.model, self.wrapped, self.optimizer
        batches, loss_fn, device, history = self.batches, self.loss_fn, self.device, self.history
        rank, world = self.rank, self.world_size
        log_every, last = cfg.log_every, cfg.max_steps - 1
        ckpt_every = cfg.checkpoint_every if path is not None else 0
        eval_every = self.eval_every if self.eval_fn is not None else 0
        clip, params = cfg.grad_clip, self._params
        groups, lr_fns = opt.param_groups, self.lr_lambdas
        group0 = groups[0]
        distributed = wrapped is not model
        clip_fn = nn.utils.clip_grad_norm_

        model.train()
        bar = tqdm(total=cfg.max_steps, initial=start, desc=cfg.desc, disable=not (cfg.progress and self.is_main),
                   dynamic_ncols=True, mininterval=0.5)
        try:
            for step in range(start, cfg.max_steps):
                if eval_every and step % eval_every == 0:
                    self._evaluate(step)
                batch = move_to_device(batches.get(step, rank, world), device)
                if lr_fns is not None:
                    for g, fn in zip(groups, lr_fns):
                        g["lr"] = g["initial_lr"] * fn(step)
                lr = group0["lr"]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(wrapped, batch)
                loss.backward()
                if clip is not None:
                    clip_fn(params, clip)
                opt.step()
                if step % log_every == 0 or step == last:
                    self._log(step, loss, lr, bar, distributed)
                self.step = step + 1
                bar.update()
                if ckpt_every and self.step % ckpt_every == 0 and self.step != cfg.max_steps:
                    self.save_checkpoint()
        finally:
            bar.close()
        self._set_lr(self.step)  # as LambdaLR leaves it: the rate of the next step
        if path is not None:
            self.save_checkpoint()  # before the final eval: a checkpoint always holds θ_step, eval not yet run
        if self.eval_fn is not None:
            self._evaluate(cfg.max_steps)
        history.wall_time_s = time.perf_counter() - t0
        log.info("%s: done, %d steps in %.1f s%s", cfg.desc, cfg.max_steps - start, history.wall_time_s,
                 f", final loss {history.last('loss'):.4g}" if any("loss" in r for r in history.records) else "")
        return history

    def _log(self, step: int, loss: Tensor, lr: float, bar: tqdm, distributed: bool) -> None:
        loss = loss.detach()
        if distributed:
            loss = D.all_reduce_mean(loss.float())
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"{self.config.desc}: loss is {value} at step {step} (lr {lr:.3g})")
        self.history._add(step, {"loss": value, "lr": float(lr)})
        bar.set_postfix(loss=f"{value:.4g}", refresh=False)
        log.debug("%s step %d: loss %.6g lr %.3g", self.config.desc, step, value, lr)


def _to_float(v: Any) -> Any:
    if isinstance(v, Tensor) and v.numel() == 1:
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _describe_diff(key: str, saved: Any, mine: Any) -> str:
    if isinstance(saved, list) and isinstance(mine, list):
        for i, (a, b) in enumerate(zip(saved, mine)):
            if a != b:
                return f"{key}[{i}]: checkpoint {a!r}, now {b!r}"
        return f"{key}: checkpoint has {len(saved)} entries, now {len(mine)}"
    return f"{key}: checkpoint {saved!r}, now {mine!r}"
