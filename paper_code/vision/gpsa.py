"""Gated positional self-attention (GPSA), ConViT's attention layer (d'Ascoli et al., arXiv 2103.10697).

On a square grid of ``L = side^2`` patch tokens (row-major, no class token), head ``h`` mixes content and position:

    A^h_ij = (1 - sigmoid(lambda_h)) softmax_j(Q^h_i K^h_j^T / sqrt(D_h)) + sigmoid(lambda_h) softmax_j(v_pos^h . r_ij)

(Eqs. 7-8), rows renormalised (a no-op up to rounding, as in the official code), and the output is
``concat_h[A^h X W_val^h] W_out + b_out``; the query, key and value maps have no bias. ``r_ij`` is the fixed
relative encoding of the offset ``delta = (key - query)`` grid position in patch units, ordered
``(dx, dy, dx^2 + dy^2)`` with ``dx`` the column offset and ``dy`` the row offset (official ``get_rel_indices``);
``v_pos`` is a ``Linear(3, N_h)``.

Convolutional init (the paper's Eq. 5 and the official ``GPSA.local_init``): ``lambda_h = 1``, ``W_val = I``, and
head ``h`` of the first ``k^2`` (``k = floor(sqrt(N_h))``) gets the weight row ``alpha (2 Delta^h_x, 2 Delta^h_y,
-1)`` and bias 0, so that ``v_pos^h . r_delta = -alpha ||delta - Delta^h||^2 + alpha ||Delta^h||^2``: a softmax
peaked at the offset ``Delta^h`` (after Cordonnier et al. 2020), sharper as the locality strength ``alpha`` grows.
The centres tile a ``k x k`` kernel (:func:`head_centres`). Heads beyond ``k^2`` keep small random ``v_pos`` rows
(the official code also multiplies those by ``alpha``; the two agree at the paper's ``alpha = 1``).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

__all__ = ["relative_encodings", "head_centres", "GPSAMaps", "GPSA", "trunc_normal_init"]


def relative_encodings(side: int, device: torch.device | None = None) -> Tensor:
    """``(L, L, 3)`` float tensor, ``L = side^2``: ``r_ij = (dx, dy, dx^2 + dy^2)`` for query ``i``, key ``j``
    (row-major tokens), ``dx`` = column of ``j`` minus column of ``i``, ``dy`` = the same for rows."""
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"side={side!r} is invalid; valid: an integer >= 1")
    pos = torch.arange(side * side, device=device)
    row, col = pos // side, pos % side
    dx = (col[None, :] - col[:, None]).float()
    dy = (row[None, :] - row[:, None]).float()
    return torch.stack([dx, dy, dx ** 2 + dy ** 2], dim=-1)


def head_centres(n_heads: int) -> Tensor:
    """``(k^2, 2)`` float tensor of the offsets ``Delta^h = (Delta_x, Delta_y)`` (column, row) of the first ``k^2``
    heads, ``k = floor(sqrt(N_h))``: head ``p`` has row index ``p mod k`` and column index ``floor(p / k)``, each
    mapped to ``index - (k - 1) / 2`` (official ``local_init``). 4 heads: ``{-0.5, 0.5}^2``; 9: ``{-1, 0, 1}^2``."""
    if isinstance(n_heads, bool) or not isinstance(n_heads, int) or n_heads < 1:
        raise ValueError(f"n_heads={n_heads!r} is invalid; valid: an integer >= 1")
    k = math.isqrt(n_heads)
    p = torch.arange(k * k)
    centre = (k - 1) / 2
    return torch.stack([(p // k).float() - centre, (p % k).float() - centre], dim=-1)


def trunc_normal_init(module: nn.Module, std: float = 0.02) -> None:
    """The official init of every ``Linear`` (truncated normal of std 0.02 at +-2, bias 0) and ``LayerNorm``
    (weight 1, bias 0); other modules keep PyTorch's defaults. For ``module.apply``."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=std, a=-2.0, b=2.0)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class GPSAMaps(NamedTuple):
    """The parts of a GPSA layer's attention on one input (``B`` images, ``H`` heads, ``L`` tokens)."""

    content: Tensor     #: (B, H, L, L) softmax_j(Q_i K_j^T / sqrt(D_h))
    positional: Tensor  #: (H, L, L) softmax_j(v_pos^h . r_ij), the same for every image
    gate: Tensor        #: (H,) sigmoid(lambda_h), the weight of the positional part
    attention: Tensor   #: (B, H, L, L) the gated mixture, rows renormalised


