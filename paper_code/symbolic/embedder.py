"""Vocabularies and the linear point embedder (``docs/symbolic_core.md`` §4).

* :class:`Vocabulary` — token ↔ id table with ``<PAD>`` = 0 and ``<EOS>`` = 1 (EOS marks begin and end).
* :func:`input_vocabulary` / :func:`output_vocabulary` — float tokens (+ pad); expression tokens
  (operators, variables, named constants, ``C``, integer tokens, ``|`` and float tokens).
* :func:`tokenize_points` — rows ``(x_1..x_D, y)`` (or ``(t, x_1..x_D)``) → ``3·width`` float-token ids
  per row, right-padded to ``3·max_width`` with the pad id; batches of different sizes get a point mask.
* :class:`PointEmbedder` — embed each token, concatenate the ``3·max_width`` embeddings, map with
  Linear → SiLU → Linear to the model width. One encoder position per point; no positional encoding.
* :func:`tokenize_sequences` / :class:`TokenSequenceEmbedder` — inputs that are token sequences (the terms of a
  recurrent sequence): one encoder position per token, token + learned position embedding.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from paper_code.symbolic.encoding import SEPARATOR
from paper_code.symbolic.expressions import NAMED_CONSTANTS, OPERATORS, PLACEHOLDER
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["PAD", "EOS", "Vocabulary", "input_vocabulary", "output_vocabulary", "tokenize_points",
           "PointEmbedder", "tokenize_sequences", "TokenSequenceEmbedder"]

PAD, EOS = "<PAD>", "<EOS>"


class Vocabulary:
    """Token ↔ id mapping; ids 0 and 1 are ``<PAD>`` and ``<EOS>``."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = [PAD, EOS]
        for t in tokens:
            if t not in self.itos:
                self.itos.append(t)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.pad_id, self.eos_id = 0, 1

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens``; ``KeyError`` names an out-of-vocabulary token."""
        try:
            return [self.stoi[t] for t in tokens]
        except KeyError as err:
            raise KeyError(f"token {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``, stopping at the first ``<EOS>`` and skipping ``<PAD>``."""
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i != self.pad_id:
                out.append(self.itos[i])
        return out


def input_vocabulary(floats: FloatTokenizer) -> Vocabulary:
    """Float tokens only (inputs of the point embedder)."""
    return Vocabulary(floats.vocabulary)


def output_vocabulary(floats: FloatTokenizer, max_dim: int = 10, max_int_base: int = 10) -> Vocabulary:
    """Decoder vocabulary: specials, ``|``, operators, ``x_0..x_{max_dim-1}``, named constants, ``C``,
    ``INT+``/``INT-`` and digits, float tokens."""
    toks = [SEPARATOR, *OPERATORS, *(f"x_{j}" for j in range(max_dim)), *NAMED_CONSTANTS, PLACEHOLDER,
            "INT+", "INT-", *(str(d) for d in range(max_int_base)), *floats.vocabulary]
    return Vocabulary(toks)


def tokenize_points(batch: Sequence[np.ndarray], floats: FloatTokenizer, vocab: Vocabulary,
                    max_width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids ``(B, N_max, 3·max_width)`` and a bool mask ``(B, N_max)`` (True = padded point).

    Each element of ``batch`` is an ``(N_i, w_i)`` array of rows with ``w_i <= max_width``.
    """
    n_max = max(len(a) for a in batch)
    ids = np.full((len(batch), n_max, 3 * max_width), vocab.pad_id, dtype=np.int64)
    mask = np.ones((len(batch), n_max), dtype=bool)
    lookup = np.vectorize(vocab.stoi.__getitem__, otypes=[np.int64])
    for b, arr in enumerate(batch):
        arr = np.asarray(arr, dtype=float)
        if arr.ndim != 2 or arr.shape[1] > max_width:
            raise ValueError(f"batch[{b}] must be (N, w<= {max_width}), got shape {arr.shape}")
        tok = floats.encode(arr).reshape(len(arr), -1)  # (N, 3w)
        ids[b, : len(arr), : tok.shape[1]] = lookup(tok)
        mask[b, : len(arr)] = False
    return torch.from_numpy(ids), torch.from_numpy(mask)


class PointEmbedder(nn.Module):
    """Per-point embedding: token embeddings concatenated, then Linear → SiLU → Linear (§4).

    A row holds ``max_width`` values of ``tokens_per_value`` tokens each: 3 for the core's float tokens
    (sign, mantissa, exponent), 1 for a bit (Boolformer) or any single-token value.
    """

    def __init__(self, vocab_size: int, max_width: int, d_model: int, token_dim: int = 64,
                 hidden: int | None = None, pad_id: int = 0, tokens_per_value: int = 3) -> None:
        super().__init__()
        self.row_tokens = tokens_per_value * max_width
        width = self.row_tokens * token_dim
        self.tokens = nn.Embedding(vocab_size, token_dim, padding_idx=pad_id)
        self.mlp = nn.Sequential(nn.Linear(width, hidden or width), nn.SiLU(), nn.Linear(hidden or width, d_model))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, N, tokens_per_value·max_width)`` ids → ``(B, N, d_model)``."""
        if ids.shape[-1] != self.row_tokens:
            raise ValueError(f"rows of {ids.shape[-1]} tokens; this embedder reads {self.row_tokens} per row")
        e = self.tokens(ids)  # (B, N, 3w, token_dim)
        return self.mlp(e.flatten(-2))


def tokenize_sequences(batch: Sequence[Sequence[str]], vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids ``(B, S_max)`` of token sequences, right-padded with the pad id, and a bool mask ``(B, S_max)``
    (True = padding): the input of :class:`TokenSequenceEmbedder`. ``KeyError`` names an unknown token."""
    if not batch or any(len(seq) == 0 for seq in batch):
        raise ValueError("every input sequence needs at least one token")
    s_max = max(len(seq) for seq in batch)
    ids = torch.full((len(batch), s_max), vocab.pad_id, dtype=torch.long)
    for b, seq in enumerate(batch):
        ids[b, : len(seq)] = torch.tensor(vocab.encode(list(seq)), dtype=torch.long)
    return ids, ids == vocab.pad_id


class TokenSequenceEmbedder(nn.Module):
    """Per-token embedding of a token sequence: token + learned position embeddings, LayerNorm, dropout, padded
    positions zeroed (the XLM encoder input of the official recurrent-sequence code, ``facebookresearch/recur``
    ``src/model/transformer.py``; embeddings initialised N(0, d^-1/2) as there)."""

    def __init__(self, vocab_size: int, d_model: int, max_len: int, pad_id: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        self.max_len, self.pad_id = max_len, pad_id
        self.tokens = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.positions = nn.Embedding(max_len, d_model)
        self.norm = nn.LayerNorm(d_model, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        with torch.no_grad():
            for emb in (self.tokens, self.positions):
                nn.init.normal_(emb.weight, std=d_model**-0.5)
            self.tokens.weight[pad_id].zero_()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, S)`` ids → ``(B, S, d_model)``; positions ``0..S-1``, ``<PAD>`` positions are zero vectors."""
        if ids.dim() != 2:
            raise ValueError(f"token ids must be (B, S), got shape {tuple(ids.shape)}")
        S = ids.shape[1]
        if S > self.max_len:
            raise ValueError(f"input of {S} tokens exceeds max_src_len={self.max_len}")
        h = self.tokens(ids) + self.positions(torch.arange(S, device=ids.device))
        h = self.dropout(self.norm(h))
        return h.masked_fill((ids == self.pad_id)[..., None], 0.0)
