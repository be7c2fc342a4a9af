"""Boolformer's two applications: interpretable binary classification (v2 §4.2, App. F) and gene-regulatory-network
inference (v2 §4.3, App. G), each against its baselines, timed side by side in one run.

Classification (:func:`run_classification`): each data set of :mod:`paper_code.boolformer.datasets` is split
75/25 (stratified); MONK-3's 5 % label noise is applied to the training rows only. When a data set has more
binary features than the noisy model reads, the most informative ones are kept (mutual information on the
training rows). As in the v2 code, the noisy model reads ``class_subsets`` random subsets of ``class_points``
training rows; every distinct candidate of every subset is scored by its F1 on the whole training split and the
best (then the fewest gates) is evaluated on the test split. Baselines: scikit-learn's logistic regression and
random forests of 1 and 100 trees.

Gene networks (:func:`run_grn`): the benchmark's protocol (:mod:`paper_code.boolformer.grn`) on E. coli
16-gene networks when the reference data is found, and on networks simulated here; Boolformer reads at most
``grn_points`` of each fold's transitions per gene, with the gene's own column removed (v2).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from paper_code.boolformer import datasets as DS
from paper_code.boolformer import grn as G
from paper_code.boolformer.config import BoolformerConfig
from paper_code.boolformer.formulas import complexity, evaluate_rows, n_binary_gates
from paper_code.boolformer.inference import BoolformerMethod
from paper_code.symbolic.expressions import Node

__all__ = ["CLASSIFICATION_LABELS", "boolformer_classifier", "run_classification", "classification_metrics",
           "LOGIC_DATASETS", "GRN_METHODS", "grn_networks", "boolformer_grn", "run_grn", "grn_summary", "grn_metrics"]

#: Method names of the classification table.
CLASSIFICATION_LABELS = {"boolformer": "Boolformer", "logistic_regression": "logistic regression",
                         "random_forest_1": "random forest (1 tree)", "random_forest_100": "random forest (100 trees)"}

#: Logic data sets whose generating rule a Boolean formula can state exactly (the parity ones excepted: their rule
#: needs a long formula without XOR).
LOGIC_DATASETS = ("mux6", "corral", "monk1", "monk3", "threeOf9")


def _f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, zero_division=0.0))


def boolformer_classifier(method: BoolformerMethod, X: np.ndarray, y: np.ndarray, subsets: int, points: int,
                          rng: np.random.Generator) -> tuple[Node, float]:
    """The formula with the best training F1 (then fewest gates) among the candidates decoded from ``subsets``
    random subsets of ``points`` rows of ``(X, y)``; returns it and its training F1."""
    problems = []
    for _ in range(subsets):
        rows = np.sort(rng.choice(len(X), size=min(points, len(X)), replace=False))
        problems.append((X[rows], y[rows]))
    ranked = method.candidates_many(problems)
    best, best_key = Node(int(np.mean(y) >= 0.5)), (-1.0, 0)
    for cands in ranked:
        for c in cands:
            key = (_f1(y, evaluate_rows(c.prediction, X)), -complexity(c.prediction))
            if key > best_key:
                best, best_key = c.prediction, key
    if best_key[0] < 0:  # no candidate: the majority constant
        return best, _f1(y, np.full(len(y), int(best.value)))
    return best, best_key[0]


def run_classification(method: BoolformerMethod, cfg: BoolformerConfig) -> pd.DataFrame:
    """One row per data set and method: test F1, accuracy, fit seconds and model size (gates of the formula;
    tree nodes of the forests; coefficients of the logistic regression)."""
    rows = []
    for name in DS.DATASETS:
        ds = DS.load(name)
        split = DS.train_test_split(ds, 0.25, cfg.eval_seed)
        rng = np.random.default_rng([cfg.eval_seed, 0xC1A55, list(DS.DATASETS).index(name)])
        y_train = split.y_train
        if ds.label_noise:
            y_train = DS.flip_labels(y_train, ds.label_noise, rng)
        cols = np.arange(ds.n_features)
        if ds.n_features > method.n_inputs:
            cols = DS.select_features(split.X_train, y_train, method.n_inputs)
        X_train, X_test = split.X_train[:, cols], split.X_test[:, cols]
        t0 = time.perf_counter()
        formula, train_f1 = boolformer_classifier(method, X_train, y_train, cfg.class_subsets, cfg.class_points, rng)
        seconds = time.perf_counter() - t0
        pred = evaluate_rows(formula, X_test) if formula.variables() else np.full(len(X_test), int(formula.value))
        named = formula.relabel({f"x_{j}": f"[{ds.feature_names[c]}]" for j, c in enumerate(cols)})
        common = {"dataset": name, "n_train": len(y_train), "n_test": len(split.y_test), "n_features": ds.n_features,
                  "n_inputs_used": len(cols)}
        rows.append({**common, "method": CLASSIFICATION_LABELS["boolformer"], "f1": _f1(split.y_test, pred),
                     "accuracy": float(np.mean(pred == split.y_test)), "train_f1": train_f1, "seconds": seconds,
                     "size": n_binary_gates(formula), "formula": str(named)})
        base = DS.classification_baselines(split.X_train, y_train, split.X_test, split.y_test, seed=cfg.eval_seed)
        for key, r in base.items():
            rows.append({**common, "method": CLASSIFICATION_LABELS[key], "f1": r["f1"], "accuracy": r["accuracy"],
                         "train_f1": float("nan"), "seconds": r["fit_seconds"], "size": r["size"], "formula": ""})
    return pd.DataFrame(rows)


def classification_metrics(res: pd.DataFrame) -> dict[str, Any]:
    """Mean test F1 per method, Boolformer minus each baseline, and Boolformer's F1 on the logic data sets."""
    mean = res.groupby("method", sort=False)["f1"].mean()
    b = CLASSIFICATION_LABELS
    boolf = res[res["method"] == b["boolformer"]].set_index("dataset")
    logic = boolf.loc[list(LOGIC_DATASETS), "f1"]
    return {
        "class_n_datasets": int(res["dataset"].nunique()),
        "class_mean_f1": {m: float(v) for m, v in mean.items()},
        "class_f1_boolformer": float(mean[b["boolformer"]]),
        "class_f1_logreg": float(mean[b["logistic_regression"]]),
        "class_f1_rf1": float(mean[b["random_forest_1"]]),
        "class_f1_rf100": float(mean[b["random_forest_100"]]),
        "class_boolformer_minus_logreg": float(mean[b["boolformer"]] - mean[b["logistic_regression"]]),
        "class_boolformer_minus_rf1": float(mean[b["boolformer"]] - mean[b["random_forest_1"]]),
        "class_rf100_minus_boolformer": float(mean[b["random_forest_100"]] - mean[b["boolformer"]]),
        "class_between_rf1_and_rf100": bool(mean[b["random_forest_1"]] <= mean[b["boolformer"]]
                                            <= mean[b["random_forest_100"]]),
        "class_logic_f1": {k: float(v) for k, v in logic.items()},
        "class_logic_min_f1": float(logic.min()),
        "class_parity55_f1": float(boolf.loc["parity5+5", "f1"]),
        "class_boolformer_mean_gates": float(boolf["size"].mean()),
        "class_rf100_mean_nodes": float(res[res["method"] == b["random_forest_100"]]["size"].mean()),
        "class_boolformer_seconds": float(boolf["seconds"].mean()),
    }


