"""Rows of the benchmark report (``make bench``) and their rendering as Markdown tables.

A benchmark module (``benchmarks/<name>.py``, see :mod:`paper_code.pipeline.bench`) returns a list of
these rows. Every row states the thread count it ran with. Rows of one type form one section of
``reports/benchmarks.md``; ``reports/benchmarks.json`` holds the same rows as plain data.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = ["TrainingRow", "InferenceRow", "ScalingRow", "ThreadRow", "PipelineRow", "MeasureRow", "ROW_TYPES",
           "fit_exponent", "render_section", "fmt"]


def fit_exponent(sizes: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of ``log(values)`` against ``log(sizes)``: ``values ∝ sizes^slope``.

    Needs at least two distinct positive sizes with positive values; otherwise NaN.
    """
    pairs = [(s, v) for s, v in zip(sizes, values) if s and v and s > 0 and v > 0 and math.isfinite(v)]
    if len({s for s, _ in pairs}) < 2:
        return float("nan")
    x, y = np.log([s for s, _ in pairs]), np.log([v for _, v in pairs])
    return float(np.polyfit(x, y, 1)[0])


def fmt(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (thousands kept whole); ``–`` for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != 0 and (abs(v) >= 10 ** digits):
            return f"{v:,.0f}"
        return f"{v:.{digits}g}"
    return str(value)


@dataclass
class TrainingRow:
    """One torch training loop: throughput and achieved FLOP/s against a matmul of its own dominant shape."""

    section: ClassVar[str] = "training"
    paper: str
    model: str
    threads: int
    samples_per_s: float
    sample: str  # what one sample is
    step_ms: float
    forward_flops: int
    step_flops: int  # forward + backward, as counted (paper_code.common.flops)
    achieved_gflops: float
    reference: str  # the dominant product shape
    reference_gflops: float
    profile_ms: dict[str, float] | None = None  # per step: data, forward, backward, optimizer, loop
    note: str = ""

    @property
    def fraction(self) -> float:
        return self.achieved_gflops / self.reference_gflops if self.reference_gflops > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "fraction": self.fraction}


@dataclass
class InferenceRow:
    """Per-problem time and accuracy of a symbolic model and of its classical baseline, on the same problems."""

    section: ClassVar[str] = "inference"
    paper: str
    task: str
    n_problems: int
    threads: str  # e.g. "torch 2, BLAS 1"
    model: str
    model_s: float  # median seconds per problem
    model_accuracy: float
    baseline: str
    baseline_s: float
    baseline_accuracy: float
    accuracy: str  # what the accuracy measures
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ScalingRow:
    """A cost that grows with problem size: time (and memory) at each size, with the fitted power."""

    section: ClassVar[str] = "numerics"
    paper: str
    what: str
    size_name: str
    sizes: list[float]
    seconds: list[float]
    threads: int
    memory_mib: list[float] | None = None
    note: str = ""

    @property
    def time_exponent(self) -> float:
        return fit_exponent(self.sizes, self.seconds)

    @property
    def memory_exponent(self) -> float:
        return fit_exponent(self.sizes, self.memory_mib) if self.memory_mib else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "time_exponent": self.time_exponent,
                "memory_exponent": self.memory_exponent}


@dataclass
class ThreadRow:
    """One workload under one thread setting; ``relative`` = its time over the workload's reference setting."""

    section: ClassVar[str] = "threads"
    workload: str
    setting: str
    threads: str  # e.g. "torch 2, BLAS 2"
    seconds: float
    relative: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PipelineRow:
    """A pipeline cost: measured in this run, or recorded earlier (``source`` says when and under what load)."""

    section: ClassVar[str] = "pipeline"
    item: str
    seconds: float | None
    source: str
    threads: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class MeasureRow:
    """Any other measurement, grouped under its ``group`` title."""

    section: ClassVar[str] = "other"
    group: str
    name: str
    value: float
    unit: str
    threads: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ROW_TYPES: tuple[type, ...] = (PipelineRow, TrainingRow, InferenceRow, ScalingRow, ThreadRow, MeasureRow)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows]
    return out


def _profile(p: dict[str, float] | None) -> str:
    if not p:
        return ""
    return ", ".join(f"{k} {fmt(v, 2)}" for k, v in p.items())


def render_section(section: str, rows: Sequence[Any]) -> list[str]:
    """Markdown table lines of ``rows`` (all of one section)."""
    if section == "pipeline":
        return _table(["item", "seconds", "threads", "source", "note"],
                      [[r.item, fmt(r.seconds), r.threads, r.source, r.note] for r in rows])
    if section == "training":
        body = [[r.paper, r.model, r.threads, fmt(r.samples_per_s), r.sample, fmt(r.step_ms), fmt(r.step_flops / 1e6),
                 fmt(r.step_flops / max(r.forward_flops, 1), 2), fmt(r.achieved_gflops), r.reference,
                 fmt(r.reference_gflops), f"{r.fraction:.1%}" if math.isfinite(r.fraction) else "–",
                 _profile(r.profile_ms), r.note] for r in rows]
        return _table(["paper", "model", "threads", "samples/s", "sample", "ms/step", "MFLOP/step", "step/fwd",
                       "GFLOP/s", "reference matmul", "ref GFLOP/s", "fraction", "profile (ms/step)", "note"], body)
    if section == "inference":
        body = [[r.paper, r.task, r.n_problems, r.threads, r.model, fmt(r.model_s), f"{r.model_accuracy:.0%}",
                 r.baseline, fmt(r.baseline_s), f"{r.baseline_accuracy:.0%}", r.accuracy, r.note] for r in rows]
        return _table(["paper", "problems", "n", "threads", "model", "s/problem", "accuracy", "baseline",
                       "s/problem", "accuracy", "accuracy =", "note"], body)
    if section == "numerics":
        body = []
        for r in rows:
            sizes = ", ".join(fmt(s) for s in r.sizes)
            secs = ", ".join(fmt(s) for s in r.seconds)
            mem = ", ".join(fmt(m) for m in r.memory_mib) if r.memory_mib else "–"
            body.append([r.paper, r.what, f"{r.size_name} = {sizes}", r.threads, secs, fmt(r.time_exponent, 2), mem,
                         fmt(r.memory_exponent, 2), r.note])
        return _table(["paper", "cost", "sizes", "threads", "seconds", "time ∝ size^", "peak MiB", "memory ∝ size^",
                       "note"], body)
    if section == "threads":
        return _table(["workload", "setting", "threads", "seconds", "× reference", "note"],
                      [[r.workload, r.setting, r.threads, fmt(r.seconds), fmt(r.relative, 2), r.note] for r in rows])
    if section == "other":
        lines: list[str] = []
        groups: dict[str, list[MeasureRow]] = {}
        for r in rows:
            groups.setdefault(r.group, []).append(r)
        for title, items in groups.items():
            lines += ["", f"**{title}**", ""]
            lines += _table(["measurement", "value", "unit", "threads", "note"],
                            [[r.name, fmt(r.value), r.unit, r.threads, r.note] for r in items])
        return lines
    raise ValueError(f"unknown report section {section!r}; valid: pipeline, training, inference, numerics, threads, "
                     "other")
