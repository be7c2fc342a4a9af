"""The Boolformer notebook's experiments: each ``run_*`` returns a DataFrame, each ``*_metrics`` the numbers the
claims check.

Paper: arXiv 2309.12207 v2. §3 / Fig. 4: exact recovery of held-out functions from their full truth table, by
number of variables and of binary gates; App. E: named circuits; §4.1 / Fig. 5: noisy observations (test
accuracy against observed rows, flip rate and inactive variables); the inference-time comparison with a
classical logic minimiser (§3, "ESPRESSO"). The classification (§4.2) and gene-network (§4.3) experiments live
in :mod:`paper_code.boolformer.applications`.

"Perfect recovery" is the paper's: the predicted formula reproduces every given row (noiseless: the whole truth
table, so the function itself); test metrics of the noisy regime are on fresh, clean rows of the same random walk
(v2 §2.4). Equivalence is always semantic.
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sympy

from paper_code.boolformer import circuits as CI
from paper_code.boolformer.config import MODELS, NOISELESS, NOISY, BoolformerConfig
from paper_code.boolformer.data import held_out_formulas
from paper_code.boolformer.formulas import all_inputs, complexity, evaluate_rows, n_binary_gates, random_formula
from paper_code.boolformer.inference import BoolformerMethod, decoding_settings
from paper_code.boolformer.inputs import noisy_task
from paper_code.boolformer.train import MODEL_STAGES, formula_config, load_model, n_inputs, noise_config
from paper_code.common.checkpoints import resolve, stats_path, training_summary
from paper_code.common.config import ConfigError
from paper_code.common.stats import bootstrap_diff
from paper_code.symbolic.candidates import Candidate
from paper_code.symbolic.expressions import Node

__all__ = ["load_method", "training_stats", "held_out_tasks", "run_held_out",
           "held_out_metrics", "recovery_grid", "CIRCUITS", "run_circuits", "circuit_metrics", "NOISY_SWEEPS",
           "run_noisy_sweeps",
           "noisy_metrics", "dnf_gates", "run_minimiser_timing", "timing_metrics"]


# --------------------------------------------------------------------------- models
def load_method(cfg: BoolformerConfig, model: str, **changes: Any) -> BoolformerMethod:
    """The trained ``model`` (checked: missing, corrupt, unfinished or other settings each raise with the fix)
    with the config's decoding settings."""
    net, vocab = load_model(getattr(cfg, f"{model}_checkpoint"), cfg, model)
    return BoolformerMethod(net, vocab, n_inputs(cfg, model), decoding_settings(cfg, **changes))


def training_stats(cfg: BoolformerConfig) -> dict[str, Any]:
    """Each model's training figures (parameters, steps, batch, samples, samples/s, minutes, device, final loss) and
    the limits of its training distribution, read from the stats file its training stage wrote, keys prefixed
    ``<model>_``."""
    out: dict[str, Any] = {}
    for model in MODELS:
        path = resolve(getattr(cfg, f"{model}_checkpoint"))
        stats = json.loads(stats_path(path).read_text())
        out.update({f"{model}_{k}": v for k, v in training_summary(path).items()})
        out[f"{model}_stage"] = MODEL_STAGES[model].stage
        regime = ("noiseless_max_dim", "noiseless_max_binary") if model == "noiseless" else (
            "noisy_max_active", "noisy_max_inputs", "noisy_max_points", "noisy_max_flip")
        out.update({key: stats["config"][key] for key in regime})
    return out


def _first_perfect(ranked: Sequence[Candidate[Node]]) -> int | None:
    """Decoding position of the earliest candidate that fits every row (None: none does)."""
    orders = [c.order for c in ranked if c.score == 1.0]
    return min(orders) if orders else None


# --------------------------------------------------------------------------- noiseless: held-out functions (Fig. 4)
def held_out_tasks(cfg: BoolformerConfig):
    """The first ``eval_held_out`` held-out functions (never trained on: their truth tables are excluded)."""
    if cfg.eval_held_out > cfg.held_out:
        raise ConfigError(f"boolformer.eval_held_out: {cfg.eval_held_out} evaluates more functions than are held out "
                          f"(held_out={cfg.held_out}); valid: 1..{cfg.held_out}")
    held = held_out_formulas(cfg.held_out, formula_config(cfg, NOISELESS), seed=cfg.seed,
                             max_fraction=cfg.held_out_fraction)
    return held[: cfg.eval_held_out]


