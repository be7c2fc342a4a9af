"""Small encoder–decoder transformer with greedy, beam and sampling decoding (spec ``symbolic_core.md`` §5–§6).

Encoder: :class:`~paper_code.symbolic.embedder.PointEmbedder` + bidirectional ``nn.TransformerEncoder``,
no positional encoding (sets of points). Decoder: token embedding shared with the output projection,
learned positions, causal self-attention + cross-attention (``nn.TransformerDecoder``), post-LN,
FFN 4×. ``<EOS>`` is the begin and end marker; loss = cross-entropy on targets shifted by one, padding
ignored. Decoding recomputes the decoder on the prefix at every step (no KV cache; CPU-scale models).
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from paper_code.common.config import param
from paper_code.symbolic.embedder import PointEmbedder

__all__ = ["Seq2SeqConfig", "Seq2SeqTransformer"]


@dataclasses.dataclass(frozen=True)
class Seq2SeqConfig:
    """Model sizes (defaults: the brief's CPU-scale width 64, 2 + 2 layers)."""

    d_model: int = param(64, "model width", ge=8)
    n_heads: int = param(4, "attention heads", ge=1)
    enc_layers: int = param(2, "encoder layers", ge=1)
    dec_layers: int = param(2, "decoder layers", ge=1)
    token_dim: int = param(32, "per-token embedding width of the point embedder", ge=1)
    max_width: int = param(3, "max numbers per input row (D + 1)", ge=1)
    max_len: int = param(64, "max output tokens incl. both <EOS>", ge=2)
    dropout: float = param(0.0, "dropout", ge=0, lt=1)


class Seq2SeqTransformer(nn.Module):
    """Points (float-token ids) → expression tokens."""

    def __init__(self, cfg: Seq2SeqConfig, in_vocab: int, out_vocab: int, pad_id: int = 0, eos_id: int = 1) -> None:
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise ValueError(f"d_model={cfg.d_model} must be divisible by n_heads={cfg.n_heads}")
        self.cfg, self.pad_id, self.eos_id = cfg, pad_id, eos_id
        self.embedder = PointEmbedder(in_vocab, cfg.max_width, cfg.d_model, cfg.token_dim, pad_id=pad_id)
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
    def encode(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, N, 3w)`` ids → memory ``(B, N, d)``; ``point_mask`` True marks padded points."""
        return self.encoder(self.embedder(point_ids), src_key_padding_mask=point_mask)

    def decode_logits(self, memory: torch.Tensor, tgt: torch.Tensor,
                      memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, T, V)`` for decoder input ids ``tgt`` ``(B, T)`` (causal)."""
        T = tgt.shape[1]
        if T > self.cfg.max_len:
            raise ValueError(f"target length {T} exceeds max_len={self.cfg.max_len}")
        h = self.tok(tgt) + self.pos(torch.arange(T, device=tgt.device))
        causal = torch.ones(T, T, dtype=torch.bool, device=tgt.device).triu(1)  # True = masked
        h = self.decoder(h, memory, tgt_mask=causal, tgt_is_causal=True,
                         tgt_key_padding_mask=tgt == self.pad_id, memory_key_padding_mask=memory_mask)
        return h @ self.tok.weight.T + self.out_bias  # shared input/output embedding

    def forward(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None, tgt: torch.Tensor) -> torch.Tensor:
        return self.decode_logits(self.encode(point_ids, point_mask), tgt, point_mask)

    def loss(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None, seq: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of ``seq`` = ``<EOS> tokens <EOS> <PAD>…`` (B, T): predict ``seq[:, 1:]`` from ``seq[:, :-1]``."""
        logits = self(point_ids, point_mask, seq[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, 1:].reshape(-1), ignore_index=self.pad_id)

    # ------------------------------------------------------------------ decoding
    def _start(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None, repeat: int = 1):
        memory = self.encode(point_ids, point_mask)
        if repeat > 1:
            memory = memory.repeat_interleave(repeat, 0)
            point_mask = None if point_mask is None else point_mask.repeat_interleave(repeat, 0)
        seq = torch.full((memory.shape[0], 1), self.eos_id, dtype=torch.long, device=memory.device)
        return memory, point_mask, seq

    @torch.no_grad()
    def sample(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None, max_len: int | None = None,
               temperature: float = 0.0, n_samples: int = 1, top_k: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Greedy (``temperature=0``) or temperature sampling; returns ids ``(B·n_samples, L)`` without the
        leading ``<EOS>``, padded with ``<PAD>`` after the closing ``<EOS>`` (rows of one input are consecutive)."""
        max_len = max_len or self.cfg.max_len
        memory, mask, seq = self._start(point_ids, point_mask, n_samples)
        done = torch.zeros(seq.shape[0], dtype=torch.bool, device=seq.device)
        for _ in range(max_len - 1):
            logits = self.decode_logits(memory, seq, mask)[:, -1]
            if temperature <= 0:
                nxt = logits.argmax(-1)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = logits.topk(top_k, -1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                nxt = torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)
            nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
            done |= nxt == self.eos_id
            if done.all():
                break
        return seq[:, 1:]

    def greedy(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None,
               max_len: int | None = None) -> torch.Tensor:
        """Greedy decoding (argmax at every step)."""
        return self.sample(point_ids, point_mask, max_len, temperature=0.0)

    @torch.no_grad()
    def beam_search(self, point_ids: torch.Tensor, point_mask: torch.Tensor | None = None, beam_size: int = 4,
                    max_len: int | None = None, length_penalty: float = 1.0) -> list[list[tuple[float, list[int]]]]:
        """Beam search with early stopping (stop once ``beam_size`` hypotheses are finished).

        Returns, per input, up to ``beam_size`` ``(score, ids)`` pairs, best first; score = sum of
        log-probabilities / length^``length_penalty``; ``ids`` exclude both ``<EOS>`` markers.
        """
        max_len = max_len or self.cfg.max_len
        results = []
        for b in range(point_ids.shape[0]):
            m_b = None if point_mask is None else point_mask[b : b + 1]
            memory = self.encode(point_ids[b : b + 1], m_b)
            seqs = torch.full((1, 1), self.eos_id, dtype=torch.long, device=memory.device)
            scores = torch.zeros(1, device=memory.device)
            finished: list[tuple[float, list[int]]] = []
            for step in range(max_len - 1):
                n = seqs.shape[0]
                mem = memory.expand(n, -1, -1)
                mask = None if m_b is None else m_b.expand(n, -1)
                logp = self.decode_logits(mem, seqs, mask)[:, -1].log_softmax(-1)  # (n, V)
                cand = (scores[:, None] + logp).flatten()
                top = cand.topk(min(2 * beam_size, cand.numel()))
                V = logp.shape[1]
                new_seqs, new_scores = [], []
                for s, idx in zip(top.values.tolist(), top.indices.tolist()):
                    src, tok = divmod(idx, V)
                    if tok == self.eos_id or step == max_len - 2:
                        ids = seqs[src, 1:].tolist() + ([] if tok == self.eos_id else [tok])
                        finished.append((s / max(len(ids) + 1, 1) ** length_penalty, ids))
                    else:
                        new_seqs.append(torch.cat([seqs[src], seqs.new_tensor([tok])]))
                        new_scores.append(s)
                    if len(new_seqs) == beam_size:
                        break
                if len(finished) >= beam_size or not new_seqs:
                    break
                seqs, scores = torch.stack(new_seqs), torch.tensor(new_scores, device=memory.device)
            finished.sort(key=lambda x: -x[0])
            results.append(finished[:beam_size])
        return results
