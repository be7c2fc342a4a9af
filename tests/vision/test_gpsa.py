"""GPSA: the relative encodings and head centres against their definitions, the convolutional init's attention
peaks, the gate's limits against independently computed softmaxes, and the output formula."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from paper_code.vision.gpsa import GPSA, head_centres, relative_encodings


def _grid(side: int) -> list[tuple[int, int]]:
    """(row, column) of every token, row-major."""
    return [(r, c) for r in range(side) for c in range(side)]


def _positional_reference(layer: GPSA) -> torch.Tensor:
    """softmax_j(v_pos^h . (dx, dy, dx^2 + dy^2) + b_h), offsets from the grid by loops; (H, L, L)."""
    w, b = layer.v_pos.weight.detach(), layer.v_pos.bias.detach()
    pts = _grid(layer.grid)
    r = torch.tensor([[[cj - ci, rj - ri, (cj - ci) ** 2 + (rj - ri) ** 2] for rj, cj in pts] for ri, ci in pts],
                     dtype=torch.float32)
    return (torch.einsum("ijc,hc->hij", r, w) + b[:, None, None]).softmax(-1)


def _content_reference(layer: GPSA, x: torch.Tensor) -> torch.Tensor:
    """softmax_j(Q^h_i K^h_j^T / sqrt(D_h)) with Q = X W_qry^T, K = X W_key^T split into heads; (B, H, L, L)."""
    d, h = layer.dim, layer.n_heads
    wq, wk = layer.qk.weight.detach()[:d], layer.qk.weight.detach()[d:]
    q, k = (x @ wq.T).view(*x.shape[:2], h, d // h), (x @ wk.T).view(*x.shape[:2], h, d // h)
    return (torch.einsum("bihe,bjhe->bhij", q, k) / math.sqrt(d // h)).softmax(-1)


def test_relative_encodings_follow_the_official_order():
    side = 3
    r = relative_encodings(side)
    for (i, (ri, ci)), (j, (rj, cj)) in itertools.product(enumerate(_grid(side)), repeat=2):
        assert r[i, j].tolist() == [cj - ci, rj - ri, (cj - ci) ** 2 + (rj - ri) ** 2]


@pytest.mark.parametrize("n_heads, expected", [
    (4, {(-0.5, -0.5), (-0.5, 0.5), (0.5, -0.5), (0.5, 0.5)}),
    (9, set(itertools.product((-1.0, 0.0, 1.0), repeat=2))),
    (16, set(itertools.product((-1.5, -0.5, 0.5, 1.5), repeat=2))),
    (1, {(0.0, 0.0)}),
    (12, set(itertools.product((-1.0, 0.0, 1.0), repeat=2))),  # k = 3: the first 9 heads only
])
def test_head_centres_tile_a_kernel(n_heads, expected):
    centres = head_centres(n_heads)
    assert {tuple(c) for c in centres.tolist()} == expected and len(centres) == len(expected)
    k = math.isqrt(n_heads)
    for p, (dx, dy) in enumerate(centres.tolist()):  # row index p mod k, column index p // k
        assert (dy, dx) == (p % k - (k - 1) / 2, p // k - (k - 1) / 2)


@pytest.mark.parametrize("alpha", [1000.0, 1.0])
def test_nine_heads_peak_at_their_offsets(alpha):
    """Query in the middle of a 5 x 5 grid: head h's positional attention peaks at the query + Delta^h (sharply for
    a large locality strength, softly but at the same key for alpha = 1)."""
    torch.manual_seed(0)
    layer = GPSA(36, 9, grid=5, locality_strength=alpha)
    pos = layer.attention(torch.randn(2, 25, 36)).positional.detach()
    query = 2 * 5 + 2
    for h in range(9):
        dy, dx = h % 3 - 1, h // 3 - 1
        key = int(pos[h, query].argmax())
        assert divmod(key, 5) == (2 + dy, 2 + dx)
        peak = float(pos[h, query, key])
        assert peak > 0.999 if alpha > 100 else 0.2 < peak < 0.9


def test_four_heads_share_a_two_by_two_block():
    """Half-integer centres: each head spreads a quarter on the 2 x 2 block of keys towards its Delta^h."""
    layer = GPSA(16, 4, grid=4, locality_strength=1000.0)
    pos = layer.positional().detach()
    query = 1 * 4 + 1
    for h, (dx, dy) in enumerate(head_centres(4).tolist()):
        block = {(1 + a, 1 + b) for a in (0, round(2 * dy)) for b in (0, round(2 * dx))}
        top = {divmod(int(k), 4) for k in pos[h, query].topk(4).indices}
        assert top == block
        torch.testing.assert_close(pos[h, query].topk(4).values, torch.full((4,), 0.25), atol=1e-4, rtol=0)


def test_convolutional_init_values():
    torch.manual_seed(1)
    layer = GPSA(20, 5, grid=3, locality_strength=2.0)
    assert torch.equal(layer.value.weight, torch.eye(20))
    assert torch.equal(layer.gating.detach(), torch.ones(5)) and torch.equal(layer.v_pos.bias.detach(), torch.zeros(5))
    centres = head_centres(5)
    want = 2.0 * torch.cat([2 * centres, -torch.ones(4, 1)], dim=1)
    assert torch.equal(layer.v_pos.weight.detach()[:4], want)
    assert layer.v_pos.weight[4].abs().max() < 0.1  # the fifth head keeps a small random row
    assert layer.qk.bias is None and layer.value.bias is None and layer.out.bias is not None
    plain = GPSA(20, 5, grid=3, local_init=False)
    assert not torch.equal(plain.value.weight, torch.eye(20)) and plain.v_pos.weight.abs().max() < 0.1


@pytest.mark.parametrize("lam", [40.0, -40.0])
def test_gate_limits_give_one_softmax_exactly(lam):
    torch.manual_seed(2)
    layer = GPSA(24, 4, grid=4, locality_strength=3.0)
    with torch.no_grad():
        layer.gating.fill_(lam)
        layer.v_pos.weight.add_(0.3 * torch.randn(4, 3))  # away from the init, so that both parts are generic
    x = torch.randn(3, 16, 24)
    maps = layer.attention(x)
    positional, content = _positional_reference(layer), _content_reference(layer, x)
    torch.testing.assert_close(maps.positional, positional, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(maps.content, content, rtol=1e-5, atol=1e-6)
    want = positional.expand_as(content) if lam > 0 else content
    torch.testing.assert_close(maps.attention, want, rtol=1e-6, atol=1e-7)
    assert not torch.allclose(positional.expand_as(content), content, atol=1e-2)  # the two limits differ


def test_attention_mixes_by_the_gate_and_rows_sum_to_one():
    torch.manual_seed(3)
    layer = GPSA(18, 9, grid=3)
    with torch.no_grad():
        layer.gating.copy_(torch.linspace(-2, 2, 9))
    x = torch.randn(2, 9, 18)
    maps = layer.attention(x)
    g = torch.sigmoid(torch.linspace(-2, 2, 9)).view(1, 9, 1, 1)
    torch.testing.assert_close(maps.gate, g.flatten())
    torch.testing.assert_close(maps.attention, (1 - g) * maps.content + g * maps.positional)
    for a in (maps.content, maps.positional, maps.attention):
        torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[:-1]))


def test_output_is_concat_of_heads_times_w_out():
    torch.manual_seed(4)
    layer = GPSA(12, 4, grid=3, local_init=False)
    x = torch.randn(2, 9, 12)
    y, attn = layer(x, return_attention=True)
    v = (x @ layer.value.weight.T).view(2, 9, 4, 3)
    heads = torch.einsum("bhij,bjhe->bihe", attn, v).reshape(2, 9, 12)
    torch.testing.assert_close(y, heads @ layer.out.weight.T + layer.out.bias)
    torch.testing.assert_close(layer(x), y)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="dim=10 is not divisible by n_heads=4"):
        GPSA(10, 4, grid=3)
    with pytest.raises(ValueError, match="locality_strength=0 is invalid; valid: > 0"):
        GPSA(8, 4, grid=3, locality_strength=0)
    with pytest.raises(ValueError, match=r"valid: \(B, 9, 8\) \(3 x 3 patch tokens, no class token\)"):
        GPSA(8, 4, grid=3)(torch.randn(1, 10, 8))
