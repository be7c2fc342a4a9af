"""Evaluation of the trained arithmetic models: exact match per test length, priming effects, the priming law.

Every model is evaluated on the held-out problems of its task (:func:`~paper_code.arithmetic.train.held_out`:
``test_size`` problems per length, never trained on, the same for every model of a task), one forward pass per
batch, an answer counting only when every slot is right (:func:`~paper_code.arithmetic.model.predict_slots`).

* :func:`evaluate_group`: accuracy per run and length, ``(runs, lengths)``;
* :func:`addition_summary`, :func:`multiplication_summary`, :func:`law_summary`: the metrics the claims read;
* :func:`priming_needed` and :func:`fit_laws`: the smallest priming count reaching the threshold at each
  training-set size, and least-squares fits of ``a + b ln N`` and ``c N^p`` to it, with their R².
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from paper_code.arithmetic import data as D
from paper_code.arithmetic.config import ADDITION, GROUPS, MULTIPLICATION, PRIMING_LAW, ArithmeticConfig
from paper_code.arithmetic.model import POSITIONS, ArithmeticTransformer, predict_slots
from paper_code.arithmetic.train import MODEL_STAGES, RunSpec, held_out, load_group
from paper_code.common.checkpoints import resolve, stats_path

__all__ = ["training_stats", "GroupAccuracy", "evaluate_group", "accuracy_table", "addition_summary",
           "multiplication_summary", "priming_needed", "fit_laws", "law_summary"]


def training_stats(cfg: ArithmeticConfig) -> dict[str, object]:
    """Per group, from the stats file its training stage wrote (keys prefixed ``<group>_``): runs, parameters per
    model, steps and training examples per run, total training minutes (every run, data generation included),
    samples/s, the largest final loss (mean of the last logged losses) of any run, and the stage's name."""
    out: dict[str, object] = {"batch_size": cfg.batch_size}
    for group in GROUPS:
        stats = json.loads(stats_path(resolve(cfg.checkpoint_path(group))).read_text())
        runs = stats["runs"]
        out.update({f"{group}_runs": len(runs), f"{group}_n_params": max(r["n_params"] for r in runs.values()),
                    f"{group}_steps_per_run": max(r["steps"] for r in runs.values()),
                    f"{group}_train_examples_max": max(r["train_examples"] for r in runs.values()),
                    f"{group}_train_minutes": stats["total_wall_time_s"] / 60,
                    f"{group}_samples_per_s": stats["samples_per_s"],
                    f"{group}_worst_final_loss": max(r["final_loss_mean_last10"] for r in runs.values()),
                    f"{group}_stage": MODEL_STAGES[group].stage})
    return out


@dataclass
class GroupAccuracy:
    """Exact-match accuracy of a group's runs: ``acc[i, j]`` of run ``names[i]`` at length ``lengths[j]`` (NaN: not
    evaluated there), on ``n_test`` problems per length; ``specs[name]`` the run's spec."""

    group: str
    names: list[str]
    lengths: list[int]
    acc: np.ndarray          # (runs, lengths)
    n_test: int
    specs: dict[str, RunSpec]

    def at(self, name: str, length: int) -> float:
        return float(self.acc[self.names.index(name), self.lengths.index(length)])

    def row(self, name: str) -> dict[int, float]:
        return {L: float(a) for L, a in zip(self.lengths, self.acc[self.names.index(name)])}


def evaluate_group(cfg: ArithmeticConfig, group: str, lengths: Sequence[int],
                   models: Mapping[str, tuple[RunSpec, ArithmeticTransformer]] | None = None) -> GroupAccuracy:
    """Accuracy of every run of ``group`` at ``lengths`` (each within the held-out range of its task)."""
    models = load_group(cfg, group) if models is None else models
    lengths = sorted(set(lengths))
    names = list(models)
    acc = np.full((len(names), len(lengths)), np.nan)
    cache: dict[tuple, dict[int, tuple[torch.Tensor, torch.Tensor]]] = {}
    for i, name in enumerate(names):
        spec, net = models[name]
        task = (spec.op, spec.layout, spec.width, spec.m_digits, spec.train_digits)
        if task not in cache:
            tests = held_out(cfg, spec)
            bad = [L for L in lengths if L not in tests]
            if bad:
                raise ValueError(f"test lengths {bad} are outside the held-out range {min(tests)}..{max(tests)} of "
                                 f"{spec.name}; valid: lengths in that range")
            cache[task] = {L: D.tensorize(tests[L]) for L in lengths}
        for j, L in enumerate(lengths):
            acc[i, j] = predict_slots(net, *cache[task][L]).float().mean().item()
    return GroupAccuracy(group, names, lengths, acc, cfg.test_size, {n: models[n][0] for n in names})


