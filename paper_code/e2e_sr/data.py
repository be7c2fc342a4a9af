"""Tokens, training batches and held-out examples of the two E2E models (Kamienny et al., NeurIPS 2022, §2-3).

* **inputs**: one row ``(x_0..x_{D-1}, y)`` per point, every number three float tokens (sign, mantissa, exponent;
  the core's :class:`~paper_code.symbolic.numbers.FloatTokenizer`), padded to ``max_dim + 1`` values and embedded
  as one encoder position per point (the core's point embedder, §3.1);
* **targets**: the function in prefix notation, its constants written as float tokens (the **end-to-end** model,
  ``"end_to_end"``) or as the placeholder ``C`` (the **skeleton** model, ``"skeleton"``, whose constants are fitted
  afterwards).

Both models read the same examples: :class:`FunctionBatches` draws batch ``s`` of rank ``r`` from
``default_rng([seed, s, r])`` and redraws any example whose end-to-end target (the longer of the two) exceeds
``max_output_tokens``; only the target differs, so the comparison has the same data and budget. Held-out examples
come from the disjoint stream ``[seed, 0x7E57]`` (:func:`held_out_examples`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from paper_code.e2e_sr.generator import Example, FunctionGeneratorConfig, sample_example
from paper_code.symbolic.embedder import Vocabulary, input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.encoding import encode
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["TARGETS", "target_tokens", "point_rows", "collate", "FunctionBatches", "held_out_examples",
           "vocabularies"]

#: What each model writes: the whole function, or its skeleton.
TARGETS = ("end_to_end", "skeleton")


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"target={target!r} is invalid; valid: {', '.join(TARGETS)}")


def target_tokens(ex: Example, target: str, floats: FloatTokenizer) -> list[str]:
    """Prefix tokens the model of ``target`` must write for ``ex``."""
    _check_target(target)
    return encode(ex.tree if target == "end_to_end" else ex.skeleton(), floats)


def point_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The encoder's input rows ``(N, D + 1)``: the inputs then the output."""
    return np.concatenate([np.asarray(x, float), np.asarray(y, float)[:, None]], axis=1)


def vocabularies(floats: FloatTokenizer, max_dim: int) -> tuple[Vocabulary, Vocabulary]:
    """Input (float tokens) and output (operators, ``x_0..x_{max_dim-1}``, ``C``, float tokens) vocabularies."""
    return input_vocabulary(floats), output_vocabulary(floats, max_dim=max_dim)


def collate(examples: Sequence[Example], target: str, floats: FloatTokenizer, in_vocab: Vocabulary,
            out_vocab: Vocabulary, max_dim: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(point ids (B, N_max, 3(max_dim + 1)), point mask (B, N_max) True = padding, seq (B, T))`` with
    ``seq = <EOS> target <EOS> <PAD>...``."""
    ids, mask = tokenize_points([point_rows(e.x, e.y) for e in examples], floats, in_vocab, max_dim + 1)
    targets = [[out_vocab.eos_id, *out_vocab.encode(target_tokens(e, target, floats)), out_vocab.eos_id]
               for e in examples]
    seq = np.full((len(examples), max(map(len, targets))), out_vocab.pad_id, dtype=np.int64)
    for b, t in enumerate(targets):
        seq[b, : len(t)] = t
    return ids, mask, torch.from_numpy(seq)


def _draw_fitting(rng: np.random.Generator, gen: FunctionGeneratorConfig, floats: FloatTokenizer,
                  max_output_tokens: int, max_redraws: int) -> Example:
    for _ in range(max_redraws):
        ex = sample_example(rng, gen)
        if len(encode(ex.tree, floats)) <= max_output_tokens:
            return ex
    raise RuntimeError(f"{max_redraws} examples in a row exceeded max_output_tokens={max_output_tokens}")


class FunctionBatches:
    """On-the-fly training batches; ``get(step, rank, world_size)`` is a pure function of its arguments, and the
    examples do not depend on ``target`` (both models are trained on the same draws)."""

    def __init__(self, gen: FunctionGeneratorConfig, floats: FloatTokenizer, batch_size: int, *, target: str,
                 max_output_tokens: int = 200, seed: int = 0, max_redraws: int = 1000) -> None:
        _check_target(target)
        self.gen, self.floats, self.batch_size, self.target, self.seed = gen, floats, batch_size, target, seed
        self.max_output_tokens, self.max_redraws = max_output_tokens, max_redraws
        self.in_vocab, self.out_vocab = vocabularies(floats, gen.max_dim)

    def examples(self, rng: np.random.Generator, n: int) -> list[Example]:
        return [_draw_fitting(rng, self.gen, self.floats, self.max_output_tokens, self.max_redraws)
                for _ in range(n)]

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        if self.batch_size % world_size:
            raise ValueError(f"batch_size={self.batch_size} is not divisible by world_size={world_size}")
        rng = np.random.default_rng([self.seed, step, rank])
        return collate(self.examples(rng, self.batch_size // world_size), self.target, self.floats, self.in_vocab,
                       self.out_vocab, self.gen.max_dim)

    def fingerprint(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "generator": self.gen.to_dict(), "floats": self.floats.to_dict(),
                "target": self.target, "max_output_tokens": self.max_output_tokens, "seed": self.seed,
                "batch_size": self.batch_size}


def held_out_examples(n: int, gen: FunctionGeneratorConfig, floats: FloatTokenizer, *, max_output_tokens: int = 200,
                      seed: int = 0, max_redraws: int = 1000, **fixed: int) -> list[Example]:
    """``n`` examples of the training distribution from the stream ``[seed, 0x7E57]`` (training batches use
    ``[seed, step, rank]``); ``fixed`` passes ``dim=`` / ``n_points=`` to fix D or N."""
    rng = np.random.default_rng([seed, 0x7E57, *sorted(fixed.values())])
    out = []
    for _ in range(n):
        for _ in range(max_redraws):
            ex = sample_example(rng, gen, **fixed)
            if len(encode(ex.tree, floats)) <= max_output_tokens:
                out.append(ex)
                break
        else:
            raise RuntimeError(f"{max_redraws} examples in a row exceeded max_output_tokens={max_output_tokens}")
    return out
