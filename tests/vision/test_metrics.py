"""Nonlocality against its definition (identity and uniform attention, with and without a class token) and the
gates."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from paper_code.vision.metrics import attention_nonlocality, gating, nonlocality, patch_distances
from paper_code.vision.models import convit, deit


def _mean_pairwise_distance(side: int) -> float:
    """(1/L) sum_i (1/L) sum_j ||p_i - p_j||: uniform attention's nonlocality, by brute force."""
    pts = [(r, c) for r in range(side) for c in range(side)]
    return sum(math.dist(p, q) for p, q in itertools.product(pts, repeat=2)) / len(pts) ** 2


def test_patch_distances_are_euclidean():
    d = patch_distances(3)
    assert d[0, 8] == pytest.approx(math.sqrt(8)) and d[1, 3] == pytest.approx(math.sqrt(2)) and d[4, 4] == 0


@pytest.mark.parametrize("side", [3, 4])
def test_identity_is_zero_and_uniform_is_the_mean_pairwise_distance(side):
    n = side * side
    identity = torch.eye(n).expand(2, 3, n, n)
    uniform = torch.full((2, 3, n, n), 1.0 / n)
    torch.testing.assert_close(attention_nonlocality(identity), torch.zeros(2, 3))
    torch.testing.assert_close(attention_nonlocality(uniform), torch.full((2, 3), _mean_pairwise_distance(side)))
    # with a class token first: its row and column are dropped, the weights on it count for no distance
    with_cls = torch.zeros(1, 1, n + 1, n + 1)
    with_cls[..., 1:, 1:] = 0.5 / n
    with_cls[..., :, 0] = 0.5
    torch.testing.assert_close(attention_nonlocality(with_cls), torch.tensor([[0.5 * _mean_pairwise_distance(side)]]))


def test_one_hot_attention_is_the_distance_to_the_attended_patch():
    attn = torch.zeros(1, 1, 9, 9)
    attn[0, 0, torch.arange(9), 8] = 1.0  # every query looks at the bottom-right patch
    want = sum(math.dist((r, c), (2, 2)) for r in range(3) for c in range(3)) / 9
    assert float(attention_nonlocality(attn)) == pytest.approx(want)
    with pytest.raises(ValueError, match="neither a square grid nor one plus a square grid"):
        attention_nonlocality(torch.zeros(1, 1, 7, 7))


def test_model_nonlocality_of_positional_identity_and_uniform_layers():
    """A ConViT whose first GPSA layer is pure positional attention on the query's own patch (one centre (0, 0),
    alpha = 1000) has nonlocality 0 there; with v_pos = 0 that layer attends uniformly."""
    torch.manual_seed(0)
    model = convit("nano_digits", n_heads=1, locality_strength=1000.0)
    first, second = model.gpsa_layers()[:2]
    with torch.no_grad():
        first.gating.fill_(40.0)
        second.gating.fill_(40.0)
        second.v_pos.weight.zero_()
    images = torch.randn(5, 1, 8, 8)
    per_layer = nonlocality(model, images)
    assert per_layer.shape == (4,)
    assert float(per_layer[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(per_layer[1]) == pytest.approx(_mean_pairwise_distance(4), rel=1e-5)
    assert 0 < float(per_layer[3]) < 3 * math.sqrt(2)


def test_nonlocality_per_head_averages_over_images():
    torch.manual_seed(1)
    model = deit("nano_digits")
    images = torch.randn(3, 1, 8, 8)
    heads = nonlocality(model, images, per_head=True)
    maps = model.attention_maps(images)
    assert heads.shape == (4, 9)
    torch.testing.assert_close(heads[2], attention_nonlocality(maps[2]).mean(0))
    torch.testing.assert_close(nonlocality(model, images), heads.mean(-1))


def test_gating_reports_sigmoid_lambda_per_layer_and_head():
    model = convit("nano_mnist")
    torch.testing.assert_close(gating(model), torch.full((3, 4), 1 / (1 + math.exp(-1))))  # lambda = 1 at init
    with torch.no_grad():
        model.gpsa_layers()[1].gating.copy_(torch.tensor([-1.0, 0.0, 2.0, 40.0]))
    g = gating(model)
    torch.testing.assert_close(g[1], torch.sigmoid(torch.tensor([-1.0, 0.0, 2.0, 40.0])))
    assert g[1, 1] == 0.5 and not g.requires_grad
    assert gating(deit("nano_mnist")).shape == (0, 4)
