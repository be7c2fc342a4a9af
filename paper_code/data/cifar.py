"""Parser for the CIFAR-10 "python version" pickle batches.

Each batch (https://www.cs.toronto.edu/~kriz/cifar.html) is a pickled dict with
``data``: uint8 ``(n, 3072)`` rows of 1024 red, 1024 green, 1024 blue values
(row-major 32x32), and ``labels``: n ints in [0, 10). The unpickler only resolves
the few numpy/codecs names such files need, so a hostile file cannot run code.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DatasetFormatError

__all__ = ["CIFAR_IMAGE_SHAPE", "read_cifar_batch", "read_cifar_meta"]

CIFAR_IMAGE_SHAPE = (3, 32, 32)
_ROW = int(np.prod(CIFAR_IMAGE_SHAPE))

# (module, name) pairs a numpy-array pickle may reference; numpy.core -> numpy._core in 2.x
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")
        if module.startswith("numpy.core."):
            module = "numpy._core." + module.split(".", 2)[2]
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError:  # numpy < 2 has no numpy._core
            return getattr(
                importlib.import_module(module.replace("numpy._core", "numpy.core")), name
            )


def _load_dict(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            obj = _SafeUnpickler(fh, encoding="bytes").load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        UnicodeDecodeError,
        MemoryError,
    ) as exc:
        raise DatasetFormatError(
            f"{path}: not a CIFAR python batch ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(obj, dict):
        raise DatasetFormatError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v for k, v in obj.items()}


def read_cifar_batch(path: Path | str, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch: uint8 images ``(n, 3, 32, 32)`` and int64 labels ``(n,)``."""
    path = Path(path)
    d = _load_dict(path)
    for key in ("data", "labels"):
        if key not in d:
            raise DatasetFormatError(
                f"{path}: CIFAR batch has no {key!r} entry (keys: {sorted(d)})"
            )
    data = np.asarray(d["data"])
    labels = np.asarray(d["labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW:
        raise DatasetFormatError(
            f"{path}: CIFAR data must be uint8 (n, {_ROW}), got {data.dtype} {data.shape}"
        )
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetFormatError(
            f"{path}: CIFAR labels must be {len(data)} integers, got {labels.dtype} {labels.shape}"
        )
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DatasetFormatError(f"{path}: CIFAR labels outside [0, {n_classes})")
    return data.reshape((len(data), *CIFAR_IMAGE_SHAPE)), labels


def read_cifar_meta(path: Path | str) -> tuple[str, ...]:
    """Class names from ``batches.meta``."""
    path = Path(path)
    names = _load_dict(path).get("label_names")
    if names is None:
        raise DatasetFormatError(f"{path}: no 'label_names' entry")
    return tuple(n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names)
