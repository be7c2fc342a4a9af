"""The experiments of end-to-end symbolic regression (Kamienny et al., NeurIPS 2022, §4), at the config's scale.

* **In-domain** (§4.1-4.2): held-out functions of the training distribution, ``eval_per_cell`` per input dimension;
  every variant of the ablation (:class:`~paper_code.e2e_sr.inference.Variant`) fitted on the function's points and
  scored on ``test_points`` fresh points of its input distribution (R² >= 0.99 accuracy, Acc_τ), on the fit points,
  and on the extrapolation sets (inputs scaled by σ > 1).
* **Feynman** (§4.3, SRBench's ground-truth track): the AI-Feynman problems with at most ``feynman_max_dim``
  variables, ``feynman_rows`` rows split 75 / 25, target noise ν on the training rows; the end-to-end model against
  gplearn and Operon, test R² and accuracy R² > 0.999, with every method's wall time measured in the same run.

Every fit runs in a forked worker with one thread (:func:`~paper_code.common.parallel.fork_map`), so the times of
the methods compare like for like.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from paper_code.common.checkpoints import models_training_stats
from paper_code.common.parallel import fork_map
from paper_code.common.progress import progress as progress_bar
from paper_code.common.stats import bootstrap_diff
from paper_code.e2e_sr.baselines import GPLearn, Operon, Regressor
from paper_code.e2e_sr.config import END_TO_END, MODELS, SKELETON, E2EConfig
from paper_code.e2e_sr.data import held_out_examples
from paper_code.e2e_sr.feynman import FeynmanProblem, problems
from paper_code.e2e_sr.generator import Example
from paper_code.e2e_sr.inference import E2E_VARIANTS, E2EMethod, Variant
from paper_code.e2e_sr.train import MODEL_STAGES, load_model
from paper_code.symbolic.expressions import OPERATORS, Node
from paper_code.symbolic.metrics import complexity, r2_score, tolerance_accuracy

__all__ = ["load_methods", "training_stats", "structural_operators", "held_out", "evaluate_function",
           "run_in_domain", "ablation_table", "accuracy_by", "extrapolation_table", "baselines", "feynman_data",
           "run_feynman", "feynman_table", "in_domain_metrics", "feynman_metrics", "VARIANT_KEYS", "ACCURACY",
           "FEYNMAN_ACCURACY"]

#: The paper's accuracy: R² >= 0.99 on the test points.
ACCURACY = 0.99
#: SRBench's ground-truth accuracy: test R² > 0.999.
FEYNMAN_ACCURACY = 0.999


def load_methods(cfg: E2EConfig) -> dict[str, E2EMethod]:
    """Both trained models (checked: missing, corrupt, unfinished or other settings each raise with the fix) with
    the config's inference settings."""
    out = {}
    for model in MODELS:
        net, out_vocab = load_model(getattr(cfg, f"{model}_checkpoint"), cfg, model)
        out[model] = E2EMethod(net, out_vocab, cfg.floats(), skeleton=model == SKELETON, max_bag=cfg.max_bag,
                               n_bags=cfg.n_bags, n_candidates=cfg.n_candidates, beam=cfg.decoding == "beam",
                               temperature=cfg.temperature, refine_top=cfg.refine_top,
                               refine_seconds=cfg.refine_seconds, refine_points=cfg.refine_points,
                               seed=cfg.eval_seed)
    return out


def training_stats(cfg: E2EConfig) -> dict[str, Any]:
    """Each model's training figures from the stats file its stage wrote, keys prefixed ``<model>_``."""
    return models_training_stats(cfg, MODEL_STAGES)


def structural_operators(tree: Node) -> tuple[int, int]:
    """``(binary, unary)`` operators of a generated function, not counting the constants' own operators (the
    generator's ``b`` and ``u``): a binary node with a float-constant child is a prefactor, a root constant or half
    of an affine map ``a + b·arg`` (the sampled binary operators join two sub-trees, never a bare constant)."""
    binary = unary = 0
    for node in tree.nodes():
        if not node.is_operator:
            continue
        if OPERATORS[node.value].arity == 1:  # type: ignore[index]
            unary += 1
        elif not any(c.is_float_constant for c in node.children):
            binary += 1
    return binary, unary


