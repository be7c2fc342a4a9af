"""T-CNN: the PSA layer built from a convolution computes it (every kernel size, stride, bias, border), a converted
ResNet gives the same logits, the positional attention peaks at each head's offset, the content weight starts at zero
but learns, the analysis helpers at conversion, and the ValueErrors."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper_code.vision.tcnn import (
    PositionalConvAttention,
    ResNet,
    content_share,
    convert,
    grid_offsets,
    kernel_offsets,
    psa_inputs,
    psa_layers,
    psa_nonlocality,
)

# Off-peak attention weights are O(exp(-alpha)): about 4 e^-30 ~ 4e-13 of the output at alpha = 30, so float64
# outputs agree with the convolution to ~1e-12 on O(1) values; 1e-10 leaves a margin.
F64_ATOL = 1e-10


def _conv(k: int, stride: int, bias: bool, c_in: int = 3, c_out: int = 5, dtype=torch.float64) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=(k - 1) // 2, bias=bias).to(dtype)


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_from_conv_computes_the_conv_everywhere(k, stride, bias):
    """Full output tensors (borders included) on odd, even and non-square inputs, C_in != C_out, with and without
    the gradient path (the general content computation and the shared positional map)."""
    torch.manual_seed(k + 10 * stride + 100 * bias)
    conv = _conv(k, stride, bias)
    layer = PositionalConvAttention.from_conv(conv)
    assert sum(p.numel() for p in layer.proj.parameters()) == sum(p.numel() for p in conv.parameters())
    for size in [(7, 7), (8, 8), (6, 5)]:
        x = torch.randn(2, 3, *size, dtype=torch.float64)
        want = conv(x)
        got = layer(x)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=0, atol=F64_ATOL)
        with torch.no_grad():
            torch.testing.assert_close(layer(x), want, rtol=0, atol=F64_ATOL)


def test_float32_at_alpha_30_matches_the_conv():
    """A last-stage-like layer in float32: the softmax's leakage (~4e-13) is far below float32 rounding, so the error
    is that of summing K^2 C_in = 576 products in another order, ~sqrt(576) * 6e-8 ~ 1.5e-6 of the output scale;
    1e-5 relative to the largest output is a margin of ~10 on that and 10 below the 1e-4 asked for."""
    torch.manual_seed(0)
    conv = _conv(3, 1, True, c_in=64, c_out=64, dtype=torch.float32)
    layer = PositionalConvAttention.from_conv(conv, alpha=30.0)
    x = torch.randn(8, 64, 7, 7)
    want, got = conv(x), layer(x)
    assert (got - want).abs().max() < 1e-5 * want.abs().max()


def _randomise_bn(model: nn.Module) -> None:
    """Non-trivial affine parameters and running statistics for every BN."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)


@pytest.mark.parametrize("stages", [(-1,), (1, 2)])
def test_converted_resnet_gives_the_same_logits(stages):
    torch.manual_seed(1)
    model = ResNet().double().eval()
    _randomise_bn(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    converted = convert(model, stages).eval()
    x = torch.randn(3, 1, 28, 28, dtype=torch.float64)
    torch.testing.assert_close(converted(x), model(x), rtol=0, atol=F64_ATOL)
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert not psa_layers(model)
    layers = psa_layers(converted)
    assert len(layers) == 4 * len(stages)  # 2 blocks x (conv1, conv2) per stage
    assert [layer.stride for layer in layers[:: 4]] == [(2, 2)] * len(stages)  # each stage's strided first conv
    for i, stage in enumerate(converted.stages):
        for block in stage:
            want = PositionalConvAttention if i % 3 in {s % 3 for s in stages} else nn.Conv2d
            assert isinstance(block.conv1, want) and isinstance(block.conv2, want)
            assert not isinstance(block.shortcut, PositionalConvAttention)
    assert [tuple(f.shape[-2:]) for f in psa_inputs(converted, x)][-1] == (7, 7)


def test_resnet_shapes():
    model = ResNet(widths=(4, 8, 8), blocks_per_stage=1)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert isinstance(model.stages[-1], nn.Sequential) and len(model.stages) == 3
    assert isinstance(model.stages[1][0].shortcut, nn.Sequential)  # 1 x 1 stride-2 conv + BN
    assert isinstance(model.stages[0][0].shortcut, nn.Identity)
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))


