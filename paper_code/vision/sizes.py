"""Shapes of the vision transformers: :class:`ViTConfig`, the paper's sizes and CPU sizes, the exact parameter count.

ConViT (d'Ascoli et al., arXiv 2103.10697) and its baseline DeiT share everything but the attention of the first
blocks and where the class token enters (:mod:`paper_code.vision.models`). The paper's sizes (Table 1; 224 px
images, 16 px patches, 12 blocks, 1000 classes; ConViT's have 48 channels per head, 64 for the "+" ones, as the
official code's ``models.py`` builds them, DeiT's 64):

==========  ===  ====  ======
model       N_h  D     params
==========  ===  ====  ======
ConViT-Ti   4    192   6M
ConViT-Ti+  4    256   10M
ConViT-S    9    432   27M
ConViT-S+   9    576   48M
ConViT-B    16   768   86M
ConViT-B+   16   1024  152M
DeiT-Ti     3    192   6M
DeiT-S      6    384   22M
DeiT-B      12   768   86M
==========  ===  ====  ======

The ``nano`` sizes are ours, for 2 CPU cores: ``nano_mnist`` reads 28 x 28 grey images in 4 px patches (a 7 x 7
grid), ``nano_digits`` 8 x 8 ones in 2 px patches (a 4 x 4 grid, 9 heads: a full 3 x 3 kernel of head centres);
the repository holds both (``paper_code.data.mnist_subset``, ``paper_code.data.sklearn_data.load_digits_images``).

Table 1's millions agree with :func:`param_count` *without* the 1000-class head (``1000 D + 1000``), rounded: with
the head, ConViT-S, S+, B and B+ have 27.8M, 49.0M, 86.5M and 153.1M parameters (``tests/vision/test_sizes.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

from paper_code.common.config import Validated, param

__all__ = ["ARCHS", "ViTConfig", "convit_presets", "deit_presets", "param_count", "head_param_count",
           "TABLE1_MILLIONS"]

#: ``convit``: GPSA in the first ``local_layers`` blocks, the class token after them, no qkv bias (official code);
#: ``deit``: plain multi-head self-attention everywhere with a qkv bias, the class token from the start.
ARCHS = ("convit", "deit")

#: Parameters in millions, paper Table 1 (ImageNet models).
TABLE1_MILLIONS: dict[str, dict[str, int]] = {
    "convit": {"ti": 6, "ti+": 10, "s": 27, "s+": 48, "b": 86, "b+": 152},
    "deit": {"ti": 6, "s": 22, "b": 86},
}


def _divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0]


@dataclass(frozen=True)
class ViTConfig(Validated):
    """Shape of a ConViT or DeiT (:class:`paper_code.vision.models.VisionTransformer`); the default is ConViT-Ti."""

    arch: str = param("convit", "convit (GPSA blocks first, class token after them) or deit (plain attention)",
                      choices=ARCHS)
    img_size: int = param(224, "side of the square input images, in pixels [224]", ge=1)
    patch_size: int = param(16, "side P of the square patches (P x P convolution of stride P) [16]", ge=1)
    in_chans: int = param(3, "image channels [3]", ge=1)
    num_classes: int = param(1000, "classes of the linear head [1000]", ge=1)
    embed_dim: int = param(192, "width D [Table 1]", ge=1)
    n_heads: int = param(4, "attention heads N_h [Table 1]", ge=1)
    depth: int = param(12, "blocks [12]", ge=1)
    local_layers: int = param(10, "leading GPSA blocks (convit), fewer than depth [10]; 0 for deit", ge=0)
    mlp_ratio: int = param(4, "MLP hidden width / D [4]", ge=1)
    locality_strength: float = param(1.0, "alpha of the GPSA convolutional init [1]", gt=0)
    local_init: bool = param(True, "convolutional init of the GPSA layers (False: v_pos, W_val random like the "
                             "other weights)")

    def validate(self) -> None:
        d, h = self.embed_dim, self.n_heads
        if d % h:
            shown = ", ".join(map(str, _divisors(d)[:12]))
            self.fail("n_heads", f"{h} does not divide embed_dim={d}; valid: a divisor of {d} ({shown}"
                      f"{', ...' if len(_divisors(d)) > 12 else ''})")
        p = self.patch_size
        if self.img_size % p:
            near = [m for m in (self.img_size // p * p, (self.img_size // p + 1) * p) if m > 0]
            self.fail("img_size", f"{self.img_size} is not a multiple of patch_size={p}; valid: a multiple of {p} "
                      f"(nearest: {', '.join(map(str, near))})")
        if self.arch == "deit" and self.local_layers:
            self.fail("local_layers", f"{self.local_layers} GPSA blocks for a deit; valid: 0 (deit has none)")
        if self.local_layers >= self.depth:
            self.fail("local_layers", f"{self.local_layers} GPSA blocks of depth={self.depth}; valid: 0 to "
                      f"{self.depth - 1} (the class token enters after the last GPSA block and needs a plain block "
                      "to read the patches)")

    @property
    def grid_size(self) -> int:
        """Patches per side (the GPSA grid is square)."""
        return self.img_size // self.patch_size

    @property
    def n_patches(self) -> int:
        """``L``: patch tokens."""
        return self.grid_size ** 2

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.n_heads

    @property
    def qkv_bias(self) -> bool:
        """DeiT's query/key/value maps have a bias; ConViT's have none, in any block (official code)."""
        return self.arch == "deit"


_IMAGENET = dict(img_size=224, patch_size=16, in_chans=3, num_classes=1000, depth=12)
_CONVIT = {"ti": (4, 192), "ti+": (4, 256), "s": (9, 432), "s+": (9, 576), "b": (16, 768), "b+": (16, 1024)}
_DEIT = {"ti": (3, 192), "s": (6, 384), "b": (12, 768)}
_NANO = {
    "nano_mnist": dict(img_size=28, patch_size=4, in_chans=1, num_classes=10, embed_dim=48, n_heads=4, depth=4),
    "nano_digits": dict(img_size=8, patch_size=2, in_chans=1, num_classes=10, embed_dim=54, n_heads=9, depth=4),
}


def convit_presets() -> dict[str, ViTConfig]:
    """ConViT sizes: Table 1's ``ti``, ``ti+``, ``s``, ``s+``, ``b``, ``b+`` (10 GPSA blocks of 12) and our
    ``nano_mnist``, ``nano_digits`` (3 GPSA blocks of 4)."""
    out = {name: ViTConfig(arch="convit", n_heads=h, embed_dim=d, local_layers=10, **_IMAGENET)
           for name, (h, d) in _CONVIT.items()}
    out.update({name: ViTConfig(arch="convit", local_layers=3, **shape) for name, shape in _NANO.items()})
    return out


def deit_presets() -> dict[str, ViTConfig]:
    """DeiT sizes: Table 1's ``ti``, ``s``, ``b`` and the DeiT twins of the nano ConViTs (same shapes, no GPSA)."""
    out = {name: ViTConfig(arch="deit", n_heads=h, embed_dim=d, local_layers=0, **_IMAGENET)
           for name, (h, d) in _DEIT.items()}
    out.update({name: ViTConfig(arch="deit", local_layers=0, **shape) for name, shape in _NANO.items()})
    return out