# --------------------------------------------------------------------------- in-domain
def held_out(cfg: E2EConfig) -> list[Example]:
    """``eval_per_cell`` held-out functions per input dimension ``D = min_dim..max_dim``."""
    gen = cfg.generator_config()
    return [ex for d in range(gen.min_dim, gen.max_dim + 1)
            for ex in held_out_examples(cfg.eval_per_cell, gen, cfg.floats(), max_output_tokens=cfg.max_output_tokens,
                                        seed=cfg.eval_seed, dim=d)]


def _scores(tree: Node | None, x: np.ndarray, y: np.ndarray, taus: Sequence[float]) -> dict[str, Any]:
    pred = None
    if tree is not None:
        with np.errstate(all="ignore"):
            pred = np.broadcast_to(np.asarray(tree.evaluate(x), dtype=float), y.shape)
    r2 = r2_score(y, pred, clip=None)
    return {"r2": r2, "acc": bool(r2 >= ACCURACY),
            **{f"acc_{tau:g}": tolerance_accuracy(y, pred, tau) for tau in taus}}


def evaluate_function(methods: dict[str, E2EMethod], ex: Example, index: int, cfg: E2EConfig) -> list[dict[str, Any]]:
    """One row per variant for held-out function ``index``: its ``dim``, operators, the fit points' R², the test
    points' R², accuracy and Acc_τ, R² at every extrapolation σ, the prediction's complexity and the variant's wall
    time (the model's decoding plus its own ranking and refinement)."""
    sets = {}
    for k, sigma in enumerate(cfg.extrapolation_sigmas):
        rng = np.random.default_rng([cfg.eval_seed, 0x5E7, index, k])
        sets[sigma] = ex.more_points(rng, cfg.test_points, sigma)
    n_bin, n_un = structural_operators(ex.tree)
    rows = []
    for model, method in methods.items():
        for variant, fit in method.timed_variants(ex.x, ex.y).items():
            tree = fit.tree
            row = {"index": index, "dim": ex.dim, "binary_ops": n_bin, "unary_ops": n_un, "variant": variant.value,
                   "model": model, "candidates": fit.candidates, "seconds": fit.seconds,
                   "complexity": complexity(tree) if tree is not None else np.nan,
                   "expression": tree.infix() if tree is not None else "",
                   "r2_fit": _scores(tree, ex.x, ex.y, ())["r2"]}
            test = _scores(tree, *sets[1.0], cfg.tolerances)
            row.update({"r2_test": test.pop("r2"), **test})
            for sigma in cfg.extrapolation_sigmas[1:]:
                row[f"r2_sigma_{sigma:g}"] = _scores(tree, *sets[sigma], ())["r2"]
            rows.append(row)
    return rows


def run_in_domain(methods: dict[str, E2EMethod], cfg: E2EConfig, examples: Sequence[Example] | None = None,
                  progress: bool = True) -> pd.DataFrame:
    """:func:`evaluate_function` on every held-out function (``examples``, default :func:`held_out`)."""
    examples = held_out(cfg) if examples is None else list(examples)
    bar = progress_bar(total=len(examples), disable=not progress, desc="in-domain")
    try:
        rows = fork_map(lambda i: evaluate_function(methods, examples[i], i, cfg), range(len(examples)),
                        cfg.eval_workers, on_result=lambda i, r: bar.update())
    finally:
        bar.close()
    return pd.DataFrame([r for rs in rows for r in rs])


_ORDER = [v.value for v in (Variant.SKELETON_BFGS, *E2E_VARIANTS)]


def ablation_table(df: pd.DataFrame, taus: Sequence[float]) -> pd.DataFrame:
    """The paper's Table 1 at our scale: per variant, % of test functions with R² >= 0.99 and Acc_τ, median test
    R², mean complexity and mean wall time."""
    g = df.groupby("variant", sort=False)
    out = pd.DataFrame({"R² ≥ 0.99 (%)": 100 * g["acc"].mean(),
                        **{f"Acc_{tau:g} (%)": 100 * g[f"acc_{tau:g}"].mean() for tau in taus},
                        "median R²": g["r2_test"].median(), "complexity": g["complexity"].mean(),
                        "seconds": g["seconds"].mean(), "functions": g.size()})
    return out.reindex([v for v in _ORDER if v in out.index])


