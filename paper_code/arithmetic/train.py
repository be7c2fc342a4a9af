"""Train the arithmetic models, one group per DVC stage (:data:`~paper_code.arithmetic.config.GROUPS`).

A group is a list of runs (:func:`runs`): each run is one :class:`~paper_code.arithmetic.model.
ArithmeticTransformer` trained by the shared :class:`~paper_code.common.training.Trainer` on a finite training set
(:class:`~paper_code.common.training.TensorBatches`: every example, priming ones included, once per epoch in a
fresh order; batches are a pure function of the step, so a resumed run is exact). Each run checkpoints under
``build/arithmetic/<group>/`` and is skipped once finished, so a stopped stage (``--time-budget``) resumes where it
stopped. When every run is done, their weights are bundled into the group's file, ``models/arithmetic/<group>.pt``
(``{"model": {run: state_dict}, "runs": {run: spec}}``), with ``<group>_stats.json`` beside it (every run's
steps, wall time and losses, and the group's training settings), which is what the DVC stage caches.

The held-out problems (:func:`held_out`) are drawn first, at every length from the longest training length to
the padded width, and the training sets and priming examples are drawn disjoint from them; the evaluation tests
on them, so every model of a group sees the same test problems.

Entry point::

    python -m paper_code.arithmetic.train --model addition [--scale quick|paper] [--out PATH]
    python -m paper_code.arithmetic.train --model priming_law --write-config models/arithmetic/priming_law_config.json
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from paper_code.arithmetic import data as D
from paper_code.arithmetic.config import (
    ADDITION,
    EXECUTION_FIELDS,
    GROUPS,
    MULTIPLICATION,
    PRIMING_LAW,
    ArithmeticConfig,
)
from paper_code.arithmetic.model import ArithmeticTransformer, ModelConfig, slot_loss
from paper_code.common import training_runs as R
from paper_code.common.checkpoints import (
    CheckpointSettingsError,
    ModelStage,
    display,
    file_md5,
    is_complete,
    resolve,
    stats_path,
)
from paper_code.common.parallel import fork_map
from paper_code.common.training import TensorBatches, warmup_cosine

__all__ = ["MODEL_STAGES", "RunSpec", "runs", "held_out", "training_set", "model_config", "train_run",
           "train_group", "load_group", "COMMAND", "main"]

log = logging.getLogger(__name__)

MODEL_STAGES = {
    group: ModelStage(f"train_arithmetic_{group}", f"arithmetic {group} models", EXECUTION_FIELDS,
                      cost="about 30 min on 2 cores at quick scale")
    for group in GROUPS
}


@dataclass(frozen=True)
class RunSpec:
    """One trained model of a group: its task, layout, encoding, seed, training set and priming."""

    name: str
    op: str
    position: str
    layout: str                 # "padded" or "compact"
    width: int                  # padded width of the first operand
    m_digits: int | None        # multiplication: digits of the second operand
    train_digits: int           # training operands of 1..train_digits digits
    train_size: int
    steps: int
    seed: int                   # initial weights and batch order (the training set depends on cfg.seed only)
    n_primed: int = 0
    prime_lengths: tuple[int, ...] = ()

    def layout_of(self) -> D.Layout:
        return D.Layout(kind=self.layout, width=self.width, width_b=self.m_digits if self.op == "*" else None)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["prime_lengths"] = list(self.prime_lengths)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        return cls(**{**d, "prime_lengths": tuple(d.get("prime_lengths", ()))})


def _check_group(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"group={group!r} is invalid; valid: {', '.join(GROUPS)}")


def runs(cfg: ArithmeticConfig, group: str) -> list[RunSpec]:
    """The runs of ``group`` (module doc; names are stable keys of the bundle)."""
    _check_group(group)
    out: list[RunSpec] = []
    if group == ADDITION:
        base = dict(op="+", width=cfg.add_width, m_digits=None, train_digits=cfg.add_train_digits,
                    train_size=cfg.add_train_size, steps=cfg.add_steps)
        for pos in cfg.add_positions:
            extra = cfg.add_extra_seeds if pos in ("absolute", "relative_k") else 0
            for s in range(cfg.add_seeds + extra):
                out.append(RunSpec(name=f"padded_{pos}_s{s}", position=pos, layout="padded", seed=s, **base))
        for pos in cfg.add_compact_positions:
            out.append(RunSpec(name=f"compact_{pos}_s0", position=pos, layout="compact", seed=0, **base))
        return out
    base = dict(op="*", position=cfg.mul_position, layout="padded", width=cfg.mul_width, m_digits=cfg.mul_m,
                train_digits=cfg.mul_train_digits, seed=0)
    if group == MULTIPLICATION:
        for n in cfg.mul_primes:
            out.append(RunSpec(name=f"primed{n}_at{cfg.mul_prime_length}", train_size=cfg.mul_train_size,
                               steps=cfg.mul_steps, n_primed=n, prime_lengths=(cfg.mul_prime_length,) if n else (),
                               **base))
        lengths = tuple(sorted(cfg.mul_multi_lengths))
        out.append(RunSpec(name=f"primed{cfg.mul_multi_primes}_multi", train_size=cfg.mul_train_size,
                           steps=cfg.mul_steps, n_primed=cfg.mul_multi_primes, prime_lengths=lengths, **base))
        return out
    for size in cfg.law_train_sizes:
        for n in cfg.law_primes:
            out.append(RunSpec(name=f"n{size}_primed{n}", train_size=size, steps=cfg.law_steps, n_primed=n,
                               prime_lengths=(cfg.mul_prime_length,) if n else (), **base))
    return out


def held_out(cfg: ArithmeticConfig, spec: RunSpec) -> dict[int, tuple[D.Example, ...]]:
    """The test problems of ``spec``'s task: ``cfg.test_size`` per length, from the longest training length to the
    padded width, in ``spec``'s layout (the same problems for every run of the task; module doc)."""
    lengths = range(spec.train_digits, spec.width + 1)
    return D.make_test_set(cfg.test_seed, spec.op, lengths, cfg.test_size, m_digits=spec.m_digits,
                           layout=spec.layout_of())