def head_param_count(cfg: ViTConfig) -> int:
    """Parameters of the linear classifier, ``(D + 1) x classes``."""
    return (cfg.embed_dim + 1) * cfg.num_classes


def param_count(cfg: ViTConfig) -> int:
    """Trainable parameters of the model ``cfg`` builds, in closed form (independent of the module code).

    Patch embedding ``C P^2 D + D``; position embedding ``L D`` (ConViT: patches only) or ``(L + 1) D`` (DeiT);
    class token ``D``; a GPSA block ``(4 + 2r) D^2 + (6 + r) D + 5 N_h`` (``W_qry, W_key``: 2D^2, ``W_val``: D^2,
    ``W_out``: D^2 + D, ``v_pos``: 4 N_h, gates N_h, MLP of ratio r, two LayerNorms); a plain block the same with
    ``3 D`` of qkv bias (DeiT) and no positional part; final LayerNorm ``2 D``; head ``(D + 1) x classes``. With
    the paper's shapes this is ``144 D^2 + 2088 D + 50 N_h + 1000`` for ConViT.
    """
    d, h, r = cfg.embed_dim, cfg.n_heads, cfg.mlp_ratio
    mlp = 2 * r * d * d + r * d + d
    block = mlp + 4 * d + 4 * d * d + d  # norms, W_out, and the query/key/value weights
    gpsa = block + 5 * h
    plain = block + (3 * d if cfg.qkv_bias else 0)
    tokens = cfg.n_patches + (1 if cfg.arch == "deit" else 0)
    embed = cfg.in_chans * cfg.patch_size ** 2 * d + d + tokens * d + d
    return (embed + cfg.local_layers * gpsa + (cfg.depth - cfg.local_layers) * plain + 2 * d
            + head_param_count(cfg))
