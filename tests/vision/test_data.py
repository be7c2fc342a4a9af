"""Splits, nested fractions, standardisation and the shifted batches of the vision experiments."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.vision.data import Normalized, ShiftedBatches, load_split, nested_fraction, shift_images


def test_nested_fractions_are_nested_stratified_and_seeded():
    labels = np.repeat(np.arange(4), 50)
    small, big, full = (nested_fraction(labels, f, seed=3) for f in (0.1, 0.4, 1.0))
    assert set(small) <= set(big) <= set(full) and len(full) == 200
    assert np.bincount(labels[small]).tolist() == [5, 5, 5, 5]
    assert not np.array_equal(small, nested_fraction(labels, 0.1, seed=4))
    assert len(nested_fraction(labels, 0.001)) == 4  # at least one per class
    with pytest.raises(ValueError, match="fraction"):
        nested_fraction(labels, 0.0)


def test_load_split_sizes():
    train, test = load_split("digits", seed=0)
    assert len(train) + len(test) == 1797 and abs(len(test) / 1797 - 0.2) < 0.01
    small, _ = load_split("digits", seed=0, train_size=100)
    assert len(small) == 100 and np.bincount(small.labels).min() >= 9
    with pytest.raises(ValueError, match="train_size=5000 exceeds"):
        load_split("digits", train_size=5000)
    with pytest.raises(ValueError, match="valid: mnist5k, digits, fashion_mnist"):
        load_split("imagenet")


def test_shift_moves_each_image_by_at_most_max_shift():
    x = torch.zeros(64, 1, 9, 9)
    x[:, :, 4, 4] = 1.0
    out = shift_images(x, 2, torch.Generator().manual_seed(0))
    pos = out.flatten(1).argmax(1)
    rows, cols = pos // 9, pos % 9
    assert out.sum().item() == 64  # nothing falls off a 9 x 9 image from the centre
    assert (rows - 4).abs().max() <= 2 and (cols - 4).abs().max() <= 2
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10  # the shifts vary
    assert torch.equal(shift_images(x, 0), x)


def test_shifted_batches_are_a_pure_function_of_the_step():
    x, y = torch.rand(50, 1, 8, 8), torch.arange(50) % 10
    a, b = ShiftedBatches(x, y, 16, seed=1, max_shift=1), ShiftedBatches(x, y, 16, seed=1, max_shift=1)
    later = a.get(7)
    for step in (0, 3, 7):
        b.get(step)
    torch.testing.assert_close(b.get(7), later)
    assert not torch.equal(a.get(7)[0], ShiftedBatches(x, y, 16, seed=2, max_shift=1).get(7)[0])
    assert a.fingerprint()["max_shift"] == 1


def test_normalized_standardises_with_the_training_statistics():
    images = torch.rand(100, 1, 4, 4) * 3 + 2
    model = Normalized.fitted(torch.nn.Flatten(), images)
    z = model(images)
    assert abs(z.mean().item()) < 1e-5 and abs(z.std().item() - 1) < 1e-3
    assert set(model.state_dict()) == {"mean", "std"}
    with pytest.raises(ValueError, match="std"):
        Normalized(torch.nn.Flatten(), 0.0, 0.0)