def accuracy_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """% accuracy (R² >= 0.99) of every variant against ``column`` (``dim``, ``binary_ops``, ``unary_ops``)."""
    table = 100 * df.pivot_table(index=column, columns="variant", values="acc", aggfunc="mean")
    return table[[v for v in _ORDER if v in table.columns]]


def extrapolation_table(df: pd.DataFrame, sigmas: Sequence[float]) -> pd.DataFrame:
    """% of functions with R² >= 0.99 on the inputs scaled by σ, per variant."""
    cols = {sigmas[0]: "r2_test", **{s: f"r2_sigma_{s:g}" for s in sigmas[1:]}}
    table = pd.DataFrame({s: 100 * (df[c] >= ACCURACY).groupby(df["variant"], sort=False).mean()
                          for s, c in cols.items()})
    table.columns.name = "σ"
    return table.reindex([v for v in _ORDER if v in table.index])


# --------------------------------------------------------------------------- Feynman
def baselines(cfg: E2EConfig) -> list[Regressor]:
    """The GP methods at the config's budgets."""
    return [GPLearn(population_size=cfg.gplearn_population, generations=cfg.gplearn_generations, seed=cfg.eval_seed),
            Operon(max_evaluations=cfg.operon_evaluations, seed=cfg.eval_seed)]


def feynman_data(problem: FeynmanProblem, noise: float, cfg: E2EConfig, index: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_test, y_test)``: ``feynman_rows`` rows split 75 / 25 (SRBench's
    ``train_test_split(test_size=0.25)``), Gaussian noise of standard deviation ``noise · RMS(y_train)`` added to
    the training targets only."""
    rng = np.random.default_rng([cfg.eval_seed, 0xFE1, index])
    X, y = problem.sample(rng, cfg.feynman_rows)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, shuffle=True, random_state=cfg.eval_seed + index)
    if noise > 0:
        y_tr = y_tr + rng.normal(0.0, noise * np.sqrt(np.mean(y_tr**2)), size=y_tr.shape)
    return X_tr, y_tr, X_te, y_te


def _feynman_job(job: tuple[int, int, str], methods: dict[str, E2EMethod], gps: dict[str, Regressor],
                 cfg: E2EConfig, tasks: Sequence[FeynmanProblem]) -> list[dict[str, Any]]:
    pi, ni, name = job
    problem, noise = tasks[pi], cfg.noise_levels[ni]
    X_tr, y_tr, X_te, y_te = feynman_data(problem, noise, cfg, pi)
    base = {"problem": problem.id, "dim": problem.dim, "noise": noise}
    rows = []
    if name == END_TO_END:
        for variant, fit in methods[END_TO_END].timed_variants(X_tr, y_tr, (Variant.E2E, Variant.E2E_BFGS)).items():
            rows.append({**base, "method": variant.value, "r2_test": _scores(fit.tree, X_te, y_te, ())["r2"],
                         "seconds": fit.seconds, "expression": fit.tree.infix() if fit.tree is not None else ""})
    else:
        fitted = gps[name].fit(X_tr, y_tr)
        with np.errstate(all="ignore"):
            r2 = r2_score(y_te, np.asarray(fitted.predict(X_te), dtype=float), clip=None)
        rows.append({**base, "method": name, "r2_test": r2, "seconds": fitted.seconds,
                     "expression": str(fitted.expression) if fitted.expression is not None else ""})
    for r in rows:
        r["acc"] = bool(r["r2_test"] > FEYNMAN_ACCURACY)
    return rows


def run_feynman(methods: dict[str, E2EMethod], cfg: E2EConfig, gp: Sequence[Regressor] | None = None,
                tasks: Sequence[FeynmanProblem] | None = None, progress: bool = True) -> pd.DataFrame:
    """One row per (problem, noise, method): test R², accuracy (R² > 0.999), wall time of the fit, expression.
    Methods: the end-to-end model without and with BFGS (one decoding), and the GP baselines."""
    tasks = problems(cfg.feynman_max_dim) if tasks is None else list(tasks)
    gps = {g.name: g for g in (baselines(cfg) if gp is None else gp)}
    jobs = [(pi, ni, name) for pi in range(len(tasks)) for ni in range(len(cfg.noise_levels))
            for name in (END_TO_END, *gps)]
    bar = progress_bar(total=len(jobs), disable=not progress, desc="Feynman")
    try:
        rows = fork_map(lambda job: _feynman_job(job, methods, gps, cfg, tasks), jobs, cfg.eval_workers,
                        on_result=lambda i, r: bar.update())
    finally:
        bar.close()
    return pd.DataFrame([r for rs in rows for r in rs])


def feynman_table(df: pd.DataFrame) -> pd.DataFrame:
    """% of problems solved (test R² > 0.999), median test R² and median seconds per fit, per method and noise."""
    g = df.groupby(["method", "noise"], sort=False)
    return pd.DataFrame({"R² > 0.999 (%)": 100 * g["acc"].mean(), "median R²": g["r2_test"].median(),
                         "median seconds": g["seconds"].median(), "problems": g.size()}).unstack("noise")


# --------------------------------------------------------------------------- metrics
#: Metric-key names of the variants.
VARIANT_KEYS = {Variant.SKELETON_BFGS.value: "skeleton_bfgs", Variant.E2E.value: "e2e",
                Variant.E2E_BFGS.value: "e2e_bfgs", Variant.E2E_BFGS_RANDOM.value: "e2e_bfgs_random"}


def _paired(df: pd.DataFrame, a: str, b: str, column: str, by: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of variants/methods ``a`` and ``b`` aligned on ``by``."""
    key = "variant" if "variant" in df.columns else "method"
    wide = df.pivot_table(index=list(by), columns=key, values=column, aggfunc="first")
    return wide[a].to_numpy(float), wide[b].to_numpy(float)


