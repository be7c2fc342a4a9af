"""GRN inference (Boolformer v2 §4.3, App. G; Pušnik et al. 2022): protocol, scores, baselines, data loading."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.boolformer import formulas as Fm
from paper_code.boolformer import grn as G
from paper_code.data import paths
from paper_code.symbolic.expressions import Node, op, var


def _not(x):
    return op("not", x)


def _same_function(a: Node, b: Node, n: int) -> bool:
    X = Fm.all_inputs(n)
    return bool((Fm.evaluate_rows(a, X) == Fm.evaluate_rows(b, X)).all())


@pytest.fixture(scope="module")
def clean_network():
    return G.simulate_network(np.random.default_rng(0), n_genes=8, max_regulators=3, p_flip=0.0)


def test_simulated_network_layout_and_true_rules_score_perfectly(clean_network):
    net = clean_network
    assert net.series.shape == (560, 8) and net.series.dtype == np.uint8 and net.source == G.SIMULATED_SOURCE
    assert net.experiments == tuple(range(10)) and net.n_genes == 8
    assert not net.gold.diagonal().any() and (net.gold.sum(axis=0) >= 1).all() and (net.gold.sum(axis=0) <= 3).all()
    np.testing.assert_array_equal(G.adjacency(net.rules, 8), net.gold)
    for e in net.experiments:
        _, _, test = G.fold(net, e)
        assert G.dynamic_accuracy(net.rules, test) == 1.0
    scores = G.structure_scores(G.adjacency(net.rules, 8), net.gold)
    assert scores["f1"] == 1.0 and scores["bm"] == 1.0 and scores["mcc"] == pytest.approx(1.0)


def test_simulation_is_deterministic_and_noise_flips_bits_at_its_rate():
    a = G.simulate_network(np.random.default_rng(5), n_genes=16, p_flip=0.02)
    b = G.simulate_network(np.random.default_rng(5), n_genes=16, p_flip=0.02)
    np.testing.assert_array_equal(a.series, b.series)
    assert [r.prefix() for r in a.rules] == [r.prefix() for r in b.rules]
    states = a.series.reshape(10, 56, 16)
    predicted = G.step(a.rules, states[:, :-1].reshape(-1, 16))
    rate = np.mean(predicted != states[:, 1:].reshape(-1, 16))
    assert abs(rate - 0.02) < 0.01
    for i, rule in enumerate(a.rules):  # every rule depends on each of its regulators
        regs = sorted(int(v[2:]) for v in rule.variables())
        assert i not in regs and 1 <= len(regs) <= 3
        sub = rule.relabel({f"x_{r}": f"x_{k}" for k, r in enumerate(regs)})
        table = Fm.truth_table(sub, len(regs))
        codes = np.arange(len(table))
        assert all((table != table[codes ^ (1 << k)]).any() for k in range(len(regs)))


def test_structure_scores_use_the_symmetrised_upper_triangle_with_diagonal():
    pred = np.zeros((3, 3), dtype=bool)
    gold = np.zeros((3, 3), dtype=bool)
    pred[0, 1] = True  # 0 -> 1 predicted, 1 -> 0 in gold: a true positive (direction ignored)
    gold[1, 0] = True
    pred[2, 2] = True  # a self loop: the diagonal is scored, a false positive
    gold[1, 2] = True  # missed: a false negative
    # 6 cells (3*4/2): TP = 1, FP = 1, FN = 1, TN = 3
    s = G.structure_scores(pred, gold)
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(0.5) and s["f1"] == pytest.approx(0.5)
    assert s["mcc"] == pytest.approx((1 * 3 - 1 * 1) / np.sqrt(2 * 2 * 4 * 4))  # = 0.25
    assert s["bm"] == pytest.approx(0.5 + 3 / 4 - 1)
    both = pred.copy()
    both[1, 0] = True  # the same undirected edge twice still counts once
    assert G.structure_scores(both, gold) == s
    empty = G.structure_scores(np.zeros((3, 3), bool), gold)  # no predicted edge: precision and F1 defined as 0
    assert empty["precision"] == 0.0 and empty["f1"] == 0.0 and empty["mcc"] == 0.0 and empty["bm"] == 0.0
    assert G.structure_scores(pred, np.zeros((3, 3), bool))["bm"] == 0.0  # no gold edge: BM undefined → 0
    with pytest.raises(ValueError, match="square and of one shape"):
        G.structure_scores(pred, gold[:2])


def test_dynamic_accuracy_of_a_hand_built_two_gene_network():
    rules = [_not(var(1)), var(0)]  # x0' = ¬x1, x1' = x0: the cycle 00 → 10 → 11 → 01 → 00
    np.testing.assert_array_equal(G.simulate(rules, np.array([0, 0]), 4), [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]])
    series = np.array([[0, 0], [1, 0], [1, 1], [1, 1]])  # the last row disagrees with the model on gene 0
    assert G.dynamic_accuracy(rules, series) == pytest.approx(1 - 1 / 6)
    adj = G.adjacency(rules, 2)
    assert adj.tolist() == [[False, True], [True, False]]


def test_a_gene_without_rule_is_simulated_as_zero():
    rules = [None, Node(1), var(0)]
    traj = G.simulate(rules, np.array([1, 0, 1]), 2)
    np.testing.assert_array_equal(traj, [[1, 0, 1], [0, 1, 1], [0, 1, 0]])
    assert np.argwhere(G.adjacency(rules, 3)).tolist() == [[0, 2]]  # only x_0 -> gene 2


def test_formula_from_table_round_trips():
    rng = np.random.default_rng(2)
    for regs in ([3], [0, 2], [4, 1, 5]):
        for _ in range(5):
            table = (rng.random(2 ** len(regs)) < 0.5).astype(np.uint8)
            tree = G.formula_from_table(regs, table)
            X = np.zeros((2 ** len(regs), 6), dtype=np.uint8)
            X[:, regs] = Fm.all_inputs(len(regs))
            np.testing.assert_array_equal(Fm.evaluate_rows(tree, X), table)
            assert {int(v[2:]) for v in tree.variables()} <= set(regs)
    assert G.formula_from_table([0, 1], [1, 1, 1, 1]).prefix() == [1]
    assert G.formula_from_table([0, 1], [0, 0, 0, 0]).prefix() == [0]
    assert G.formula_from_table([2, 7], [0, 1, 0, 1]).prefix() == ["x_2"]  # no dependence on x_7: dropped
    with pytest.raises(ValueError, match="has 4 entries, got 3"):
        G.formula_from_table([0, 1], [0, 1, 1])


def test_best_fit_recovers_two_regulator_rules_from_noise_free_data():
    rng = np.random.default_rng(3)
    net = G.simulate_network(rng, n_genes=10, max_regulators=2, p_flip=0.0)
    X = (rng.random((300, 10)) < 0.5).astype(np.uint8)
    Y = G.step(net.rules, X)
    rules = G.infer_best_fit(X, Y, max_regulators=2)
    for true, found in zip(net.rules, rules):
        assert _same_function(true, found, 10)
    np.testing.assert_array_equal(G.adjacency(rules, 10), net.gold)


def test_best_fit_on_a_fold_is_fast_and_majority_ties_go_to_zero():
    import time

    net = G.simulate_network(np.random.default_rng(4), n_genes=16, p_flip=0.02)
    X, Y, _ = G.fold(net, 3)
    start = time.perf_counter()
    rules = G.infer_best_fit(X, Y, max_regulators=2)
    assert time.perf_counter() - start < 16 * 0.5 and len(rules) == 16
    X2 = np.array([[0, 0], [0, 0], [1, 0], [1, 0]], dtype=np.uint8)
    Y2 = np.array([[0, 0], [0, 1], [0, 1], [0, 1]], dtype=np.uint8)  # gene 1 on x0 = 0: one 0, one 1 → 0
    assert G.infer_best_fit(X2, Y2, 1)[1].prefix() == ["x_0"]


def test_reveal_returns_none_when_undetermined_and_the_regulators_when_determined():
    rng = np.random.default_rng(6)
    X = (rng.random((200, 5)) < 0.5).astype(np.uint8)
    Y = np.zeros_like(X)
    Y[:, 0] = X[:, 1] & ~X[:, 3] & 1  # determined by {1, 3}
    Y[:, 1] = rng.random(200) < 0.5  # noise: no set of 3 other genes determines it
    Y[:, 2] = 1  # constant
    Y[:, 3] = X[:, 3]  # only itself determines it: other genes only
    Y[:, 4] = X[:, 0] ^ X[:, 2]
    rules = G.infer_reveal(X, Y, max_regulators=3)
    assert rules[1] is None and rules[3] is None
    assert rules[2].prefix() == [1]
    assert _same_function(rules[0], op("and", var(1), _not(var(3))), 5)
    assert sorted(rules[0].variables()) == ["x_1", "x_3"] and sorted(rules[4].variables()) == ["x_0", "x_2"]
    assert _same_function(rules[4], op("or", op("and", var(0), _not(var(2))), op("and", _not(var(0)), var(2))), 5)


def test_infer_with_drops_the_own_column_and_maps_indices_back():
    seen = []

    def fit(X_in, y):
        seen.append(X_in.copy())
        return op("and", var(0), var(X_in.shape[1] - 1))

    rng = np.random.default_rng(7)
    X = (rng.random((50, 4)) < 0.5).astype(np.uint8)
    Y = (rng.random((50, 4)) < 0.5).astype(np.uint8)
    Y[:, 2] = 0  # a constant output: no fit call
    rules = G.infer_with(fit, X, Y)
    assert len(seen) == 3 and all(s.shape == (50, 3) for s in seen)
    np.testing.assert_array_equal(seen[0], X[:, [1, 2, 3]])
    np.testing.assert_array_equal(seen[2], X[:, [0, 1, 2]])  # gene 3
    assert [r.prefix() for r in rules] == [["and", "x_1", "x_3"], ["and", "x_0", "x_3"], [0], ["and", "x_0", "x_2"]]
    kept = G.infer_with(fit, X, Y, drop_self=False)
    assert kept[0].prefix() == ["and", "x_0", "x_3"]
    seen.clear()
    G.infer_with(fit, X, Y, max_points=20, rng=np.random.default_rng(0))
    assert all(len(s) == 20 for s in seen)
    with pytest.raises(ValueError, match="needs an rng"):
        G.infer_with(fit, X, Y, max_points=20)
    with pytest.raises(ValueError, match="using x_5 for 3 input columns"):
        G.infer_with(lambda X_in, y: var(5), X, Y)


def test_fold_shapes_and_evaluation_summary(clean_network):
    X, Y, test = G.fold(clean_network, 4)
    assert X.shape == Y.shape == (503, 8) and test.shape == (56, 8)
    train = clean_network.series[clean_network.experiment != 4]
    np.testing.assert_array_equal(X[55], train[55])
    np.testing.assert_array_equal(Y[55], train[56])  # the transition across the experiment boundary
    out = G.evaluate_network(clean_network, lambda X, Y: list(clean_network.rules), folds=[0, 1])
    assert [r["held_out"] for r in out["folds"]] == [0, 1]
    assert out["dynamic_accuracy"] == 1.0 and out["f1"] == 1.0 and out["seconds"] >= 0
    fp = G.evaluate_network(clean_network, G.BASELINES["fixed_point"], folds=[0])
    assert fp["recall"] == 0.0 and 0 <= fp["dynamic_accuracy"] <= 1


def test_bad_inputs_raise_clear_errors(clean_network):
    with pytest.raises(ValueError, match="one rule per gene"):
        G.simulate([var(0)], np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="uses x_2 but the network has 2 genes"):
        G.adjacency([var(2), None], 2)
    with pytest.raises(TypeError, match="expected a Node or None"):
        G.step(["x_0"], np.zeros((1, 1)))
    with pytest.raises(ValueError, match="0/1 values"):
        G.dynamic_accuracy([None], np.array([[0], [2]]))
    with pytest.raises(ValueError, match="n_genes=20 is invalid"):
        G.load_ecoli(20, 1)
    with pytest.raises(ValueError, match="index=11 is invalid"):
        G.load_ecoli(16, 11)
    with pytest.raises(ValueError, match="no experiment 12"):
        G.fold(clean_network, 12)
    with pytest.raises(ValueError, match="one shape"):
        G.infer_best_fit(np.zeros((5, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="one rule per gene"):
        G.evaluate_network(clean_network, lambda X, Y: [None], folds=[0])


def _point_search_at(monkeypatch, root):
    monkeypatch.setattr(paths, "REPO_EXTERNAL_DIR", None)
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(root))


def test_missing_and_malformed_files(monkeypatch, tmp_path):
    _point_search_at(monkeypatch, tmp_path)
    assert G.grn_folder() is None and G.available_networks(16) == []
    with pytest.raises(FileNotFoundError) as err:
        G.load_ecoli(16, 1)
    msg = str(err.value)
    assert str(tmp_path / "grn") in msg and "zigapusnik/SAILoR" in msg and "EcoliExtractedNetworks" in msg
    assert "PAPER_DATA_DIR" in msg and "ecoli_16/Ecoli-1_binarised.tsv" in msg
    d = tmp_path / "grn" / "ecoli_16"
    d.mkdir(parents=True)
    genes = [f"g{i}" for i in range(16)]
    rows = [f"{e}\t{20 * t}\t" + "\t".join("1" if (e + t + i) % 3 else "0" for i in range(16))
            for e in range(10) for t in range(56)]
    (d / "Ecoli-1_binarised.tsv").write_text("\n".join(["experiment\ttime\t" + "\t".join(genes), *rows]) + "\n")
    with pytest.raises(FileNotFoundError, match="Ecoli-1_goldstandard.tsv"):
        G.load_ecoli(16, 1)
    pairs = [f"{a}\t{b}\t{int(a == 'g0')}" for a in genes for b in genes if a != b]
    (d / "Ecoli-1_goldstandard.tsv").write_text("\n".join(pairs) + "\n")
    net = G.load_ecoli(16, 1)
    assert G.available_networks(16) == [1] and net.gold.sum() == 15 and net.gold[0, 1:].all()
    (d / "Ecoli-1_binarised.tsv").write_text("\n".join(["experiment\ttime\t" + "\t".join(genes), *rows[:-1]]))
    with pytest.raises(ValueError, match=r"Ecoli-1_binarised.tsv: expected 560 rows"):
        G.load_ecoli(16, 1)
    bad = [rows[0].rsplit("\t", 1)[0] + "\t2", *rows[1:]]  # the last gene of the first row
    (d / "Ecoli-1_binarised.tsv").write_text("\n".join(["experiment\ttime\t" + "\t".join(genes), *bad]))
    with pytest.raises(ValueError, match="expected 0 or 1"):
        G.load_ecoli(16, 1)
    (d / "Ecoli-1_binarised.tsv").write_text("\n".join(["exp\ttime\t" + "\t".join(genes), *rows]))
    with pytest.raises(ValueError, match="header must start"):
        G.load_ecoli(16, 1)


@pytest.mark.skipif(G.grn_folder() is None, reason="GRN benchmark data not found (set $PAPER_DATA_DIR)")
def test_real_ecoli_network_loads_and_the_fixed_point_baseline_matches_the_benchmark():
    net = G.load_ecoli(16, 1)
    assert net.series.shape == (560, 16) and net.n_genes == 16 and net.source == G.ECOLI_SOURCE
    assert not net.gold.diagonal().any() and net.gold.sum() > 0
    assert 1 in G.available_networks(16)
    out = G.evaluate_network(net, G.BASELINES["fixed_point"])
    assert len(out["folds"]) == 10 and 0.6 < out["dynamic_accuracy"] < 0.85
