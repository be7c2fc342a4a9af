"""Measurement helpers for the benchmark modules (``benchmarks/*.py``, run by ``make bench``).

Training loops are measured through the project's own :class:`~paper_code.common.training.Trainer`:
:func:`captured_trainer` calls a paper's real training function (which builds the model, optimizer,
loss and batch source exactly as the notebook does) and stops it at ``Trainer.fit``. Then
:func:`measure_training` runs that trainer's own ``fit`` for a few steps, without evaluations or
checkpoints:

* samples/s over the timed steps (data assembly included: it is on the loop's critical path);
* FLOPs of one step, forward and backward, counted from the shapes of the products that run
  (:mod:`paper_code.common.flops`, which states the rule);
* the reference: a plain ``torch.matmul`` of the step's dominant product shape, timed just before and
  just after the steps with the same threads; the best of the two is the reference GFLOP/s;
* below half the reference, a per-phase profile of the step (data, forward, backward, optimizer, and
  the loop's own bookkeeping).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from paper_code.common.flops import FlopCounter, gemm_seconds
from paper_code.common.training import Trainer, move_to_device
from paper_code.pipeline.bench_rows import TrainingRow

__all__ = ["BenchContext", "TrainerCaptured", "capture_trainer", "captured_trainer", "measure_training",
           "symbolic_training", "profile_step", "best_time", "timed_fit", "peak_memory", "threads_label",
           "load_average", "PROFILE_BELOW"]

#: A loop whose achieved FLOP/s is below this fraction of its reference matmul gets a per-phase profile.
PROFILE_BELOW = 0.5


@dataclass
class BenchContext:
    """What a benchmark module is told: where the repository is, and how long to measure.

    ``quick`` (``--quick``): smaller sizes and shorter timings, to check that a module runs; its
    numbers are noisier. ``min_time_s``: the least time each timed measurement runs.
    """

    repo: Path
    quick: bool = False
    min_time_s: float = 2.0

    def pick(self, full: Any, quick: Any) -> Any:
        """``quick`` under ``--quick``, else ``full``."""
        return quick if self.quick else full

    @property
    def torch_threads(self) -> int:
        return torch.get_num_threads()


class TrainerCaptured(Exception):
    """Raised by ``Trainer.fit`` inside :func:`capture_trainer`; carries the trainer."""

    def __init__(self, trainer: Trainer):
        super().__init__("training stopped at Trainer.fit for the benchmark")
        self.trainer = trainer


@contextlib.contextmanager
def capture_trainer() -> Iterator[None]:
    """While active, ``Trainer.fit`` (and its subclasses') trains nothing and raises :class:`TrainerCaptured`."""
    original = Trainer.fit

    def intercept(self: Trainer) -> Any:
        raise TrainerCaptured(self)

    Trainer.fit = intercept  # type: ignore[method-assign]
    try:
        yield
    finally:
        Trainer.fit = original  # type: ignore[method-assign]


def captured_trainer(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Trainer:
    """The trainer ``fn(*args, **kwargs)`` builds, stopped at its first ``fit`` call."""
    with capture_trainer():
        try:
            fn(*args, **kwargs)
        except TrainerCaptured as caught:
            return caught.trainer
    name = getattr(fn, "__qualname__", repr(fn))
    raise RuntimeError(f"{name} returned without calling Trainer.fit: nothing to measure")


def _prepare(trainer: Trainer) -> None:
    """No evaluations, no checkpoints, no progress bar, loss logged at the last step only."""
    trainer.config = dataclasses.replace(trainer.config, checkpoint_path=None, checkpoint_every=0, progress=False,
                                         log_every=10**9)
    trainer.eval_fn = None
    trainer.eval_every = 0
    trainer._loaded = True  # never resume from a file


def _run(trainer: Trainer, steps: int) -> float:
    """Run ``steps`` more steps through the trainer's own loop; wall seconds."""
    trainer.config = dataclasses.replace(trainer.config, max_steps=trainer.step + steps)
    t0 = time.perf_counter()
    Trainer.fit(trainer)
    return time.perf_counter() - t0


def profile_step(trainer: Trainer, steps: int) -> dict[str, float]:
    """Milliseconds per step of each phase of the loop (the order of ``Trainer.fit``), over ``steps`` steps."""
    t = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    opt, clip = trainer.optimizer, trainer.config.grad_clip
    params = [p for g in opt.param_groups for p in g["params"]]
    start = trainer.step
    for step in range(start, start + steps):
        t0 = time.perf_counter()
        batch = move_to_device(trainer.batches.get(step, 0, 1), trainer.device)
        t1 = time.perf_counter()
        trainer._set_lr(step)
        opt.zero_grad(set_to_none=True)
        loss = trainer.loss_fn(trainer.wrapped, batch)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        t4 = time.perf_counter()
        t["data"] += t1 - t0
        t["forward"] += t2 - t1
        t["backward"] += t3 - t2
        t["optimizer"] += t4 - t3
    trainer.step = start + steps
    return {k: v / steps * 1e3 for k, v in t.items()}


def measure_training(trainer: Trainer, ctx: BenchContext, *, paper: str, model: str, sample: str,
                     samples_per_step: int, note: str = "", warmup: int = 3) -> TrainingRow:
    """Throughput, FLOPs and matmul fraction of ``trainer``'s loop (module doc)."""
    _prepare(trainer)
    _run(trainer, warmup)
    with FlopCounter() as counter:
        _run(trainer, 1)
    step_count = counter.count
    with torch.no_grad(), FlopCounter() as fwd_counter:
        trainer.loss_fn(trainer.wrapped, move_to_device(trainer.batches.get(trainer.step, 0, 1), trainer.device))
    gemm = step_count.dominant()
    if gemm is None:
        raise RuntimeError(f"{paper} / {model}: no matrix product counted in a training step")
    ref_time = gemm_seconds(gemm, min_time_s=ctx.min_time_s / 8)
    probe = max(1, warmup)
    per_step = _run(trainer, probe) / probe
    steps = max(3, int(ctx.min_time_s / max(per_step, 1e-6)))
    wall = _run(trainer, steps)
    ref_time = min(ref_time, gemm_seconds(gemm, min_time_s=ctx.min_time_s / 8))
    step_s = wall / steps
    achieved = step_count.total / step_s / 1e9
    reference = gemm.flops / ref_time / 1e9
    profile = None
    if reference > 0 and achieved / reference < PROFILE_BELOW:
        n = max(3, min(steps, int(ctx.min_time_s / 2 / max(step_s, 1e-6))))
        profile = profile_step(trainer, n)
        profile["loop"] = max(0.0, step_s * 1e3 - sum(profile.values()))
    return TrainingRow(
        paper=paper, model=model, threads=torch.get_num_threads(), samples_per_s=samples_per_step / step_s,
        sample=sample, step_ms=step_s * 1e3, forward_flops=fwd_counter.count.total, step_flops=step_count.total,
        achieved_gflops=achieved, reference=gemm.describe(), reference_gflops=reference, profile_ms=profile,
        note=note,
    )


def symbolic_training(ctx: BenchContext, *, paper: str, train: Callable[..., Any], model: str, name: str,
                      sample: Callable[[Any], str], drawn: str) -> TrainingRow:
    """The training row of a symbolic-core model: the quick preset's ``model`` and batch, trained by its stage's
    ``train(cfg, model, checkpoint_path=..., progress=False)`` with batches made in the loop (``loader_workers=0``,
    no prefetching process). ``name`` heads the model column, ``sample(cfg)`` describes one sample and ``drawn`` what
    the loop draws (e.g. ``"functions drawn"``)."""
    import tempfile

    from paper_code.common.config import resolve_config

    preset = resolve_config(paper, "quick")
    cfg = preset.replace(loader_workers=0)
    with tempfile.TemporaryDirectory(prefix=f"bench_{paper}_{model}_") as tmp:
        trainer = captured_trainer(train, cfg, model, checkpoint_path=Path(tmp) / "model.pt", progress=False)
        n_params = sum(p.numel() for p in trainer.model.parameters())
        return measure_training(
            trainer, ctx, paper=paper,
            model=f"{name} {model}, d={cfg.d_model}, {cfg.enc_layers}+{cfg.dec_layers} layers, "
                  f"{n_params / 1e6:.2f}M parameters (symbolic core)",
            sample=sample(cfg), samples_per_step=cfg.batch_size,
            note=f"batch {cfg.batch_size}, AdamW, {drawn} in the loop (the training stage prefetches them in "
                 f"{preset.loader_workers} other process)")


def threads_label() -> str:
    """``"torch N, BLAS M"``: the threads in effect now."""
    from paper_code.common.threads import thread_state

    st = thread_state()
    return f"torch {st.get('torch_threads', '?')}, BLAS {st.get('blas_threads', '?')}"


def best_time(fn: Callable[[], Any], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def timed_fit(method: Any, t: Any, y: Any) -> tuple[float, float]:
    """``(fit seconds, decoding seconds)`` of one ``method.fit(t, y)`` of a symbolic method with a
    ``decode_bags`` step (the rest of the fit is parsing, scoring and ranking the candidates). A fit that finds
    no valid candidate (``RuntimeError``) still counts: it did the same work."""
    decode_s = 0.0
    original = method.decode_bags

    def timed_decode(*args: Any, **kwargs: Any) -> Any:
        nonlocal decode_s
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            decode_s += time.perf_counter() - t0

    method.decode_bags = timed_decode
    t0 = time.perf_counter()
    try:
        method.fit(t, y)
    except RuntimeError:
        pass
    finally:
        fit_s = time.perf_counter() - t0
        method.decode_bags = original
    return fit_s, decode_s


def peak_memory(fn: Callable[[], Any]) -> tuple[float, float]:
    """``(wall seconds, peak MiB traced by tracemalloc)`` of one call (NumPy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return wall, peak / 2**20


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load averages (None where the OS has none)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