def _diff(out: dict[str, Any], name: str, a: np.ndarray, b: np.ndarray, n_boot: int, seed: int,
          paired: bool) -> None:
    out[name], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = bootstrap_diff(a, b, n_boot, seed, paired=paired)


def in_domain_metrics(df: pd.DataFrame, cfg: E2EConfig) -> dict[str, Any]:
    """Accuracies of every variant and the trends the claims test (accuracy = R² >= 0.99 on the test points)."""
    n = cfg.bootstrap_resamples
    out: dict[str, Any] = {"in_domain_functions": int(df["index"].nunique())}
    for variant, key in VARIANT_KEYS.items():
        mine = df[df["variant"] == variant]
        out[f"acc_{key}"] = float(mine["acc"].mean())
        for tau in cfg.tolerances:
            out[f"acc_{key}_tol{tau:g}"] = float(mine[f"acc_{tau:g}"].mean())
        out[f"median_r2_{key}"] = float(mine["r2_test"].median())
        out[f"seconds_{key}"] = float(mine["seconds"].mean())
        out[f"acc_by_dim_{key}"] = {int(d): float(v) for d, v in mine.groupby("dim")["acc"].mean().items()}
        by_ops = mine.groupby("binary_ops")["acc"].mean()
        out[f"acc_by_binary_ops_{key}"] = {int(b): float(v) for b, v in by_ops.items()}
    by = ("index",)
    _diff(out, "bfgs_minus_e2e", *_paired(df, Variant.E2E_BFGS.value, Variant.E2E.value, "acc", by), n,
          cfg.eval_seed + 1, True)
    _diff(out, "e2e_bfgs_minus_skeleton", *_paired(df, Variant.E2E_BFGS.value, Variant.SKELETON_BFGS.value, "acc",
                                                    by), n, cfg.eval_seed + 2, True)
    _diff(out, "predicted_minus_random_init", *_paired(df, Variant.E2E_BFGS.value, Variant.E2E_BFGS_RANDOM.value,
                                                       "acc", by), n, cfg.eval_seed + 3, True)
    best = df[df["variant"] == Variant.E2E_BFGS.value]
    lo_ops, hi_ops = int(best["binary_ops"].min()), int(best["binary_ops"].max())
    out["binary_ops_range"] = [lo_ops, hi_ops]
    _diff(out, "ops_drop", best.loc[best["binary_ops"] == lo_ops, "acc"].to_numpy(float),
          best.loc[best["binary_ops"] == hi_ops, "acc"].to_numpy(float), n, cfg.eval_seed + 4, False)
    lo_d, hi_d = int(best["dim"].min()), int(best["dim"].max())
    out["dim_range"] = [lo_d, hi_d]
    _diff(out, "dim_drop", best.loc[best["dim"] == lo_d, "acc"].to_numpy(float),
          best.loc[best["dim"] == hi_d, "acc"].to_numpy(float), n, cfg.eval_seed + 5, False)
    sig = cfg.extrapolation_sigmas
    far = (best[f"r2_sigma_{sig[-1]:g}"] >= ACCURACY).to_numpy(float)
    out["extrapolation_acc_e2e_bfgs"] = [float(best["acc"].mean())] + [
        float((best[f"r2_sigma_{s:g}"] >= ACCURACY).mean()) for s in sig[1:]]
    out["extrapolation_far_sigma"] = float(sig[-1])
    out["extrapolation_far_acc_e2e_bfgs"] = out["extrapolation_acc_e2e_bfgs"][-1]
    _diff(out, "extrapolation_drop", best["acc"].to_numpy(float), far, n, cfg.eval_seed + 6, True)
    return out


