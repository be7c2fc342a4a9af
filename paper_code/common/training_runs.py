"""Training a model as a DVC stage: time budgets, prefetched batches, run records, stats, and the command line.

What every paper's ``train`` entry point shares (the ODEFormer and Boolformer stages use it):

* :func:`run_training`: the shared :class:`~paper_code.common.training.Trainer` on a model, an optimiser and a
  batch source, optionally stopped at a checkpoint before a wall-clock budget would be overrun
  (:class:`DeadlineBatches`, :class:`TimeBudgetExhausted`); then ``<stem>_stats.json`` beside the checkpoint:
  steps, samples/s, losses, every run that led to the checkpoint (:func:`record_run`), the device, the
  checkpoint's md5 and the training settings. An unfinished run leaves ``<stem>_runs.json`` instead.
* :class:`PrefetchedBatches`: the same batches assembled ahead of the trainer by forked processes.
* :class:`TrainingCommand`: the command line of a training stage (``--scale``, ``--config``, ``--write-config``,
  ``--max-steps``, ``--out``, ``--time-budget``, ``--no-progress``), with the DVC split of the pipeline: a small
  stage writes the resolved training settings (:func:`write_training_config`, sorted JSON) and the training
  stage depends on that file instead of ``params.yaml``, so a decoding or evaluation change never retrains. DVC
  keeps the checkpoint between runs (``persist``); :meth:`~paper_code.common.checkpoints.ModelStage.
  existing_output_action` decides whether to resume, replace the committed checkpoint, or refuse a corrupt file.

Every batch source here is a pure function of ``(step, rank, world_size)``: that is what makes a stopped run
resume exactly.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from paper_code.common import distributed as D
from paper_code.common.checkpoints import ModelStage, display, file_md5, resolve, runs_path, stats_path
from paper_code.common.config import ConfigError, StagedConfig, config_from_params, load_params_section, resolve_config
from paper_code.common.parallel import fork_pool
from paper_code.common.paths import params_path
from paper_code.common.training import TrainConfig, Trainer

__all__ = ["EXIT_UNFINISHED", "TimeBudgetExhausted", "DeadlineBatches", "PrefetchedBatches", "Throughput",
           "request_determinism", "device_name", "record_run", "finite", "run_training", "write_training_config",
           "read_training_config", "TrainingCommand"]

log = logging.getLogger(__name__)

#: Exit status of a run stopped by ``--time-budget`` before ``max_steps`` (its checkpoint resumes it).
EXIT_UNFINISHED = 75


# --------------------------------------------------------------------------- time budget


class TimeBudgetExhausted(RuntimeError):
    """Training stopped at a checkpoint because the next segment would overrun the wall-clock budget."""

    def __init__(self, step: int, budget_s: float):
        saved = " (checkpointed)" if step else " (nothing trained yet; generated data is kept)"
        super().__init__(f"stopped at step {step}{saved} to stay within the {budget_s:.0f} s budget")
        self.step, self.budget_s = step, budget_s


class DeadlineBatches:
    """Wraps a batch source; at a checkpoint step it raises :class:`TimeBudgetExhausted` when the next
    ``every`` steps, at the pace of the last ones, would end after ``budget_s`` seconds from ``start`` (a
    ``time.perf_counter()`` value; default: construction).

    The Trainer saves its checkpoint after step ``s - 1`` whenever ``every`` divides ``s``, before asking for the
    batch of step ``s``, so the stop loses no work and the run resumes exactly from there.
    """

    def __init__(self, source: Any, budget_s: float, every: int, start: float | None = None) -> None:
        if every < 1:
            raise ValueError("a time budget needs checkpoints: set checkpoint_every >= 1")
        self.source, self.budget_s, self.every = source, budget_s, every
        self._t0 = time.perf_counter() if start is None else start
        self._last: tuple[int, float] | None = None

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> Any:
        if step % self.every == 0:
            now = time.perf_counter()
            if now - self._t0 > self.budget_s:  # e.g. the data generation took it all
                raise TimeBudgetExhausted(step, self.budget_s)
            if self._last is not None and step > self._last[0]:
                per_step = (now - self._last[1]) / (step - self._last[0])
                if now - self._t0 + per_step * self.every > self.budget_s:
                    raise TimeBudgetExhausted(step, self.budget_s)
            self._last = (step, now)
        return self.source.get(step, rank, world_size)

    def fingerprint(self) -> dict[str, Any]:
        return self.source.fingerprint()


# --------------------------------------------------------------------------- batch assembly in other processes


_SOURCE: Any = None  # the batch source a prefetch worker inherits through fork


def _assemble(job: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    assert _SOURCE is not None
    return tuple(t.numpy() for t in _SOURCE.get(*job))


class PrefetchedBatches:
    """The batches of ``source`` (tuples of CPU tensors), assembled ahead of the trainer by ``workers`` forked
    processes.

    ``get(step)`` returns exactly ``source.get(step)`` (a pure function of the step), so training is the same
    with or without prefetching; only the wall time changes. Up to ``depth`` consecutive steps are in flight; a
    request out of sequence (a resume) drops them and starts again from that step. Create it before CUDA or any
    torch thread pool is initialised (the workers are forked), and :meth:`close` it after training.
    """

    def __init__(self, source: Any, workers: int, depth: int = 0) -> None:
        global _SOURCE
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.source, self.workers, self.depth = source, workers, depth or 4 * workers
        _SOURCE = source
        self._pool = fork_pool(workers)
        self._pending: deque[tuple[tuple[int, int, int], Any]] = deque()
        self._next: tuple[int, int, int] | None = None

    def _submit(self, job: tuple[int, int, int]) -> None:
        self._pending.append((job, self._pool.apply_async(_assemble, (job,))))

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, ...]:
        if self._pool is None:
            return self.source.get(step, rank, world_size)
        job = (step, rank, world_size)
        if not self._pending or self._pending[0][0] != job:
            self._pending.clear()  # out of sequence: what is in flight is for other steps
            self._next = job
        while len(self._pending) < self.depth:
            assert self._next is not None
            self._submit(self._next)
            self._next = (self._next[0] + 1, rank, world_size)
        _, result = self._pending.popleft()
        return tuple(torch.from_numpy(a) for a in result.get())

    def fingerprint(self) -> dict[str, Any]:
        return self.source.fingerprint()  # prefetching does not change the batches

    def close(self) -> None:
        self._pending.clear()
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


# --------------------------------------------------------------------------- bookkeeping


class Throughput:
    """eval_fn that only measures samples/s between calls (the loss itself is logged by the Trainer)."""

    def __init__(self, batch_size: int):
        self.batch_size, self.last = batch_size, None

    def __call__(self, model: nn.Module, step: int) -> dict[str, float]:
        now = time.perf_counter()
        out = {}
        if self.last is not None and step > self.last[0]:
            rate = (step - self.last[0]) * self.batch_size / (now - self.last[1])
            out["samples_per_s"] = rate
            if D.is_main_process():
                log.info("step %d: %.1f samples/s", step, rate)
        self.last = (step, now)
        return out


def request_determinism(device: torch.device) -> None:
    """Ask torch for deterministic kernels (CUDA: cuBLAS workspace, ``use_deterministic_algorithms`` in warn-only
    mode, so an op without a deterministic kernel is named in a warning instead of stopping the run). On CPU the
    run is already a pure function of the seed."""
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def device_name(device: torch.device) -> str:
    """``"cpu"`` or the GPU's name (e.g. ``"NVIDIA H200"``)."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def record_run(path: Path, start: int, end: int, train_s: float, generation_s: float, device: torch.device,
               write: bool = True) -> list[dict[str, Any]]:
    """The runs that trained the checkpoint at ``path`` so far: those recorded beside it (when they end where this
    one started) plus this one (steps ``start``..``end``); written beside the checkpoint when ``write``."""
    earlier: list[dict[str, Any]] = []
    if start > 0 and runs_path(path).exists():
        try:
            earlier = json.loads(runs_path(path).read_text())
        except ValueError:
            earlier = []
        if not earlier or earlier[-1].get("to") != start:
            log.warning("%s does not end at step %d, where this run resumed: earlier run times are not counted",
                        display(runs_path(path)), start)
            earlier = []
    runs = [*earlier, {"from": start, "to": end, "train_s": round(train_s, 1), "generation_s": round(generation_s, 1),
                       "device": device_name(device)}]
    if write:
        runs_path(path).parent.mkdir(parents=True, exist_ok=True)
        runs_path(path).write_text(json.dumps(runs, indent=2) + "\n")
    return runs