def training_set(cfg: ArithmeticConfig, spec: RunSpec,
                 tests: dict[int, tuple[D.Example, ...]] | None = None) -> tuple[D.Example, ...]:
    """``spec``'s training set (seed ``cfg.seed``), disjoint from :func:`held_out`, then its priming examples."""
    tests = held_out(cfg, spec) if tests is None else tests
    train = D.make_training_set(cfg.seed, spec.op, range(1, spec.train_digits + 1), spec.train_size,
                                m_digits=spec.m_digits, layout=spec.layout_of(), exclude=tests)
    if spec.n_primed:
        train = D.prime(train, spec.n_primed, spec.prime_lengths, cfg.seed, exclude=tests)
    return train


def model_config(cfg: ArithmeticConfig, spec: RunSpec) -> ModelConfig:
    return ModelConfig(position=spec.position, d_model=cfg.d_model, n_heads=cfg.n_heads, n_layers=cfg.n_layers,
                       ffn_mult=cfg.ffn_mult, clip=cfg.clip, max_positions=cfg.max_positions)


class _RunSettings:
    """What :func:`~paper_code.common.training_runs.run_training` reads, for one run."""

    def __init__(self, cfg: ArithmeticConfig, spec: RunSpec) -> None:
        self.max_steps, self.batch_size, self.grad_clip = spec.steps, cfg.batch_size, cfg.grad_clip
        self.log_every, self.checkpoint_every = cfg.log_every, cfg.checkpoint_every


def run_dir(group: str) -> Path:
    """Where the runs of ``group`` checkpoint while training (git-ignored ``build/``)."""
    return resolve(f"build/arithmetic/{group}")


