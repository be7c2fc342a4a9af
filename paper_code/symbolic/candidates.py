"""One candidate loop for every symbolic paper (decoding, ranking and refinement of E2E symbolic regression,
ODEFormer, recurrent sequences and Boolformer).

decode → parse → drop invalid → merge duplicates → score against the data → optionally refine → rank.

The loop is the same for ODEs, functions, sequences and Boolean formulas; what differs is supplied by the
paper as a :class:`CandidateProblem`: how token ids become a prediction, what counts as valid, the
canonical key that identifies duplicates, how a prediction is mapped back to the user's coordinates (undoing
the input normalisation), and the data-fit score: trajectory R² for ODEs (ODEFormer), MSE/R² on the
training points for functions (E2E), agreement with the observed terms for sequences, truth-table error
(then size, as a tie-break) for Boolean formulas (Boolformer).

* :class:`DecodingSettings` — sampling (``n_candidates`` at ``temperature``; ``temperature = 0`` is greedy,
  one candidate) or beam search (``beam_size > 1``, the best ``n_candidates`` hypotheses), seeded.
* :func:`decode_sequences` — the model's token sequences for a batch of inputs, all decoded at once.
* :func:`rank_candidates` — the rest of the loop on already parsed predictions.
* :func:`search_candidates` — the whole loop for a model and a :class:`CandidateProblem`. A paper with its
  own decoding stage (ODEFormer decodes bags of several trajectories) calls :meth:`CandidateProblem.rank`
  on what it parsed.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import torch

from paper_code.common.config import Validated, param

__all__ = ["DecodingSettings", "Candidate", "CandidateProblem", "decode_sequences", "rank_candidates",
           "search_candidates"]

Raw = TypeVar("Raw")    # a parsed prediction as decoded (e.g. in normalised coordinates)
Pred = TypeVar("Pred")  # a prediction in the user's coordinates


@dataclass(frozen=True)
class DecodingSettings(Validated):
    """How candidates are decoded (every field validated on construction, see :class:`Validated`)."""

    n_candidates: int = param(16, "samples per input (temperature > 0), or hypotheses kept per input (beam search)",
                              ge=1)
    temperature: float = param(0.5, "sampling temperature; 0 = greedy (a single candidate per input)", ge=0)
    beam_size: int = param(1, "> 1 switches to beam search (length penalty 1, early stopping)", ge=1)
    seed: int = param(0, "seed of the sampling generator", ge=0)
    use_cache: bool = param(True, "key/value-cached decoding; False re-runs the decoder over the whole prefix at "
                                  "every step (the slow reference)")

    @property
    def greedy(self) -> bool:
        return self.beam_size == 1 and self.temperature <= 0


@dataclass
class Candidate(Generic[Pred]):
    """A distinct prediction, its position in decoding order (input-major, invalid ones counted) and its fit
    to the data (higher is better)."""

    prediction: Pred
    order: int
    score: float
    refined: bool = False


@torch.no_grad()
def decode_sequences(model: Any, point_ids: torch.Tensor, point_mask: torch.Tensor | None,
                     settings: DecodingSettings) -> list[list[list[int]]]:
    """Token ids (without ``<EOS>``/``<PAD>``) of every candidate, per input.

    ``model`` is a :class:`~paper_code.symbolic.model.Seq2SeqTransformer`; ``point_ids`` ``(B, N, 3w)`` (points) or
    ``(B, S)`` (token sequences, ``encoder_input="tokens"``).
    Sampling: ``n_candidates`` sequences per input (1 when greedy); beam: up to ``n_candidates`` of the
    ``beam_size`` hypotheses, best first.
    """
    B = point_ids.shape[0]
    if settings.beam_size > 1:
        beams = model.beam_search(point_ids, point_mask, beam_size=settings.beam_size, use_cache=settings.use_cache)
        return [[ids for _, ids in hyps[: settings.n_candidates]] for hyps in beams]
    n = 1 if settings.greedy else settings.n_candidates
    gen = torch.Generator(device=point_ids.device).manual_seed(settings.seed)
    out = model.sample(point_ids, point_mask, temperature=settings.temperature, n_samples=n, generator=gen,
                       use_cache=settings.use_cache)
    skip = (model.eos_id, model.pad_id)
    rows = [[i for i in row if i not in skip] for row in out.tolist()]
    return [rows[b * n: (b + 1) * n] for b in range(B)]


def _sort_key(tiebreak: Callable[[Any], float] | None) -> Callable[[Candidate], tuple]:
    def key(c: Candidate) -> tuple:
        score = c.score if not math.isnan(c.score) else -math.inf
        return (-score, tiebreak(c.prediction) if tiebreak else 0.0, c.order)
    return key


def rank_candidates(raw: Sequence[Raw | None], *, key: Callable[[Raw], Hashable], score: Callable[[Pred], float],
                    valid: Callable[[Raw], bool] | None = None, finalize: Callable[[Raw], Pred] | None = None,
                    refine: Callable[[Candidate[Pred]], Candidate[Pred]] | None = None, n_refine: int = 1,
                    keep_unrefined: bool = False, tiebreak: Callable[[Pred], float] | None = None
                    ) -> list[Candidate[Pred]]:
    """Distinct valid candidates, best first.

    ``raw[i]`` is the parsed ``i``-th decoded sequence (``None`` = unparsable). Invalid ones are dropped,
    the first occurrence of each ``key`` is kept, ``finalize`` maps it to the user's coordinates and
    ``score`` rates it (NaN ranks last). Ranking: higher score, then smaller ``tiebreak``, then decoding
    order. ``refine`` (if given) is applied to the ``n_refine`` best; a refined candidate replaces its
    original unless ``keep_unrefined``, and the list is ranked again.
    """
    seen: dict[Hashable, Candidate[Pred]] = {}
    for order, pred in enumerate(raw):
        if pred is None or (valid is not None and not valid(pred)):
            continue
        k = key(pred)
        if k in seen:
            continue
        final = finalize(pred) if finalize is not None else pred
        seen[k] = Candidate(final, order, float(score(final)))  # type: ignore[arg-type]
    sort_key = _sort_key(tiebreak)
    ranked = sorted(seen.values(), key=sort_key)
    if refine is None or not ranked:
        return ranked
    refined = [refine(c) for c in ranked[:n_refine]]
    if keep_unrefined:
        ranked += [r for r, c in zip(refined, ranked) if r is not c]
    else:
        ranked[:n_refine] = refined
    return sorted(ranked, key=sort_key)


@dataclass(frozen=True)
class CandidateProblem(Generic[Raw, Pred]):
    """What a paper supplies to the candidate loop.

    ``parse(input_index, ids)``: the prediction of a decoded sequence of input ``input_index`` (``None`` if
    it does not parse; needed by :func:`search_candidates` only); the other fields are those of
    :func:`rank_candidates`.
    """

    key: Callable[[Raw], Hashable]
    score: Callable[[Pred], float]
    parse: Callable[[int, list[int]], Raw | None] | None = None
    valid: Callable[[Raw], bool] | None = None
    finalize: Callable[[Raw], Pred] | None = None
    refine: Callable[[Candidate[Pred]], Candidate[Pred]] | None = None
    n_refine: int = 1
    keep_unrefined: bool = False
    tiebreak: Callable[[Pred], float] | None = None

    def rank(self, raw: Sequence[Raw | None]) -> list[Candidate[Pred]]:
        """:func:`rank_candidates` with this problem's pieces."""
        return rank_candidates(raw, key=self.key, score=self.score, valid=self.valid, finalize=self.finalize,
                               refine=self.refine, n_refine=self.n_refine, keep_unrefined=self.keep_unrefined,
                               tiebreak=self.tiebreak)


def search_candidates(model: Any, point_ids: torch.Tensor, point_mask: torch.Tensor | None,
                      settings: DecodingSettings, problem: CandidateProblem[Raw, Pred]) -> list[Candidate[Pred]]:
    """The whole loop: decode every input, parse, then :meth:`CandidateProblem.rank`."""
    if problem.parse is None:
        raise ValueError("search_candidates needs a problem with a parse function")
    per_input = decode_sequences(model, point_ids, point_mask, settings)
    raw = [problem.parse(b, ids) for b, seqs in enumerate(per_input) for ids in seqs]
    return problem.rank(raw)
