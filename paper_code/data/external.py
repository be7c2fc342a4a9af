"""Full-size image datasets read from files on disk: MNIST, Fashion-MNIST, CIFAR-10.

Looked for under each search root (see :mod:`paths`): ``mnist/``, ``fashion-mnist/``
and ``cifar-10-batches-py/``. Fashion-MNIST (Xiao, Rasul & Vollgraf 2017,
arXiv:1708.07747, https://github.com/zalandoresearch/fashion-mnist) ships in the
DVC-tracked ``data/external/fashion-mnist/``, which is the only copy read in a
checkout; outside one it is also looked for in Debian's ``dataset-fashion-mnist``
package (``/usr/share/datasets/fashion-mnist``). Its files are checked against
pinned sha256 digests on every load.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from . import checksums, paths
from ._common import SPLITS, check_split, uint8_to_unit
from .cifar import read_cifar_batch, read_cifar_meta
from .containers import ImageDataset
from .errors import DatasetFormatError, DatasetNotFoundError
from .idx import read_idx_images_labels

__all__ = [
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
    "DEBIAN_FASHION_MNIST_DIR",
    "FASHION_MNIST_SHA256",
    "FASHION_MNIST_SUBDIR",
    "IDX_FILES",
    "CIFAR10_FILES",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "locate_mnist",
    "locate_fashion_mnist",
    "locate_cifar10",
    "idx_file",
    "verify_fashion_mnist",
    "verify_fashion_mnist_file",
    "fashion_mnist_how_to",
    "mnist_dirs",
    "fashion_mnist_dirs",
    "cifar10_dirs",
]

log = logging.getLogger(__name__)

MNIST_CLASSES = tuple(str(d) for d in range(10))
# https://github.com/zalandoresearch/fashion-mnist#labels
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# https://www.cs.toronto.edu/~kriz/cifar.html (batches.meta order)
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
# Install path of Debian's dataset-fashion-mnist (dpkg -L dataset-fashion-mnist).
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
# sha256 of the uncompressed IDX files of Fashion-MNIST. Content, not .gz bytes: Debian
# recompresses the upstream archives (other gzip bytes, the same IDX content), and an
# uncompressed copy verifies too. Computed from dataset-fashion-mnist 0.0~git20200523.55506a9-1,
# whose decompressed files match the publisher's archives (upstream README lists their md5).
FASHION_MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

MNIST_SUBDIR = "mnist"
FASHION_MNIST_SUBDIR = "fashion-mnist"
CIFAR10_SUBDIR = "cifar-10-batches-py"

# split -> (images file, labels file); each may also be gzipped (.gz) or use a "." before idx.
IDX_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR10_FILES: dict[str, tuple[str, ...]] = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
_ALL_IDX = ", ".join(f"{name}.gz" for pair in IDX_FILES.values() for name in pair)


# ----------------------------------------------------------------------------- discovery
def idx_file(directory: Path, stem: str) -> Path | None:
    """``stem`` or ``stem.gz`` (also the ``train-images.idx3-ubyte`` spelling) in ``directory``."""
    for base in (stem, stem.replace("-idx", ".idx")):
        for name in (base + ".gz", base):
            p = directory / name
            if p.is_file():
                return p
    return None


def _idx_dir_complete(directory: Path, splits: tuple[str, ...]) -> bool:
    return all(idx_file(directory, stem) is not None for s in splits for stem in IDX_FILES[s])


def _cifar_dir_complete(directory: Path, splits: tuple[str, ...]) -> bool:
    return all((directory / f).is_file() for s in splits for f in CIFAR10_FILES[s])


def mnist_dirs() -> list[Path]:
    return paths.candidate_dirs(MNIST_SUBDIR)


def fashion_mnist_dirs() -> list[Path]:
    """In a checkout only the DVC-tracked folder; elsewhere the search roots, then Debian's."""
    tracked = paths.tracked_dir(FASHION_MNIST_SUBDIR)
    if tracked is not None:
        return [tracked]
    return paths.candidate_dirs(FASHION_MNIST_SUBDIR) + [Path(DEBIAN_FASHION_MNIST_DIR)]


