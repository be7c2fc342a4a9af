"""Small encoder–decoder transformer with greedy, beam and sampling decoding (the architecture of E2E symbolic
regression, Kamienny, d'Ascoli et al. NeurIPS 2022, and ODEFormer, d'Ascoli et al. ICLR 2024, at CPU scale).

Encoder: bidirectional ``nn.TransformerEncoder`` over the embedded input, either one position per observation
(``Seq2SeqConfig.encoder_input = "points"``, the default: :class:`~paper_code.symbolic.embedder.PointEmbedder`,
no positional encoding, sets of points) or one position per input token (``"tokens"``:
:class:`~paper_code.symbolic.embedder.TokenSequenceEmbedder`, learned positions, e.g. the terms of a sequence
written with :class:`~paper_code.symbolic.numbers.IntegerTokenizer`); padded positions are masked.
Decoder: token embedding shared with the output projection, learned positions, causal self-attention +
cross-attention (``nn.TransformerDecoder``), post-LN, FFN 4×. ``<EOS>`` is the begin and end marker;
loss = cross-entropy on targets shifted by one, padding ignored.

Decoding (:mod:`paper_code.symbolic.decoding` runs the search) is incremental: :class:`CachedDecoder`
keeps each decoder layer's self-attention keys/values of the tokens seen so far and the cross-attention
keys/values of the memory, so a step costs one position, and only that position is projected onto the
vocabulary. :class:`PrefixDecoder` is the reference it must agree with: the training forward
(:meth:`Seq2SeqTransformer.decode_logits`) re-run over the whole prefix at every step.
"""
from __future__ import annotations

import dataclasses
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from paper_code.common.config import Validated, param
from paper_code.symbolic import decoding
from paper_code.symbolic.embedder import PointEmbedder, TokenSequenceEmbedder

__all__ = ["Seq2SeqConfig", "Seq2SeqTransformer", "CachedDecoder", "PrefixDecoder", "sequence_loss"]


@dataclasses.dataclass(frozen=True)
class Seq2SeqConfig(Validated):
    """Model sizes (defaults: a CPU-scale width 64, 2 + 2 layers); validated on construction."""

    d_model: int = param(64, "model width; a multiple of n_heads", ge=1)
    n_heads: int = param(4, "attention heads", ge=1)
    enc_layers: int = param(2, "encoder layers", ge=1)
    dec_layers: int = param(2, "decoder layers", ge=1)
    token_dim: int = param(32, "per-token embedding width of the point embedder", ge=1)
    max_width: int = param(3, "max numbers per input row (D + 1)", ge=1)
    tokens_per_value: int = param(3, "input tokens per number of a row: 3 for float tokens, 1 for bits", ge=1)
    max_len: int = param(64, "max output tokens incl. both <EOS>", ge=2)
    dropout: float = param(0.0, "dropout probability", ge=0, lt=1)
    encoder_input: Literal["points", "tokens"] = param(
        "points", "'points': one encoder position per row of numbers (token_dim, max_width, tokens_per_value "
        "apply); 'tokens': one position per input token with learned positions (max_src_len applies)")
    max_src_len: int = param(256, "max input tokens with encoder_input='tokens' (size of the position table)", ge=1)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("d_model", f"must be a multiple of n_heads={self.n_heads} (each head gets d_model / n_heads)")


def sequence_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]) -> torch.Tensor:
    """Token-mean cross-entropy of ``seq[:, 1:]`` given ``seq[:, :-1]`` for a batch ``(ids, mask, seq)`` (padding,
    id 0, ignored; only the positions that have a target are projected onto the vocabulary, which matters for a
    large output vocabulary such as the 10,000 base digits of the numeric recurrence model): the training loss of every
    symbolic paper (a ``loss_fn`` of the shared Trainer). ``model`` may
    be the DDP wrapper, so the forward goes through ``model(...)``; under DDP each rank averages over its own
    tokens, so the global loss is a mean of per-rank token means (≈ the global token mean)."""
    ids, mask, seq = batch
    target = seq[:, 1:]
    keep = target != 0
    logits = model(ids, mask, seq[:, :-1], keep)  # (K, V): only the K positions with a target are projected
    return F.cross_entropy(logits, target[keep])