def accuracy_table(res: GroupAccuracy) -> list[dict[str, object]]:
    """Rows ``{"run": name, L: accuracy, ...}`` for display."""
    return [{"run": n, **{str(L): round(float(a), 3) for L, a in zip(res.lengths, res.acc[i])}}
            for i, n in enumerate(res.names)]


def _by_encoding(res: GroupAccuracy, layout: str) -> dict[str, np.ndarray]:
    """``{encoding: (seeds, lengths)}`` of the runs in ``layout``."""
    out: dict[str, list[np.ndarray]] = {}
    for i, name in enumerate(res.names):
        spec = res.specs[name]
        if spec.layout == layout:
            out.setdefault(spec.position, []).append(res.acc[i])
    return {p: np.stack(out[p]) for p in POSITIONS if p in out}


def addition_summary(cfg: ArithmeticConfig, res: GroupAccuracy) -> dict[str, float | bool]:
    """Per padded encoding: mean (over seeds) accuracy at every test length; the claims' quantities."""
    if res.group != ADDITION:
        raise ValueError(f"addition_summary reads the addition group, got {res.group}")
    out: dict[str, float | bool] = {}
    train = cfg.add_train_digits
    for layout in ("padded", "compact"):
        for pos, rows in _by_encoding(res, layout).items():
            for L, col in zip(res.lengths, rows.T):
                out[f"add_{layout}_{pos}_acc_{L}"] = float(col.mean())
            out[f"add_{layout}_{pos}_seeds"] = int(rows.shape[0])
    padded = _by_encoding(res, "padded")
    j = res.lengths.index
    # "none" is left out: without positions every answer slot of the encoder has the same input, hence the same
    # prediction, so it cannot learn even the training lengths (its curve is the floor of the figure)
    out["add_min_in_distribution"] = float(min(r[:, j(train)].min() for p, r in padded.items() if p != "none"))
    relative = [p for p in ("relative_k", "relative_kq") if p in padded]
    if relative:
        best = max(relative, key=lambda p: padded[p][:, j(15)].mean() if 15 in res.lengths else 0.0)
        out["add_best_relative"] = POSITIONS.index(best)
        for L in res.lengths:
            out[f"add_relative_acc_{L}"] = float(padded[best][:, j(L)].mean())
            out[f"add_relative_min_seed_acc_{L}"] = float(padded[best][:, j(L)].min())
            out[f"add_relative_max_seed_acc_{L}"] = float(padded[best][:, j(L)].max())
        out["add_relative_seeds"] = int(padded[best].shape[0])
    if "absolute" in padded:
        first_out = min(L for L in res.lengths if L > train)
        out["add_absolute_acc_in_distribution"] = float(padded["absolute"][:, j(train)].mean())
        out["add_absolute_acc_first_longer"] = float(padded["absolute"][:, j(first_out)].mean())
        out["add_absolute_first_longer"] = first_out
    return out


#: The abstract's "a few (10 to 50) long sequences": the claims read the largest priming count up to this one.
ABSTRACT_MAX_PRIMES = 50


