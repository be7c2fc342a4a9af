"""scikit-learn's bundled (offline) datasets."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path

import numpy as np

from .containers import ImageDataset, TabularDataset
from .errors import DatasetNotFoundError

__all__ = ["SKLEARN_DATASETS", "load_sklearn", "load_digits_images", "sklearn_data_file"]

log = logging.getLogger(__name__)

# name -> (sklearn.datasets loader, data file in sklearn/datasets/data/)
SKLEARN_DATASETS: dict[str, tuple[str, str]] = {
    "digits": ("load_digits", "digits.csv.gz"),
    "iris": ("load_iris", "iris.csv"),
    "wine": ("load_wine", "wine_data.csv"),
    "breast_cancer": ("load_breast_cancer", "breast_cancer.csv"),
    "diabetes": ("load_diabetes", "diabetes_data_raw.csv.gz"),
}


def sklearn_data_file(name: str) -> Path | None:
    """The bundled file behind ``name`` (located without importing sklearn), or None."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "datasets" / "data" / SKLEARN_DATASETS[name][1]
        if p.is_file():
            return p
    return None


def _normalize(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    if key not in SKLEARN_DATASETS:
        raise ValueError(
            f"unknown scikit-learn dataset {name!r}; valid names: {', '.join(SKLEARN_DATASETS)}"
        )
    return key


def load_sklearn(name: str) -> TabularDataset:
    """Load ``digits``, ``iris``, ``wine``, ``breast_cancer`` or ``diabetes`` (sklearn defaults)."""
    key = _normalize(name)
    path = sklearn_data_file(key)
    if path is None:
        raise DatasetNotFoundError(
            key, ["<site-packages>/sklearn/datasets/data"], "`pip install scikit-learn`"
        )
    datasets = importlib.import_module("sklearn.datasets")
    bunch = getattr(datasets, SKLEARN_DATASETS[key][0])()
    target_names = () if key == "diabetes" else tuple(getattr(bunch, "target_names", ()))
    ds = TabularDataset(
        x=bunch.data,
        y=bunch.target,
        name=key,
        source=str(path),
        feature_names=tuple(getattr(bunch, "feature_names", ())),
        target_names=target_names,
    )
    log.info("loaded sklearn %s x=%s from %s", key, ds.x.shape, path)
    return ds


def load_digits_images() -> ImageDataset:
    """scikit-learn digits as images ``(1797, 1, 8, 8)`` float32 in [0, 1] (pixels / 16)."""
    tab = load_sklearn("digits")
    images = (tab.x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return ImageDataset(
        images=images,
        labels=tab.y,
        classes=tuple(str(d) for d in range(10)),
        name="digits_images",
        source=tab.source,
    )
