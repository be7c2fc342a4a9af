"""Batched decoding: greedy, temperature sampling and beam search over many inputs at once.

The search algorithms only need an incremental decoder (:class:`DecoderState`): a set of ``R`` rows
(one per hypothesis), each fed one token per step, answering the next-token logits ``(R, V)``, and able
to keep or reorder its rows. :meth:`~paper_code.symbolic.model.Seq2SeqTransformer.start_decoding` gives
one with a key/value cache (the fast path) or one that re-runs the decoder over the whole prefix at every
step (the reference path, ``use_cache=False``).

* :func:`sample_sequences` — greedy (``temperature = 0``) or temperature sampling (optionally top-k) for
  ``R`` rows at once; finished rows leave the batch, and the random draw still covers every row so that
  a seeded generator gives the same samples whichever rows are still running.
* :func:`beam_search` — beams of every input in one batch (``beam_size`` rows per live input); at each
  step the best ``2·beam_size`` continuations of an input are scanned in order: a closing ``<EOS>``
  finishes a hypothesis (score = sum of log-probabilities / length^``length_penalty``), other tokens fill
  the next beam; an input stops once ``beam_size`` hypotheses are finished (early stopping and length
  penalty 1 by default, as the beam search of the papers' official code, github.com/sdascoli/odeformer).
"""
from __future__ import annotations

from typing import Protocol

import torch

__all__ = ["DecoderState", "sample_sequences", "beam_search", "Hypothesis"]

#: ``(score, token ids)``: a finished beam-search hypothesis, ids without the ``<EOS>`` markers.
Hypothesis = tuple[float, list[int]]


class DecoderState(Protocol):
    """Incremental decoder over ``R`` rows (hypotheses)."""

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed one token per row, ``(R,)`` ids → next-token logits ``(R, V)``."""
        ...

    def select(self, rows: torch.Tensor) -> None:
        """Keep the rows ``rows`` ``(R',)`` (in that order; an index may repeat)."""
        ...


def _next_tokens(logits: torch.Tensor, active: torch.Tensor, n_rows: int, temperature: float,
                 top_k: int | None, generator: torch.Generator | None) -> torch.Tensor:
    """Next token of each active row, from its logits ``(A, V)``.

    Sampling draws for all ``n_rows`` rows (finished rows get uniform logits and their draw is discarded):
    ``torch.multinomial`` with one sample consumes the generator by the shape of its input only, so the
    samples do not depend on when other rows finished.
    """
    if temperature <= 0:
        return logits.argmax(-1)
    full = logits.new_zeros(n_rows, logits.shape[1])
    full[active] = logits
    full = full / temperature
    if top_k is not None:
        kth = full.topk(top_k, -1).values[:, -1:]
        full = full.masked_fill(full < kth, float("-inf"))
    return torch.multinomial(full.softmax(-1), 1, generator=generator).squeeze(1)[active]


@torch.no_grad()
def sample_sequences(state: DecoderState, n_rows: int, max_len: int, *, eos_id: int, pad_id: int,
                     temperature: float = 0.0, top_k: int | None = None,
                     generator: torch.Generator | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
    """Greedy or sampled continuations of ``<EOS>`` for ``n_rows`` rows of ``state``.

    Returns ids ``(n_rows, L)`` without the leading ``<EOS>``, ``<PAD>`` after a row's closing ``<EOS>``,
    ``L`` = steps taken (at most ``max_len - 1``).
    """
    out = torch.full((n_rows, max_len - 1), pad_id, dtype=torch.long, device=device)
    active = torch.arange(n_rows, device=device)                # rows of `out` still running, in state order
    tokens = torch.full((n_rows,), eos_id, dtype=torch.long, device=device)  # last token of each active row
    steps = 0
    for step in range(max_len - 1):
        logits = state.step(tokens)                             # (A, V)
        nxt = _next_tokens(logits, active, n_rows, temperature, top_k, generator)
        out[active, step] = nxt
        steps = step + 1
        running = nxt != eos_id
        if not running.any():
            break
        if not running.all():
            keep = running.nonzero().squeeze(1)
            state.select(keep)
            active, nxt = active[keep], nxt[keep]
        tokens = nxt
    return out[:, :steps]


@torch.no_grad()
def beam_search(state: DecoderState, n_inputs: int, max_len: int, *, eos_id: int, beam_size: int = 4,
                length_penalty: float = 1.0, device: torch.device | str = "cpu") -> list[list[Hypothesis]]:
    """Beam search for ``n_inputs`` inputs; ``state`` starts with one row per input (in input order).

    Returns, per input, up to ``beam_size`` ``(score, ids)`` pairs, best first.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    finished: list[list[Hypothesis]] = [[] for _ in range(n_inputs)]
    row_input = list(range(n_inputs))        # input of each live row
    row_ids: list[list[int]] = [[] for _ in range(n_inputs)]  # tokens of each live row after <EOS>
    scores = torch.zeros(n_inputs, device=device)  # (R,) summed log-probabilities
    tokens = torch.full((n_inputs,), eos_id, dtype=torch.long, device=device)
    for step in range(max_len - 1):
        logp = state.step(tokens).log_softmax(-1)              # (R, V)
        V = logp.shape[1]
        live = list(dict.fromkeys(row_input))                   # rows of one input are consecutive
        first_row = {b: row_input.index(b) for b in live}
        slots = [r - first_row[b] for r, b in enumerate(row_input)]
        # (I, beam·V) continuation scores of each live input, -inf in empty beam slots
        grid = logp.new_full((len(live), beam_size, V), float("-inf"))
        grid[[live.index(b) for b in row_input], slots] = scores[:, None] + logp
        top_vals, top_idx = grid.flatten(1).topk(min(2 * beam_size, beam_size * V), -1)
        last = step == max_len - 2
        beams: list[tuple[int, int, float, int]] = []           # (parent row, token, score, input)
        for b, vals, idxs in zip(live, top_vals.tolist(), top_idx.tolist()):
            grown = []
            for s, idx in zip(vals, idxs):
                if s == float("-inf"):
                    break
                slot, tok = divmod(idx, V)
                row = first_row[b] + slot
                if tok == eos_id or last:
                    ids = row_ids[row] + ([] if tok == eos_id else [tok])
                    finished[b].append((s / max(len(ids) + 1, 1) ** length_penalty, ids))
                else:
                    grown.append((row, tok, s, b))
                    if len(grown) == beam_size:
                        break
            if len(finished[b]) < beam_size:                    # else this input is done
                beams += grown
        if not beams:
            break
        parents, new_tokens, new_scores, row_input = (list(x) for x in zip(*beams))
        state.select(torch.tensor(parents, device=device))
        row_ids = [row_ids[p] + [t] for p, t in zip(parents, new_tokens)]
        scores = torch.tensor(new_scores, device=device)
        tokens = torch.tensor(new_tokens, device=device)
    for hyps in finished:
        hyps.sort(key=lambda h: -h[0])
    return [hyps[:beam_size] for hyps in finished]