def train_run(cfg: ArithmeticConfig, spec: RunSpec, path: Path, progress: bool = True,
              time_budget_s: float | None = None, t_start: float | None = None) -> dict[str, Any]:
    """Train (or resume) one run to ``spec.steps``; returns its stats (written beside ``path``)."""
    t0 = time.perf_counter()
    inputs, targets = D.tensorize(training_set(cfg, spec))
    generation_s = time.perf_counter() - t0
    torch.manual_seed(1000 * cfg.seed + spec.seed)
    net = ArithmeticTransformer(model_config(cfg, spec))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    source = TensorBatches(inputs, targets, batch_size=min(cfg.batch_size, len(inputs)),
                           seed=1000 * cfg.seed + spec.seed)
    return R.run_training(
        cfg=_RunSettings(cfg, spec), settings=spec.to_dict(), model=net, optimizer=opt, loss_fn=slot_loss,
        batches=source, path=path,
        lr_lambda=lambda t: warmup_cosine(t, lr=cfg.lr, max_steps=spec.steps, warmup_steps=cfg.warmup_steps,
                                          min_lr_ratio=cfg.min_lr_ratio),
        desc=f"arithmetic {spec.name}", progress=progress, time_budget_s=time_budget_s, t_start=t_start,
        generation_s=generation_s,
        extra_stats={"run": spec.name, "train_examples": len(inputs), "sequence_length": inputs.shape[1]})


_RUN_KEYS = ("steps", "wall_time_s", "total_wall_time_s", "samples_per_s", "first_loss", "final_loss",
             "final_loss_mean_last10", "n_params", "train_examples", "sequence_length", "runs")


class _Unfinished(R.TimeBudgetExhausted):
    """Some runs of a group stopped at the time budget (each resumes from its checkpoint when rerun)."""

    def __init__(self, messages: list[str], budget_s: float):
        RuntimeError.__init__(self, "; ".join(messages))
        self.step, self.budget_s = 0, budget_s


def _finished_stats(path: Path, spec: RunSpec) -> dict[str, Any] | None:
    """The stats of a finished run of ``spec`` at ``path`` (None: absent or unfinished)."""
    try:
        stats = json.loads(stats_path(path).read_text())
    except (OSError, ValueError):
        return None
    if stats.get("config") != spec.to_dict() or stats.get("checkpoint_md5") != file_md5(path):
        return None
    return stats


def train_group(cfg: ArithmeticConfig, group: str, out: str | Path | None = None, progress: bool = True,
                time_budget_s: float | None = None, only: Sequence[str] | None = None,
                work_dir: str | Path | None = None) -> dict[str, Any]:
    """Train every run of ``group`` not yet finished (``only``: these run names) under ``work_dir`` (default
    :func:`run_dir`), then bundle them into ``out`` (default: the config's checkpoint) with its stats file; returns
    the group's stats."""
    t_start = time.perf_counter()
    specs = runs(cfg, group)
    names = [s.name for s in specs]
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"unknown runs {unknown} of group {group}; valid: {', '.join(names)}")
        specs = [s for s in specs if s.name in only]
    folder = resolve(work_dir) if work_dir is not None else run_dir(group)
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    for spec in specs:
        path = folder / f"{spec.name}.pt"
        if path.exists() and _finished_stats(path, spec) is not None:
            continue  # finished: kept
        if path.exists() and is_complete(torch.load(path, map_location="cpu", weights_only=True)):
            raise CheckpointSettingsError(f"{display(path)} holds a finished run that is not {spec.name} of these "
                                          "settings; move or delete it first")
        todo.append(spec)  # absent, or unfinished: the Trainer resumes it

    def job(spec: RunSpec) -> dict[str, Any] | str:
        try:
            return train_run(cfg, spec, folder / f"{spec.name}.pt", progress, time_budget_s, t_start)
        except R.TimeBudgetExhausted as stop:
            return f"{spec.name}: {stop}"

    unfinished = [r for r in fork_map(job, todo, workers=cfg.train_workers) if isinstance(r, str)]
    if unfinished:
        raise _Unfinished(unfinished, time_budget_s or 0.0)
    per_run: dict[str, dict[str, Any]] = {}
    for spec in specs:
        stats = _finished_stats(folder / f"{spec.name}.pt", spec)
        assert stats is not None, spec.name
        per_run[spec.name] = {k: stats[k] for k in _RUN_KEYS}
    if only:
        return {"runs": per_run}
    bundle = {"model": {}, "runs": {}}
    for spec in specs:
        ckpt = torch.load(folder / f"{spec.name}.pt", map_location="cpu", weights_only=True)
        bundle["model"][spec.name] = ckpt["model"]
        bundle["runs"][spec.name] = spec.to_dict()
    path = resolve(out or cfg.checkpoint_path(group))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(bundle, path)
    stats = {
        "group": group,
        "runs": per_run,
        "steps": sum(r["steps"] for r in per_run.values()),
        "total_wall_time_s": sum(r["total_wall_time_s"] for r in per_run.values()),
        "wall_time_s": sum(r["wall_time_s"] for r in per_run.values()),
        "samples_per_s": (sum(r["steps"] for r in per_run.values()) * cfg.batch_size
                          / max(sum(r["wall_time_s"] for r in per_run.values()), 1e-9)),
        "final_loss": max(r["final_loss"] for r in per_run.values()),
        "trained_this_call": [spec.name for spec in todo],
        "train_workers": cfg.train_workers,
        "wall_time_this_call_s": time.perf_counter() - t_start,
        "torch": torch.__version__,
        "checkpoint": display(path),
        "checkpoint_md5": file_md5(path),
        "config": cfg.training_settings(group),
    }
    stats_path(path).write_text(json.dumps(R.finite(stats), indent=2) + "\n")
    return stats


