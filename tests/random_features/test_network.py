"""Image pre-processing and the grid of one-hidden-layer networks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.data import ImageDataset
from paper_code.random_features.network import GridMLP, corrupt_labels, prepare_images, train_network_grid


def _fake_images(n: int, seed: int) -> ImageDataset:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    base = np.random.default_rng(99).uniform(0, 1, (3, 1, 12, 12))  # class templates shared by train and test
    images = np.clip(base[labels] + 0.3 * rng.standard_normal((n, 1, 12, 12)), 0, 1).astype(np.float32)
    return ImageDataset(images, labels, ("a", "b", "c"), "fake", "memory")


def test_pca_inputs_are_white_and_downsampled_inputs_are_not():
    train, test = _fake_images(600, 0), _fake_images(200, 1)
    pca = prepare_images(train, test, 16, "pca")
    cov = np.cov(pca.x_train.T.astype(np.float64))
    np.testing.assert_allclose(cov, np.eye(16) * cov.trace() / 16, atol=1e-4)
    assert pca.x_train.std() == pytest.approx(1.0, rel=1e-4)
    down = prepare_images(train, test, 16, "downsample")
    assert down.x_train.shape == (600, 16) and down.x_test.shape == (200, 16)
    ev = np.linalg.eigvalsh(np.cov(down.x_train.T.astype(np.float64)))
    assert ev.max() / ev.mean() > 3  # natural images keep an anisotropic spectrum
    with pytest.raises(ValueError, match="square d"):
        prepare_images(train, test, 15, "downsample")
    with pytest.raises(ValueError, match="input mode must be one of"):
        prepare_images(train, test, 16, "fft")


def test_label_corruption_rate():
    rng = np.random.default_rng(0)
    y = np.zeros(100_000, dtype=int)
    z = corrupt_labels(y, 0.5, 10, rng)
    assert np.mean(z != y) == pytest.approx(0.5 * 0.9, abs=0.01)  # a random class may be the true one


def test_members_of_the_grid_train_independently():
    # a group member's gradient equals that of the same network trained alone
    torch.manual_seed(0)
    x = torch.randn(12, 5)
    labels = torch.randint(0, 3, (2, 12))
    grid = GridMLP([12, 6], [4, 4], d=5, n_classes=3, init_seeds=[0, 1])
    grid(x, labels).backward()
    w1, w2 = grid.w1[1][0].detach().clone().requires_grad_(), grid.w2[1][0].detach().clone().requires_grad_()
    logits = torch.relu(x[:6] @ w1.T) @ w2.T
    torch.nn.functional.cross_entropy(logits, labels[0, :6]).backward()
    torch.testing.assert_close(grid.w1[1].grad[0], w1.grad)
    torch.testing.assert_close(grid.w2[1].grad[0], w2.grad)


def test_training_the_grid_reduces_the_error():
    images = prepare_images(_fake_images(400, 2), _fake_images(200, 3), 16, "pca")
    short = train_network_grid(images, [50, 200], [2, 8], [0.0, 0.5], n_seeds=1, epochs=1, seed=0, device="cpu")
    long = train_network_grid(images, [50, 200], [2, 8], [0.0, 0.5], n_seeds=1, epochs=150, seed=0, device="cpu")
    assert long.test_error.shape == (2, 1, 2, 2)
    assert long.mean_test_error()[0, 1, 1] < 0.15 < short.mean_test_error()[0, 1, 1]
    assert long.mean_test_error()[0].mean() < long.mean_test_error()[1].mean()  # label noise hurts
