"""Boolformer inference: observed rows → ranked candidate formulas, through the core's candidate loop.

Paper: arXiv 2309.12207 v2 §2.3 (sampling, ranking by fitting error) and v1 code (beam search; candidates
sorted by fitting error, then complexity; a constant output is answered directly; several outputs are
predicted one at a time). The loop itself (decode → parse → drop invalid → merge duplicates → score → rank)
is :mod:`paper_code.symbolic.candidates`; this module supplies Boolean formulas' pieces
(:func:`boolean_problem`):

* parse: the core's prefix decoding, valid only over ``and``/``or``/``not``, the input variables and 0/1;
* duplicates: the same prefix sequence;
* score: fitting accuracy, the fraction of the given rows the formula reproduces (1 = perfect fit);
* tie-break: :func:`~paper_code.boolformer.formulas.complexity` (fewer gates first), then decoding order.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from paper_code.boolformer.formulas import complexity
from paper_code.boolformer.inputs import evaluate_rows, row_tokens
from paper_code.symbolic.candidates import (
    Candidate,
    CandidateProblem,
    DecodingSettings,
    decode_sequences,
    search_candidates,
)
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.encoding import PrefixParseError, decode
from paper_code.symbolic.expressions import Node, is_variable, variable_index

__all__ = ["parse_formula", "is_boolean_formula", "fit_accuracy", "boolean_problem", "decoding_settings",
           "BoolformerMethod"]

_GATES = ("and", "or", "not")


def is_boolean_formula(tree: Node, n_inputs: int) -> bool:
    """Only gates, variables ``x_j`` with ``j < n_inputs`` and the constants 0/1."""
    for node in tree.nodes():
        v = node.value
        if v in _GATES:
            continue
        if isinstance(v, str) and is_variable(v) and v.startswith("x_") and variable_index(v) < n_inputs:
            continue
        if isinstance(v, int) and v in (0, 1):
            continue
        return False
    return True


def parse_formula(ids: Sequence[int], vocab: Vocabulary, n_inputs: int) -> Node | None:
    """The formula of a decoded id sequence, or None when it does not parse or is not a Boolean formula."""
    try:
        tree = decode(vocab.decode(list(ids)))
    except (PrefixParseError, KeyError, IndexError, ValueError):
        return None
    return tree if is_boolean_formula(tree, n_inputs) else None


def fit_accuracy(tree: Node, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the rows ``(X, y)`` on which ``tree`` gives ``y``."""
    return float(np.mean(evaluate_rows(tree, X) == np.asarray(y)))


def boolean_problem(X: np.ndarray, y: np.ndarray, vocab: Vocabulary | None = None,
                    n_inputs: int | None = None) -> CandidateProblem[Node, Node]:
    """The candidate loop's pieces for the rows ``(X, y)`` (module doc); ``vocab``/``n_inputs`` are needed to
    parse decoded ids (:func:`~paper_code.symbolic.candidates.search_candidates`)."""
    width = n_inputs if n_inputs is not None else X.shape[1]
    parse = None if vocab is None else (lambda _b, ids: parse_formula(ids, vocab, width))
    return CandidateProblem(key=lambda t: tuple(t.prefix()), score=lambda t: fit_accuracy(t, X, y), parse=parse,
                            valid=lambda t: is_boolean_formula(t, X.shape[1]), tiebreak=complexity)


def decoding_settings(cfg: Any, **changes: Any) -> DecodingSettings:
    """The decoding settings of a :class:`~paper_code.boolformer.config.BoolformerConfig` (``n_candidates``,
    ``temperature``, ``beam_size``, ``seed``); ``changes`` replace fields of :class:`DecodingSettings`."""
    base = DecodingSettings(n_candidates=cfg.n_candidates, temperature=cfg.temperature, beam_size=cfg.beam_size,
                            seed=cfg.seed)
    return base.replace(changes) if changes else base


@dataclass
class BoolformerMethod:
    """A trained model and its decoding settings: ``candidates(X, y)`` ranks formulas for one output column;
    ``fit(X, Y)`` returns the best formula of each output column (one decoding per output bit)."""

    model: torch.nn.Module
    out_vocab: Vocabulary
    n_inputs: int
    settings: DecodingSettings = DecodingSettings()

    def candidates(self, X: np.ndarray, y: np.ndarray) -> list[Candidate[Node]]:
        X, y = self._check(X, y)
        if y.min() == y.max():  # a constant output needs no model (v1 code)
            const = Node(int(y[0]))
            return [Candidate(const, 0, 1.0)]
        ids = torch.from_numpy(row_tokens(X, y, self.n_inputs))[None]
        self.model.eval()
        return search_candidates(self.model, ids, None, self.settings,
                                 boolean_problem(X, y, self.out_vocab, self.n_inputs))

    def candidates_many(self, problems: Sequence[tuple[np.ndarray, np.ndarray]], chunk: int = 32
                        ) -> list[list[Candidate[Node]]]:
        """:meth:`candidates` for many single-output problems ``(X, y)``, decoded ``chunk`` at a time in one
        padded batch (padded rows are masked out of attention, so each problem reads only its own rows)."""
        out: list[list[Candidate[Node]] | None] = [None] * len(problems)
        todo = []
        for i, (X, y) in enumerate(problems):
            X, y = self._check(X, y)
            if y.min() == y.max():
                out[i] = [Candidate(Node(int(y[0])), 0, 1.0)]
            else:
                todo.append((i, X, y))
        self.model.eval()
        for start in range(0, len(todo), chunk):
            part = todo[start:start + chunk]
            n_max = max(len(y) for _, _, y in part)
            ids = np.zeros((len(part), n_max, self.n_inputs + 1), dtype=np.int64)
            mask = np.ones((len(part), n_max), dtype=bool)
            for b, (_, X, y) in enumerate(part):
                ids[b, : len(y)] = row_tokens(X, y, self.n_inputs)
                mask[b, : len(y)] = False
            seqs = decode_sequences(self.model, torch.from_numpy(ids), torch.from_numpy(mask), self.settings)
            for (i, X, y), decoded in zip(part, seqs):
                problem = boolean_problem(X, y, self.out_vocab, self.n_inputs)
                out[i] = problem.rank([parse_formula(d, self.out_vocab, self.n_inputs) for d in decoded])
        return out  # type: ignore[return-value]

    def _check(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X, y = np.asarray(X, dtype=np.uint8), np.asarray(y, dtype=np.uint8).ravel()
        if X.ndim != 2 or len(y) != len(X) or not len(X):
            raise ValueError(f"X must be (n, D) with n >= 1 rows and y (n,), got {X.shape} and {y.shape}")
        if X.shape[1] > self.n_inputs:
            raise ValueError(f"{X.shape[1]} input columns exceed the model's {self.n_inputs}")
        return X, y

    def fit(self, X: np.ndarray, Y: np.ndarray) -> list[Node]:
        """The best formula per output column of ``Y`` ((n,) or (n, K)); raises when no candidate parses."""
        Y = np.asarray(Y)
        columns = Y.reshape(len(Y), -1).T
        out = []
        for k, y in enumerate(columns):
            ranked = self.candidates(X, y)
            if not ranked:
                raise RuntimeError(f"no valid formula among the decoded candidates for output {k}")
            out.append(ranked[0].prediction)
        return out
