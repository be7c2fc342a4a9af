"""Model sizes: the paper's parameter counts (Table 1) on modules built on the meta device, the closed form against
the modules, and the clear errors of impossible shapes."""
from __future__ import annotations

import pytest
import torch

from paper_code.common.config import ConfigError
from paper_code.vision.models import VisionTransformer, convit, deit
from paper_code.vision.sizes import (
    TABLE1_MILLIONS,
    ViTConfig,
    convit_presets,
    deit_presets,
    head_param_count,
    param_count,
)


def _count(cfg: ViTConfig) -> int:
    """Parameters of the module itself, built without memory on the meta device."""
    with torch.device("meta"):
        model = VisionTransformer(cfg)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("size", ["ti", "ti+", "s", "s+", "b", "b+"])
def test_convit_counts_follow_the_closed_form_and_table_1(size):
    cfg = convit_presets()[size]
    d, h = cfg.embed_dim, cfg.n_heads
    n = _count(cfg)
    assert n == 144 * d * d + 2088 * d + 50 * h + 1000
    assert n == param_count(cfg)
    # Table 1's millions are the counts without the 1000-class head, rounded (module doc of sizes.py)
    assert round((n - head_param_count(cfg)) / 1e6) == TABLE1_MILLIONS["convit"][size]


@pytest.mark.parametrize("size", ["ti", "s", "b"])
def test_deit_counts_round_to_table_1(size):
    cfg = deit_presets()[size]
    n = _count(cfg)
    assert n == param_count(cfg)
    assert round((n - head_param_count(cfg)) / 1e6) == TABLE1_MILLIONS["deit"][size]


def test_with_the_head_the_larger_sizes_round_one_million_above_table_1():
    """The observation the sizes module states: Ti, Ti+, DeiT-Ti and DeiT-S round to Table 1 with their head too;
    ConViT-S, S+, B, B+ and DeiT-B round one million higher."""
    with_head = {(arch, size): round(_count(table[size]) / 1e6)
                 for arch, table in (("convit", convit_presets()), ("deit", deit_presets()))
                 for size in TABLE1_MILLIONS[arch]}
    above = {key for key, m in with_head.items() if m != TABLE1_MILLIONS[key[0]][key[1]]}
    assert above == {("convit", "s"), ("convit", "s+"), ("convit", "b"), ("convit", "b+"), ("deit", "b")}
    assert all(with_head[key] == TABLE1_MILLIONS[key[0]][key[1]] + 1 for key in above)


@pytest.mark.parametrize("cfg", [
    *convit_presets().values(), *deit_presets().values(),
    ViTConfig(img_size=12, patch_size=3, in_chans=2, num_classes=5, embed_dim=24, n_heads=6, depth=3, local_layers=2,
              mlp_ratio=2),
    ViTConfig(img_size=8, patch_size=2, embed_dim=16, n_heads=4, depth=2, local_layers=0),
], ids=lambda c: f"{c.arch}-{c.embed_dim}-{c.n_heads}-{c.img_size}")
def test_closed_form_matches_the_modules(cfg):
    assert _count(cfg) == param_count(cfg)


def test_presets_have_the_papers_shapes():
    conv, dei = convit_presets(), deit_presets()
    assert {k: (c.n_heads, c.embed_dim) for k, c in conv.items() if k in TABLE1_MILLIONS["convit"]} == {
        "ti": (4, 192), "ti+": (4, 256), "s": (9, 432), "s+": (9, 576), "b": (16, 768), "b+": (16, 1024)}
    assert {k: (c.n_heads, c.embed_dim) for k, c in dei.items() if k in TABLE1_MILLIONS["deit"]} == {
        "ti": (3, 192), "s": (6, 384), "b": (12, 768)}
    for c in [*conv.values(), *dei.values()]:
        if c.img_size == 224:
            assert (c.patch_size, c.depth, c.num_classes, c.local_layers) == (16, 12, 1000, 10 * (c.arch == "convit"))
    assert (conv["nano_mnist"].grid_size, conv["nano_digits"].grid_size) == (7, 4)
    assert not dei["nano_mnist"].local_layers and conv["nano_mnist"].local_layers == 3


@pytest.mark.parametrize("changes, fragment", [
    (dict(embed_dim=100, n_heads=3), "ViTConfig.n_heads: 3 does not divide embed_dim=100; valid: a divisor of 100 "
                                     "(1, 2, 4, 5, 10, 20, 25, 50, 100)"),
    (dict(img_size=30, patch_size=4), "ViTConfig.img_size: 30 is not a multiple of patch_size=4; valid: a multiple "
                                      "of 4 (nearest: 28, 32)"),
    (dict(img_size=2, patch_size=4), "ViTConfig.img_size: 2 is not a multiple of patch_size=4; valid: a multiple of 4 "
                                     "(nearest: 4)"),
    (dict(depth=4, local_layers=4), "ViTConfig.local_layers: 4 GPSA blocks of depth=4; valid: 0 to 3"),
    (dict(arch="deit", local_layers=2), "ViTConfig.local_layers: 2 GPSA blocks for a deit; valid: 0"),
    (dict(arch="vit"), "ViTConfig.arch: 'vit' is not a valid choice; valid: 'convit', 'deit'"),
    (dict(locality_strength=0.0), "ViTConfig.locality_strength: 0.0 is out of range; valid: > 0"),
    (dict(n_heads=0), "ViTConfig.n_heads: 0 is out of range; valid: >= 1"),
])
def test_impossible_shapes_name_the_field_and_what_is_valid(changes, fragment):
    with pytest.raises(ValueError) as info:
        ViTConfig(**changes)
    assert isinstance(info.value, ConfigError) and fragment in str(info.value), str(info.value)


def test_builders_reject_unknown_sizes_and_fields():
    with pytest.raises(ValueError, match="size='xl' is not a ConViT preset; valid: ti, ti\\+, s, s\\+, b, b\\+, nano"):
        convit("xl")
    with pytest.raises(ValueError, match="size='ti\\+' is not a DeiT preset; valid: ti, s, b, nano_mnist"):
        deit("ti+")
    with pytest.raises(ConfigError, match="unknown key 'heads' \\(did you mean 'n_heads'\\?\\)"):
        convit("nano_digits", heads=3)
    with pytest.raises(TypeError, match="cfg must be a ViTConfig"):
        VisionTransformer({"embed_dim": 48})