def run_held_out(method: BoolformerMethod, greedy: BoolformerMethod, cfg: BoolformerConfig) -> pd.DataFrame:
    """One row per held-out function: its dimension, gates and complexity, whether the best of the sampled
    candidates (and of the first k) and the greedy decoding reproduce its whole truth table, and the predicted
    formula's size and time."""
    tasks = held_out_tasks(cfg)
    problems = [(all_inputs(f.dim), f.table) for f in tasks]
    t0 = time.perf_counter()
    sampled = method.candidates_many(problems)
    t_sampled = (time.perf_counter() - t0) / len(tasks)
    greedy_ranked = greedy.candidates_many(problems)
    rows = []
    for i, (f, ranked, g) in enumerate(zip(tasks, sampled, greedy_ranked)):
        best = ranked[0] if ranked else None
        first = _first_perfect(ranked)
        rows.append({
            "function": i, "dim": f.dim, "gates": n_binary_gates(f.tree), "complexity": complexity(f.tree),
            "target": str(f.tree), "dnf_gates": dnf_gates(f.table, f.dim),
            "recovered": bool(best is not None and best.score == 1.0),
            "fit_accuracy": best.score if best else float("nan"),
            "first_perfect": first if first is not None else -1,
            "greedy_recovered": bool(g and g[0].score == 1.0),
            "n_valid": len(ranked),
            "pred_gates": n_binary_gates(best.prediction) if best else -1,
            "pred_complexity": complexity(best.prediction) if best else -1,
            "prediction": str(best.prediction) if best else "",
            "seconds": t_sampled,
        })
    return pd.DataFrame(rows)


def _gate_bins(gates: pd.Series) -> pd.Series:
    edges = [-1, 2, 5, 8, 12, 1000]
    labels = ["0-2", "3-5", "6-8", "9-12", "13+"]
    return pd.cut(gates, edges, labels=labels)


def recovery_grid(res: pd.DataFrame) -> pd.DataFrame:
    """Perfect recovery by (binary-gate bin, D) (the paper's Fig. 4 in miniature); NaN = no function there."""
    return (res.assign(gate_bin=_gate_bins(res["gates"]))
            .pivot_table(index="gate_bin", columns="dim", values="recovered", aggfunc="mean", observed=False))


def held_out_metrics(res: pd.DataFrame, cfg: BoolformerConfig, ks: Sequence[int] = (1, 2, 5, 10)) -> dict[str, Any]:
    """Recovery overall, by D and by gates, best of first k vs greedy, formula sizes, and the trends' bootstrap
    intervals (smallest vs largest D evaluated with enough functions; gates split at the median)."""
    n = cfg.n_candidates
    ks = [k for k in ks if k <= n]
    rec = res["recovered"].to_numpy(float)
    greedy = res["greedy_recovered"].to_numpy(float)
    by_dim = res.groupby("dim")["recovered"].agg(["mean", "size"])
    enough = by_dim[by_dim["size"] >= 10]
    if len(enough) < 2:
        raise ValueError(f"the dimension trend needs two dimensions with at least 10 evaluated functions; got "
                         f"{dict(by_dim['size'])}: raise eval_held_out (or held_out)")
    low_dim, high_dim = int(enough.index.min()), int(enough.index.max())
    split = float(res["gates"].median())
    few, many = res[res["gates"] <= split]["recovered"], res[res["gates"] > split]["recovered"]
    drop_dim = bootstrap_diff(res[res["dim"] == low_dim]["recovered"], res[res["dim"] == high_dim]["recovered"],
                              2000, cfg.eval_seed)
    drop_gates = bootstrap_diff(few, many, 2000, cfg.eval_seed + 1)
    gain = bootstrap_diff(rec, greedy, 2000, cfg.eval_seed + 2, paired=True)
    first = res["first_perfect"].to_numpy()
    found = res[res["recovered"]]
    return {
        "held_out_n": len(res), "held_out_recovery": float(rec.mean()),
        "held_out_n_recovered": int(rec.sum()),
        "held_out_recovery_by_dim": {int(d): float(v) for d, v in by_dim["mean"].items()},
        "held_out_n_by_dim": {int(d): int(v) for d, v in by_dim["size"].items()},
        "held_out_recovery_low_dim": float(enough.loc[low_dim, "mean"]), "held_out_low_dim": low_dim,
        "held_out_recovery_high_dim": float(enough.loc[high_dim, "mean"]), "held_out_high_dim": high_dim,
        "recovery_drop_dim": drop_dim[0], "recovery_drop_dim_ci_low": drop_dim[1],
        "recovery_drop_dim_ci_high": drop_dim[2],
        "gates_split": split, "held_out_recovery_few_gates": float(few.mean()),
        "held_out_recovery_many_gates": float(many.mean()),
        "recovery_drop_gates": drop_gates[0], "recovery_drop_gates_ci_low": drop_gates[1],
        "recovery_drop_gates_ci_high": drop_gates[2],
        "greedy_recovery": float(greedy.mean()),
        "best_of_k": list(ks),
        "best_of_k_recovery": [float(np.mean((first >= 0) & (first < k))) for k in ks],
        "best_of_n_minus_greedy": gain[0], "best_of_n_minus_greedy_ci_low": gain[1],
        "best_of_n_minus_greedy_ci_high": gain[2],
        "held_out_max_gates": int(res["gates"].max()),
        "recovered_mean_gates_pred": float(found["pred_gates"].mean()) if len(found) else float("nan"),
        "recovered_mean_gates_target": float(found["gates"].mean()) if len(found) else float("nan"),
        "recovered_mean_gates_dnf": float(found["dnf_gates"].mean()) if len(found) else float("nan"),
        "pred_not_longer_than_dnf": bool(len(found) and found["pred_gates"].mean() <= found["dnf_gates"].mean()),
        "held_out_seconds_per_function": float(res["seconds"].mean()),
    }