# --------------------------------------------------------------------------- gene-regulatory networks
#: Method labels of the network table, in order.
GRN_METHODS = ("Boolformer", "Best-Fit", "REVEAL", "fixed point")
GRN_GENES = 16


def grn_networks(cfg: BoolformerConfig) -> list[G.GeneNetwork]:
    """The first ``grn_networks`` E. coli 16-gene networks found (none when the reference data is absent) and
    ``grn_simulated`` networks simulated here (seeds from ``eval_seed``)."""
    real = [G.load_ecoli(GRN_GENES, k) for k in G.available_networks(GRN_GENES)[: cfg.grn_networks]]
    sim = [G.simulate_network(np.random.default_rng([cfg.eval_seed, 0x6E7, k]), n_genes=GRN_GENES,
                              name=f"simulated-{k + 1}") for k in range(cfg.grn_simulated)]
    return real + sim


def boolformer_grn(method: BoolformerMethod, points: int, seed: int):
    """Boolformer's inference of a whole network from one fold's transitions: one batched decoding of the genes'
    functions, each from at most ``points`` transitions with the gene's own column removed (v2 App. G)."""
    rng = np.random.default_rng([seed, 0x6E7])

    def fit_many(problems):
        return [c[0].prediction if c else Node(0) for c in method.candidates_many(problems)]

    return lambda X, Y: G.infer_with_many(fit_many, X, Y, drop_self=True, max_points=points, rng=rng)