def load_group(cfg: ArithmeticConfig, group: str, path: str | Path | None = None
               ) -> dict[str, tuple[RunSpec, ArithmeticTransformer]]:
    """``{run: (spec, model in eval mode)}`` of ``group``'s bundle, checked first (missing, corrupt, other
    settings: each error names its fix)."""
    _check_group(group)
    path = resolve(path or cfg.checkpoint_path(group))
    stage = MODEL_STAGES[group]
    ckpt = stage.check(path, cfg.training_settings(group))
    expected = [s.name for s in runs(cfg, group)]
    if sorted(ckpt["runs"]) != sorted(expected):
        raise CheckpointSettingsError(f"{display(path)} holds runs {sorted(ckpt['runs'])}, this config expects "
                                      f"{sorted(expected)}; {stage.other_model_hint()}")
    out = {}
    for name in expected:
        spec = RunSpec.from_dict(ckpt["runs"][name])
        net = ArithmeticTransformer(model_config(cfg, spec))
        net.load_state_dict(ckpt["model"][name])
        out[name] = (spec, net.eval())
    return out


# --------------------------------------------------------------------------- CLI


def _add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--only", nargs="+", default=None, metavar="RUN",
                    help="train only these runs of the group (no bundle is written)")


def _train_command(cfg: ArithmeticConfig, group: str | None, progress: bool, time_budget_s: float | None,
                   args: argparse.Namespace) -> dict[str, Any]:
    assert group is not None
    stats = train_group(cfg, group, progress=progress, time_budget_s=time_budget_s, only=args.only)
    stats.setdefault("steps", 0)
    stats.setdefault("samples_per_s", float("nan"))
    stats.setdefault("wall_time_s", 0.0)
    stats.setdefault("final_loss", float("nan"))
    stats.setdefault("checkpoint", "(runs only)")
    return stats


COMMAND = R.TrainingCommand(
    paper="arithmetic_length_generalization", module="paper_code.arithmetic.train", train=_train_command,
    stages=dict(MODEL_STAGES), models=GROUPS, add_arguments=_add_arguments,
    checkpoint_field=lambda g: f"{g}_checkpoint", steps_field=lambda g: {ADDITION: "add_steps",
                                                                          MULTIPLICATION: "mul_steps",
                                                                          PRIMING_LAW: "law_steps"}[g],
    description=__doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