class Seq2SeqTransformer(nn.Module):
    """Points (rows of number-token ids, ``(B, N, tokens_per_value·max_width)``) or token sequences (``(B, S)``,
    ``encoder_input="tokens"``) → expression tokens. The ``point_ids``/``point_mask`` arguments below take either
    form; with token sequences a ``None`` mask means "mask the ``<PAD>`` tokens"."""

    def __init__(self, cfg: Seq2SeqConfig, in_vocab: int, out_vocab: int, pad_id: int = 0, eos_id: int = 1) -> None:
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise ValueError(f"d_model={cfg.d_model} must be divisible by n_heads={cfg.n_heads}")
        self.cfg, self.pad_id, self.eos_id = cfg, pad_id, eos_id
        self.embedder: PointEmbedder | TokenSequenceEmbedder
        if cfg.encoder_input == "points":  # parameters and state_dict keys as before the token option
            self.embedder = PointEmbedder(in_vocab, cfg.max_width, cfg.d_model, cfg.token_dim, pad_id=pad_id,
                                          tokens_per_value=cfg.tokens_per_value)
        else:
            self.embedder = TokenSequenceEmbedder(in_vocab, cfg.d_model, cfg.max_src_len, pad_id=pad_id,
                                                  dropout=cfg.dropout)
        enc = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_heads, 4 * cfg.d_model, cfg.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(enc, cfg.enc_layers, enable_nested_tensor=False)
        dec = nn.TransformerDecoderLayer(cfg.d_model, cfg.n_heads, 4 * cfg.d_model, cfg.dropout, batch_first=True)
        self.decoder = nn.TransformerDecoder(dec, cfg.dec_layers)
        self.tok = nn.Embedding(out_vocab, cfg.d_model)
        self.pos = nn.Embedding(cfg.max_len, cfg.d_model)
        self.out_bias = nn.Parameter(torch.zeros(out_vocab))
        # The token embedding doubles as the output projection: nn.Embedding's N(0, 1) init gives
        # logits of std ~ sqrt(d_model) (initial loss ~65 instead of ln V ~7 at d = 128). XLM, the
        # base of the official code, initialises embeddings with std d_model^-0.5.
        with torch.no_grad():
            nn.init.normal_(self.tok.weight, std=cfg.d_model**-0.5)
            self.tok.weight[pad_id].zero_()

    # ------------------------------------------------------------------ core
    def source_mask(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None) -> torch.Tensor | None:
        """The encoder's padding mask (True = padded position): ``point_mask`` as given, except that token
        sequences without one get ``point_ids == pad_id``."""
        if point_mask is None and self.cfg.encoder_input == "tokens":
            return point_ids == self.pad_id
        return point_mask

    def encode(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, N, tokens_per_value·max_width)`` point ids → memory ``(B, N, d)`` (``point_mask`` True marks padded
        points), or ``(B, S)`` token ids → ``(B, S, d)`` with ``encoder_input="tokens"``."""
        return self.encoder(self.embedder(point_ids), src_key_padding_mask=self.source_mask(point_ids, point_mask))

    def decode_logits(self, memory: torch.Tensor, tgt: torch.Tensor, memory_mask: torch.Tensor | None = None,
                      keep: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, T, V)`` for decoder input ids ``tgt`` ``(B, T)`` (causal); with a bool ``keep`` ``(B, T)``,
        only the kept positions' logits ``(K, V)``, in row-major order (the others are never projected)."""
        T = tgt.shape[1]
        if T > self.cfg.max_len:
            raise ValueError(f"target length {T} exceeds max_len={self.cfg.max_len}")
        h = self.tok(tgt) + self.pos(torch.arange(T, device=tgt.device))
        causal = torch.ones(T, T, dtype=torch.bool, device=tgt.device).triu(1)  # True = masked
        h = self.decoder(h, memory, tgt_mask=causal, tgt_is_causal=True,
                         tgt_key_padding_mask=tgt == self.pad_id, memory_key_padding_mask=memory_mask)
        if keep is not None:
            h = h[keep]
        return h @ self.tok.weight.T + self.out_bias  # shared input/output embedding

    def forward(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None, tgt: torch.Tensor,
                keep: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of ``tgt``'s next tokens, all ``(B, T, V)`` or the ``keep`` ones ``(K, V)``
        (:meth:`decode_logits`)."""
        point_mask = self.source_mask(point_ids, point_mask)
        return self.decode_logits(self.encode(point_ids, point_mask), tgt, point_mask, keep)

    def loss(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None, seq: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of ``seq`` = ``<EOS> tokens <EOS> <PAD>…`` (B, T): predict ``seq[:, 1:]`` from
        ``seq[:, :-1]``."""
        logits = self(point_ids, point_mask, seq[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, 1:].reshape(-1), ignore_index=self.pad_id)

    # ------------------------------------------------------------------ decoding
    def start_decoding(self, memory: torch.Tensor, memory_mask: torch.Tensor | None = None,
                       rows: torch.Tensor | None = None, use_cache: bool = True) -> CachedDecoder | PrefixDecoder:
        """Incremental decoder with one row per entry of ``rows`` (indices into the ``B`` inputs of
        ``memory`` ``(B, N, d)``; default: one row per input), fed ``<EOS>`` first."""
        if use_cache and self.training and self.cfg.dropout > 0:
            raise ValueError("cached decoding runs the network without dropout: call model.eval() first "
                             "(or decode with use_cache=False)")
        cls = CachedDecoder if use_cache else PrefixDecoder
        return cls(self, memory, memory_mask, rows)

    def _check_max_len(self, max_len: int | None) -> int:
        max_len = max_len or self.cfg.max_len
        if not 2 <= max_len <= self.cfg.max_len:
            raise ValueError(f"max_len must be in 2..{self.cfg.max_len} (the model's max_len), got {max_len}")
        return max_len

    @torch.no_grad()
    def sample(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None, max_len: int | None = None,
               temperature: float = 0.0, n_samples: int = 1, top_k: int | None = None,
               generator: torch.Generator | None = None, use_cache: bool = True) -> torch.Tensor:
        """Greedy (``temperature=0``) or temperature sampling; returns ids ``(B·n_samples, L)`` without the
        leading ``<EOS>``, padded with ``<PAD>`` after the closing ``<EOS>`` (rows of one input are consecutive).
        All inputs and samples are decoded in one batch."""
        max_len = self._check_max_len(max_len)
        point_mask = self.source_mask(point_ids, point_mask)
        memory = self.encode(point_ids, point_mask)
        rows = torch.arange(memory.shape[0], device=memory.device).repeat_interleave(n_samples)
        state = self.start_decoding(memory, point_mask, rows, use_cache)
        return decoding.sample_sequences(state, len(rows), max_len, eos_id=self.eos_id, pad_id=self.pad_id,
                                         temperature=temperature, top_k=top_k, generator=generator,
                                         device=memory.device)

    def greedy(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None,
               max_len: int | None = None, use_cache: bool = True) -> torch.Tensor:
        """Greedy decoding (argmax at every step)."""
        return self.sample(point_ids, point_mask, max_len, temperature=0.0, use_cache=use_cache)

    @torch.no_grad()
    def beam_search(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None, beam_size: int = 4,
                    max_len: int | None = None, length_penalty: float = 1.0,
                    use_cache: bool = True) -> list[list[decoding.Hypothesis]]:
        """Beam search with early stopping (stop once ``beam_size`` hypotheses are finished), all inputs in
        one batch.

        Returns, per input, up to ``beam_size`` ``(score, ids)`` pairs, best first; score = sum of
        log-probabilities / length^``length_penalty``; ``ids`` exclude both ``<EOS>`` markers.
        """
        max_len = self._check_max_len(max_len)
        point_mask = self.source_mask(point_ids, point_mask)
        memory = self.encode(point_ids, point_mask)
        state = self.start_decoding(memory, point_mask, None, use_cache)
        return decoding.beam_search(state, memory.shape[0], max_len, eos_id=self.eos_id, beam_size=beam_size,
                                    length_penalty=length_penalty, device=memory.device)


def _rows(memory: torch.Tensor, memory_mask: torch.Tensor | None, rows: torch.Tensor | None
          ) -> tuple[torch.Tensor, torch.Tensor | None]:
    if rows is None:
        return memory, memory_mask
    return memory.index_select(0, rows), None if memory_mask is None else memory_mask.index_select(0, rows)


class PrefixDecoder:
    """Reference incremental decoder: the training forward over the whole prefix at every step, every
    position projected onto the vocabulary, the last one kept (what decoding did before the cache)."""

    def __init__(self, model: Seq2SeqTransformer, memory: torch.Tensor, memory_mask: torch.Tensor | None = None,
                 rows: torch.Tensor | None = None) -> None:
        self.model = model
        self.memory, self.memory_mask = _rows(memory, memory_mask, rows)
        self.prefix = torch.empty(self.memory.shape[0], 0, dtype=torch.long, device=memory.device)  # (R, t)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Append ``tokens`` ``(R,)`` to the prefixes; next-token logits ``(R, V)``."""
        self.prefix = torch.cat([self.prefix, tokens[:, None]], 1)
        return self.model.decode_logits(self.memory, self.prefix, self.memory_mask)[:, -1]

    def select(self, rows: torch.Tensor) -> None:
        """Keep rows ``rows`` (reordered, repeated or dropped)."""
        self.memory, self.memory_mask = _rows(self.memory, self.memory_mask, rows)
        self.prefix = self.prefix.index_select(0, rows)


class CachedDecoder:
    """Incremental decoder with a key/value cache, on the weights of the model's ``nn.TransformerDecoder``.

    Each step runs, per layer, the eval-mode post-LN block of ``nn.TransformerDecoderLayer`` for the new
    position only: ``x = LN1(x + SelfAttn(x; K, V of positions ≤ t))``, ``x = LN2(x + CrossAttn(x; memory))``,
    ``x = LN3(x + FFN(x))``. The new position's keys/values are appended to the layer's cache; the memory's
    keys/values are projected once. As in :meth:`Seq2SeqTransformer.decode_logits`, ``<PAD>`` tokens are
    masked as keys and padded points as memory. Cost per step: O(t·d) attention instead of a whole-prefix
    forward, and one ``d × V`` projection.
    """

    def __init__(self, model: Seq2SeqTransformer, memory: torch.Tensor, memory_mask: torch.Tensor | None = None,
                 rows: torch.Tensor | None = None) -> None:
        self.model = model
        self.layers: list[nn.TransformerDecoderLayer] = list(model.decoder.layers)  # type: ignore[arg-type]
        self.n_heads = model.cfg.n_heads
        self.t = 0
        d = model.cfg.d_model
        self.cross: list[tuple[torch.Tensor, torch.Tensor]] = []  # per layer: memory K, V (R, H, N, hd)
        for layer in self.layers:
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            k = self._heads(F.linear(memory, w[d: 2 * d], b[d: 2 * d]))
            v = self._heads(F.linear(memory, w[2 * d:], b[2 * d:]))
            self.cross.append((k, v) if rows is None else (k.index_select(0, rows), v.index_select(0, rows)))
        _, mask = _rows(memory, memory_mask, rows)
        self.memory_keep = None if mask is None else ~mask[:, None, None, :]  # (R, 1, 1, N) True = attend
        R = self.cross[0][0].shape[0]
        empty = memory.new_empty(R, self.n_heads, 0, d // self.n_heads)
        self.self_kv: list[tuple[torch.Tensor, torch.Tensor]] = [(empty, empty) for _ in self.layers]
        self.pad_keys = torch.zeros(R, 0, dtype=torch.bool, device=memory.device)  # (R, t) True = <PAD> token

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(R, S, d)`` → ``(R, H, S, d/H)``."""
        R, S, d = x.shape
        return x.view(R, S, self.n_heads, d // self.n_heads).transpose(1, 2)

    @staticmethod
    def _merge(x: torch.Tensor) -> torch.Tensor:
        """``(R, H, S, d/H)`` → ``(R, S, d)``."""
        R, H, S, hd = x.shape
        return x.transpose(1, 2).reshape(R, S, H * hd)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed ``tokens`` ``(R,)`` at the next position; next-token logits ``(R, V)``."""
        m = self.model
        if self.t >= m.cfg.max_len:
            raise ValueError(f"target length {self.t + 1} exceeds max_len={m.cfg.max_len}")
        x = (m.tok(tokens) + m.pos.weight[self.t])[:, None]                   # (R, 1, d)
        self.pad_keys = torch.cat([self.pad_keys, (tokens == m.pad_id)[:, None]], 1)
        keep = ~self.pad_keys[:, None, None, :] if self.pad_keys.any() else None  # (R, 1, 1, t+1)
        d = m.cfg.d_model
        for i, layer in enumerate(self.layers):
            sa = layer.self_attn
            q, k, v = F.linear(x, sa.in_proj_weight, sa.in_proj_bias).split(d, -1)
            k_all = torch.cat([self.self_kv[i][0], self._heads(k)], 2)         # (R, H, t+1, hd)
            v_all = torch.cat([self.self_kv[i][1], self._heads(v)], 2)
            self.self_kv[i] = (k_all, v_all)
            a = F.scaled_dot_product_attention(self._heads(q), k_all, v_all, attn_mask=keep)
            x = layer.norm1(x + sa.out_proj(self._merge(a)))
            ca = layer.multihead_attn
            q = F.linear(x, ca.in_proj_weight[:d], ca.in_proj_bias[:d])
            a = F.scaled_dot_product_attention(self._heads(q), *self.cross[i], attn_mask=self.memory_keep)
            x = layer.norm2(x + ca.out_proj(self._merge(a)))
            x = layer.norm3(x + layer.linear2(layer.activation(layer.linear1(x))))
        if m.decoder.norm is not None:
            x = m.decoder.norm(x)
        self.t += 1
        return x[:, 0] @ m.tok.weight.T + m.out_bias                          # (R, V): last position only

    def select(self, rows: torch.Tensor) -> None:
        """Keep rows ``rows`` (reordered, repeated or dropped) with their caches."""
        self.self_kv = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in self.self_kv]
        self.cross = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in self.cross]
        if self.memory_keep is not None:
            self.memory_keep = self.memory_keep.index_select(0, rows)
        self.pad_keys = self.pad_keys.index_select(0, rows)
