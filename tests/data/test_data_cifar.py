"""CIFAR-10 batch parser and loader on tiny synthetic files."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from paper_code.data import (
    CIFAR10_CLASSES,
    DatasetFormatError,
    load_cifar10,
    read_cifar_batch,
    read_cifar_meta,
)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_batch_round_trip(tmp_path, protocol, h):
    imgs = h.random_uint8((6, 3, 32, 32), seed=protocol)
    labels = [0, 9, 4, 4, 2, 1]
    out_imgs, out_labels = read_cifar_batch(
        h.write_cifar_batch(tmp_path / "b", imgs, labels, protocol)
    )
    assert out_imgs.dtype == np.uint8 and out_imgs.shape == (6, 3, 32, 32)
    np.testing.assert_array_equal(out_imgs, imgs)
    assert out_labels.dtype == np.int64 and out_labels.tolist() == labels


def test_channel_layout(tmp_path, h):
    # row = 1024 red, 1024 green, 1024 blue values, each 32x32 row-major
    row = np.concatenate([np.full(1024, 10), np.full(1024, 20), np.arange(1024) % 256]).astype(
        np.uint8
    )
    imgs, _ = read_cifar_batch(h.write_cifar_batch(tmp_path / "b", row[None], [3]))
    assert imgs[0, 0].max() == 10 and imgs[0, 1].min() == 20
    assert imgs[0, 2, 0, 5] == 5 and imgs[0, 2, 1, 0] == 32


def test_corrupt_batches(tmp_path, h):
    good = h.write_cifar_batch(
        tmp_path / "good", h.random_uint8((2, 3, 32, 32), 0), [1, 2]
    ).read_bytes()
    (tmp_path / "trunc").write_bytes(good[: len(good) // 2])
    (tmp_path / "garbage").write_bytes(b"\x00\x01not a pickle at all")
    for name in ("trunc", "garbage"):
        with pytest.raises(DatasetFormatError, match="not a CIFAR python batch"):
            read_cifar_batch(tmp_path / name)

    def dump(name, obj):
        with open(tmp_path / name, "wb") as fh:
            pickle.dump(obj, fh, protocol=2)
        return tmp_path / name

    with pytest.raises(DatasetFormatError, match="no 'labels'"):
        read_cifar_batch(dump("nolabels", {b"data": np.zeros((1, 3072), np.uint8)}))
    with pytest.raises(DatasetFormatError, match=r"uint8 \(n, 3072\)"):
        read_cifar_batch(dump("width", {b"data": np.zeros((1, 3000), np.uint8), b"labels": [0]}))
    with pytest.raises(DatasetFormatError, match="2 integers"):
        read_cifar_batch(dump("count", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}))
    with pytest.raises(DatasetFormatError, match="outside"):
        read_cifar_batch(dump("range", {b"data": np.zeros((1, 3072), np.uint8), b"labels": [10]}))
    with pytest.raises(DatasetFormatError, match="expected a pickled dict"):
        read_cifar_batch(dump("list", [1, 2]))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_refuses_arbitrary_globals(tmp_path):
    p = tmp_path / "evil"
    p.write_bytes(pickle.dumps({b"data": _Evil(), b"labels": []}, protocol=2))
    with pytest.raises(DatasetFormatError, match="not allowed"):
        read_cifar_batch(p)


def test_load_cifar10(isolated_data, h):
    root = isolated_data["repo_external"] / "cifar-10-batches-py"
    train = []
    for i in range(1, 6):
        imgs = h.random_uint8((3, 3, 32, 32), seed=i)
        labels = [i, (i + 1) % 10, (i + 2) % 10]
        h.write_cifar_batch(root / f"data_batch_{i}", imgs, labels)
        train.append((imgs, labels))
    test_imgs = h.random_uint8((4, 3, 32, 32), seed=99)
    h.write_cifar_batch(root / "test_batch", test_imgs, [0, 1, 2, 3])
    with open(root / "batches.meta", "wb") as fh:
        pickle.dump({b"label_names": [c.encode() for c in CIFAR10_CLASSES], b"num_vis": 3072}, fh)

    ds = load_cifar10("train")
    assert ds.images.shape == (15, 3, 32, 32) and ds.classes == CIFAR10_CLASSES
    np.testing.assert_array_equal(
        np.round(ds.images * 255).astype(np.uint8), np.concatenate([t[0] for t in train])
    )
    assert ds.labels.tolist() == sum((t[1] for t in train), [])
    te = load_cifar10("test")
    np.testing.assert_array_equal(np.round(te.images * 255).astype(np.uint8), test_imgs)
    assert te.name == "cifar10-test" and te.source == str(root)
    assert read_cifar_meta(root / "batches.meta") == CIFAR10_CLASSES