class GPSA(nn.Module):
    """Gated positional self-attention over ``(B, L, D)`` patch tokens on a ``grid x grid`` grid (module doc).

    Args:
        dim: ``D``; ``n_heads``: ``N_h`` (dividing ``D``); ``grid``: patches per side (``L = grid^2``).
        locality_strength: ``alpha`` of the convolutional init.
        local_init: apply the convolutional init (else every weight is random like any ``Linear``).
    """

    def __init__(self, dim: int, n_heads: int, grid: int, locality_strength: float = 1.0, local_init: bool = True):
        super().__init__()
        for name, value in (("dim", dim), ("n_heads", n_heads), ("grid", grid)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} is invalid; valid: an integer >= 1")
        if dim % n_heads:
            raise ValueError(f"dim={dim} is not divisible by n_heads={n_heads}; valid: n_heads dividing dim")
        if not locality_strength > 0:
            raise ValueError(f"locality_strength={locality_strength!r} is invalid; valid: > 0")
        self.dim, self.n_heads, self.grid = dim, n_heads, grid
        self.head_dim = dim // n_heads
        self.locality_strength, self.use_local_init = float(locality_strength), bool(local_init)
        self.qk = nn.Linear(dim, 2 * dim, bias=False)     # W_qry, W_key
        self.value = nn.Linear(dim, dim, bias=False)      # W_val
        self.out = nn.Linear(dim, dim)                    # W_out, b_out
        self.v_pos = nn.Linear(3, n_heads)                # v_pos^h (rows) and a per-head bias
        self.gating = nn.Parameter(torch.ones(n_heads))   # lambda_h
        self.register_buffer("rel", relative_encodings(grid), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every ``Linear`` truncated normal (std 0.02, biases 0), ``lambda_h = 1``, then the convolutional init."""
        self.apply(trunc_normal_init)
        nn.init.ones_(self.gating)
        if self.use_local_init:
            self.local_init()

    @torch.no_grad()
    def local_init(self, locality_strength: float | None = None) -> None:
        """The convolutional init (module doc): ``W_val = I``, ``v_pos`` rows ``alpha (2 Delta_x, 2 Delta_y, -1)``
        with bias 0 for the first ``k^2`` heads, ``lambda_h = 1``. ``locality_strength`` overrides ``alpha``."""
        alpha = self.locality_strength if locality_strength is None else float(locality_strength)
        if not alpha > 0:
            raise ValueError(f"locality_strength={alpha!r} is invalid; valid: > 0")
        self.value.weight.copy_(torch.eye(self.dim))
        centres = head_centres(self.n_heads).to(self.v_pos.weight)
        rows = torch.cat([2 * centres, centres.new_full((len(centres), 1), -1.0)], dim=-1)
        self.v_pos.weight[: len(centres)] = alpha * rows
        self.v_pos.bias.zero_()
        self.gating.fill_(1.0)

    def _check(self, x: Tensor) -> None:
        if x.dim() != 3 or x.shape[1] != self.grid ** 2 or x.shape[2] != self.dim:
            raise ValueError(f"GPSA input of shape {tuple(x.shape)}; valid: (B, {self.grid ** 2}, {self.dim}) "
                             f"({self.grid} x {self.grid} patch tokens, no class token)")

    def positional(self) -> Tensor:
        """``(H, L, L)``: softmax_j(v_pos^h . r_ij + bias_h)."""
        return self.v_pos(self.rel).permute(2, 0, 1).softmax(-1)

    def attention(self, x: Tensor) -> GPSAMaps:
        """The attention on ``x`` (B, L, D) and its parts (:class:`GPSAMaps`)."""
        self._check(x)
        b, n, _ = x.shape
        q, k = self.qk(x).view(b, n, 2, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        content = (q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)).softmax(-1)
        positional = self.positional()
        gate = torch.sigmoid(self.gating)
        g = gate.view(1, -1, 1, 1)
        mixed = (1 - g) * content + g * positional
        return GPSAMaps(content, positional, gate, mixed / mixed.sum(-1, keepdim=True))

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """``x`` (B, L, D) -> (B, L, D), and the gated attention (B, H, L, L) when ``return_attention``."""
        attn = self.attention(x).attention
        b, n, d = x.shape
        v = self.value(x).view(b, n, self.n_heads, self.head_dim).transpose(1, 2)
        y = self.out((attn @ v).transpose(1, 2).reshape(b, n, d))
        return (y, attn) if return_attention else y

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, heads={self.n_heads}, grid={self.grid}, locality_strength={self.locality_strength}"
                f", local_init={self.use_local_init}")
