"""ConViT and DeiT image classifiers of any size, built from a :class:`~paper_code.vision.sizes.ViTConfig`.

Both follow the official ConViT code (``facebookresearch/convit``, ``convit.py``), itself DeiT's vision transformer:
a ``P x P`` convolution of stride ``P`` cuts the image into ``L`` patch tokens (row-major), a learned absolute
position embedding is added, pre-norm blocks ``x + attn(LN(x))``, ``x + MLP(LN(x))`` (MLP ratio 4, GELU,
LayerNorm eps 1e-6) follow, then a final LayerNorm and a linear head on the class token. They differ in two places
(official ``VisionTransformer.forward_features``):

* ConViT: the first ``local_layers`` blocks (10 of 12) use gated positional self-attention
  (:class:`~paper_code.vision.gpsa.GPSA`) on the patch tokens alone; the class token is concatenated after the
  last of them, with no position embedding; the position embedding covers the ``L`` patches; no qkv bias anywhere.
* DeiT: every block is plain multi-head self-attention with a qkv bias; the class token is there from the start and
  the position embedding covers ``L + 1`` tokens.

The plain blocks reuse :class:`paper_code.common.attention.MultiHeadSelfAttention` (``softmax(Q K^T / sqrt(D_h))``
per head). Weights: every ``Linear`` truncated normal of std 0.02 with zero bias, the position embedding and the class
token the same, the patch convolution PyTorch's default (the official code leaves it so), then the GPSA layers'
convolutional init. No dropout or stochastic depth (left to the training code).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from paper_code.common.attention import MultiHeadSelfAttention
from paper_code.vision.gpsa import GPSA, trunc_normal_init
from paper_code.vision.sizes import ViTConfig, convit_presets, deit_presets

__all__ = ["LN_EPS", "PatchEmbed", "plain_attention", "Block", "VisionTransformer", "convit", "deit"]

LN_EPS = 1e-6


class PatchEmbed(nn.Module):
    """``(B, C, S, S)`` images -> ``(B, L, D)`` patch tokens, row-major, by a ``P x P`` convolution of stride ``P``."""

    def __init__(self, img_size: int, patch_size: int, in_chans: int, dim: int):
        super().__init__()
        self.img_size, self.patch_size, self.in_chans = img_size, patch_size, in_chans
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: Tensor) -> Tensor:
        c, s = self.in_chans, self.img_size
        if images.dim() != 4 or tuple(images.shape[1:]) != (c, s, s):
            raise ValueError(f"images of shape {tuple(images.shape)}; valid: (B, {c}, {s}, {s})")
        return self.proj(images).flatten(2).transpose(1, 2)


def plain_attention(dim: int, n_heads: int, qkv_bias: bool) -> MultiHeadSelfAttention:
    """The shared multi-head self-attention with a biased output map and, if ``qkv_bias``, biased query/key/value
    maps (DeiT); ConViT's plain blocks have none (official ``MHSA``)."""
    attn = MultiHeadSelfAttention(dim, n_heads, bias=True)
    if not qkv_bias:
        attn.qkv = nn.Linear(dim, 3 * dim, bias=False)
    return attn


class Block(nn.Module):
    """Pre-norm block around any attention ``attn`` taking ``(x, return_attention=...)``: ``x + attn(LN(x))`` then
    ``x + MLP(LN(x))``."""

    def __init__(self, attn: nn.Module, dim: int, mlp_ratio: int = 4):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=LN_EPS), nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = attn
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """``x`` (B, N, D) -> (B, N, D), and the attention (B, H, N, N) when ``return_attention``."""
        if return_attention:
            y, attn = self.attn(self.norm1(x), return_attention=True)
        else:
            y, attn = self.attn(self.norm1(x)), None
        x = x + y
        x = x + self.mlp(self.norm2(x))
        return (x, attn) if return_attention else x


