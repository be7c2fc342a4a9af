"""scikit-learn bundled datasets."""

from __future__ import annotations

import numpy as np
import pytest

from paper_code.data import TabularDataset, load_dataset, load_digits_images, load_sklearn

SHAPES = {
    "digits": ((1797, 64), 10),
    "iris": ((150, 4), 3),
    "wine": ((178, 13), 3),
    "breast_cancer": ((569, 30), 2),
    "diabetes": ((442, 10), None),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_shapes(name):
    ds = load_sklearn(name)
    shape, n_classes = SHAPES[name]
    assert isinstance(ds, TabularDataset)
    assert ds.x.shape == shape and ds.y.shape == (shape[0],)
    assert ds.x.dtype == np.float64
    assert ds.name == name and ds.source.endswith(tuple([".csv", ".csv.gz"]))
    assert len(ds.feature_names) == shape[1]
    if n_classes is None:
        assert ds.task == "regression" and ds.y.dtype == np.float64
    else:
        assert ds.task == "classification" and ds.y.dtype == np.int64
        assert len(np.unique(ds.y)) == n_classes == len(ds.target_names)


def test_unknown_name_lists_valid():
    with pytest.raises(ValueError, match="breast_cancer") as err:
        load_sklearn("boston")
    for name in SHAPES:
        assert name in str(err.value)
    with pytest.raises(ValueError, match="valid names"):
        load_dataset("imagenet")


def test_tabular_split_and_digits_images():
    iris = load_sklearn("iris")
    tr, te = iris.train_test_split(0.2, seed=0)
    assert (len(tr), len(te)) == (120, 30)
    np.testing.assert_array_equal(np.bincount(te.y), [10, 10, 10])
    _, te2 = iris.train_test_split(0.2, seed=0)
    np.testing.assert_array_equal(te.x, te2.x)
    reg_tr, reg_te = load_sklearn("diabetes").train_test_split(0.25, seed=0)
    assert len(reg_tr) + len(reg_te) == 442
    img = load_digits_images()
    assert img.images.shape == (1797, 1, 8, 8)
    assert 0.0 <= img.images.min() and img.images.max() == 1.0
    np.testing.assert_allclose(img.flatten() * 16, load_sklearn("digits").x)