def multiplication_summary(cfg: ArithmeticConfig, res: GroupAccuracy) -> dict[str, float]:
    """Unprimed vs primed accuracy at the target length and in distribution (the gain of the largest count up to
    :data:`ABSTRACT_MAX_PRIMES`, and of the largest count trained); the multi-length model at every primed length."""
    if res.group != MULTIPLICATION:
        raise ValueError(f"multiplication_summary reads the multiplication group, got {res.group}")
    target, train = cfg.mul_prime_length, cfg.mul_train_digits
    out: dict[str, float] = {"mul_target_length": target}
    single = {s.n_primed: n for n, s in res.specs.items() if len(s.prime_lengths) <= 1}
    for count, name in sorted(single.items()):
        for L in res.lengths:
            out[f"mul_primed{count}_acc_{L}"] = res.at(name, L)
    unprimed = single[0] if 0 in single else None
    few = [c for c in single if 0 < c <= ABSTRACT_MAX_PRIMES]
    if unprimed is not None and few:
        most = max(few)
        out["mul_unprimed_acc_target"] = res.at(unprimed, target)
        out["mul_unprimed_acc_in_distribution"] = res.at(unprimed, train)
        out["mul_primed_max_count"] = most
        out["mul_primed_acc_target"] = res.at(single[most], target)
        out["mul_priming_gain_target"] = res.at(single[most], target) - res.at(unprimed, target)
        top = max(single)
        out["mul_primed_largest_count"] = top
        out["mul_primed_largest_gain_target"] = res.at(single[top], target) - res.at(unprimed, target)
        out["mul_priming_in_distribution_drop"] = res.at(unprimed, train) - min(
            res.at(single[c], train) for c in single if c)
        intermediate = [L for L in res.lengths if train < L < target]
        if intermediate:
            out["mul_priming_gain_intermediate_mean"] = float(np.mean(
                [res.at(single[most], L) - res.at(unprimed, L) for L in intermediate]))
        multi = next((n for n, s in res.specs.items() if len(s.prime_lengths) > 1), None)
        if multi is not None:
            lengths = [L for L in res.specs[multi].prime_lengths if L in res.lengths]
            gains = [res.at(multi, L) - res.at(unprimed, L) for L in lengths]
            for L, g in zip(lengths, gains):
                out[f"mul_multi_gain_{L}"] = g
                out[f"mul_multi_acc_{L}"] = res.at(multi, L)
            out["mul_multi_min_gain"] = float(min(gains))
            out["mul_multi_in_distribution_drop"] = res.at(unprimed, train) - res.at(multi, train)
    return out


def priming_needed(res: GroupAccuracy, target: int, threshold: float) -> dict[int, float]:
    """``{training-set size: smallest priming count whose model reaches threshold at target}`` (inf: none does)."""
    if res.group != PRIMING_LAW:
        raise ValueError(f"priming_needed reads the priming_law group, got {res.group}")
    out: dict[int, float] = {}
    for name, spec in res.specs.items():
        hit = res.at(name, target) >= threshold
        cur = out.setdefault(spec.train_size, math.inf)
        if hit and spec.n_primed < cur:
            out[spec.train_size] = float(spec.n_primed)
    return dict(sorted(out.items()))


def _r2(y: np.ndarray, fit: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - fit) ** 2).sum()) / ss if ss > 0 else float("nan")


def fit_laws(sizes: Sequence[float], counts: Sequence[float]) -> dict[str, float]:
    """Least-squares fits of the priming count needed: ``a + b ln N`` (R² on the counts) and ``c N^p`` (fitted on
    ``ln count``, R² on the counts), over the finite, positive counts; NaN when fewer than 3 points remain."""
    pts = [(float(n), float(c)) for n, c in zip(sizes, counts) if math.isfinite(c) and c > 0]
    out = {"law_points": float(len(pts))}
    nan = float("nan")
    if len(pts) < 3:
        return {**out, "log_a": nan, "log_b": nan, "log_r2": nan, "power_c": nan, "power_p": nan, "power_r2": nan}
    n, c = np.array(pts).T
    b, a = np.polyfit(np.log(n), c, 1)
    p, logc = np.polyfit(np.log(n), np.log(c), 1)
    return {**out, "log_a": float(a), "log_b": float(b), "log_r2": _r2(c, a + b * np.log(n)),
            "power_c": float(np.exp(logc)), "power_p": float(p), "power_r2": _r2(c, np.exp(logc) * n ** p)}


def law_summary(cfg: ArithmeticConfig, res: GroupAccuracy) -> dict[str, float | bool]:
    """The priming count needed per training-set size, whether it grows, and the two fits."""
    target = cfg.mul_prime_length
    needed = priming_needed(res, target, cfg.law_threshold)
    out: dict[str, float | bool] = {f"law_needed_{n}": c for n, c in needed.items()}
    counts = list(needed.values())
    finite = [c for c in counts if math.isfinite(c)]
    out["law_sizes_reaching_threshold"] = float(len(finite))
    out["law_needed_grows"] = bool(len(counts) >= 2 and all(b >= a for a, b in zip(counts, counts[1:]))
                                   and counts[-1] > counts[0])
    fits = fit_laws(list(needed), counts)
    out.update(fits)
    out["law_log_fit_at_least_as_good"] = bool(fits["log_r2"] >= fits["power_r2"]) if math.isfinite(
        fits["log_r2"]) and math.isfinite(fits["power_r2"]) else False
    for name, spec in res.specs.items():
        out[f"law_acc_target_n{spec.train_size}_p{spec.n_primed}"] = res.at(name, target)
        out[f"law_acc_in_distribution_n{spec.train_size}_p{spec.n_primed}"] = res.at(name, spec.train_digits)
    return out
