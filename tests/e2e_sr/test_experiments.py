import numpy as np
import pytest

from paper_code.e2e_sr import experiments as X
from paper_code.e2e_sr.baselines import GPLearn, Operon
from paper_code.e2e_sr.feynman import problems
from paper_code.e2e_sr.generator import QUICK
from paper_code.e2e_sr.inference import Variant
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.generator import generate


def test_structural_operators_skip_the_constants_operators():
    # 0.5 + 2·(x_0 · sin(0.1 + 3·x_1)): the generator drew one binary (mul) and one unary (sin)
    inner = op("add", const(0.1), op("mul", const(3.0), var(1)))
    tree = op("add", const(0.5), op("mul", const(2.0), op("mul", var(0), op("sin", inner))))
    assert X.structural_operators(tree) == (1, 1)


def test_structural_operators_count_generated_binaries():
    rng = np.random.default_rng(0)
    cfg = QUICK.trees.replace({"max_unary": 0})
    for _ in range(30):
        tree = generate(rng, 2, cfg)
        b, u = X.structural_operators(tree)
        assert u == 0 and 0 <= b <= 2 + cfg.max_binary_extra


def test_in_domain_rows(trained):
    cfg = trained[0]
    methods = X.load_methods(cfg)
    examples = X.held_out(cfg)
    assert len(examples) == 3 * cfg.eval_per_cell and {e.dim for e in examples} == {1, 2, 3}
    df = X.run_in_domain(methods, cfg, examples[:2], progress=False)
    assert len(df) == 2 * 4 and set(df["variant"]) == {v.value for v in Variant}
    assert {"r2_test", "acc", "acc_0.1", "acc_0.001", "r2_sigma_16", "seconds", "complexity"} <= set(df.columns)
    table = X.ablation_table(df, cfg.tolerances)
    assert list(table.index) == [v.value for v in (Variant.SKELETON_BFGS, Variant.E2E, Variant.E2E_BFGS,
                                                   Variant.E2E_BFGS_RANDOM)]
    assert (table["functions"] == 2).all()
    assert list(X.extrapolation_table(df, cfg.extrapolation_sigmas).columns) == list(cfg.extrapolation_sigmas)


def test_accuracy_is_r2_above_0_99_on_the_test_points():
    tree = op("add", const(1.0), var(0))
    xs = np.linspace(-1, 1, 50)[:, None]
    assert X._scores(tree, xs, xs[:, 0] + 1.0, (0.1,))["acc"]
    assert not X._scores(tree, xs, xs[:, 0] ** 3 + 1.0, (0.1,))["acc"]
    assert X._scores(None, xs, xs[:, 0], (0.1,)) == {"r2": -np.inf, "acc": False, "acc_0.1": False}


def test_feynman_split_and_noise(trained):
    cfg = trained[0].replace({"feynman_rows": 100})
    p = problems(2)[3]
    X_tr, y_tr, X_te, y_te = X.feynman_data(p, 0.0, cfg, 3)
    assert len(X_tr) == 75 and len(X_te) == 25
    np.testing.assert_allclose(p.evaluate(X_tr), y_tr)
    _, y_noisy, _, y_te2 = X.feynman_data(p, 0.1, cfg, 3)
    np.testing.assert_array_equal(y_te, y_te2)  # test targets stay clean
    rel = np.std(y_noisy - y_tr) / np.sqrt(np.mean(y_tr**2))
    assert 0.05 < rel < 0.2


@pytest.mark.slow
def test_feynman_rows_for_every_method(trained):
    cfg = trained[0].replace({"feynman_rows": 60, "noise_levels": (0.0,)})
    gps = [GPLearn(population_size=20, generations=2), Operon(max_evaluations=500)]
    df = X.run_feynman(X.load_methods(cfg), cfg, gps, problems(2)[:1], progress=False)
    assert sorted(df["method"]) == sorted([Variant.E2E.value, Variant.E2E_BFGS.value, "gplearn", "Operon"])
    assert (df["seconds"] > 0).all() and df["acc"].dtype == bool
    assert X.feynman_table(df).shape[0] == 4
