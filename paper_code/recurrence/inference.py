"""Recurrence inference: observed terms → a ranked recurrence rolled forward (symbolic model), or the next terms
written directly (numeric model).

Paper: d'Ascoli et al., ICML 2022, §3-4 (greedy or beam decoding; a symbolic hypothesis predicts by running the
recurrence forward from the observed terms; beam hypotheses ranked by their fit to the observed terms, the OEIS
analysis of the official code ``facebookresearch/recur``). The loop (decode → parse → drop invalid → merge duplicates
→ score → rank) is the core's :mod:`paper_code.symbolic.candidates`; this module supplies the sequence's pieces
(:func:`recurrence_problem`):

* parse: the core's prefix decoding; valid when it reads only ``n`` and lags ``x_0_k`` shorter than the input;
* duplicates: the same prefix sequence;
* score: :func:`fit_to_observed`, the fraction of the observed terms (after the first ``d``, which a recurrence of
  degree ``d`` cannot produce) that the recurrence reproduces exactly from the true preceding terms;
* tie-break: decoding order (the beam's own ranking).

Inputs whose tokens exceed the model's input length cannot be read: their prediction is ``None`` (a failure),
never silently truncated.

Float sequences (``kind="float"``): the fit is minus the mean one-step relative error (each clipped at 1), so an
approximation that is close everywhere ranks above one that is exact on a few terms; the recurrence is rolled
forward in float64 (:func:`~paper_code.symbolic.compile.extend_recurrence_float`), and a NaN or infinite term makes
the prediction None.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from paper_code.recurrence.data import decode_terms, input_tokens
from paper_code.recurrence.generator import lags_of
from paper_code.recurrence.scoring import relative_error
from paper_code.symbolic.candidates import Candidate, CandidateProblem, DecodingSettings, decode_sequences
from paper_code.symbolic.compile import compile_recurrence, extend_recurrence_float
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.encoding import PrefixParseError, decode
from paper_code.symbolic.exact import ExactEvaluationError, evaluate_int, extend_recurrence
from paper_code.symbolic.expressions import Node

__all__ = ["MAX_PREDICTED_DIGITS", "is_recurrence", "parse_recurrence", "fit_to_observed", "roll_forward",
           "recurrence_problem", "SymbolicMethod", "NumericMethod"]

#: A predicted term with more decimal digits than this is not computed (the recurrence counts as failing).
MAX_PREDICTED_DIGITS = 1000


def is_recurrence(tree: Node, n_observed: int) -> bool:
    """Reads only ``n`` and lags ``x_0_k`` with ``1 <= k < n_observed``, and holds no float-valued constant (the
    vocabularies write integers and the named constants e, π, γ)."""
    for v in tree.variables():
        if v == "n":
            continue
        parts = v.split("_")
        if len(parts) != 3 or parts[:2] != ["x", "0"] or not parts[2].isdigit() or not 1 <= int(parts[2]) < n_observed:
            return False
    return all(not isinstance(node.value, float) for node in tree.nodes())


def parse_recurrence(ids: Sequence[int], vocab: Vocabulary) -> Node | None:
    """The recurrence of a decoded id sequence, or None when it does not parse."""
    try:
        return decode(vocab.decode(list(ids)))
    except (PrefixParseError, KeyError, IndexError, ValueError):
        return None


def fit_to_observed(tree: Node, observed: Sequence[int] | Sequence[float], kind: str = "int") -> float:
    """How well ``tree`` gives the terms ``u_n``, ``n > d`` (``d`` = largest lag), from the true ``u_{n-1}, ...,
    u_{n-d}`` (one step ahead). Integers: the fraction given exactly (a term it cannot evaluate counts as missed).
    Floats: minus the mean relative error, each clipped at 1 (0 is a perfect fit)."""
    d = max(lags_of(tree), default=0)
    if len(observed) <= d:
        return 0.0 if kind == "int" else -1.0
    if kind == "float":
        step, _ = compile_recurrence(tree)
        errors = []
        for i in range(d, len(observed)):
            err = relative_error(step(i + 1, observed[:i]), observed[i])
            errors.append(1.0 if math.isnan(err) else min(err, 1.0))
        return -float(sum(errors) / len(errors))
    hits = 0
    for i in range(d, len(observed)):
        env = {f"x_0_{k}": observed[i - k] for k in range(1, d + 1)}
        env["n"] = i + 1
        try:
            hits += evaluate_int(tree, env, max_digits=MAX_PREDICTED_DIGITS) == observed[i]
        except ExactEvaluationError:
            pass
    return hits / (len(observed) - d)


def roll_forward(tree: Node, observed: Sequence[int] | Sequence[float], n_terms: int, kind: str = "int"
                 ) -> tuple | None:
    """The ``n_terms`` terms after ``observed``, each computed from the previous *predicted* ones; None when a term
    has no exact value (or more than :data:`MAX_PREDICTED_DIGITS` digits; floats: is NaN or infinite)."""
    if kind == "float":
        values = extend_recurrence_float(tree, observed, n_terms)
        return tuple(float(v) for v in values) if all(map(math.isfinite, values)) else None
    try:
        return tuple(extend_recurrence(tree, observed, n_terms, max_digits=MAX_PREDICTED_DIGITS))
    except ExactEvaluationError:
        return None


def recurrence_problem(observed: Sequence[int] | Sequence[float], vocab: Vocabulary | None = None,
                       kind: str = "int") -> CandidateProblem[Node, Node]:
    """The candidate loop's pieces for one observed sequence (module doc)."""
    observed = tuple(observed)
    parse = None if vocab is None else (lambda _b, ids: parse_recurrence(ids, vocab))
    return CandidateProblem(key=lambda t: tuple(t.prefix()), score=lambda t: fit_to_observed(t, observed, kind),
                            parse=parse, valid=lambda t: is_recurrence(t, len(observed)))