def dnf_gates(table: np.ndarray, dim: int) -> int:
    """Binary gates of the canonical DNF (one AND of all D literals per true row, ORed together)."""
    m = int(np.sum(table))
    return m * (dim - 1) + max(m - 1, 0)


# --------------------------------------------------------------------------- circuits (App. E)
#: The named circuits of the notebook: the App. E sweep and the 2-variable gates AND, OR, XOR (sizes a model
#: cannot read are skipped by :func:`run_circuits`).
CIRCUITS: tuple[tuple[str, tuple[int, ...]], ...] = (*CI.CIRCUIT_SWEEP, *((g, (2,)) for g in CI.GATES))
def run_circuits(method: BoolformerMethod, sweep: Sequence[tuple[str, Sequence[int]]]) -> pd.DataFrame:
    """One row per output bit of each named circuit of ``sweep`` (sizes the model can read): exact (the formula
    reproduces the whole truth table), error rate, formula size."""
    rows = []
    for name, sizes in sweep:
        for size in sizes:
            c = CI.circuit(name, size)
            if c.X.shape[1] > method.n_inputs:
                continue
            t0 = time.perf_counter()
            ranked = method.candidates_many([(c.X, c.Y[:, k]) for k in range(c.Y.shape[1])])
            seconds = (time.perf_counter() - t0) / c.Y.shape[1]
            for k, cands in enumerate(ranked):
                best = cands[0] if cands else None
                rows.append({"circuit": name, "size": size, "label": c.label, "dim": c.X.shape[1],
                             "output": c.output_names[k], "exact": bool(best and best.score == 1.0),
                             "error": 1.0 - best.score if best else 1.0,
                             "gates": n_binary_gates(best.prediction) if best else -1,
                             "complexity": complexity(best.prediction) if best else -1,
                             "formula": str(best.prediction) if best else "", "seconds": seconds})
    return pd.DataFrame(rows)


def circuit_table(res: pd.DataFrame) -> pd.DataFrame:
    """Per circuit and size: every output exact?, worst output's error, gates summed over outputs."""
    return (res.groupby(["circuit", "size", "label", "dim"], sort=False)
            .agg(all_exact=("exact", "all"), worst_error=("error", "max"), gates=("gates", "sum"))
            .reset_index())


