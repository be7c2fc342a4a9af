"""Boolformer's classification data sets (App. F): each logic data set checked row by row against its rule,
recomputed here independently, plus sizes, class counts, seeds, binarisation, feature selection and baselines."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from paper_code.boolformer import datasets as Ds


def _rows(ds):
    return ds.X.tolist(), ds.y.tolist()


def _check_form(ds, n, d, counts):
    assert ds.X.shape == (n, d) and ds.y.shape == (n,)
    assert ds.X.dtype == np.uint8 and ds.y.dtype == np.uint8
    assert len(ds.feature_names) == d and ds.description
    assert ds.class_counts == counts


def test_mux6():
    ds = Ds.mux6()
    _check_form(ds, 64, 6, (32, 32))
    assert len({tuple(r) for r in ds.X.tolist()}) == 64  # distinct rows
    assert ds.feature_names == ("s1", "s0", "d0", "d1", "d2", "d3")
    for x, y in zip(*_rows(ds)):
        assert y == x[2 + 2 * x[0] + x[1]]


def test_parity5_and_parity5_plus5():
    ds = Ds.parity5()
    _check_form(ds, 32, 5, (16, 16))
    assert all(y == sum(x) % 2 for x, y in zip(*_rows(ds)))
    big = Ds.parity5_plus5(seed=3)
    assert big.X.shape == (1124, 10) and big.n_rows == 1124
    assert all(y == sum(x[:5]) % 2 for x, y in zip(*_rows(big)))
    np.testing.assert_array_equal(big.X, Ds.parity5_plus5(seed=3).X)
    assert not np.array_equal(big.X, Ds.parity5_plus5(seed=4).X)
    assert Ds.parity5_plus5(n=10).n_rows == 10
    with pytest.raises(ValueError, match="positive integer"):
        Ds.parity5_plus5(n=0)


def test_corral():
    ds = Ds.corral(seed=1)
    assert ds.X.shape == (160, 6) and ds.feature_names[4:] == ("Irrelevant", "Correlated")
    for x, y in zip(*_rows(ds)):
        assert y == int((x[0] and x[1]) or (x[2] and x[3]))
    agree = (ds.X[:, 5] == ds.y).mean()
    assert 0.6 < agree < 0.9  # 0.75 in expectation
    big = Ds.corral(seed=2, n=20_000)
    assert abs((big.X[:, 5] == big.y).mean() - 0.75) < 0.015
    assert abs(big.X[:, 4].mean() - 0.5) < 0.015
    np.testing.assert_array_equal(ds.X, Ds.corral(seed=1).X)


def test_three_of_nine():
    ds = Ds.three_of_nine()
    _check_form(ds, 512, 9, (274, 238))  # 238 positives: PMLB's threeOf9 counts are 274 / 238
    for x, y in zip(*_rows(ds)):
        assert y == int("111" in "".join(map(str, x)))


def test_m_of_n():
    ds = Ds.m_of_n()
    _check_form(ds, 1024, 10, (232, 792))
    assert len({tuple(r) for r in ds.X.tolist()}) == 1024
    assert all(y == int(sum(x[2:9]) >= 3) for x, y in zip(*_rows(ds)))


def test_xd6_clean_and_noisy():
    ds = Ds.xd6()
    _check_form(ds, 512, 9, (343, 169))
    for x, y in zip(*_rows(ds)):
        assert y == int(all(x[0:3]) or all(x[3:6]) or all(x[6:9]))
    noisy = Ds.xd6(noise=0.1, seed=5)
    assert (noisy.y != ds.y).sum() == round(0.1 * 512)
    np.testing.assert_array_equal(noisy.y, Ds.xd6(noise=0.1, seed=5).y)
    assert not np.array_equal(noisy.y, Ds.xd6(noise=0.1, seed=6).y)


def _monk_raw():
    return list(itertools.product((1, 2, 3), (1, 2, 3), (1, 2), (1, 2, 3), (1, 2, 3, 4), (1, 2)))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_monk(k):
    ds = Ds.monk(k)
    rules = {1: lambda a: a[0] == a[1] or a[4] == 1,
             2: lambda a: sum(v == 1 for v in a) == 2,
             3: lambda a: (a[4] == 3 and a[3] == 1) or (a[4] != 4 and a[1] != 3)}
    raw = _monk_raw()
    expected = [int(rules[k](a)) for a in raw]
    assert ds.y.tolist() == expected
    assert ds.X.shape == (432, 15)
    assert ds.feature_names == ("a1=1", "a1=2", "a1=3", "a2=1", "a2=2", "a2=3", "a3=2", "a4=1", "a4=2", "a4=3",
                                "a5=1", "a5=2", "a5=3", "a5=4", "a6=2")
    for a, x in zip(raw, ds.X.tolist()):  # the encoding reads back to the attributes
        row = dict(zip(ds.feature_names, x))
        for i in (0, 1, 3, 4):  # one-hot attributes: exactly the column of the attribute's value is 1
            block = {f: v for f, v in row.items() if f.startswith(f"a{i + 1}=")}
            assert block[f"a{i + 1}={a[i]}"] == 1 and sum(block.values()) == 1
        assert row["a3=2"] == int(a[2] == 2) and row["a6=2"] == int(a[5] == 2)
    assert ds.label_noise == (0.05 if k == 3 else 0.0)
    if k == 1:
        assert ds.class_counts == (216, 216)
    with pytest.raises(ValueError, match="valid: 1, 2, 3"):
        Ds.monk(4)


def _independent_end_boards():
    """Terminal tic-tac-toe boards by counting rules: x first, so #x - #o in {0, 1}; the game stops at the first
    line, so a won board has exactly one winner and the winner made the last move; draws are full boards."""
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
    out = {}
    for cells in itertools.product("xob", repeat=9):
        nx, no = cells.count("x"), cells.count("o")
        if nx - no not in (0, 1):
            continue
        wins = {p: [ln for ln in lines if all(cells[i] == p for i in ln)] for p in "xo"}
        if wins["x"] and wins["o"]:
            continue
        if wins["x"] or wins["o"]:
            p = "x" if wins["x"] else "o"
            if (p == "x") != (nx == no + 1):
                continue
            # the last move must lie on every winning line (one move can complete two lines at most, sharing it)
            if not set.intersection(*(set(ln) for ln in wins[p])):
                continue
            out["".join(cells)] = int(p == "x")
        elif "b" not in cells:
            out["".join(cells)] = 0
    return out


def test_tic_tac_toe():
    ds = Ds.tic_tac_toe()
    _check_form(ds, 958, 27, (332, 626))  # the UCI counts
    assert ds.feature_names[:3] == ("top-left=b", "top-left=o", "top-left=x")
    boards = {}
    for x, y in zip(*_rows(ds)):
        onehot = np.array(x).reshape(9, 3)
        assert (onehot.sum(axis=1) == 1).all()
        boards["".join("box"[i] for i in onehot.argmax(axis=1))] = y
    assert boards == _independent_end_boards()


def test_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    ds = Ds.breast_cancer()
    _check_form(ds, 569, 30, (357, 212))  # y = 1: malignant
    raw = load_breast_cancer()
    np.testing.assert_array_equal(ds.y, raw.target == 0)
    np.testing.assert_array_equal(ds.X, raw.data > np.median(raw.data, axis=0))
    assert ds.feature_names[0].startswith("mean radius > ") and ds.exact_rule is None


def test_binarize_table():
    cols = {"bin01": [0, 1, 1, 0, 0, 1], "yn": ["n", "y", "y", "n", "y", "n"], "three": [1, 2, 3, 1, 2, 3],
            "const": [7] * 6, "many": [1, 2, 3, 4, 5, 6], "five": [1, 2, 3, 4, 5, 5]}
    X, names = Ds.binarize_table(cols)
    assert names == ("bin01", "yn=y", "three=1", "three=2", "three=3", "five=1", "five=2", "five=3", "five=4",
                     "five=5")
    assert X.dtype == np.uint8 and X.shape == (6, 10)
    np.testing.assert_array_equal(X[:, 0], cols["bin01"])
    np.testing.assert_array_equal(X[:, 1], [0, 1, 1, 0, 1, 0])
    np.testing.assert_array_equal(X[:, 2:5].argmax(axis=1), [0, 1, 2, 0, 1, 2])
    X6, names6 = Ds.binarize_table(cols, max_values=6)
    assert "many=6" in names6 and X6.shape[1] == 16
    X0, names0 = Ds.binarize_table({"const": [1, 1, 1]})
    assert X0.shape == (3, 0) and names0 == ()


def test_flip_labels():
    y = np.zeros(100, dtype=np.uint8)
    rows = np.arange(40)
    out = Ds.flip_labels(y, 0.05, np.random.default_rng(0), rows=rows)
    assert out.sum() == 2 and out[40:].sum() == 0 and y.sum() == 0  # only the given rows; input untouched
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Ds.flip_labels(y, 1.5, np.random.default_rng(0))


def test_registry_and_load():
    assert list(Ds.DATASETS)[:3] == ["mux6", "parity5", "parity5+5"]
    ds = Ds.load("monk2")
    assert ds.name == "monk2"
    np.testing.assert_array_equal(Ds.load("corral").X, Ds.load("corral").X)  # fixed default seed
    with pytest.raises(ValueError, match="valid: mux6, parity5"):
        Ds.load("iris")


def test_train_test_split_is_stratified_and_seeded():
    ds = Ds.m_of_n()
    sp = Ds.train_test_split(ds, 0.25, seed=0)
    assert len(sp.test_rows) == 256 and len(sp.train_rows) == 768
    assert sorted(np.concatenate([sp.train_rows, sp.test_rows]).tolist()) == list(range(1024))
    assert abs(sp.y_test.mean() - ds.y.mean()) < 0.01
    np.testing.assert_array_equal(sp.X_test, ds.X[sp.test_rows])
    np.testing.assert_array_equal(sp.test_rows, Ds.train_test_split(ds, 0.25, seed=0).test_rows)
    assert not np.array_equal(sp.test_rows, Ds.train_test_split(ds, 0.25, seed=1).test_rows)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        Ds.train_test_split(ds, 1.0)


def test_select_features_on_a_planted_example():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(400, 8), dtype=np.uint8)
    y = X[:, 5] & X[:, 2]
    X[:, 7] = np.where(rng.random(400) < 0.9, y, 1 - y)  # a noisy copy of y: the most informative column
    assert Ds.select_features(X, y, 3).tolist() == [2, 5, 7]
    assert Ds.select_features(X, y, 1).tolist() == [7]
    assert Ds.select_features(X, y, 20).tolist() == list(range(8))
    tie = np.array([[0, 0, 1], [1, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=np.uint8)
    assert Ds.select_features(tie, np.array([0, 1, 0, 1]), 1).tolist() == [0]  # three equal columns: index 0
    mi = Ds.mutual_information(tie, np.array([0, 1, 0, 1]))
    np.testing.assert_allclose(mi, np.log(2))
    with pytest.raises(ValueError, match="positive integer"):
        Ds.select_features(X, y, 0)
    with pytest.raises(ValueError, match="0/1"):
        Ds.mutual_information(X * 2, y)


def test_baselines():
    ds = Ds.mux6()
    full = Ds.classification_baselines(ds.X, ds.y, ds.X, ds.y, seed=0)  # train = test = the whole table
    assert set(full) == {"logistic_regression", "random_forest_1", "random_forest_100"}
    assert full["random_forest_100"]["f1"] == 1.0
    sp = Ds.train_test_split(Ds.corral(), 0.25, seed=0)
    res = Ds.classification_baselines(sp.X_train, sp.y_train, sp.X_test, sp.y_test, seed=0)
    for r in res.values():
        assert 0.0 <= r["f1"] <= 1.0 and 0.0 <= r["accuracy"] <= 1.0 and r["fit_seconds"] >= 0
        assert isinstance(r["size"], int) and r["size"] >= 1
    assert res["logistic_regression"]["size"] <= 6
    assert res["random_forest_100"]["size"] > res["random_forest_1"]["size"]
