"""What the paper measures on the attention of a trained model: nonlocality per layer and the GPSA gates.

Nonlocality (d'Ascoli et al., arXiv 2103.10697, §4, Fig. 5): for layer ``l`` and head ``h``,

    D_loc^{l,h} = (1/L) sum_{i,j} A^{h,l}_ij ||delta_ij||

with ``delta_ij`` the offset between the grid positions of patch ``i`` and patch ``j`` in patch units (Euclidean
norm), averaged over heads and images for a layer; GPSA layers contribute their gated attention. Where the class
token is present (the plain blocks of a ConViT, every DeiT block), the sum runs over patch queries and patch keys
only, with the weights as they are: what a patch puts on the class token counts for no distance (not
renormalised). The official code's ``get_attention_map`` computes the same sum for GPSA layers.

Gating: ``sigmoid(lambda_h)``, the weight of the positional part in each GPSA layer and head.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from paper_code.vision.gpsa import relative_encodings
from paper_code.vision.models import VisionTransformer

__all__ = ["patch_distances", "attention_nonlocality", "nonlocality", "gating"]


def patch_distances(side: int, device: torch.device | None = None) -> Tensor:
    """``(L, L)``: Euclidean distance ``||delta_ij||`` between the grid positions of patches ``i`` and ``j``."""
    return relative_encodings(side, device)[..., 2].sqrt()


def attention_nonlocality(attn: Tensor) -> Tensor:
    """``(..., H)`` nonlocality of each head of ``attn`` (..., H, N, N), ``N = L`` patch tokens on a square grid or
    ``L + 1`` with the class token first (module doc)."""
    n = attn.shape[-1]
    if attn.dim() < 3 or attn.shape[-2] != n:
        raise ValueError(f"attention of shape {tuple(attn.shape)}; valid: (..., H, N, N)")
    side = math.isqrt(n)
    if side * side != n:
        side = math.isqrt(n - 1)
        if side * side != n - 1:
            raise ValueError(f"{n} tokens are neither a square grid nor one plus a square grid; valid: L or L + 1 "
                             "tokens with L a square")
        attn = attn[..., 1:, 1:]
    dist = patch_distances(side, attn.device).to(attn.dtype)
    return (attn * dist).sum((-1, -2)) / side ** 2


@torch.no_grad()
def nonlocality(model: VisionTransformer, images: Tensor, per_head: bool = False) -> Tensor:
    """Nonlocality of every block of ``model`` on ``images`` (B, C, S, S): ``(depth,)`` averaged over heads and
    images, or ``(depth, H)`` averaged over images when ``per_head``."""
    heads = torch.stack([attention_nonlocality(a).mean(0) for a in model.attention_maps(images)])
    return heads if per_head else heads.mean(-1)


@torch.no_grad()
def gating(model: VisionTransformer) -> Tensor:
    """``(local_layers, H)``: ``sigmoid(lambda_h)`` of every GPSA layer (rows) and head (columns); ``(0, H)`` for a
    model without GPSA."""
    layers = model.gpsa_layers()
    if not layers:
        return torch.zeros(0, model.cfg.n_heads)
    return torch.stack([torch.sigmoid(layer.gating) for layer in layers]).detach()