def test_offsets_follow_their_definitions():
    assert kernel_offsets(3).tolist() == [[u - 1, v - 1] for u in range(3) for v in range(3)]
    d = grid_offsets(5, 4, kernel_size=3, stride=2)  # queries (0, 0), (0, 2), (2, 0), ... ; padded grid 7 x 6
    assert d.shape == (3 * 2, 7 * 6, 2)
    q, key = 3, 2 * 6 + 5  # query (2, 2) -> padded (3, 3); key (2, 5)
    assert d[q, key].tolist() == [2 - 3, 5 - 3]


@pytest.mark.parametrize("k, stride, size", [(3, 1, (6, 5)), (3, 2, (7, 8)), (5, 2, (6, 6))])
def test_positional_attention_peaks_at_each_offset(k, stride, size):
    """argmax over keys = query + Delta_h for every head and query, i.e. the padded input row s p + u, column
    s q + v, the pixel the conv weights by W[:, :, u, v]."""
    torch.manual_seed(2)
    layer = PositionalConvAttention.from_conv(_conv(k, stride, False))
    h, w = size
    attn = layer.attention(torch.randn(1, 3, h, w, dtype=torch.float64))[0]
    wp = w + k - 1
    out_h, out_w = -(-h // stride), -(-w // stride)
    assert attn.shape == (k * k, out_h * out_w, (h + k - 1) * wp)
    for head in range(k * k):
        u, v = divmod(head, k)
        want = torch.tensor([(stride * p + u) * wp + stride * q + v for p in range(out_h) for q in range(out_w)])
        assert torch.equal(attn[head].argmax(-1), want)
    assert attn.max(-1).values.min() > 1 - 1e-11


def test_content_term_starts_at_zero_and_learns():
    torch.manual_seed(3)
    layer = PositionalConvAttention.from_conv(_conv(3, 1, True))
    assert not layer.gate.any() and not layer.content_weight().any()
    for w in (layer.qry.weight, layer.key.weight):
        assert 0.005 < w.std() < 0.03  # std 0.02
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    attn = layer.attention(x)  # gradient enabled: the general path, the content softmax computed and weighted 0
    assert attn.dim() == 4
    torch.testing.assert_close(attn, layer.positional(6, 6).expand_as(attn), rtol=0, atol=0)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    loss = (layer(x) - torch.randn(2, 5, 6, 6, dtype=torch.float64)).pow(2).mean()
    loss.backward()
    assert layer.gate.grad.abs().min() > 0  # every head's gate is driven by (C - P), non-zero at conversion
    assert not layer.qry.weight.grad.any()  # weighted by g = 0 until the gate opens
    opt.step()
    with torch.no_grad():
        layer.gate.fill_(0.3)  # an open gate: now the query and key maps learn
    layer.zero_grad()
    (layer(x) - torch.randn(2, 5, 6, 6, dtype=torch.float64)).pow(2).mean().backward()
    assert layer.qry.weight.grad.abs().max() > 0 and layer.key.weight.grad.abs().max() > 0


def test_gate_is_clamped_to_a_convex_mixture():
    torch.manual_seed(6)
    layer = PositionalConvAttention.from_conv(_conv(3, 1, True), alpha=2.0)
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        layer.gate.copy_(torch.linspace(-1, 2, 9, dtype=torch.float64))
        attn = layer.attention(x)
    assert torch.equal(layer.content_weight(), layer.gate.clamp(0, 1))
    torch.testing.assert_close(attn.sum(-1), torch.ones(attn.shape[:-1], dtype=torch.float64))
    assert (attn >= 0).all()
    torch.testing.assert_close(attn[:, 0], layer.positional(5, 5)[0].expand_as(attn[:, 0]))  # gate -1: position


def test_general_and_shared_attention_agree_once_content_is_on():
    torch.manual_seed(4)
    layer = PositionalConvAttention.from_conv(_conv(3, 2, True), alpha=2.0, qk_dim=4)
    with torch.no_grad():
        layer.qry.weight.normal_()
        layer.key.weight.normal_()
        layer.gate.fill_(0.5)
    x = torch.randn(2, 3, 5, 6, dtype=torch.float64)
    attn = layer.attention(x)
    torch.testing.assert_close(attn.sum(-1), torch.ones(attn.shape[:-1], dtype=torch.float64))
    assert not torch.allclose(attn[0], attn[1])  # content makes the maps image dependent
    assert content_share(layer, x).min() > 0.01
    with torch.no_grad():
        torch.testing.assert_close(layer.attention(x), attn)
        # the output is proj(concat_h A^h X) with the keys on the zero-padded grid
        xp = nn.functional.pad(x, (1, 1, 1, 1)).flatten(2).transpose(1, 2)
        z = torch.cat([attn[:, h] @ xp for h in range(9)], dim=-1)
        torch.testing.assert_close(layer(x), layer.proj(z).transpose(1, 2).reshape(2, 5, 3, 3))


def test_nonlocality_and_content_share_at_conversion():
    torch.manual_seed(5)
    layer = PositionalConvAttention.from_conv(_conv(3, 1, False, dtype=torch.float32), alpha=30.0)
    x = torch.randn(2, 3, 7, 6)
    per_head = psa_nonlocality(layer, x)
    want = layer.offsets.float().norm(dim=-1)  # each head attends at distance ||Delta_h||
    torch.testing.assert_close(per_head, want, rtol=0, atol=1e-6)
    assert per_head.mean().item() == pytest.approx((4 + 4 * math.sqrt(2)) / 9, abs=1e-6)  # 1.073
    assert torch.equal(content_share(layer, x), torch.zeros(9))


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_size=2, padding=1), "kernel_size"),
    (dict(kernel_size=(3, 5), padding=(1, 2)), "kernel_size"),
    (dict(kernel_size=3, padding=0), r"padding=\(0, 0\).*valid: \(1, 1\)"),
    (dict(kernel_size=3, padding=1, dilation=2), "dilation"),
    (dict(kernel_size=3, padding=1, groups=2), "groups"),
    (dict(kernel_size=3, padding=1, padding_mode="reflect"), "padding_mode"),
])
def test_unsupported_convolutions_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PositionalConvAttention.from_conv(nn.Conv2d(4, 6, **kwargs))


@pytest.mark.parametrize("kwargs, match", [
    (dict(alpha=0.0), "alpha"), (dict(alpha=-1.0), "alpha"), (dict(alpha=float("inf")), "alpha"),
    (dict(qk_dim=0), "qk_dim"),
])
def test_bad_hyperparameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PositionalConvAttention.from_conv(nn.Conv2d(4, 6, 3, padding=1), **kwargs)


def test_other_bad_inputs_are_refused():
    layer = PositionalConvAttention.from_conv(nn.Conv2d(4, 6, 3, padding=1))
    with pytest.raises(ValueError, match=r"valid: \(B, 4, H, W\)"):
        layer(torch.randn(2, 3, 5, 5))
    with pytest.raises(ValueError, match="valid: an nn.Conv2d"):
        PositionalConvAttention.from_conv(nn.Linear(3, 3))
    model = ResNet(widths=(4, 8), blocks_per_stage=1)
    with pytest.raises(ValueError, match="stages"):
        convert(model, stages=(2,))
    with pytest.raises(ValueError, match="widths"):
        ResNet(widths=())
    with pytest.raises(ValueError, match=r"valid: \(B, 1, H, W\)"):
        model(torch.randn(2, 3, 28, 28))