def circuit_metrics(res: pd.DataFrame) -> dict[str, Any]:
    """The named functions the claims check, and the largest D each circuit is recovered exactly at."""
    table = circuit_table(res)

    def exact(name: str, size: int) -> bool:
        row = table[(table["circuit"] == name) & (table["size"] == size)]
        return bool(len(row) and row["all_exact"].iloc[0])

    def gates(name: str, size: int) -> int:
        row = table[(table["circuit"] == name) & (table["size"] == size)]
        return int(row["gates"].iloc[0]) if len(row) else -1

    largest = {}
    for name, group in table.groupby("circuit", sort=False):
        ok = group[group["all_exact"]]
        largest[str(name)] = int(ok["dim"].max()) if len(ok) else 0
    two_var = {g: exact(g, 2) for g in ("and", "or", "xor")}
    four_input = table[(table["dim"] == 4) & (table["circuit"] != "parity") & table["all_exact"]]
    return {
        "circuit_and2_exact": two_var["and"], "circuit_or2_exact": two_var["or"], "circuit_xor2_exact": two_var["xor"],
        "circuit_comparator2_exact": exact("comparator", 2),
        "two_var_and_comparator_exact": bool(all(two_var.values()) and exact("comparator", 2)),
        "circuit_largest_exact_dim": largest,
        "parity4_exact": exact("parity", 4), "parity4_gates": gates("parity", 4),
        "parity4_error": float(table[(table["circuit"] == "parity") & (table["size"] == 4)]["worst_error"].max()),
        "other4_max_gates": int(four_input["gates"].max()) if len(four_input) else -1,
        "parity4_hardest": bool(not exact("parity", 4) or gates("parity", 4) > (four_input["gates"].max()
                                                                                  if len(four_input) else -1)),
        "circuits_n_exact": int(table["all_exact"].sum()), "circuits_n": len(table),
    }


# --------------------------------------------------------------------------- noisy regime (Fig. 5)
#: Sweeps of the noisy figure: the swept field of the observation process, its values, and the other fields'
#: fixed values (N observed rows, flip probability, inactive variables). N = 128 is beyond the 16-64 rows of
#: training (no positional encoding: more rows only add evidence, v2 App. D).
NOISY_SWEEPS: dict[str, tuple[float, ...]] = {
    "points": (16, 32, 64, 128),
    "flip": (0.0, 0.025, 0.05, 0.1),
    "inactive": (0, 4, 8, 13),
}
NOISY_BASE = {"points": 48, "flip": 0.0, "inactive": 6}


def _noise(cfg: BoolformerConfig, points: int, flip: float, inactive: int):
    return noise_config(cfg, min_points=int(points), max_points=int(points), min_flip=float(flip),
                        max_flip=float(flip), min_inactive=int(inactive),
                        max_inactive=int(inactive))


def run_noisy_sweeps(method: BoolformerMethod, cfg: BoolformerConfig) -> pd.DataFrame:
    """``eval_noisy_tasks`` fresh functions of the noisy model's distribution per point of each sweep: best
    candidate's fitting accuracy, test accuracy on the held-out clean rows (as many as observed: the walk's next
    N steps), test perfect recovery, and exact recovery (the same function as the truth on every input of the
    task's columns: comparable across N, unlike test perfect recovery, whose test set grows with N)."""
    rows = []
    fcfg = formula_config(cfg, NOISY)
    for sweep, values in NOISY_SWEEPS.items():
        for v in values:
            setting = {**NOISY_BASE, sweep: v}
            rng = np.random.default_rng([cfg.eval_seed, 0x0015E, list(NOISY_SWEEPS).index(sweep), int(v * 1000)])
            tasks = []
            for _ in range(cfg.eval_noisy_tasks):
                f = random_formula(rng, fcfg)
                tasks.append(noisy_task(f, rng, _noise(cfg, **setting)))
            ranked = method.candidates_many([(t.X_fit, t.y_fit) for t in tasks])
            for t, cands in zip(tasks, ranked):
                best = cands[0].prediction if cands else Node(0)
                test_acc = float(np.mean(evaluate_rows(best, t.X_test) == t.y_test))
                cube = all_inputs(t.n_inputs)
                exact = bool(np.array_equal(evaluate_rows(best, cube), evaluate_rows(t.tree, cube)))
                rows.append({"sweep": sweep, "value": v, **setting, "active": len(t.columns),
                             "fit_accuracy": cands[0].score if cands else 0.0, "test_accuracy": test_acc,
                             "test_perfect": test_acc == 1.0, "exact": exact, "truth": str(t.tree),
                             "prediction": str(best)})
    return pd.DataFrame(rows)


