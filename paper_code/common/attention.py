"""Self-attention blocks shared by the papers that build their own transformers (arithmetic, vision).

* :class:`MultiHeadSelfAttention`: scaled dot-product attention (Vaswani et al. 2017, eq. 1) over ``n_heads``
  heads, with an optional *relative* term (:class:`RelativePositions`) added to the logits before the softmax, a
  key-padding mask, and the attention weights on request (for figures and tests).
* :class:`RelativePositions`: the learned, clipped relative position embeddings of Shaw et al. (2018, eqs. 3-5),
  on the keys (``r^K``) and optionally on the queries (``r^Q``) as well. With ``δ = clip(j − i) = max(−k, min(k,
  j − i))`` and per-head tables of ``2k + 1`` vectors, the logit of query ``i`` on key ``j`` is

      keys:              (q_i · k_j + q_i · r^K_δ) / √d_h
      keys and queries:  (q_i + r^Q_δ) · (k_j + r^K_δ) / √d_h

  so positions enter only through the offset ``j − i``: on a constant input the logits form a Toeplitz matrix.
  The second form is Shaw's key term extended symmetrically to the queries (the "RPE_{k,q}" variant of Jelassi
  et al. 2023, arXiv 2306.15400); each head has its own tables (Shaw et al. share one across heads).
* :class:`TransformerBlock`: pre-LayerNorm block, ``x + attn(LN(x))`` then ``x + MLP(LN(x))`` (GELU MLP).
* :func:`sinusoidal_positions`: the fixed encodings of Vaswani et al. (2017, §3.5), for any length.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["relative_offsets", "RelativePositions", "MultiHeadSelfAttention", "TransformerBlock",
           "sinusoidal_positions"]


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} is invalid; valid: an integer >= 1")
    return value


def relative_offsets(length: int, clip: int, device: torch.device | None = None) -> Tensor:
    """``(length, length)`` LongTensor of ``clip(j − i) + clip`` (row i = query, column j = key), in ``[0, 2k]``."""
    pos = torch.arange(length, device=device)
    return (pos[None, :] - pos[:, None]).clamp(-clip, clip) + clip


class RelativePositions(nn.Module):
    """Learned clipped relative position embeddings (module doc): ``forward(q, k)`` returns the position part of
    the logits, ``(B, H, S, S)``, before the ``1/√d_h`` scaling.

    Args:
        n_heads, head_dim: the attention's shape.
        clip: ``k``, the largest offset told apart (offsets beyond it share the table's end vectors).
        queries: add ``r^Q`` to the queries as well as ``r^K`` to the keys.
    """

    def __init__(self, n_heads: int, head_dim: int, clip: int, queries: bool = False, init_std: float = 0.02):
        super().__init__()
        self.n_heads, self.head_dim = _check_positive("n_heads", n_heads), _check_positive("head_dim", head_dim)
        self.clip, self.queries = _check_positive("clip", clip), bool(queries)
        self.keys = nn.Parameter(torch.randn(n_heads, 2 * clip + 1, head_dim) * init_std)
        self.query_table = nn.Parameter(torch.randn(n_heads, 2 * clip + 1, head_dim) * init_std) if queries else None

    def forward(self, q: Tensor, k: Tensor) -> Tensor:
        b, h, s, _ = q.shape
        rel = relative_offsets(s, self.clip, q.device)                          # (S, S)
        logits = torch.einsum("bhsd,hrd->bhsr", q, self.keys).gather(-1, rel.expand(b, h, s, s))
        if self.query_table is not None:
            # r^Q_{δ(i,j)} · k_j, indexed by key j then offset: gather along the transposed offsets
            kq = torch.einsum("bhsd,hrd->bhsr", k, self.query_table).gather(-1, rel.T.expand(b, h, s, s))
            rr = (self.query_table * self.keys).sum(-1)                          # (H, 2k+1): r^Q_δ · r^K_δ
            logits = logits + kq.transpose(-1, -2) + rr[:, rel]
        return logits

    def extra_repr(self) -> str:
        return f"heads={self.n_heads}, head_dim={self.head_dim}, clip={self.clip}, queries={self.queries}"


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention over ``(B, S, d)`` inputs with an optional relative position term (module doc)."""

    def __init__(self, d_model: int, n_heads: int, relative: RelativePositions | None = None, bias: bool = True):
        super().__init__()
        _check_positive("d_model", d_model)
        _check_positive("n_heads", n_heads)
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}; valid: n_heads dividing "
                             "d_model")
        self.n_heads, self.head_dim = n_heads, d_model // n_heads
        if relative is not None and (relative.n_heads, relative.head_dim) != (n_heads, self.head_dim):
            raise ValueError(f"relative positions of shape ({relative.n_heads}, {relative.head_dim}) for an "
                             f"attention of ({n_heads}, {self.head_dim}) (heads, head_dim); valid: the same")
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)
        self.relative = relative

    def logits(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits (B, H, S, S), values (B, H, S, d_h))`` before masking and softmax."""
        q, k, v = self._split(x)
        logits = q @ k.transpose(-1, -2)
        if self.relative is not None:
            logits = logits + self.relative(q, k)
        return logits / math.sqrt(self.head_dim), v

    def _split(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        return q, k, v

    def forward(self, x: Tensor, padding_mask: Tensor | None = None, return_attention: bool = False
                ) -> Tensor | tuple[Tensor, Tensor]:
        """``x`` (B, S, d); ``padding_mask`` (B, S) True at keys to ignore. Returns (B, S, d), and the attention
        weights (B, H, S, S) when ``return_attention``."""
        b, s, d = x.shape
        if self.relative is None and not return_attention:  # fused kernel
            q, k, v = self._split(x)
            mask = None if padding_mask is None else ~padding_mask[:, None, None, :]
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            return self.out(y.transpose(1, 2).reshape(b, s, d))
        logits, v = self.logits(x)
        if padding_mask is not None:
            logits = logits.masked_fill(padding_mask[:, None, None, :], float("-inf"))
        attn = logits.softmax(-1)
        y = self.out((attn @ v).transpose(1, 2).reshape(b, s, d))
        return (y, attn) if return_attention else y


class TransformerBlock(nn.Module):
    """Pre-LayerNorm transformer block (module doc); ``ffn_mult`` sets the MLP's hidden width."""

    def __init__(self, d_model: int, n_heads: int, ffn_mult: int = 4, relative: RelativePositions | None = None):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(d_model, n_heads, relative)
        self.mlp = nn.Sequential(nn.Linear(d_model, ffn_mult * d_model), nn.GELU(),
                                 nn.Linear(ffn_mult * d_model, d_model))

    def forward(self, x: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), padding_mask)
        return x + self.mlp(self.ln2(x))


def sinusoidal_positions(length: int, d_model: int, device: torch.device | None = None) -> Tensor:
    """``(length, d_model)`` fixed encodings: ``sin(p / 10000^(2i/d))`` in even columns, ``cos`` in odd ones."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, device=device, dtype=torch.float32) / d_model)
    out = torch.zeros(length, d_model, device=device)
    out[:, 0::2] = torch.sin(pos * freq)
    out[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return out
