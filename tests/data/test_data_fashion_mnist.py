"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) from the DVC-tracked copy.

The files live in data/external/fashion-mnist/ and are restored offline by
``dvc pull data.dvc`` (``make data``), so these tests run on every machine.
"""

from __future__ import annotations

import numpy as np
import pytest

from paper_code.data import (
    DEBIAN_FASHION_MNIST_DIR,
    FASHION_MNIST_CLASSES,
    REPO_ROOT,
    checksums,
    external,
    load_fashion_mnist,
)

TRACKED = REPO_ROOT / "data" / "external" / "fashion-mnist"


@pytest.fixture(scope="module")
def train():
    return load_fashion_mnist("train")


def test_read_from_the_tracked_copy(train):
    assert train.source == str(TRACKED)


def test_train_and_test(train):
    test = load_fashion_mnist("test")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.classes == FASHION_MNIST_CLASSES
    np.testing.assert_array_equal(train.class_counts(), np.full(10, 6000))
    np.testing.assert_array_equal(test.class_counts(), np.full(10, 1000))
    # widely quoted normalisation constants: mean 0.2860, std 0.3530 on the train split
    assert abs(float(train.images.mean(dtype=np.float64)) - 0.2860) < 5e-4
    assert abs(float(train.images.std(dtype=np.float64)) - 0.3530) < 5e-4
    assert train.labels[:5].tolist() == [9, 0, 0, 3, 0]
    assert test.labels[:5].tolist() == [9, 2, 1, 1, 6]


@pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION_MNIST_DIR})",
)
def test_debian_package_holds_the_same_content():
    for stem, digest in external.FASHION_MNIST_SHA256.items():
        assert checksums.content_sha256(DEBIAN_FASHION_MNIST_DIR / f"{stem}.gz") == digest, stem
