"""The Boolformer notebook's experiments and applications: metric functions on crafted frames (exact numbers), and
each ``run_*`` on the tiny trained models (shape, columns, internal consistency)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from paper_code.boolformer import applications as A
from paper_code.boolformer import experiments as E
from paper_code.boolformer.config import PRESETS
from paper_code.boolformer.formulas import complexity, evaluate_rows
from paper_code.symbolic.candidates import Candidate
from paper_code.symbolic.expressions import op, var

QUICK = PRESETS["quick"]


# --------------------------------------------------------------------------- held-out functions


def _held_out_frame():
    """Planted: D = 2 always recovered, D = 4 never, D = 3 (5 functions, too few to compare) in between."""
    rows = []
    firsts = {2: [0, 0, 0, 0, 1, 1, 1, 1, 4, 4, 7, 7], 3: [0, -1, 2, -1, 9], 4: [-1] * 12}
    gates = {2: 1, 3: 5, 4: 10}
    for dim, first in firsts.items():
        for i, f in enumerate(first):
            rows.append({"function": len(rows), "dim": dim, "gates": gates[dim], "complexity": gates[dim],
                         "dnf_gates": 3 if dim == 2 else 20, "recovered": f >= 0,
                         "fit_accuracy": 1.0 if f >= 0 else 0.8,
                         "first_perfect": f, "greedy_recovered": dim == 2 and i % 2 == 0, "n_valid": 5,
                         "pred_gates": 1 if dim == 2 else 6, "seconds": 0.01 * dim})
    return pd.DataFrame(rows)


def test_held_out_metrics_on_a_planted_frame():
    res = _held_out_frame()
    m = E.held_out_metrics(res, QUICK.replace(n_candidates=10))
    assert m["held_out_n"] == 29 and m["held_out_n_recovered"] == 15
    assert m["held_out_recovery"] == pytest.approx(15 / 29)
    assert m["held_out_recovery_by_dim"] == {2: 1.0, 3: 0.6, 4: 0.0}
    assert m["held_out_n_by_dim"] == {2: 12, 3: 5, 4: 12}
    assert (m["held_out_low_dim"], m["held_out_high_dim"]) == (2, 4)  # D = 3 has fewer than 10 functions
    assert (m["held_out_recovery_low_dim"], m["held_out_recovery_high_dim"]) == (1.0, 0.0)
    assert m["recovery_drop_dim"] == 1.0 and m["recovery_drop_dim_ci_low"] > 0  # recovery falls with D
    assert m["gates_split"] == 5.0
    assert m["held_out_recovery_few_gates"] == pytest.approx(15 / 17) and m["held_out_recovery_many_gates"] == 0.0
    assert m["recovery_drop_gates_ci_low"] > 0
    assert m["best_of_k"] == [1, 2, 5, 10]
    assert m["best_of_k_recovery"] == pytest.approx([5 / 29, 9 / 29, 12 / 29, 15 / 29])
    assert m["best_of_k_recovery"][-1] == m["held_out_recovery"]  # k = n: every recovered function
    assert m["greedy_recovery"] == pytest.approx(6 / 29)
    assert m["best_of_n_minus_greedy"] == pytest.approx(9 / 29)
    assert m["best_of_n_minus_greedy_ci_low"] <= 9 / 29 <= m["best_of_n_minus_greedy_ci_high"]
    assert m["held_out_max_gates"] == 10
    assert m["recovered_mean_gates_dnf"] == pytest.approx((12 * 3 + 3 * 20) / 15)
    assert m["pred_not_longer_than_dnf"] is True
    assert E.held_out_metrics(res, QUICK.replace(n_candidates=5))["best_of_k"] == [1, 2, 5]


def test_held_out_metrics_drop_sign_follows_the_data():
    res = _held_out_frame()
    flipped = res.assign(recovered=res["dim"] != 2, first_perfect=np.where(res["dim"] != 2, 0, -1))
    m = E.held_out_metrics(flipped, QUICK.replace(n_candidates=10))
    assert m["recovery_drop_dim"] == -1.0 and m["recovery_drop_dim_ci_high"] < 0


@pytest.mark.parametrize("table, dim, gates", [
    ([0, 0, 0, 0, 0, 0, 0, 1], 3, 2),   # AND of 3: one true row of 3 literals
    ([0, 1, 1, 0], 2, 3),               # XOR of 2: two rows of 2 literals, one OR
    ([0, 1, 1, 1], 2, 5),               # OR of 2 as a canonical DNF
    ([0, 0, 0, 0], 2, 0),               # constant
    ([0, 1], 1, 0),                     # a variable
])
def test_dnf_gates(table, dim, gates):
    assert E.dnf_gates(np.array(table, dtype=np.uint8), dim) == gates


# --------------------------------------------------------------------------- circuits


def _circuits(*specs):
    """Rows of run_circuits: (circuit, size, dim, [(exact, gates) per output])."""
    rows = []
    for name, size, dim, outputs in specs:
        for k, (exact, gates) in enumerate(outputs):
            rows.append({"circuit": name, "size": size, "label": f"{name} {size}", "dim": dim, "output": f"o{k}",
                         "exact": exact, "error": 0.0 if exact else 0.25, "gates": gates, "complexity": gates,
                         "formula": "", "seconds": 0.1})
    return pd.DataFrame(rows)


BASE_CIRCUITS = [("and", 2, 2, [(True, 1)]), ("or", 2, 2, [(True, 1)]), ("xor", 2, 2, [(True, 3)]),
                 ("majority", 4, 4, [(True, 4)]), ("multiplexer", 1, 3, [(True, 2)])]


def test_circuit_metrics_all_exact_and_parity_hardest():
    m = E.circuit_metrics(_circuits(*BASE_CIRCUITS, ("comparator", 2, 4, [(True, 3)]),
                                    ("parity", 4, 4, [(True, 9)]), ("parity", 5, 5, [(False, 12)])))
    assert m["two_var_and_comparator_exact"] is True and m["circuit_comparator2_exact"] is True
    assert m["parity4_exact"] is True and m["parity4_gates"] == 9 and m["other4_max_gates"] == 4
    assert m["parity4_hardest"] is True and m["parity4_error"] == 0.0
    assert m["circuit_largest_exact_dim"] == {"and": 2, "or": 2, "xor": 2, "majority": 4, "multiplexer": 3,
                                              "comparator": 4, "parity": 4}
    assert (m["circuits_n_exact"], m["circuits_n"]) == (7, 8)


def test_circuit_metrics_false_cases():
    # one output of the 2-bit comparator missed; parity 4 found with fewer gates than majority 4
    m = E.circuit_metrics(_circuits(*BASE_CIRCUITS, ("comparator", 2, 4, [(True, 3), (False, 2)]),
                                    ("parity", 4, 4, [(True, 3)])))
    assert m["circuit_comparator2_exact"] is False and m["two_var_and_comparator_exact"] is False
    assert m["circuit_and2_exact"] and m["circuit_xor2_exact"]
    assert m["parity4_hardest"] is False and m["other4_max_gates"] == 4  # the inexact comparator is not counted
    # parity 4 not recovered: the hardest by definition; a missing two-variable gate fails the first claim
    m = E.circuit_metrics(_circuits(*BASE_CIRCUITS[1:], ("comparator", 2, 4, [(True, 3)]),
                                    ("parity", 4, 4, [(False, 7)])))
    assert m["parity4_hardest"] is True and m["parity4_error"] == 0.25 and m["parity4_exact"] is False
    assert m["circuit_and2_exact"] is False and m["two_var_and_comparator_exact"] is False
    assert m["circuit_largest_exact_dim"]["parity"] == 0


# --------------------------------------------------------------------------- noisy regime, bootstrap, timing


def _noisy_frame(accuracy):
    rows = []
    for sweep, values in E.NOISY_SWEEPS.items():
        for v, acc in zip(values, accuracy[sweep]):
            for delta in (-0.05, 0.0, 0.0, 0.05):
                rows.append({"sweep": sweep, "value": v, **{**E.NOISY_BASE, sweep: v}, "active": 2,
                             "fit_accuracy": 1.0, "test_accuracy": acc + delta, "test_perfect": acc + delta == 1.0,
                             "exact": delta > 0, "truth": "x_0", "prediction": "x_0"})
    return pd.DataFrame(rows)


def test_noisy_metrics_sign_convention():
    acc = {"points": [0.5, 0.6, 0.7, 0.9], "flip": [0.9, 0.8, 0.7, 0.6], "inactive": [0.8, 0.8, 0.85, 0.95]}
    cfg = QUICK.replace(eval_noisy_tasks=4)
    m = E.noisy_metrics(_noisy_frame(acc), cfg)
    assert m["noisy_tasks_per_point"] == 4 and m["noisy_base"] == E.NOISY_BASE
    assert m["noisy_points_test_accuracy"] == pytest.approx(acc["points"])
    assert m["noisy_points_values"] == [16.0, 32.0, 64.0, 128.0]
    assert m["noisy_flip_exact"] == [0.25] * 4
    assert m["noisy_points_effect"] == pytest.approx(0.4)    # last - first: accuracy rises with N
    assert m["noisy_flip_effect"] == pytest.approx(0.3)      # first - last: falls with the flip rate
    assert m["noisy_inactive_effect"] == pytest.approx(-0.15)  # first - last: here it rose (against the paper)
    for sweep in E.NOISY_SWEEPS:
        assert m[f"noisy_{sweep}_effect_ci_low"] <= m[f"noisy_{sweep}_effect"] <= m[f"noisy_{sweep}_effect_ci_high"]
    assert m["noisy_points_effect_ci_low"] > 0 and m["noisy_inactive_effect_ci_high"] < 0


def test_timing_metrics_on_a_crafted_frame():
    rows = []
    for i, (tb, ts, exact, gb, gs) in enumerate([(0.1, 1.0, True, 2, 3), (0.2, 2.0, True, 5, 4),
                                                 (0.4, 4.0, False, -1, 6)]):
        rows.append({"function": i, "dim": 3, "method": "Boolformer", "seconds": tb, "exact": exact, "gates": gb})
        rows.append({"function": i, "dim": 3, "method": "SymPy SOPform", "seconds": ts, "exact": True, "gates": gs})
    m = E.timing_metrics(pd.DataFrame(rows))
    assert m["timing_n"] == 3
    assert (m["timing_boolformer_median_s"], m["timing_sympy_median_s"]) == (0.2, 2.0)
    assert m["timing_speedup_vs_sympy"] == pytest.approx(10.0)
    assert m["timing_boolformer_exact"] == pytest.approx(2 / 3)
    assert (m["timing_mean_gates_boolformer"], m["timing_mean_gates_sympy"]) == (3.5, 3.5)  # exact ones only
    assert m["timing_boolformer_shorter_or_equal"] == 0.5


# --------------------------------------------------------------------------- on the tiny trained models


HELD_OUT_COLUMNS = {"function", "dim", "gates", "complexity", "target", "dnf_gates", "recovered", "fit_accuracy",
                    "first_perfect", "greedy_recovered", "n_valid", "pred_gates", "pred_complexity", "prediction",
                    "seconds"}


def test_run_held_out(trained, methods):
    cfg, _ = trained
    res = E.run_held_out(methods["noiseless"], methods["greedy"], cfg)
    tasks = E.held_out_tasks(cfg)
    assert len(res) == len(tasks) == cfg.eval_held_out and set(res.columns) == HELD_OUT_COLUMNS
    assert list(res["target"]) == [str(f.tree) for f in tasks] and list(res["dim"]) == [f.dim for f in tasks]
    assert list(res["dnf_gates"]) == [E.dnf_gates(f.table, f.dim) for f in tasks]
    assert (res["recovered"] == (res["first_perfect"] >= 0)).all()
    assert (res["first_perfect"] < cfg.n_candidates).all()
    valid = res["n_valid"] > 0
    assert valid.any() and (res.loc[valid, "prediction"] != "").all() and (res.loc[~valid, "pred_gates"] == -1).all()
    assert res.loc[valid, "fit_accuracy"].between(0, 1).all()
    assert (res.loc[res["recovered"], "fit_accuracy"] == 1.0).all()
    grid = E.recovery_grid(res)
    assert set(grid.columns) <= {1, 2, 3}


def test_run_circuits_skips_what_the_model_cannot_read(methods):
    sweep = [("and", (2, 3)), ("comparator", (1, 2)), ("parity", (3,)), ("adder", (1,))]
    res = E.run_circuits(methods["noiseless"], sweep)
    # comparator 2 has 4 inputs (the model reads 3); the 1-bit adder has two outputs
    assert list(zip(res["circuit"], res["size"])) == [("and", 2), ("and", 3), ("comparator", 1), ("parity", 3),
                                                      ("adder", 1), ("adder", 1)]
    assert (res["dim"] <= 3).all() and (res["exact"] == (res["error"] == 0.0)).all()
    assert res["error"].between(0, 1).all()
    m = E.circuit_metrics(res)
    assert m["circuits_n"] == 5 and m["circuit_comparator2_exact"] is False


NOISY_COLUMNS = {"sweep", "value", "points", "flip", "inactive", "active", "fit_accuracy", "test_accuracy",
                 "test_perfect", "exact", "truth", "prediction"}


def test_run_noisy_sweeps(trained, methods, monkeypatch):
    cfg, _ = trained
    monkeypatch.setattr(E, "NOISY_SWEEPS", {"points": (8, 16), "flip": (0.0, 0.1), "inactive": (0, 13)})
    res = E.run_noisy_sweeps(methods["noisy"], cfg)
    assert len(res) == 3 * 2 * cfg.eval_noisy_tasks and set(res.columns) == NOISY_COLUMNS
    for sweep, part in res.groupby("sweep"):
        assert (part[sweep] == part["value"]).all()
        for other in set(E.NOISY_BASE) - {sweep}:
            assert (part[other] == E.NOISY_BASE[other]).all()
    assert res["active"].between(1, cfg.noisy_max_active).all()
    assert res["test_accuracy"].between(0, 1).all() and res["fit_accuracy"].between(0, 1).all()
    assert (res["test_perfect"] == (res["test_accuracy"] == 1.0)).all()
    m = E.noisy_metrics(res, cfg)
    assert len(m["noisy_flip_test_accuracy"]) == 2 and m["noisy_tasks_per_point"] == cfg.eval_noisy_tasks


def test_run_minimiser_timing(trained, methods):
    cfg, _ = trained
    tasks = E.held_out_tasks(cfg)[: cfg.timing_functions]
    res = E.run_minimiser_timing(methods["noiseless"], tasks)
    assert len(res) == 2 * len(tasks) and set(res["method"]) == {"Boolformer", "SymPy SOPform"}
    sympy_rows = res[res["method"] == "SymPy SOPform"]
    assert sympy_rows["exact"].all() and (sympy_rows["gates"] >= 0).all()
    assert E.timing_metrics(res)["timing_n"] == len(tasks)


# --------------------------------------------------------------------------- applications


class _Stub:
    """Stands in for a BoolformerMethod: ``candidates_many`` answers each problem with fixed formulas."""

    n_inputs = 4

    def __init__(self, answer):
        self.answer, self.seen = answer, []

    def candidates_many(self, problems):
        self.seen.extend(problems)
        return [[Candidate(f, k, 1.0) for k, f in enumerate(self.answer(i))] for i in range(len(problems))]


def _data(n=60, seed=0):
    X = np.random.default_rng(seed).integers(0, 2, (n, 4)).astype(np.uint8)
    return X, (X[:, 0] & X[:, 1]).astype(np.uint8)


def test_classifier_picks_the_best_training_f1():
    X, y = _data()
    stub = _Stub(lambda i: [var(0), op("and", var(0), var(1))])
    formula, f1 = A.boolformer_classifier(stub, X, y, subsets=3, points=20, rng=np.random.default_rng(1))
    assert formula.prefix() == op("and", var(0), var(1)).prefix() and f1 == 1.0
    assert len(stub.seen) == 3
    rows = {tuple(r) + (int(v),) for r, v in zip(X, y)}
    for Xs, ys in stub.seen:
        assert len(ys) == 20 and {tuple(r) + (int(v),) for r, v in zip(Xs, ys)} <= rows
    # the best candidate may come from any subset
    stub = _Stub(lambda i: [var(0)] if i == 0 else [op("or", var(0), var(1)), op("and", var(0), var(1))])
    assert A.boolformer_classifier(stub, X, y, 2, 20, np.random.default_rng(1))[0].prefix() == ["and", "x_0", "x_1"]
    # points beyond the data: every row once
    stub = _Stub(lambda i: [var(0)])
    A.boolformer_classifier(stub, X[:10], y[:10], 1, 50, np.random.default_rng(1))
    assert len(stub.seen[0][1]) == 10


def test_classifier_breaks_f1_ties_by_fewer_gates():
    X, _ = _data()
    y = X[:, 0].copy()
    same = op("or", var(0), op("and", var(0), var(1)))  # = x_0 (absorption), more gates
    formula, f1 = A.boolformer_classifier(_Stub(lambda i: [same, var(0)]), X, y, 1, 20, np.random.default_rng(0))
    assert formula.prefix() == ["x_0"] and f1 == 1.0 and complexity(same) > 0


@pytest.mark.parametrize("share, value", [(0.7, 1), (0.3, 0)])
def test_classifier_falls_back_to_the_majority_constant(share, value):
    X, _ = _data(50)
    y = (np.arange(50) < share * 50).astype(np.uint8)
    formula, _ = A.boolformer_classifier(_Stub(lambda i: []), X, y, 2, 20, np.random.default_rng(0))
    assert formula.prefix() == [value]


def test_classifier_fallback_reports_its_training_f1():
    """``boolformer_classifier`` returns "the formula and its training F1": for the majority constant that is the
    F1 of predicting it everywhere, not a sentinel -1 (it goes into the classification table's train_f1)."""
    X, _ = _data(50)
    y = (np.arange(50) < 35).astype(np.uint8)
    formula, f1 = A.boolformer_classifier(_Stub(lambda i: []), X, y, 2, 20, np.random.default_rng(0))
    expected = f1_score(y, np.full(len(y), int(formula.value)), zero_division=0.0)
    assert f1 == pytest.approx(expected)


def _classification_frame():
    datasets = [*A.LOGIC_DATASETS, "parity5+5", "other"]
    boolformer = dict(zip(datasets, [0.9, 1.0, 0.95, 0.85, 0.9, 0.5, 0.8]))
    fixed = {"logistic_regression": 0.6, "random_forest_1": 0.7, "random_forest_100": 0.9}
    rows = []
    for d in datasets:
        rows.append({"dataset": d, "method": "Boolformer", "f1": boolformer[d], "accuracy": 0.9, "seconds": 0.5,
                     "size": 3})
        for key, f1 in fixed.items():
            rows.append({"dataset": d, "method": A.CLASSIFICATION_LABELS[key], "f1": f1, "accuracy": 0.8,
                         "seconds": 0.1, "size": 100 if key == "random_forest_100" else 7})
    return pd.DataFrame(rows), boolformer


def test_classification_metrics():
    res, boolformer = _classification_frame()
    m = A.classification_metrics(res)
    mean_b = np.mean(list(boolformer.values()))
    assert m["class_n_datasets"] == 7 and m["class_f1_boolformer"] == pytest.approx(mean_b)
    assert (m["class_f1_logreg"], m["class_f1_rf1"], m["class_f1_rf100"]) == pytest.approx((0.6, 0.7, 0.9))
    assert m["class_boolformer_minus_logreg"] == pytest.approx(mean_b - 0.6)
    assert m["class_rf100_minus_boolformer"] == pytest.approx(0.9 - mean_b)
    assert m["class_between_rf1_and_rf100"] is True
    assert m["class_logic_f1"] == {d: boolformer[d] for d in A.LOGIC_DATASETS} and m["class_logic_min_f1"] == 0.85
    assert m["class_parity55_f1"] == 0.5
    assert (m["class_boolformer_mean_gates"], m["class_rf100_mean_nodes"]) == (3.0, 100.0)
    assert set(m["class_mean_f1"]) == set(A.CLASSIFICATION_LABELS.values())


GRN_SECONDS = {"Boolformer": 0.5, "Best-Fit": 2.0, "REVEAL": 5.0, "fixed point": 0.001}


def _grn_rows(data, network, f1_boost=0.0):
    rows = []
    for method in A.GRN_METHODS:
        for fold in range(2):
            b = method == "Boolformer"
            rows.append({"data": data, "network": network, "method": method, "held_out": fold,
                         "dynamic_accuracy": 0.8 if b else 0.85, "f1": (0.4 if b else 0.3) + f1_boost,
                         "bm": 0.2 if b else 0.1, "mcc": 0.1, "precision": 0.3, "recall": 0.3,
                         "seconds": GRN_SECONDS[method]})
    return rows


def test_grn_metrics_main_data_and_speedups():
    sim = pd.DataFrame(_grn_rows("simulated", "simulated-1"))
    m = A.grn_metrics(sim)
    assert m["grn_main_data"] == "simulated" and m["grn_folds"] == 2 and m["grn_data"] == ["simulated"]
    assert not any(k.startswith("grn_ecoli_") for k in m)
    assert m["grn_sim_speedup_vs_bestfit"] == pytest.approx(4.0) and m["grn_sim_speedup_vs_reveal"] == 10.0
    assert m["grn_sim_da_minus_bestfit"] == pytest.approx(-0.05)
    assert m["grn_sim_f1_minus_reveal"] == pytest.approx(0.1) and m["grn_sim_structure_above_reveal"] is True
    assert m["grn_sim_fixed_point_seconds"] == 0.001
    assert {k[len("grn_main_"):]: v for k, v in m.items() if k.startswith("grn_main_") and k != "grn_main_data"} == {
        k[len("grn_sim_"):]: v for k, v in m.items() if k.startswith("grn_sim_")}

    both = pd.DataFrame(_grn_rows("simulated", "simulated-1") + _grn_rows("E. coli", "ecoli-1", f1_boost=0.2))
    m = A.grn_metrics(both)
    assert m["grn_main_data"] == "E. coli" and m["grn_folds"] == 4
    assert m["grn_networks"] == {"E. coli": ["ecoli-1"], "simulated": ["simulated-1"]}
    assert m["grn_main_boolformer_f1"] == m["grn_ecoli_boolformer_f1"] == pytest.approx(0.6)
    assert m["grn_sim_boolformer_f1"] == pytest.approx(0.4)


def test_run_grn_on_one_simulated_network(trained, methods):
    cfg, _ = trained
    res = A.run_grn(methods["noisy"], cfg.replace(grn_networks=0, grn_simulated=1))
    assert list(res["method"].unique()) == list(A.GRN_METHODS)
    assert (res.groupby("method").size() == 10).all()  # every leave-one-experiment-out fold
    assert set(res["data"]) == {"simulated"} and set(res["network"]) == {"simulated-1"}
    assert {"dynamic_accuracy", "f1", "bm", "mcc", "seconds", "held_out"} <= set(res.columns)
    assert res["dynamic_accuracy"].between(0, 1).all()
    m = A.grn_metrics(res)
    assert m["grn_main_data"] == "simulated" and m["grn_folds"] == 10


def test_evaluate_rows_of_the_chosen_formula_matches_its_f1():
    X, y = _data()
    formula, f1 = A.boolformer_classifier(_Stub(lambda i: [var(1)]), X, y, 1, 20, np.random.default_rng(0))
    assert f1 == pytest.approx(f1_score(y, evaluate_rows(formula, X)))
