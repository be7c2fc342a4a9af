"""Tokens, training batches and held-out sequences of the recurrence models (d'Ascoli et al., ICML 2022, §3).

Tokenisation (the paper's §3.2; official code ``facebookresearch/recur``, ``src/envs/encoders.py``):

* **inputs**, the observed terms: each integer is a sign token then its digits in base 10,000, most significant
  first (:class:`~paper_code.symbolic.numbers.IntegerTokenizer`): ``123456 -> + 12 3456``, ``-7 -> - 7``;
* **symbolic targets**: the recurrence in prefix notation over the operators, ``n`` and ``x_0_k`` (= ``u_{n-k}``),
  integer constants as ``INT+``/``INT-`` and base-10 digits (the core's :func:`~paper_code.symbolic.encoding.encode`);
* **numeric targets**: the next ``n_predict`` terms written like the inputs.

The float model (``kind="float"``) writes each term as sign, mantissa and exponent tokens (``FLOATS``: 4 significant
digits, one mantissa token, exponents up to ±100: the official code's default encoder; its large runs used 12
digits in three mantissa tokens), and its symbolic vocabulary holds the float operators and e, π, γ.

Both models read the same sequences: :class:`RecurrenceBatches` draws batch ``s`` of rank ``r`` from
``default_rng([seed, s, r])`` and redraws any sequence whose input or *either* target is too long, so the symbolic and
the numeric model are trained on identical draws with the same budget. Held-out sequences come from the disjoint
stream ``[seed, 0x7E57]`` (:func:`held_out_sequences`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from paper_code.recurrence.generator import (
    FLOAT_BINARY,
    FLOAT_CONSTANTS,
    FLOAT_UNARY,
    INTEGER_BINARY,
    INTEGER_UNARY,
    Recurrence,
    RecurrenceConfig,
    generate_recurrence,
    lags_of,
)
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.encoding import encode
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.numbers import FloatTokenizer, IntegerTokenizer

__all__ = ["TERMS", "FLOATS", "KINDS", "TARGETS", "decode_terms", "input_vocabulary", "symbolic_vocabulary",
           "output_vocabulary", "input_tokens",
           "symbolic_target", "numeric_target", "target_tokens", "effective_degree", "fits", "collate",
           "RecurrenceBatches", "held_out_sequences"]

#: The integer tokeniser of inputs and numeric targets: base 10,000 [§3.2].
TERMS = IntegerTokenizer(base=10_000)

#: The float model's tokeniser: sign, 4-digit mantissa, exponent [§3.2; the official code's default precision].
FLOATS = FloatTokenizer(precision=4, max_exponent=100)

#: Integer or float sequences.
KINDS = ("int", "float")

#: What each model writes.
TARGETS = ("symbolic", "numeric")

_MAX_LAG = 6  # the paper's largest degree: the symbolic vocabulary has x_0_1 .. x_0_6 whatever the preset


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is invalid; valid: {', '.join(KINDS)}")


def input_vocabulary(kind: str = "int") -> Vocabulary:
    """Encoder tokens: ``<PAD>``, ``<EOS>`` and the sign and base-10,000 digit tokens (integers) or the sign,
    mantissa and exponent tokens (floats)."""
    _check_kind(kind)
    return Vocabulary(TERMS.vocabulary if kind == "int" else FLOATS.vocabulary)


def symbolic_vocabulary(kind: str = "int") -> Vocabulary:
    """Decoder tokens of the symbolic model: the operators of ``kind``, ``n``, the lags ``x_0_1..x_0_6``, ``INT+``,
    ``INT-`` and the digits 0-9 (floats: also e, π, γ)."""
    _check_kind(kind)
    ops = [*INTEGER_BINARY, *INTEGER_UNARY] if kind == "int" else [*FLOAT_BINARY, *FLOAT_UNARY, *FLOAT_CONSTANTS]
    return Vocabulary([*ops, "n", *(f"x_0_{k}" for k in range(1, _MAX_LAG + 1)), "INT+", "INT-",
                       *(str(d) for d in range(10))])


def output_vocabulary(target: str, kind: str = "int") -> Vocabulary:
    """The decoder vocabulary of the model writing ``target`` (numeric: the input vocabulary)."""
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is invalid; valid: {', '.join(TARGETS)}")
    return symbolic_vocabulary(kind) if target == "symbolic" else input_vocabulary(kind)


def input_tokens(observed: Sequence[int] | Sequence[float], kind: str = "int") -> list[str]:
    """Encoder tokens of the observed terms."""
    _check_kind(kind)
    return TERMS.encode_sequence(observed) if kind == "int" else FLOATS.encode_flat(observed)  # type: ignore[arg-type]


def decode_terms(tokens: Sequence[str], kind: str = "int") -> list[int] | list[float]:
    """Inverse of :func:`input_tokens` (``ValueError`` when the tokens do not form whole terms)."""
    _check_kind(kind)
    if kind == "int":
        return TERMS.decode_sequence(tokens)
    if len(tokens) % 3:
        raise ValueError(f"float terms are 3 tokens each, got {len(tokens)} tokens")
    return [float(v) for v in FLOATS.decode(list(tokens))]


def symbolic_target(tree: Node) -> list[str]:
    """Prefix tokens of a recurrence."""
    return encode(tree)


def numeric_target(future: Sequence[int] | Sequence[float], kind: str = "int") -> list[str]:
    """Tokens of the terms to predict."""
    return input_tokens(future, kind)


def target_tokens(rec: Recurrence, target: str, kind: str = "int") -> list[str]:
    """What the model of ``target`` must write for ``rec``."""
    if target == "symbolic":
        return symbolic_target(rec.tree)
    if target == "numeric":
        return numeric_target(rec.future, kind)
    raise ValueError(f"target={target!r} is invalid; valid: {', '.join(TARGETS)}")


def effective_degree(rec: Recurrence) -> int:
    """The largest lag the recurrence reads (0: a function of ``n`` alone), the paper's "recurrence degree"."""
    return max(lags_of(rec.tree), default=0)


