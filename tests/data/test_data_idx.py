"""IDX parser and the full-MNIST loader on tiny synthetic files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from paper_code.data import (
    DatasetFormatError,
    load_dataset,
    load_mnist,
    read_idx,
    read_idx_images_labels,
)


@pytest.mark.parametrize("gz", [False, True])
def test_uint8_round_trip(tmp_path, gz, h):
    imgs = h.random_uint8((7, 5, 4), seed=0)
    p = h.write_idx(tmp_path / "x", imgs, gz=gz)
    out = read_idx(p)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, imgs)


@pytest.mark.parametrize(
    "code,dtype",
    [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)],
)
def test_other_dtypes_big_endian(tmp_path, code, dtype, h):
    arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype) * dtype(3)
    out = read_idx(h.write_idx(tmp_path / "a", arr, code=code))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_images_labels_pair(tmp_path, h):
    imgs, labels = h.random_uint8((6, 28, 28), 1), np.array([0, 9, 3, 3, 1, 7], np.uint8)
    im, lb = read_idx_images_labels(
        h.write_idx(tmp_path / "i.gz", imgs, gz=True), h.write_idx(tmp_path / "l", labels)
    )
    np.testing.assert_array_equal(im, imgs)
    assert lb.dtype == np.int64 and lb.tolist() == labels.tolist()


def test_corrupt_headers(tmp_path, h):
    good = h.write_idx(tmp_path / "good", h.random_uint8((3, 4, 4), 2)).read_bytes()
    cases = {
        "bad_zero": b"\x01\x00" + good[2:],
        "bad_code": good[:2] + b"\x07" + good[3:],
        "zero_dims": good[:3] + b"\x00" + good[4:],
        "truncated": good[:-5],
        "trailing": good + b"\x00",
        "short": good[:3],
        "header_cut": good[:10],
    }
    messages = {
        "bad_zero": "magic",
        "bad_code": "type code",
        "zero_dims": "zero dimensions",
        "truncated": "truncated",
        "trailing": "trailing",
        "short": "too short",
        "header_cut": "header",
    }
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(DatasetFormatError, match=messages[name]):
            read_idx(tmp_path / name)
    (tmp_path / "badgz").write_bytes(gzip.compress(good)[:-12])
    with pytest.raises(DatasetFormatError, match="gzip"):
        read_idx(tmp_path / "badgz")


def test_pair_errors(tmp_path, h):
    imgs = h.write_idx(tmp_path / "i", h.random_uint8((4, 3, 3), 3))
    labels = h.write_idx(tmp_path / "l", np.array([1, 2, 3], np.uint8))
    with pytest.raises(DatasetFormatError, match="0x00000803"):  # files swapped
        read_idx_images_labels(labels, imgs)
    with pytest.raises(DatasetFormatError, match="4 images but"):
        read_idx_images_labels(imgs, labels)
    big = h.write_idx(tmp_path / "l2", np.array([1, 2, 3, 10], np.uint8))
    with pytest.raises(DatasetFormatError, match="label 10"):
        read_idx_images_labels(imgs, big)


def _write_mnist_dir(h, directory, seed, gz=True, dot_spelling=False):
    data = {}
    for split, prefix, n in (("train", "train", 12), ("test", "t10k", 5)):
        imgs = h.random_uint8((n, 28, 28), seed + n)
        labels = np.arange(n, dtype=np.uint8) % 10
        sep = "." if dot_spelling else "-"
        suffix = ".gz" if gz else ""
        h.write_idx(directory / f"{prefix}-images{sep}idx3-ubyte{suffix}", imgs, gz=gz)
        h.write_idx(directory / f"{prefix}-labels{sep}idx1-ubyte{suffix}", labels, gz=gz)
        data[split] = (imgs, labels)
    return data


@pytest.mark.parametrize("gz,dot", [(True, False), (False, False), (False, True)])
def test_load_mnist_from_paper_data_dir(isolated_data, h, gz, dot):
    data = _write_mnist_dir(h, isolated_data["shared"] / "mnist", seed=0, gz=gz, dot_spelling=dot)
    for split in ("train", "test"):
        ds = load_mnist(split)
        imgs, labels = data[split]
        assert ds.images.shape == (len(imgs), 1, 28, 28) and ds.images.dtype == np.float32
        np.testing.assert_array_equal(np.round(ds.images[:, 0] * 255).astype(np.uint8), imgs)
        np.testing.assert_array_equal(ds.labels, labels)
        assert ds.name == f"mnist-{split}" and ds.source == str(isolated_data["shared"] / "mnist")


def test_repo_dir_wins_over_paper_data_dir(isolated_data, h):
    _write_mnist_dir(h, isolated_data["shared"] / "mnist", seed=0)
    repo = _write_mnist_dir(h, isolated_data["repo_external"] / "mnist", seed=100)
    ds = load_dataset("mnist", split="test")
    assert ds.source == str(isolated_data["repo_external"] / "mnist")
    np.testing.assert_array_equal(np.round(ds.images[:, 0] * 255).astype(np.uint8), repo["test"][0])