def run_grn(method: BoolformerMethod, cfg: BoolformerConfig) -> pd.DataFrame:
    """Every leave-one-experiment-out fold of every network of :func:`grn_networks`, for Boolformer and the
    baselines, one after the other in this process: dynamic accuracy, structure scores, seconds per fold."""
    methods = {
        "Boolformer": boolformer_grn(method, cfg.grn_points, cfg.eval_seed),
        "Best-Fit": lambda X, Y: G.infer_best_fit(X, Y, max_regulators=cfg.best_fit_regulators),
        "REVEAL": lambda X, Y: G.infer_reveal(X, Y, max_regulators=cfg.reveal_regulators),
        "fixed point": lambda X, Y: G.infer_fixed_point(X.shape[1]),
    }
    rows = []
    for net in grn_networks(cfg):
        data = "E. coli" if net.source == G.ECOLI_SOURCE else "simulated"
        for name, infer in methods.items():
            summary = G.evaluate_network(net, infer)
            for rec in summary["folds"]:
                rows.append({"data": data, "network": net.name, "method": name,
                             **{k: v for k, v in rec.items() if k != "rules"}})
    return pd.DataFrame(rows)


def grn_summary(res: pd.DataFrame) -> pd.DataFrame:
    """Means over networks and folds, per data source and method."""
    keys = ["dynamic_accuracy", "f1", "bm", "mcc", "precision", "recall", "seconds"]
    return (res.groupby(["data", "method"], sort=False)[keys].mean().reset_index())


def grn_metrics(res: pd.DataFrame) -> dict[str, Any]:
    """Per data source (``ecoli``, ``sim``, and ``main``: the E. coli networks when found, else the simulated ones):
    each method's means, Boolformer's gap to Best-Fit (dynamic accuracy) and to REVEAL (structure), and its
    speed-up over each search baseline (seconds per fold)."""
    out: dict[str, Any] = {"grn_data": list(res["data"].unique()),
                           "grn_networks": {d: sorted(g["network"].unique()) for d, g in res.groupby("data")},
                           "grn_n_networks": {d: int(g["network"].nunique()) for d, g in res.groupby("data")},
                           "grn_folds": int(len(res[res["method"] == "Boolformer"]))}
    summary = grn_summary(res)
    main = "E. coli" if "E. coli" in out["grn_data"] else "simulated"
    out["grn_main_data"] = main
    for data, part in summary.groupby("data", sort=False):
        for tag in ("ecoli" if data == "E. coli" else "sim", *(("main",) if data == main else ())):
            out.update(_grn_source_metrics(part, tag))
    return out


def _grn_source_metrics(part: pd.DataFrame, tag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    m = part.set_index("method")
    for method in GRN_METHODS:
        key = method.lower().replace("-", "").replace(" ", "_")
        for col in ("dynamic_accuracy", "f1", "bm", "seconds"):
            out[f"grn_{tag}_{key}_{col}"] = float(m.loc[method, col])
    b = m.loc["Boolformer"]
    out[f"grn_{tag}_da_minus_bestfit"] = float(b["dynamic_accuracy"] - m.loc["Best-Fit", "dynamic_accuracy"])
    out[f"grn_{tag}_f1_minus_reveal"] = float(b["f1"] - m.loc["REVEAL", "f1"])
    out[f"grn_{tag}_bm_minus_reveal"] = float(b["bm"] - m.loc["REVEAL", "bm"])
    out[f"grn_{tag}_speedup_vs_bestfit"] = float(m.loc["Best-Fit", "seconds"] / b["seconds"])
    out[f"grn_{tag}_speedup_vs_reveal"] = float(m.loc["REVEAL", "seconds"] / b["seconds"])
    out[f"grn_{tag}_structure_above_reveal"] = bool(b["f1"] > m.loc["REVEAL", "f1"]
                                                   and b["bm"] > m.loc["REVEAL", "bm"])
    return out