def finite(obj: Any) -> Any:
    """JSON has no NaN: write null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- one training run


def run_training(*, cfg: Any, settings: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
                 loss_fn: Callable[[nn.Module, Any], Tensor], batches: Any, path: Path,
                 lr_lambda: Callable[[int], float] | None, desc: str, progress: bool = True,
                 time_budget_s: float | None = None, t_start: float | None = None, generation_s: float = 0.0,
                 extra_stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train (or resume) ``model`` to ``cfg.max_steps`` and write the stats file; returns the stats.

    ``cfg`` supplies ``max_steps``, ``batch_size``, ``log_every``, ``checkpoint_every`` and ``grad_clip``;
    ``settings`` (the training settings) is stored in the stats. ``time_budget_s`` (seconds from ``t_start``,
    default now) stops at a checkpoint before the budget would be overrun and raises
    :class:`TimeBudgetExhausted` after recording the run in ``<stem>_runs.json`` (no stats file: the run is
    unfinished; rerunning resumes it). ``generation_s``: seconds this run spent making its data before training.
    """
    t_start = time.perf_counter() if t_start is None else t_start
    if D.is_main_process():
        stats_path(path).unlink(missing_ok=True)  # stats describe a finished run; this one is not finished yet
    if time_budget_s is not None:
        batches = DeadlineBatches(batches, time_budget_s, cfg.checkpoint_every, start=t_start)
    n_params = sum(p.numel() for p in model.parameters())
    tcfg = TrainConfig(max_steps=cfg.max_steps, log_every=cfg.log_every, checkpoint_path=path,
                       checkpoint_every=cfg.checkpoint_every, grad_clip=cfg.grad_clip, progress=progress, desc=desc)
    trainer = Trainer(model, optimizer, loss_fn, batches, tcfg, lr_lambda=lr_lambda,
                      eval_fn=Throughput(cfg.batch_size), eval_every=cfg.log_every)
    log.info("%s: %.2fM parameters, %d steps of %d samples, world size %d, device %s", desc, n_params / 1e6,
             cfg.max_steps, cfg.batch_size, D.get_world_size(), device_name(trainer.device))
    t_fit = time.perf_counter()
    try:
        hist = trainer.fit()
    except TimeBudgetExhausted as stop:
        if D.is_main_process():
            record_run(path, trainer.history.resumed_from, stop.step, time.perf_counter() - t_fit, generation_s,
                       trainer.device)
        raise
    runs = record_run(path, hist.resumed_from, cfg.max_steps, hist.wall_time_s, generation_s, trainer.device,
                      write=False)
    trained = cfg.max_steps - hist.resumed_from
    losses = [r["loss"] for r in hist.records if "loss" in r]
    stats = {
        "steps": cfg.max_steps,
        "steps_this_run": trained,
        "resumed_from": hist.resumed_from,
        "samples_per_s": trained * cfg.batch_size / hist.wall_time_s if trained else float("nan"),
        "wall_time_s": hist.wall_time_s,
        "final_loss": losses[-1] if losses else float("nan"),
        "first_loss": losses[0] if losses else float("nan"),
        "final_loss_mean_last10": float(np.mean(losses[-10:])) if losses else float("nan"),
        **(extra_stats or {}),
        "runs": runs,
        "total_wall_time_s": sum(r["train_s"] + r["generation_s"] for r in runs),
        "n_params": n_params,
        "world_size": D.get_world_size(),
        "device": str(trainer.device),
        "device_name": device_name(trainer.device),
        "torch": torch.__version__,
        "checkpoint": display(path),
        "argv": sys.argv[1:],
        "config": settings,
    }
    if D.is_main_process():
        stats["checkpoint_md5"] = file_md5(path)  # lets the evaluation tell a corrupt file from this run's
        stats_path(path).write_text(json.dumps(finite(stats), indent=2) + "\n")
        runs_path(path).unlink(missing_ok=True)  # now part of the stats
    return stats