def feynman_metrics(df: pd.DataFrame, cfg: E2EConfig) -> dict[str, Any]:
    """Feynman accuracies (R² > 0.999 on the test rows) and times per method; the refinement's paired gain; the
    speed and accuracy comparison with the GP methods (noise-free problems)."""
    out: dict[str, Any] = {"feynman_problems": int(df["problem"].nunique()),
                           "feynman_train_rows": int(round(0.75 * cfg.feynman_rows)),
                           "feynman_max_dim": cfg.feynman_max_dim, "operon_evaluations": cfg.operon_evaluations,
                           "gplearn_population": cfg.gplearn_population,
                           "gplearn_generations": cfg.gplearn_generations}
    keys = {**VARIANT_KEYS, "gplearn": "gplearn", "Operon": "operon"}
    for method, mine in df.groupby("method", sort=False):
        k = keys.get(method, method)
        out[f"feynman_acc_{k}"] = {f"{nu:g}": float(v) for nu, v in mine.groupby("noise")["acc"].mean().items()}
        out[f"feynman_seconds_{k}"] = float(mine["seconds"].median())
        out[f"feynman_median_r2_{k}"] = float(mine["r2_test"].median())
    _diff(out, "feynman_bfgs_minus_e2e", *_paired(df, Variant.E2E_BFGS.value, Variant.E2E.value, "acc",
                                                  ("problem", "noise")), cfg.bootstrap_resamples, cfg.eval_seed + 7,
          True)
    clean = df[df["noise"] == 0]
    e2e_acc = float(clean.loc[clean["method"] == Variant.E2E_BFGS.value, "acc"].mean())
    e2e_s = float(clean.loc[clean["method"] == Variant.E2E_BFGS.value, "seconds"].median())
    gp = clean[clean["method"].isin(["gplearn", "Operon"])]
    gp_acc = gp.groupby("method")["acc"].mean()
    gp_s = gp.groupby("method")["seconds"].median()
    out["feynman_clean_acc_e2e_bfgs"] = e2e_acc
    out["feynman_best_gp_acc"] = float(gp_acc.max())
    out["feynman_best_gp"] = str(gp_acc.idxmax())
    out["feynman_e2e_minus_best_gp_acc"] = e2e_acc - float(gp_acc.max())
    out["feynman_gp_over_e2e_seconds_min"] = float(gp_s.min() / e2e_s)
    return out
