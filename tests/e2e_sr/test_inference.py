import numpy as np
import pytest

from paper_code.e2e_sr import train as T
from paper_code.e2e_sr.config import END_TO_END, SKELETON
from paper_code.e2e_sr.inference import E2E_VARIANTS, E2EMethod, Standardizer, Variant, select_features
from paper_code.symbolic.expressions import PLACEHOLDER, Node, const, op, var
from paper_code.symbolic.metrics import r2_score


def _method(cfg, model, **kw):
    net, out_vocab = T.load_model(getattr(cfg, f"{model}_checkpoint"), cfg, model)
    return E2EMethod(net, out_vocab, cfg.floats(), skeleton=model == SKELETON, refine_seconds=0.5, **kw)


def _truth() -> Node:  # 1.5 + 2.5 sin(0.8 x_0) x_1
    return op("add", const(1.5), op("mul", op("mul", const(2.5), op("sin", op("mul", const(0.8), var(0)))), var(1)))


def _data(n=64, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 2))
    return X, _truth().evaluate(X)


def test_unscale_maps_the_standardised_function_back_exactly():
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 2))
    s = Standardizer.fit(X)
    g = _truth()
    np.testing.assert_allclose(s.unscale(g).evaluate(X), g.evaluate(s.apply(X)), rtol=1e-12)
    # feature selection: z_0, z_1 are the original columns 2 and 0
    X3 = np.random.default_rng(1).normal(size=(50, 3))
    s3 = Standardizer.fit(X3[:, [2, 0]])
    np.testing.assert_allclose(s3.unscale(g, [2, 0]).evaluate(X3), g.evaluate(s3.apply(X3[:, [2, 0]])), rtol=1e-12)


def test_select_features_keeps_the_most_correlated_columns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5))
    y = 3 * X[:, 4] - 2 * X[:, 1] + 0.1 * rng.normal(size=500)
    assert select_features(X, y, 2).tolist() == [1, 4]
    assert select_features(X, y, 9).tolist() == [0, 1, 2, 3, 4]


def test_bags_cover_at_most_n_bags_of_max_bag(trained):
    m = _method(trained[0], END_TO_END, max_bag=16, n_bags=3)
    X, y = _data(100)
    bags = m.bags(X, y, np.random.default_rng(0))
    assert len(bags) == 3 and all(len(b) <= 16 for b in bags) and all(b.shape[1] == 3 for b in bags)
    assert len(m.bags(X[:10], y[:10], np.random.default_rng(0))) == 1


def test_bfgs_from_predicted_constants_repairs_a_perturbed_expression(trained):
    m = _method(trained[0], END_TO_END)
    X, y = _data()
    perturbed = _truth().with_constants([1.3, 2.2, 0.85])
    before = m.rank([perturbed], X, y, Variant.E2E)
    after = m.rank([perturbed], X, y, Variant.E2E_BFGS)
    assert before[0].score < 0.99 and after[0].score > 0.999999
    assert after[0].refined and len(after) == 2  # the refined and the unrefined candidate, ranked together
    np.testing.assert_allclose(after[0].prediction.constants(), [1.5, 2.5, 0.8], rtol=1e-4)


def test_random_starts_never_read_the_predicted_constants(trained):
    m = _method(trained[0], END_TO_END)
    X, y = _data()
    a = m.rank([_truth()], X, y, Variant.E2E_BFGS_RANDOM)
    b = m.rank([_truth().with_constants([-7.0, 40.0, 0.001])], X, y, Variant.E2E_BFGS_RANDOM)
    assert a[0].prediction.prefix() == b[0].prediction.prefix()


def test_skeleton_placeholders_get_random_starts_and_bfgs(trained):
    m = _method(trained[0], SKELETON)
    X, y = _data()
    sk = _truth().skeleton()[0]
    assert sum(n.value == PLACEHOLDER for n in sk.nodes()) == 3
    ranked = m.rank([sk], X, y, Variant.SKELETON_BFGS)
    assert len(ranked) == 1 and len(ranked[0].prediction.constants()) == 3
    assert ranked[0].score == pytest.approx(r2_score(y, ranked[0].prediction.evaluate(X), clip=None))


def test_only_refine_top_candidates_get_random_starts(trained):
    m = _method(trained[0], END_TO_END, refine_top=1)
    X, y = _data()
    wrong = op("add", const(1.0), op("mul", const(1.0), var(0)))
    assert len(m.rank([wrong, _truth()], X, y, Variant.E2E_BFGS_RANDOM)) == 1


def test_fit_variants_of_the_trained_models(trained):
    cfg = trained[0]
    X, y = _data(40)
    out = _method(cfg, END_TO_END).fit_variants(X, y)
    assert list(out) == list(E2E_VARIANTS)
    assert list(_method(cfg, SKELETON).fit_variants(X, y)) == [Variant.SKELETON_BFGS]
    with pytest.raises(ValueError, match="need the end-to-end model"):
        _method(cfg, SKELETON).fit_variants(X, y, [Variant.E2E])
    for tree in out.values():
        assert tree is None or tree.variables() <= {"x_0", "x_1"}


def test_bad_inputs_are_named(trained):
    m = _method(trained[0], END_TO_END)
    with pytest.raises(ValueError, match="X must be"):
        m.search(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        m.search(np.full((5, 1), np.nan), np.zeros(5))
    with pytest.raises(ValueError, match="refine_top"):
        _method(trained[0], END_TO_END, refine_top=0)


def test_timed_variants_share_one_decoding(trained):
    X, y = _data(40)
    fits = _method(trained[0], END_TO_END).timed_variants(X, y)
    assert list(fits) == list(E2E_VARIANTS)
    assert len({f.candidates for f in fits.values()}) == 1 and all(f.seconds > 0 for f in fits.values())
