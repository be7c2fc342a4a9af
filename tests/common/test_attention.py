"""Shared attention blocks: Shaw et al.'s relative term against its definition, the fused and explicit paths, the
masks, the sinusoidal encodings."""
from __future__ import annotations

import math

import pytest
import torch

from paper_code.common.attention import (
    MultiHeadSelfAttention,
    RelativePositions,
    TransformerBlock,
    relative_offsets,
    sinusoidal_positions,
)


def test_relative_term_matches_the_definition():
    """Shaw et al.'s logits, computed naively: (q_i + rQ_d)·(k_j + rK_d) with d = clip(j - i)."""
    torch.manual_seed(1)
    rel = RelativePositions(2, 4, clip=3, queries=True)
    q, k = torch.randn(1, 2, 9, 4), torch.randn(1, 2, 9, 4)
    got = rel(q, k) + q @ k.transpose(-1, -2)
    want = torch.zeros(1, 2, 9, 9)
    for h in range(2):
        for i in range(9):
            for j in range(9):
                d = max(-3, min(3, j - i)) + 3
                want[0, h, i, j] = (q[0, h, i] + rel.query_table[h, d]) @ (k[0, h, j] + rel.keys[h, d])
    torch.testing.assert_close(got, want)
    assert relative_offsets(4, 1).tolist() == [[1, 2, 2, 2], [0, 1, 2, 2], [0, 0, 1, 2], [0, 0, 0, 1]]


def test_fused_and_explicit_attention_agree():
    torch.manual_seed(2)
    attn = MultiHeadSelfAttention(16, 4)
    x = torch.randn(3, 7, 16)
    mask = torch.zeros(3, 7, dtype=torch.bool)
    mask[1, 5:] = True
    fused = attn(x, mask)
    explicit, weights = attn(x, mask, return_attention=True)
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)
    assert torch.all(weights[1, :, :, 5:] == 0)



def test_keys_only_term_matches_the_definition():
    torch.manual_seed(3)
    rel = RelativePositions(1, 3, clip=2)
    q, k = torch.randn(2, 1, 5, 3), torch.randn(2, 1, 5, 3)
    want = torch.stack([torch.stack([q[b, 0, i] @ rel.keys[0, max(-2, min(2, j - i)) + 2] for j in range(5)])
                        for b in range(2) for i in range(5)]).view(2, 1, 5, 5)
    torch.testing.assert_close(rel(q, k), want)


def test_sinusoidal_positions_follow_the_formula():
    pe = sinusoidal_positions(7, 6)
    for p in range(7):
        for i in range(3):
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(p / 10000 ** (2 * i / 6)), abs=1e-6)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(p / 10000 ** (2 * i / 6)), abs=1e-6)


def test_block_shapes_and_bad_sizes():
    block = TransformerBlock(16, 2, relative=RelativePositions(2, 8, clip=4))
    assert block(torch.randn(3, 9, 16)).shape == (3, 9, 16)
    with pytest.raises(ValueError, match="not divisible"):
        MultiHeadSelfAttention(10, 3)
    with pytest.raises(ValueError, match="relative positions of shape"):
        MultiHeadSelfAttention(16, 4, relative=RelativePositions(2, 8, clip=4))
    with pytest.raises(ValueError, match="clip"):
        RelativePositions(2, 8, clip=0)