# --------------------------------------------------------------------------- the DVC stages' settings


def write_training_config(cfg: StagedConfig, path: str | Path, model: str | None = None) -> Path:
    """Write ``cfg``'s training fields (of ``model``) as sorted JSON (byte-identical for configs that differ only in
    other fields); returns the absolute path."""
    path = resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg.training_settings(model), indent=2, sort_keys=True) + "\n")
    return path


def read_training_config(cls: type[StagedConfig], path: str | Path, fix: str, model: str | None = None
                         ) -> StagedConfig:
    """The config whose training fields (of ``model``) are those of the JSON file :func:`write_training_config`
    wrote; ``fix`` says how to write it (in error messages)."""
    path = resolve(path)
    if not path.exists():
        raise ConfigError(f"{display(path)}: training settings file not found; {fix}")
    try:
        settings = json.loads(path.read_text())
    except ValueError as err:
        raise ConfigError(f"{display(path)}: not valid JSON ({err}); {fix}") from err
    if not isinstance(settings, dict):
        raise ConfigError(f"{display(path)}: expected a JSON object of training settings; {fix}")
    return cls.from_training_settings(settings, source=display(path), model=model)


# --------------------------------------------------------------------------- the command line


@dataclass(frozen=True)
class TrainingCommand:
    """The command line of one paper's training stage(s).

    ``train(cfg, model, progress, time_budget_s, args)`` trains (or resumes) to the checkpoint named by the config
    field ``checkpoint_field(model)`` and returns the stats; ``steps_field(model)`` is the field ``--max-steps``
    sets; ``models`` are the paper's trained models (``--model`` picks one; empty when it trains one);
    ``stages[model]`` is the :class:`ModelStage` of each (key None when one); ``add_arguments`` /
    ``apply_arguments`` add the paper's own options and apply them to the config.
    """

    paper: str
    module: str                                      # "paper_code.odeformer.train", for messages
    train: Callable[..., dict[str, Any]]
    stages: dict[str | None, ModelStage]
    models: tuple[str, ...] = ()
    add_arguments: Callable[[argparse.ArgumentParser], None] = lambda ap: None
    apply_arguments: Callable[[Any, argparse.Namespace], Any] = lambda cfg, args: cfg
    checkpoint_field: Callable[[str | None], str] = lambda model: "checkpoint_path"
    steps_field: Callable[[str | None], str] = lambda model: "max_steps"
    description: str = ""
    extra_checks: Callable[[argparse.ArgumentParser, argparse.Namespace], None] = lambda ap, args: None

    # ------------------------------------------------------------------ config resolution
    def params_config(self, scale: str | None) -> StagedConfig:
        """params.yaml's section (if present) or the quick preset; ``scale`` replaces the preset but keeps the
        section's overrides."""
        overrides: dict[str, Any] = {}
        preset = "quick"
        pfile = params_path()
        has_section = False
        if pfile.exists():
            try:
                preset, overrides = load_params_section(self.paper, pfile)
                has_section = True
            except ConfigError as err:
                if "no section" not in str(err):
                    raise
        if scale is None and has_section:
            return config_from_params(self.paper, pfile)  # type: ignore[return-value]
        return resolve_config(self.paper, scale or preset, overrides)  # type: ignore[return-value]

    def resolve(self, scale: str | None, max_steps: int | None, out: str | None, config_file: str | None = None,
                model: str | None = None) -> StagedConfig:
        """The training settings of ``config_file`` when given, else :meth:`params_config`; ``--max-steps`` /
        ``--out`` override last."""
        if config_file is not None:
            if scale is not None:
                raise ConfigError("--scale and --config exclude each other: the config file holds every training "
                                  "setting")
            cfg = self.read_config(config_file, model)
        else:
            cfg = self.params_config(scale)
        extra: dict[str, Any] = {}
        if max_steps is not None:
            extra[self.steps_field(model)] = max_steps
        if out is not None:
            extra[self.checkpoint_field(model)] = out
        return cfg.replace(extra) if extra else cfg

    def read_config(self, path: str | Path, model: str | None = None) -> StagedConfig:
        from paper_code.common.config import presets_for

        cls = type(presets_for(self.paper)["quick"])
        which = f" --model {model}" if model else ""
        fix = f"write it with `python -m {self.module}{which} --write-config {display(resolve(path))}`"
        return read_training_config(cls, path, fix, model)

    # ------------------------------------------------------------------ main
    def main(self, argv: Sequence[str] | None = None) -> dict[str, Any] | None:
        ap = argparse.ArgumentParser(description=self.description)
        if self.models:
            ap.add_argument("--model", choices=self.models, required=True, help="which model to train")
        ap.add_argument("--scale", choices=("quick", "paper"), default=None,
                        help="preset (default: params.yaml, else quick)")
        ap.add_argument("--config", default=None, metavar="JSON",
                        help="read the training settings from this file (written by --write-config) instead of "
                             "params.yaml")
        ap.add_argument("--write-config", default=None, metavar="JSON",
                        help="write the resolved training settings to this file and exit (the DVC stage that "
                             "the training stage depends on)")
        ap.add_argument("--max-steps", type=int, default=None, help="override the number of steps")
        ap.add_argument("--out", default=None, help="checkpoint path (default: the config's)")
        ap.add_argument("--no-progress", action="store_true", help="no progress bar")
        ap.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                        help="stop at a checkpoint before this much wall time (data generation included) would be "
                             "exceeded; rerunning the same command resumes the run exactly")
        self.add_arguments(ap)
        args = ap.parse_args(argv)
        model = getattr(args, "model", None)
        if args.time_budget is not None and args.time_budget <= 0:
            ap.error(f"--time-budget must be > 0 seconds, got {args.time_budget}")
        if args.config is not None and args.write_config is not None:
            ap.error("--config and --write-config exclude each other")
        self.extra_checks(ap, args)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        try:
            cfg = self.resolve(args.scale, args.max_steps, args.out, args.config, model)
            cfg = self.apply_arguments(cfg, args)
        except ConfigError as err:
            ap.exit(2, f"error: {err}\n")
        if args.write_config is not None:
            written = write_training_config(cfg, args.write_config, model)
            print(f"training settings -> {display(written)}")
            return None
        return self._train(cfg, model, args)

    def _train(self, cfg: StagedConfig, model: str | None, args: argparse.Namespace) -> dict[str, Any]:
        from paper_code.common.checkpoints import CheckpointError, read_stats

        stage = self.stages[model]
        ctx = D.init_distributed()
        try:
            path = resolve(getattr(cfg, self.checkpoint_field(model)))
            try:  # every rank reads the same files, so all agree
                action = stage.existing_output_action(path, cfg.training_settings(model))
            except CheckpointError as err:
                if ctx.is_main:
                    print(f"error: {err}", file=sys.stderr)
                raise SystemExit(1) from err
            D.barrier()
            if action == "keep":
                log.info("%s is a finished run of these settings (its md5 matches its stats file): nothing to train",
                         display(path))
                return read_stats(path) or {}
            if action == "replace" and ctx.is_main:
                log.info("replacing %s, the checkpoint dvc.lock records (it stays in the DVC cache and dvc-store/), "
                         "with a new run: the stage's inputs changed or it was forced", display(path))
                path.unlink()
                stats_path(path).unlink(missing_ok=True)
                runs_path(path).unlink(missing_ok=True)
            D.barrier()
            if ctx.device.type == "cpu" and ctx.world_size > 1:
                torch.set_num_threads(max(1, (os.cpu_count() or 1) // ctx.world_size))
            try:
                stats = self.train(cfg, model, not args.no_progress, args.time_budget, args)
            except TimeBudgetExhausted as stop:
                if ctx.is_main:
                    print(f"unfinished: {stop}; {display(path)} resumes it: rerun the same command (without "
                          "--time-budget to finish in one go)", file=sys.stderr)
                raise SystemExit(EXIT_UNFINISHED) from stop
            if ctx.is_main:
                log.info("done: %d steps, %.1f samples/s, %.0f s, final loss %.4f -> %s", stats["steps"],
                         stats["samples_per_s"], stats["wall_time_s"], stats["final_loss"], stats["checkpoint"])
            return stats
        finally:
            D.cleanup_distributed()