def cifar10_dirs() -> list[Path]:
    return paths.candidate_dirs(CIFAR10_SUBDIR)


def locate_mnist(splits: tuple[str, ...] = SPLITS) -> Path | None:
    """First folder holding the IDX files for ``splits``, or None."""
    return next((d for d in mnist_dirs() if _idx_dir_complete(d, splits)), None)


def locate_fashion_mnist(splits: tuple[str, ...] = SPLITS) -> Path | None:
    """First folder holding the IDX files for ``splits`` (not checksum-verified), or None."""
    return next((d for d in fashion_mnist_dirs() if _idx_dir_complete(d, splits)), None)


def locate_cifar10(splits: tuple[str, ...] = SPLITS) -> Path | None:
    return next((d for d in cifar10_dirs() if _cifar_dir_complete(d, splits)), None)


MNIST_HOW_TO = (
    f"put {_ALL_IDX} (gzipped or not; from http://yann.lecun.com/exdb/mnist/ or a mirror) "
    f"in data/external/{MNIST_SUBDIR}/ {paths.DVC_HINT}"
)
def fashion_mnist_how_to() -> str:
    """How to provide Fashion-MNIST on this machine."""
    if paths.record_present():
        return (
            f"`{paths.PULL_FIX}` restores data/external/{FASHION_MNIST_SUBDIR}/ from the "
            "in-repo DVC store (data.dvc records it)"
        )
    return (
        "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs to "
        f"{DEBIAN_FASHION_MNIST_DIR}), or put {_ALL_IDX} from "
        "https://github.com/zalandoresearch/fashion-mnist in "
        f"data/external/{FASHION_MNIST_SUBDIR}/ {paths.DVC_HINT}"
    )


_FASHION_WHAT = "the Fashion-MNIST release, uncompressed"
_FASHION_ELSEWHERE_FIX = (
    "replace it with the original from https://github.com/zalandoresearch/fashion-mnist "
    "(Debian's copy: `apt-get install --reinstall dataset-fashion-mnist`)"
)


def _fashion_stem(path: Path) -> str:
    name = path.name.removesuffix(".gz").replace(".idx", "-idx")
    if name not in FASHION_MNIST_SHA256:
        valid = ", ".join(FASHION_MNIST_SHA256)
        raise ValueError(f"{path} is not a Fashion-MNIST file; valid names: {valid}")
    return name


def _check_fashion_content(path: Path, content: bytes) -> None:
    expected = FASHION_MNIST_SHA256[_fashion_stem(path)]
    actual = checksums.remember_content_sha256(path, content)
    if actual != expected:
        raise checksums.mismatch_error(
            path, actual, expected, _FASHION_WHAT, _FASHION_ELSEWHERE_FIX
        )


def verify_fashion_mnist_file(path: Path) -> None:
    """Raise DatasetChecksumError unless ``path`` holds its Fashion-MNIST file's content."""
    expected = FASHION_MNIST_SHA256[_fashion_stem(path)]
    checksums.verify_content(path, expected, _FASHION_WHAT, _FASHION_ELSEWHERE_FIX)


def verify_fashion_mnist(directory: Path, splits: tuple[str, ...] = SPLITS) -> None:
    """Raise DatasetChecksumError unless each IDX file for ``splits`` in ``directory`` is intact."""
    for s in splits:
        for stem in IDX_FILES[s]:
            path = idx_file(directory, stem)
            if path is None:
                raise DatasetNotFoundError(
                    "fashion_mnist", [f"{directory}/{stem}[.gz]"], fashion_mnist_how_to()
                )
            verify_fashion_mnist_file(path)
CIFAR10_HOW_TO = (
    "download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and extract it in "
    f"data/external/ so that data/external/{CIFAR10_SUBDIR}/ holds data_batch_1..5, "
    f"test_batch and batches.meta, {paths.DVC_HINT}"
)