def _encode_inputs(sequences: Sequence[Sequence[int]] | Sequence[Sequence[float]], in_vocab: Vocabulary,
                   max_src_len: int, kind: str) -> tuple[list[int], list[list[int]]]:
    """Indices of the readable sequences (at most ``max_src_len`` tokens, at least 2 terms) and their token ids."""
    keep, ids = [], []
    for i, seq in enumerate(sequences):
        toks = input_tokens(seq, kind)
        if 2 <= len(seq) and len(toks) <= max_src_len:
            keep.append(i)
            ids.append(in_vocab.encode(toks))
    return keep, ids


def _batches(ids: list[list[int]], chunk: int, pad_id: int
             ) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
    """Chunks of similar lengths (sorted), as ``(positions, ids (b, S), mask)``."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        width = max(len(ids[i]) for i in part)
        t = torch.full((len(part), width), pad_id, dtype=torch.long)
        for b, i in enumerate(part):
            t[b, : len(ids[i])] = torch.tensor(ids[i])
        yield part, t, t == pad_id


@dataclass
class SymbolicMethod:
    """The symbolic model and its decoding: ``candidates_many`` ranks recurrences for many sequences at once;
    ``predict_many`` rolls the best one forward."""

    model: torch.nn.Module
    in_vocab: Vocabulary
    out_vocab: Vocabulary
    settings: DecodingSettings = DecodingSettings(n_candidates=1, temperature=0.0)
    chunk: int = 64
    kind: str = "int"

    def candidates_many(self, sequences: Sequence[Sequence[int]]) -> list[list[Candidate[Node]] | None]:
        """Ranked distinct valid recurrences per sequence (best first); None for a sequence the model cannot
        read (too many tokens)."""
        self.model.eval()
        max_src = self.model.cfg.max_src_len
        keep, ids = _encode_inputs(sequences, self.in_vocab, max_src, self.kind)
        out: list[list[Candidate[Node]] | None] = [None] * len(sequences)
        for part, t, mask in _batches(ids, self.chunk, self.in_vocab.pad_id):
            decoded = decode_sequences(self.model, t, mask, self.settings)
            for j, seqs in zip(part, decoded):
                observed = sequences[keep[j]]
                problem = recurrence_problem(observed, kind=self.kind)
                out[keep[j]] = problem.rank([parse_recurrence(d, self.out_vocab) for d in seqs])
        return out

    def predict_many(self, sequences: Sequence[Sequence[int]], n_terms: int
                     ) -> tuple[list[tuple[int, ...] | None], list[Node | None]]:
        """Per sequence: the next ``n_terms`` terms of the best-ranked recurrence (None: nothing valid, unreadable,
        or not computable) and that recurrence."""
        trees = [cands[0].prediction if cands else None for cands in self.candidates_many(sequences)]
        preds = [None if tree is None else roll_forward(tree, seq, n_terms, self.kind)
                 for tree, seq in zip(trees, sequences)]
        return preds, trees


@dataclass
class NumericMethod:
    """The numeric model: ``predict_many`` writes the next terms directly (greedy, or the top beam hypothesis)."""

    model: torch.nn.Module
    in_vocab: Vocabulary
    settings: DecodingSettings = DecodingSettings(n_candidates=1, temperature=0.0)
    chunk: int = 64
    kind: str = "int"

    def predict_many(self, sequences: Sequence[Sequence[int]], n_terms: int) -> list[tuple[int, ...] | None]:
        """Per sequence: the first ``n_terms`` terms the model writes; None when its output does not decode to
        integers or the sequence cannot be read. Fewer than ``n_terms`` terms are returned as written (shorter
        horizons can still be scored)."""
        self.model.eval()
        keep, ids = _encode_inputs(sequences, self.in_vocab, self.model.cfg.max_src_len, self.kind)
        out: list[tuple[int, ...] | None] = [None] * len(sequences)
        settings = self.settings.replace({"n_candidates": 1})
        for part, t, mask in _batches(ids, self.chunk, self.in_vocab.pad_id):
            for j, seqs in zip(part, decode_sequences(self.model, t, mask, settings)):
                try:
                    terms = decode_terms(self.in_vocab.decode(seqs[0]), self.kind) if seqs else []
                except (ValueError, KeyError):
                    continue
                out[keep[j]] = tuple(terms[:n_terms]) if terms else None
        return out
