"""The encoder-only arithmetic transformer with swappable position encodings, its loss and its predictions.

Jelassi et al. (arXiv 2306.15400) train encoder-only (bidirectional) transformers and compare position encodings;
the exact sizes are ours (see :mod:`paper_code.arithmetic.config`). The input is ``a op b = _…_`` (one slot per
answer digit, :func:`~paper_code.arithmetic.data.tensorize`); one linear head reads every slot, so an answer is
predicted in one forward pass, one argmax per slot, and the loss is the cross-entropy over the slots.

Position encodings (:data:`POSITIONS`), everything else shared:

* ``none``: no position information (attention is permutation-equivariant; only the token contents differ);
* ``absolute``: a learned table added to the token embeddings, sized ``max_positions`` (the longest evaluated
  input), so positions never seen in training exist but are untrained;
* ``sinusoidal``: the fixed encodings of Vaswani et al. (2017, §3.5), defined at any length;
* ``relative_k`` / ``relative_kq``: Shaw et al.'s (2018) clipped relative embeddings on the keys, or on keys and
  queries, in every layer (:class:`~paper_code.common.attention.RelativePositions`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_code.arithmetic.data import IGNORE, VOCAB
from paper_code.common.attention import RelativePositions, TransformerBlock, sinusoidal_positions
from paper_code.common.config import Validated, param

__all__ = ["POSITIONS", "RELATIVE", "ModelConfig", "ArithmeticTransformer", "slot_loss", "predict_slots"]

POSITIONS = ("none", "absolute", "sinusoidal", "relative_k", "relative_kq")
RELATIVE = ("relative_k", "relative_kq")


@dataclass(frozen=True)
class ModelConfig(Validated):
    """Shape of an :class:`ArithmeticTransformer`."""

    position: str = param("relative_k", "position encoding", choices=POSITIONS)
    d_model: int = param(64, "width", ge=8)
    n_heads: int = param(4, "attention heads", ge=1)
    n_layers: int = param(2, "transformer blocks", ge=1)
    ffn_mult: int = param(4, "MLP hidden width / d_model", ge=1)
    clip: int = param(48, "relative: largest offset told apart (k)", ge=1)
    max_positions: int = param(256, "absolute: rows of the learned table (longest input)", ge=1)
    vocab_size: int = param(len(VOCAB), "input and output tokens", ge=2)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"{self.n_heads} does not divide d_model={self.d_model}")


class ArithmeticTransformer(nn.Module):
    """Token embedding, position encoding (:data:`POSITIONS`), pre-LN blocks, final LayerNorm, linear head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d, h = cfg.d_model, cfg.n_heads
        self.embed = nn.Embedding(cfg.vocab_size, d)
        # token and learned position embeddings on the same scale (N(0, 1), nn.Embedding's default), so that neither
        # drowns the other after the first LayerNorm
        self.absolute = nn.Parameter(torch.randn(cfg.max_positions, d)) if cfg.position == "absolute" else None
        self.blocks = nn.ModuleList(
            TransformerBlock(d, h, cfg.ffn_mult, RelativePositions(h, d // h, cfg.clip, cfg.position == "relative_kq")
                             if cfg.position in RELATIVE else None)
            for _ in range(cfg.n_layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab_size)

    def embed_positions(self, ids: Tensor) -> Tensor:
        """Token embeddings plus the absolute or sinusoidal encodings, ``(B, S, d)``."""
        x = self.embed(ids)
        s = ids.shape[1]
        if self.absolute is not None:
            if s > self.cfg.max_positions:
                raise ValueError(f"input of {s} tokens for an absolute position table of {self.cfg.max_positions} "
                                 f"rows; valid: at most max_positions={self.cfg.max_positions} tokens")
            x = x + self.absolute[:s]
        elif self.cfg.position == "sinusoidal":
            x = x + sinusoidal_positions(s, self.cfg.d_model, ids.device)
        return x

    def forward(self, ids: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        """``ids`` (B, S) -> logits (B, S, vocab); ``padding_mask`` (B, S) True at ``<PAD>`` inputs (default:
        ``ids == <PAD>``)."""
        if padding_mask is None:
            padding_mask = ids == VOCAB.pad_id
            if not padding_mask.any():
                padding_mask = None
        x = self.embed_positions(ids)
        for block in self.blocks:
            x = block(x, padding_mask)
        return self.head(self.norm(x))

    def attention_logits(self, ids: Tensor, layer: int = 0) -> Tensor:
        """Pre-softmax logits ``(B, H, S, S)`` of block ``layer`` on ``ids`` (no padding)."""
        x = self.embed_positions(ids)
        for block in self.blocks[:layer]:
            x = block(x)
        block = self.blocks[layer]
        return block.attn.logits(block.ln1(x))[0]


def slot_loss(model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
    """Mean cross-entropy over the answer slots of ``(inputs, targets)`` (:func:`~paper_code.arithmetic.data.
    tensorize`)."""
    ids, targets = batch
    logits = model(ids)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


@torch.no_grad()
def predict_slots(model: nn.Module, ids: Tensor, targets: Tensor, batch_size: int = 1024) -> Tensor:
    """``(N,)`` bool: every slot's argmax equals its target (exact match, the padded answer's leading zeros and a
    compact answer's trailing ``<PAD>`` included)."""
    model.eval()
    out = []
    for start in range(0, ids.shape[0], batch_size):
        x, t = ids[start: start + batch_size], targets[start: start + batch_size]
        pred = model(x).argmax(-1)
        slots = t != IGNORE
        out.append(((pred == t) | ~slots).all(-1))
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.bool)
