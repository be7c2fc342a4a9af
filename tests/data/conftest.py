"""Fixtures for the data-loader tests: an isolated data environment and file writers."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from paper_code.data import external, paths


@pytest.fixture
def isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Empty repo data/external without a data.dvc record (the package used outside a
    checkout), empty $PAPER_DATA_DIR, no Debian Fashion-MNIST."""
    repo_ext = tmp_path / "repo" / "data" / "external"
    shared = tmp_path / "shared_data"
    repo_ext.mkdir(parents=True)
    shared.mkdir()
    monkeypatch.setattr(paths, "REPO_EXTERNAL_DIR", repo_ext)
    monkeypatch.setattr(paths, "DVC_RECORD", tmp_path / "repo" / "data.dvc")
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(shared))
    monkeypatch.setattr(external, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "no-debian")
    return {"repo_external": repo_ext, "shared": shared, "record": tmp_path / "repo" / "data.dvc"}


@pytest.fixture
def tracked_data(isolated_data: dict[str, Path]) -> dict[str, Path]:
    """As ``isolated_data``, inside a checkout: data.dvc records data/external/."""
    isolated_data["record"].write_text("outs:\n- path: data\n")
    return isolated_data


def write_idx(path: Path, arr: np.ndarray, code: int = 0x08, gz: bool = False) -> Path:
    """Write ``arr`` as an IDX file, independently of the library's parser."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    payload = struct.pack(">BBBB", 0, 0, code, arr.ndim)
    payload += struct.pack(f">{arr.ndim}I", *arr.shape)
    payload += np.ascontiguousarray(arr, dtype=dtype).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def write_cifar_batch(path: Path, images: np.ndarray, labels: list[int], protocol: int = 2) -> Path:
    """Write a CIFAR-10-style batch: dict with bytes keys, data (n, 3072) uint8."""
    d = {
        b"batch_label": b"synthetic",
        b"labels": list(labels),
        b"data": images.reshape(len(images), -1).astype(np.uint8),
        b"filenames": [f"img{i}.png".encode() for i in range(len(images))],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump(d, fh, protocol=protocol)
    return path


def random_uint8(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


@pytest.fixture
def h() -> SimpleNamespace:
    """File writers for synthetic datasets (a fixture, so no test imports conftest)."""
    return SimpleNamespace(
        write_idx=write_idx, write_cifar_batch=write_cifar_batch, random_uint8=random_uint8
    )