def noisy_metrics(res: pd.DataFrame, cfg: BoolformerConfig) -> dict[str, Any]:
    """Mean test accuracy and perfect recovery along each sweep, and the bootstrap interval of the change from its
    first to its last value (sign fixed so that the paper's direction is positive)."""
    out: dict[str, Any] = {"noisy_tasks_per_point": cfg.eval_noisy_tasks, "noisy_base": dict(NOISY_BASE)}
    for i, (sweep, values) in enumerate(NOISY_SWEEPS.items()):
        part = res[res["sweep"] == sweep]
        means = part.groupby("value")["test_accuracy"].mean()
        perfect = part.groupby("value")["test_perfect"].mean()
        exact = part.groupby("value")["exact"].mean()
        out[f"noisy_{sweep}_values"] = [float(v) for v in values]
        out[f"noisy_{sweep}_test_accuracy"] = [float(means[v]) for v in values]
        out[f"noisy_{sweep}_test_perfect"] = [float(perfect[v]) for v in values]
        out[f"noisy_{sweep}_exact"] = [float(exact[v]) for v in values]
        first = part[part["value"] == values[0]]["test_accuracy"]
        last = part[part["value"] == values[-1]]["test_accuracy"]
        a, b = (last, first) if sweep == "points" else (first, last)  # paper: rises with N, falls with the others
        d = bootstrap_diff(a, b, 2000, cfg.eval_seed + 10 + i)
        out[f"noisy_{sweep}_effect"], out[f"noisy_{sweep}_effect_ci_low"] = d[0], d[1]
        out[f"noisy_{sweep}_effect_ci_high"] = d[2]
    return out


# --------------------------------------------------------------------------- inference time vs a logic minimiser
def run_minimiser_timing(method: BoolformerMethod, tasks: Sequence[Any]) -> pd.DataFrame:
    """Boolformer (one call per function: encoder, sampled candidates, ranking) and SymPy's exact two-level
    minimiser (``SOPform``: Quine-McCluskey prime implicants and a minimal cover) on the same truth tables, one
    after the other in this process: time per function, gates of the formula, and whether it is exact."""
    rows = []
    for i, f in enumerate(tasks):
        X, y = all_inputs(f.dim), f.table
        t0 = time.perf_counter()
        ranked = method.candidates(X, y)
        t_model = time.perf_counter() - t0
        best = ranked[0] if ranked else None
        symbols = sympy.symbols(f"x_0:{f.dim}")
        minterms = [list(map(int, row)) for row in X[y == 1]]
        t0 = time.perf_counter()
        sop = sympy.SOPform(symbols, minterms)
        t_sop = time.perf_counter() - t0
        rows.append({"function": i, "dim": f.dim, "method": "Boolformer", "seconds": t_model,
                     "exact": bool(best and best.score == 1.0),
                     "gates": n_binary_gates(best.prediction) if best else -1})
        rows.append({"function": i, "dim": f.dim, "method": "SymPy SOPform", "seconds": t_sop, "exact": True,
                     "gates": _sympy_gates(sop)})
    return pd.DataFrame(rows)


def _sympy_gates(expr: sympy.Basic) -> int:
    """Binary gates of a SymPy And/Or/Not formula (an n-ary gate counts n - 1)."""
    if isinstance(expr, (sympy.And, sympy.Or)):
        return len(expr.args) - 1 + sum(_sympy_gates(a) for a in expr.args)
    if isinstance(expr, sympy.Not):
        return _sympy_gates(expr.args[0])
    return 0


def timing_metrics(res: pd.DataFrame) -> dict[str, Any]:
    med = res.groupby("method")["seconds"].median()
    exact = res[res["method"] == "Boolformer"]["exact"].to_numpy()
    both = res.pivot_table(index="function", columns="method", values="gates")
    both = both[both["Boolformer"] >= 0]
    ok = res[res["method"] == "Boolformer"].set_index("function")["exact"]
    both = both[ok.reindex(both.index).to_numpy(bool)]
    return {"timing_n": int(res["function"].nunique()),
            "timing_boolformer_median_s": float(med["Boolformer"]),
            "timing_sympy_median_s": float(med["SymPy SOPform"]),
            "timing_speedup_vs_sympy": float(med["SymPy SOPform"] / med["Boolformer"]),
            "timing_boolformer_exact": float(exact.mean()),
            "timing_mean_gates_boolformer": float(both["Boolformer"].mean()) if len(both) else float("nan"),
            "timing_mean_gates_sympy": float(both["SymPy SOPform"].mean()) if len(both) else float("nan"),
            "timing_boolformer_shorter_or_equal": float((both["Boolformer"] <= both["SymPy SOPform"]).mean())
            if len(both) else float("nan")}
