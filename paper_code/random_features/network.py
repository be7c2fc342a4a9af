"""The fully-connected-network check on real images (figure NN; docs/papers/random_features_phase_space.md, section 6).

One-hidden-layer ReLU networks (no biases, PyTorch's default init) are trained by
full-batch SGD with momentum on the cross-entropy, on n training images, for a grid
of widths x training-set sizes x label-noise levels x seeds; the test error is
measured on clean test labels. The pre-processing follows the reference code
(GitHub ``sdascoli/strong-weak``, ``neural-networks/utils.py``: ``get_pca``, ``resize_data``):
standardise the pixels, then either

* ``"pca"``: project on the top d principal components and whiten (divide by the
  singular values), which gives isotropic inputs, or
* ``"downsample"``: average-pool the grey image to sqrt(d) x sqrt(d), which keeps
  the natural (anisotropic) spectrum,

and in both cases rescale to global std 1. Label noise replaces each training label,
with probability ``noise``, by a uniformly drawn class (reference code
``shuffle_labels``); unlike the reference code the test labels stay clean, so the
error measures how well the clean rule is learnt.

Speed: every network of the grid is one member of a single module, trained by the
shared :class:`~paper_code.common.training.Trainer`. Members with the same (n, width)
form one group whose forward pass is two batched einsums; the loss is the sum over
members of each member's mean cross-entropy, so member gradients are independent and
SGD on the sum is SGD on every member. Training sets are nested: size n uses the first
n images of a shuffled pool (as the reference code's ``tr_data[:n]``).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as Fnn
from torch import Tensor, nn

from paper_code.common.devices import choose_device
from paper_code.common.training import TrainConfig, Trainer, TrainHistory
from paper_code.data import ImageDataset

__all__ = ["PreparedImages", "prepare_images", "corrupt_labels", "GridMLP", "FullBatch", "NetworkGridResult",
           "train_network_grid"]

log = logging.getLogger(__name__)

INPUT_MODES = ("pca", "downsample")


@dataclass(frozen=True)
class PreparedImages:
    """Pre-processed inputs: x_train (n_pool, d), y_train (n_pool,), x_test (n_test, d), y_test (n_test,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    mode: str
    name: str

    @property
    def d(self) -> int:
        return int(self.x_train.shape[1])


def prepare_images(train: ImageDataset, test: ImageDataset, d: int, mode: str, *, seed: int = 0) -> PreparedImages:
    """Standardise, reduce to d inputs (PCA-whitened or downsampled), rescale to std 1; shuffle the pool.

    Statistics (pixel means/stds, principal components, global std) come from the training pool only.
    """
    if mode not in INPUT_MODES:
        raise ValueError(f"input mode must be one of {INPUT_MODES}, got {mode!r}")
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d must be an int >= 1, got {d!r}")
    if train.image_shape != test.image_shape:
        raise ValueError(f"train and test images differ in shape: {train.image_shape} vs {test.image_shape}")
    perm = np.random.default_rng(np.random.SeedSequence([seed, 11])).permutation(len(train))
    train = train.take(perm)  # the stored subsets are sorted by label: prefixes must be mixed
    if mode == "pca":
        xtr, xte = train.flatten().astype(np.float64), test.flatten().astype(np.float64)
        if d > min(xtr.shape):
            raise ValueError(f"d={d} exceeds min(n_pool, pixels)={min(xtr.shape)}")
        mean, std = xtr.mean(0), xtr.std(0)
        std[std == 0] = 1.0
        xtr, xte = (xtr - mean) / std, (xte - mean) / std
        # principal directions from the pixel covariance (p x p eigh is cheaper than an n x p SVD)
        evals, evecs = np.linalg.eigh(xtr.T @ xtr)
        top = np.argsort(evals)[::-1][:d]
        proj = evecs[:, top] / np.sqrt(np.maximum(evals[top], 1e-12))  # whitened: = V_d / singular values
        xtr, xte = xtr @ proj, xte @ proj
    else:
        side = int(round(math.sqrt(d)))
        if side * side != d:
            raise ValueError(f"downsampling needs a square d, got {d}")
        pool = lambda ds: Fnn.adaptive_avg_pool2d(torch.from_numpy(ds.images.mean(1, keepdims=True)), side)  # noqa: E731
        xtr = pool(train).reshape(len(train), -1).double().numpy()
        xte = pool(test).reshape(len(test), -1).double().numpy()
        mean, std = xtr.mean(0), xtr.std(0)
        std[std == 0] = 1.0
        xtr, xte = (xtr - mean) / std, (xte - mean) / std
    scale = xtr.std()
    return PreparedImages((xtr / scale).astype(np.float32), train.labels.copy(), (xte / scale).astype(np.float32),
                          test.labels.copy(), train.n_classes, mode, train.name)


def corrupt_labels(labels: np.ndarray, noise: float, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Replace each label with probability ``noise`` by a uniform random class (possibly the same)."""
    if not 0 <= noise <= 1:
        raise ValueError(f"label noise must be in [0, 1], got {noise!r}")
    hit = rng.random(labels.shape) < noise
    return np.where(hit, rng.integers(0, n_classes, labels.shape), labels)


class GridMLP(nn.Module):
    """All networks of the grid: group g = (n_g, width_g) holds E members (label streams).

    Parameters of group g: ``w1[g]`` (E, width_g, d) and ``w2[g]`` (E, C, width_g).
    Member e of every group trains on label stream e (a (noise, seed) pair).
    """

    def __init__(self, sizes: Sequence[int], widths: Sequence[int], d: int, n_classes: int, init_seeds: Sequence[int]):
        super().__init__()
        self.sizes, self.widths = tuple(int(n) for n in sizes), tuple(int(w) for w in widths)
        if len(self.sizes) != len(self.widths):
            raise ValueError("one width per group")
        E = len(init_seeds)
        w1, w2 = [], []
        for w in self.widths:
            a1, b1 = [], []
            for s in init_seeds:  # the same (seed, width) gives the same init in every group and noise level
                g = torch.Generator().manual_seed(int(np.random.SeedSequence([int(s), w, 5]).generate_state(1)[0]))
                # PyTorch's default nn.Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                a1.append((torch.rand(w, d, generator=g) * 2 - 1) / math.sqrt(d))
                b1.append((torch.rand(n_classes, w, generator=g) * 2 - 1) / math.sqrt(w))
            w1.append(nn.Parameter(torch.stack(a1)))
            w2.append(nn.Parameter(torch.stack(b1)))
        self.w1, self.w2 = nn.ParameterList(w1), nn.ParameterList(w2)
        self.n_members = E

    def group_logits(self, g: int, x: Tensor) -> Tensor:
        """x (n, d) -> logits (E, n, C) of group g."""
        h = torch.relu(torch.einsum("nd,ewd->enw", x, self.w1[g]))
        return torch.einsum("enw,ecw->enc", h, self.w2[g])

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        """Sum over groups and members of the mean cross-entropy on the first n_g samples.

        x: (n_max, d) pool; labels: (E, n_max) one label stream per member.
        """
        total = x.new_zeros(())
        for g, n in enumerate(self.sizes):
            logits = self.group_logits(g, x[:n])
            E, _, C = logits.shape
            total = total + Fnn.cross_entropy(logits.reshape(-1, C), labels[:, :n].reshape(-1), reduction="sum") / n
        return total


class FullBatch:
    """The whole training pool at every step (a BatchSource for full-batch training)."""

    def __init__(self, x: Tensor, labels: Tensor):
        self.x, self.labels = x, labels

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor]:
        if world_size != 1:
            raise ValueError(f"FullBatch serves every member's own loss: not data-parallel (world_size={world_size})")
        return self.x, self.labels

    def fingerprint(self) -> dict:
        return {"class": type(self).__name__, "x": tuple(self.x.shape), "labels": tuple(self.labels.shape)}


@dataclass(frozen=True)
class NetworkGridResult:
    """Test errors on clean labels, (n_noise, n_seeds, len(sizes), len(widths)), plus train errors on noisy labels."""

    sizes: np.ndarray
    widths: np.ndarray
    noises: np.ndarray
    test_error: np.ndarray
    train_error: np.ndarray
    dataset: str
    mode: str
    d: int
    epochs: int
    history: TrainHistory

    def mean_test_error(self) -> np.ndarray:
        """Seed-mean test error, (n_noise, len(sizes), len(widths))."""
        return self.test_error.mean(1)


def train_network_grid(
    images: PreparedImages,
    sizes: Sequence[int],
    widths: Sequence[int],
    noises: Sequence[float],
    *,
    n_seeds: int,
    epochs: int,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
) -> NetworkGridResult:
    """Train every (noise, seed, n, width) network of the grid for ``epochs`` full-batch steps."""
    sizes, widths, noises = [int(n) for n in sizes], [int(w) for w in widths], [float(z) for z in noises]
    if max(sizes) > images.x_train.shape[0]:
        raise ValueError(f"largest training size {max(sizes)} exceeds the pool of {images.x_train.shape[0]} images")
    if min(sizes) < 1 or min(widths) < 1:
        raise ValueError("training sizes and widths must be >= 1")
    if n_seeds < 1 or epochs < 1:
        raise ValueError(f"n_seeds and epochs must be >= 1, got {n_seeds}, {epochs}")
    n_max = max(sizes)
    streams, init_seeds = [], []
    for i, z in enumerate(noises):
        for s in range(n_seeds):
            rng = np.random.default_rng(np.random.SeedSequence([seed, 17, i, s]))
            streams.append(corrupt_labels(images.y_train[:n_max], z, images.n_classes, rng))
            init_seeds.append(seed * 1000 + s)
    groups = [(n, w) for n in sizes for w in widths]
    model = GridMLP([g[0] for g in groups], [g[1] for g in groups], images.d, images.n_classes, init_seeds)
    dev = choose_device(device or "auto")
    x = torch.from_numpy(images.x_train[:n_max]).to(dev)  # on the device once: no copy per step
    labels = torch.from_numpy(np.stack(streams)).long().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    trainer = Trainer(
        model, opt, lambda m, batch: m(*batch), FullBatch(x, labels),
        TrainConfig(max_steps=epochs, log_every=max(1, epochs // 10), progress=progress, desc="grid MLP"),
        device=dev,
    )
    history = trainer.fit()
    x_test = torch.from_numpy(images.x_test).to(dev)
    y_test = torch.from_numpy(images.y_test).to(dev)
    E = len(streams)
    test = np.empty((E, len(sizes), len(widths)))
    train = np.empty_like(test)
    model.eval()
    with torch.no_grad():
        for g, (n, w) in enumerate(groups):
            i, j = sizes.index(n), widths.index(w)
            test[:, i, j] = (model.group_logits(g, x_test).argmax(-1) != y_test).double().mean(1).cpu().numpy()
            pred = model.group_logits(g, x[:n]).argmax(-1)
            train[:, i, j] = (pred != labels[:, :n]).double().mean(1).cpu().numpy()
    shape = (len(noises), n_seeds, len(sizes), len(widths))
    return NetworkGridResult(np.array(sizes), np.array(widths), np.array(noises), test.reshape(shape),
                             train.reshape(shape), images.name, images.mode, images.d, int(epochs), history)