# ----------------------------------------------------------------------------- loaders
def _load_idx_dataset(
    name: str,
    split: str,
    dirs: list[Path],
    classes: tuple[str, ...],
    how_to: str,
    pinned: bool = False,
) -> ImageDataset:
    """Read one split; ``pinned``: verify Fashion-MNIST's checksums on the bytes read."""
    check_split(split)
    t0 = time.perf_counter()
    directory = next((d for d in dirs if _idx_dir_complete(d, (split,))), None)
    if directory is None:
        wanted = ", ".join(f"{stem}[.gz]" for stem in IDX_FILES[split])
        # a pinned dataset in a checkout is read from data/external only
        note = "" if pinned and paths.record_present() else paths.env_note()
        raise DatasetNotFoundError(name, [f"{d}/ ({wanted})" for d in dirs], how_to, note=note)
    img_stem, lbl_stem = IDX_FILES[split]
    img_path, lbl_path = idx_file(directory, img_stem), idx_file(directory, lbl_stem)
    assert img_path is not None and lbl_path is not None
    if not pinned:
        images, labels = read_idx_images_labels(img_path, lbl_path, n_classes=len(classes))
    else:
        try:
            images, labels = read_idx_images_labels(
                img_path, lbl_path, n_classes=len(classes), check=_check_fashion_content
            )
        except DatasetFormatError as exc:  # unreadable before its checksum could be taken
            bad = lbl_path if str(exc).startswith(str(lbl_path)) else img_path
            reason = str(exc).removeprefix(f"{bad}: ")
            raise checksums.damaged_error(bad, reason, _FASHION_ELSEWHERE_FIX) from exc
    ds = ImageDataset(
        images=uint8_to_unit(images)[:, None, :, :],
        labels=labels,
        classes=classes,
        name=f"{name}-{split}",
        source=str(directory),
    )
    log.info(
        "loaded %s %s from %s in %.2f s",
        ds.name,
        ds.images.shape,
        directory,
        time.perf_counter() - t0,
    )
    return ds


def load_mnist(split: str = "train") -> ImageDataset:
    """Full MNIST ``split`` ('train' 60000 / 'test' 10000) as ``(n, 1, 28, 28)`` float32."""
    return _load_idx_dataset("mnist", split, mnist_dirs(), MNIST_CLASSES, MNIST_HOW_TO)


def load_fashion_mnist(split: str = "train") -> ImageDataset:
    """Full Fashion-MNIST ``split`` ('train' 60000 / 'test' 10000) as ``(n, 1, 28, 28)``."""
    return _load_idx_dataset(
        "fashion_mnist",
        split,
        fashion_mnist_dirs(),
        FASHION_MNIST_CLASSES,
        fashion_mnist_how_to(),
        pinned=True,
    )


def load_cifar10(split: str = "train") -> ImageDataset:
    """CIFAR-10 ``split`` ('train' 50000 / 'test' 10000) as ``(n, 3, 32, 32)`` float32."""
    check_split(split)
    t0 = time.perf_counter()
    dirs = cifar10_dirs()
    directory = next((d for d in dirs if _cifar_dir_complete(d, (split,))), None)
    if directory is None:
        wanted = ", ".join(CIFAR10_FILES[split])
        raise DatasetNotFoundError(
            "cifar10", [f"{d}/ ({wanted})" for d in dirs], CIFAR10_HOW_TO, note=paths.env_note()
        )
    parts = [read_cifar_batch(directory / f) for f in CIFAR10_FILES[split]]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    meta = directory / "batches.meta"
    classes = read_cifar_meta(meta) if meta.is_file() else CIFAR10_CLASSES
    ds = ImageDataset(
        images=uint8_to_unit(images),
        labels=labels,
        classes=classes,
        name=f"cifar10-{split}",
        source=str(directory),
    )
    log.info(
        "loaded %s %s from %s in %.2f s",
        ds.name,
        ds.images.shape,
        directory,
        time.perf_counter() - t0,
    )
    return ds