class VisionTransformer(nn.Module):
    """A ConViT or a DeiT (module doc), as ``cfg.arch`` says; ``forward(images)`` returns ``(B, classes)`` logits."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        if not isinstance(cfg, ViTConfig):
            raise TypeError(f"cfg must be a ViTConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        d = cfg.embed_dim
        self.patch_embed = PatchEmbed(cfg.img_size, cfg.patch_size, cfg.in_chans, d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, cfg.n_patches + (cfg.arch == "deit"), d))
        self.blocks = nn.ModuleList(
            Block(GPSA(d, cfg.n_heads, cfg.grid_size, cfg.locality_strength, cfg.local_init)
                  if i < cfg.local_layers else plain_attention(d, cfg.n_heads, cfg.qkv_bias), d, cfg.mlp_ratio)
            for i in range(cfg.depth))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.head = nn.Linear(d, cfg.num_classes)
        self.reset_parameters()

    @property
    def class_token_block(self) -> int:
        """Index of the first block that sees the class token: ``local_layers`` for ConViT, 0 for DeiT."""
        return self.cfg.local_layers if self.cfg.arch == "convit" else 0

    def gpsa_layers(self) -> list[GPSA]:
        """The GPSA attentions, first block first (the first ``local_layers`` blocks)."""
        return [b.attn for b in self.blocks if isinstance(b.attn, GPSA)]

    def reset_parameters(self) -> None:
        """The initialisation of the module doc."""
        self.apply(trunc_normal_init)
        nn.init.trunc_normal_(self.pos_embed, std=0.02, a=-2.0, b=2.0)
        nn.init.trunc_normal_(self.cls_token, std=0.02, a=-2.0, b=2.0)
        for layer in self.gpsa_layers():
            layer.reset_parameters()

    def _with_class_token(self, x: Tensor) -> Tensor:
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)

    def run(self, images: Tensor, return_attention: bool = False) -> tuple[Tensor, list[Tensor]]:
        """``(features (B, D), attention)``: the class token after the final norm, and, when ``return_attention``,
        every block's attention, ``(B, H, N, N)`` with ``N = L`` for the blocks before the class token enters
        (the GPSA blocks; gated maps) and ``N = L + 1`` after it (class token first); else an empty list."""
        x = self.patch_embed(images)
        if self.cfg.arch == "deit":
            x = self._with_class_token(x)
        x = x + self.pos_embed
        maps: list[Tensor] = []
        for i, block in enumerate(self.blocks):
            if i == self.class_token_block and self.cfg.arch == "convit":  # after the last GPSA block
                x = self._with_class_token(x)
            if return_attention:
                x, attn = block(x, return_attention=True)
                maps.append(attn)
            else:
                x = block(x)
        return self.norm(x)[:, 0], maps

    def forward(self, images: Tensor) -> Tensor:
        """``images`` (B, C, S, S) -> logits (B, classes)."""
        return self.head(self.run(images)[0])

    def attention_maps(self, images: Tensor) -> list[Tensor]:
        """Every block's attention on ``images`` (see :meth:`run`)."""
        return self.run(images, return_attention=True)[1]


def _build(table: dict[str, ViTConfig], what: str, size: str, changes: dict) -> VisionTransformer:
    if size not in table:
        raise ValueError(f"size={size!r} is not a {what} preset; valid: {', '.join(table)}")
    return VisionTransformer(table[size].replace(changes))


def convit(size: str = "ti", **changes) -> VisionTransformer:
    """A ConViT of a preset size (:func:`~paper_code.vision.sizes.convit_presets`), fields of ``changes`` replaced
    (e.g. ``num_classes=10``, ``locality_strength=1000``)."""
    return _build(convit_presets(), "ConViT", size, changes)


def deit(size: str = "ti", **changes) -> VisionTransformer:
    """A DeiT of a preset size (:func:`~paper_code.vision.sizes.deit_presets`), fields of ``changes`` replaced."""
    return _build(deit_presets(), "DeiT", size, changes)