def fits(rec: Recurrence, max_input_tokens: int, max_output_tokens: int, kind: str = "int") -> bool:
    """The sequence's input and both targets fit the token limits (sequences that do not are redrawn)."""
    return (len(input_tokens(rec.observed, kind)) <= max_input_tokens
            and len(symbolic_target(rec.tree)) <= max_output_tokens
            and len(numeric_target(rec.future, kind)) <= max_output_tokens)


def collate(recs: Sequence[Recurrence], target: str, in_vocab: Vocabulary, out_vocab: Vocabulary, kind: str = "int"
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(ids (B, S_max), mask (B, S_max) True = padding, seq (B, T))`` with ``seq = <EOS> target <EOS> <PAD>…``."""
    inputs = [in_vocab.encode(input_tokens(r.observed, kind)) for r in recs]
    targets = [[out_vocab.eos_id, *out_vocab.encode(target_tokens(r, target, kind)), out_vocab.eos_id] for r in recs]
    ids = np.full((len(recs), max(map(len, inputs))), in_vocab.pad_id, dtype=np.int64)
    seq = np.full((len(recs), max(map(len, targets))), out_vocab.pad_id, dtype=np.int64)
    for b, (i, t) in enumerate(zip(inputs, targets)):
        ids[b, : len(i)] = i
        seq[b, : len(t)] = t
    ids_t = torch.from_numpy(ids)
    return ids_t, ids_t == in_vocab.pad_id, torch.from_numpy(seq)


def _draw_fitting(rng: np.random.Generator, gen: RecurrenceConfig, max_input_tokens: int, max_output_tokens: int,
                  max_redraws: int) -> Recurrence:
    for _ in range(max_redraws):
        rec = generate_recurrence(rng, gen)
        if fits(rec, max_input_tokens, max_output_tokens, gen.kind):
            return rec
    raise RuntimeError(f"{max_redraws} sequences in a row exceeded max_input_tokens={max_input_tokens} or "
                       f"max_output_tokens={max_output_tokens}")


class RecurrenceBatches:
    """On-the-fly training batches; ``get(step, rank, world_size)`` is a pure function of its arguments, and the
    sequences do not depend on ``target`` (both models are trained on the same draws)."""

    def __init__(self, gen: RecurrenceConfig, batch_size: int, *, target: str, max_input_tokens: int = 200,
                 max_output_tokens: int = 200, seed: int = 0, max_redraws: int = 1000) -> None:
        self.out_vocab = output_vocabulary(target, gen.kind)  # validates target
        self.in_vocab = input_vocabulary(gen.kind)
        self.gen, self.batch_size, self.target, self.seed = gen, batch_size, target, seed
        self.max_input_tokens, self.max_output_tokens, self.max_redraws = max_input_tokens, max_output_tokens, \
            max_redraws

    def sequences(self, rng: np.random.Generator, n: int) -> list[Recurrence]:
        return [_draw_fitting(rng, self.gen, self.max_input_tokens, self.max_output_tokens, self.max_redraws)
                for _ in range(n)]

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        if self.batch_size % world_size:
            raise ValueError(f"batch_size={self.batch_size} is not divisible by world_size={world_size}")
        rng = np.random.default_rng([self.seed, step, rank])
        return collate(self.sequences(rng, self.batch_size // world_size), self.target, self.in_vocab,
                       self.out_vocab, self.gen.kind)

    def fingerprint(self) -> dict[str, Any]:
        gen = self.gen.to_dict()
        if gen["kind"] == "int":  # keeps the fingerprint of the integer checkpoints from before the float model
            del gen["kind"]
        return {"class": type(self).__name__, "generator": gen, "target": self.target,
                "max_input_tokens": self.max_input_tokens, "max_output_tokens": self.max_output_tokens,
                "seed": self.seed, "batch_size": self.batch_size}


def held_out_sequences(n: int, gen: RecurrenceConfig, *, max_input_tokens: int = 200, max_output_tokens: int = 200,
                       seed: int = 0, max_redraws: int = 1000) -> list[Recurrence]:
    """``n`` sequences of the training distribution from the stream ``[seed, 0x7E57]`` (training batches use
    ``[seed, step, rank]``)."""
    rng = np.random.default_rng([seed, 0x7E57])
    return [_draw_fitting(rng, gen, max_input_tokens, max_output_tokens, max_redraws) for _ in range(n)]
