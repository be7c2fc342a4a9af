"""Fashion-MNIST from Debian's dataset-fashion-mnist package (skipped when not installed)."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from paper_code.data import DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, load_fashion_mnist

pytestmark = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"Debian package dataset-fashion-mnist not installed ({DEBIAN_FASHION_MNIST_DIR}); "
    "`apt-get install dataset-fashion-mnist` to run",
)

# sha256 of the decompressed IDX files in dataset-fashion-mnist 0.0~git20200523.55506a9-1
UNCOMPRESSED_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def test_debian_files_content():
    for name, digest in UNCOMPRESSED_SHA256.items():
        with gzip.open(DEBIAN_FASHION_MNIST_DIR / name) as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == digest, name


def test_train_and_test(isolated_data, monkeypatch):
    from paper_code.data import external

    monkeypatch.setattr(external, "DEBIAN_FASHION_MNIST_DIR", DEBIAN_FASHION_MNIST_DIR)
    train = load_fashion_mnist("train")
    test = load_fashion_mnist("test")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.source == str(DEBIAN_FASHION_MNIST_DIR)
    assert train.classes == FASHION_MNIST_CLASSES
    np.testing.assert_array_equal(train.class_counts(), np.full(10, 6000))
    np.testing.assert_array_equal(test.class_counts(), np.full(10, 1000))
    # widely quoted normalisation constants: mean 0.2860, std 0.3530 on the train split
    assert abs(float(train.images.mean(dtype=np.float64)) - 0.2860) < 5e-4
    assert abs(float(train.images.std(dtype=np.float64)) - 0.3530) < 5e-4
    assert train.labels[:5].tolist() == [9, 0, 0, 3, 0]
    assert test.labels[:5].tolist() == [9, 2, 1, 1, 6]
