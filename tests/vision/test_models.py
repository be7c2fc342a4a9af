"""ConViT and DeiT: where the class token enters, attention rows, shapes and gradients of the nano models."""
from __future__ import annotations

import pytest
import torch

from paper_code.vision.gpsa import GPSA
from paper_code.vision.models import LN_EPS, VisionTransformer, convit, deit


def _block_inputs(model: VisionTransformer, images: torch.Tensor) -> list[int]:
    """Tokens entering each block (forward pre-hooks)."""
    seen: list[int] = []
    hooks = [b.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape[1])) for b in model.blocks]
    model(images)
    for hk in hooks:
        hk.remove()
    return seen


def test_class_token_enters_after_the_last_gpsa_block():
    torch.manual_seed(0)
    model = convit("nano_mnist")  # 7 x 7 patches, 3 GPSA blocks of 4
    images = torch.randn(2, 1, 28, 28)
    assert _block_inputs(model, images) == [49, 49, 49, 50]
    assert [type(b.attn) is GPSA for b in model.blocks] == [True, True, True, False]
    assert model.pos_embed.shape == (1, 49, 48)
    # the class token changes the logits but not what the GPSA blocks compute
    outs = []
    hook = model.blocks[2].register_forward_hook(lambda _m, _a, out: outs.append(out))
    before = model(images)
    with torch.no_grad():
        model.cls_token.add_(1.0)
    after = model(images)
    hook.remove()
    torch.testing.assert_close(outs[0], outs[1])
    assert not torch.allclose(before, after)


def test_deit_has_the_class_token_from_the_start():
    model = deit("nano_mnist")
    assert _block_inputs(model, torch.randn(1, 1, 28, 28)) == [50, 50, 50, 50]
    assert model.pos_embed.shape == (1, 50, 48) and not model.gpsa_layers()
    assert all(b.attn.qkv.bias is not None for b in model.blocks)


def test_convit_has_no_qkv_bias_and_the_papers_norms():
    model = convit("nano_digits")
    for block in model.blocks:
        qkv = block.attn.qk if isinstance(block.attn, GPSA) else block.attn.qkv
        assert qkv.bias is None and block.attn.out.bias is not None
        assert block.norm1.eps == block.norm2.eps == LN_EPS == 1e-6
    assert [m.in_features * 4 == m.out_features for m in (b.mlp[0] for b in model.blocks)] == [True] * 4


@pytest.mark.parametrize("build, size", [(convit, "nano_mnist"), (convit, "nano_digits"), (deit, "nano_digits")])
def test_every_attention_row_sums_to_one(build, size):
    torch.manual_seed(1)
    model = build(size)
    cfg = model.cfg
    maps = model.attention_maps(torch.randn(3, 1, cfg.img_size, cfg.img_size))
    assert len(maps) == cfg.depth
    for i, a in enumerate(maps):
        n = cfg.n_patches + (i >= model.class_token_block)
        assert a.shape == (3, cfg.n_heads, n, n)
        torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[:-1]))


def test_attention_maps_do_not_change_the_output():
    torch.manual_seed(2)
    model = convit("nano_digits")
    images = torch.randn(4, 1, 8, 8)
    features, maps = model.run(images, return_attention=True)
    torch.testing.assert_close(model.head(features), model(images))  # fused and explicit attention agree
    assert maps and model.run(images)[1] == []


def test_every_parameter_gets_a_gradient():
    torch.manual_seed(3)
    model = convit("nano_digits")
    loss = torch.nn.functional.cross_entropy(model(torch.randn(4, 1, 8, 8)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing


def test_locality_strength_reaches_every_gpsa_layer_and_images_are_checked():
    model = convit("nano_mnist", locality_strength=5.0)
    for layer in model.gpsa_layers():
        assert torch.equal(layer.v_pos.weight[:, 2], torch.full((4,), -5.0))
        assert torch.equal(layer.value.weight, torch.eye(48))
    with pytest.raises(ValueError, match=r"valid: \(B, 1, 28, 28\)"):
        model(torch.randn(2, 3, 28, 28))
