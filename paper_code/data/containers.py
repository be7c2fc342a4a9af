"""Return types shared by all loaders, with deterministic stratified sampling."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch is imported lazily: it is slow to import
    import torch

__all__ = ["ImageDataset", "TabularDataset", "stratified_indices", "stratified_split"]


# ----------------------------------------------------------------------------- sampling
def _allocate(total: int, counts: np.ndarray) -> np.ndarray:
    """Split ``total`` over classes proportionally to ``counts`` (largest remainder)."""
    quotas = total * counts / counts.sum()
    alloc = np.floor(quotas).astype(np.int64)
    short = total - int(alloc.sum())
    if short:
        # largest fractional part first; ties broken by class order (stable sort)
        order = np.argsort(-(quotas - alloc), kind="stable")
        alloc[order[:short]] += 1
    return alloc


def stratified_indices(
    labels: np.ndarray,
    *,
    n_per_class: int | None = None,
    n: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Sorted indices of a stratified random subsample (exactly one of ``n_per_class``, ``n``).

    ``n`` is spread over classes proportionally to their sizes (largest remainder).
    The same ``labels`` and ``seed`` always give the same indices.
    """
    if (n_per_class is None) == (n is None):
        raise ValueError("give exactly one of n_per_class or n")
    labels = np.asarray(labels)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if n_per_class is not None:
        if n_per_class < 1:
            raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
        if n_per_class > counts.min():
            raise ValueError(
                f"n_per_class={n_per_class} exceeds the smallest class "
                f"(label {classes[counts.argmin()]!r} has {counts.min()} samples)"
            )
        alloc = np.full(len(classes), n_per_class, dtype=np.int64)
    else:
        assert n is not None
        if not 1 <= n <= len(labels):
            raise ValueError(f"n must be in [1, {len(labels)}], got {n}")
        alloc = _allocate(n, counts)
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(inverse == k))[:m] for k, m in enumerate(alloc)]
    return np.sort(np.concatenate(chosen))


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int = 0, *, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, test) index arrays; each class contributes ~``test_fraction`` to test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labels = np.asarray(labels)
    n_total = len(labels)
    n_test = int(round(test_fraction * n_total))
    if not 1 <= n_test <= n_total - 1:
        raise ValueError(
            f"test_fraction={test_fraction} leaves an empty split for {n_total} samples"
        )
    rng = np.random.default_rng(seed)
    if stratify:
        _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        alloc = _allocate(n_test, counts)
        test = np.concatenate(
            [rng.permutation(np.flatnonzero(inverse == k))[:m] for k, m in enumerate(alloc)]
        )
    else:
        test = rng.permutation(n_total)[:n_test]
    mask = np.zeros(n_total, dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _torch_device(device: Any) -> Any:
    return device if device is not None else "cpu"


# ----------------------------------------------------------------------------- images
@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images ``(n, c, h, w)`` float32 in [0, 1] with int64 labels indexing ``classes``.

    ``source`` is the file or folder the data was read from. Subsets and splits keep
    the original sample order (sorted indices); shuffle when training.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    name: str
    source: str

    def __post_init__(self) -> None:
        images = np.asarray(self.images, dtype=np.float32)
        labels = np.asarray(self.labels, dtype=np.int64)
        if images.ndim != 4:
            raise ValueError(f"images must be (n, c, h, w), got shape {images.shape}")
        if labels.shape != (images.shape[0],):
            raise ValueError(f"labels shape {labels.shape} does not match {images.shape[0]} images")
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise ValueError(f"labels must lie in [0, {len(self.classes)})")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (
            f"ImageDataset(name={self.name!r}, images={self.images.shape}, "
            f"classes={len(self.classes)}, source={self.source!r})"
        )

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(c, h, w)``."""
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def class_counts(self) -> np.ndarray:
        """Number of samples per class, length ``n_classes``."""
        return np.bincount(self.labels, minlength=self.n_classes)

    def flatten(self) -> np.ndarray:
        """Images as ``(n, c*h*w)`` (a view when possible)."""
        return self.images.reshape(len(self), -1)

    def take(self, indices: np.ndarray) -> ImageDataset:
        """A new dataset with the given samples (copied)."""
        idx = np.asarray(indices)
        return replace(self, images=self.images[idx], labels=self.labels[idx])

    def subset(
        self, n_per_class: int | None = None, *, n: int | None = None, seed: int = 0
    ) -> ImageDataset:
        """Deterministic stratified subsample: ``n_per_class`` per class, or ``n`` in total."""
        return self.take(stratified_indices(self.labels, n_per_class=n_per_class, n=n, seed=seed))

    def train_test_split(
        self, test_fraction: float = 0.2, seed: int = 0
    ) -> tuple[ImageDataset, ImageDataset]:
        """Deterministic stratified ``(train, test)`` split."""
        train_idx, test_idx = stratified_split(self.labels, test_fraction, seed)
        return self.take(train_idx), self.take(test_idx)

    def to_torch(self, device: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images float32 (n,c,h,w), labels int64 (n,))`` tensors (share memory on CPU)."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(self.images))
        y = torch.from_numpy(np.ascontiguousarray(self.labels))
        return x.to(_torch_device(device)), y.to(_torch_device(device))


# ----------------------------------------------------------------------------- tables
@dataclass(frozen=True, eq=False)
class TabularDataset:
    """Features ``x`` (n, d) float64 and targets ``y`` (n,): int64 classes or float64 values."""

    x: np.ndarray
    y: np.ndarray
    name: str
    source: str
    feature_names: tuple[str, ...] = field(default=())
    target_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=np.float64)
        y = np.asarray(self.y)
        y = y.astype(np.int64) if np.issubdtype(y.dtype, np.integer) else y.astype(np.float64)
        if x.ndim != 2:
            raise ValueError(f"x must be (n, d), got shape {x.shape}")
        if y.shape != (x.shape[0],):
            raise ValueError(f"y shape {y.shape} does not match {x.shape[0]} rows")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))
        object.__setattr__(self, "target_names", tuple(str(t) for t in self.target_names))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return (
            f"TabularDataset(name={self.name!r}, x={self.x.shape}, task={self.task!r}, "
            f"source={self.source!r})"
        )

    @property
    def task(self) -> str:
        """``"classification"`` (integer targets) or ``"regression"``."""
        return "classification" if self.y.dtype == np.int64 else "regression"

    def take(self, indices: np.ndarray) -> TabularDataset:
        """A new dataset with the given rows (copied)."""
        idx = np.asarray(indices)
        return replace(self, x=self.x[idx], y=self.y[idx])

    def train_test_split(
        self, test_fraction: float = 0.2, seed: int = 0
    ) -> tuple[TabularDataset, TabularDataset]:
        """Deterministic ``(train, test)`` split, stratified for classification."""
        train_idx, test_idx = stratified_split(
            self.y, test_fraction, seed, stratify=self.task == "classification"
        )
        return self.take(train_idx), self.take(test_idx)

    def to_torch(self, device: Any = None, dtype: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` tensors; ``x`` cast to ``dtype`` (default float32), ``y`` int64 or float32."""
        import torch

        x = torch.as_tensor(self.x, dtype=dtype or torch.float32)
        y = (
            torch.from_numpy(self.y)
            if self.task == "classification"
            else torch.as_tensor(self.y, dtype=dtype or torch.float32)
        )
        return x.to(_torch_device(device)), y.to(_torch_device(device))
