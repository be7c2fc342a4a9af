"""Training and test data of Boolformer: examples, the held-out test functions, on-the-fly batches.

Paper: arXiv 2309.12207 v2 §2-4 and App. A; official code GitHub ``sdascoli/boolformer``. Data is generated
on the fly (v2 §2.3): batch ``s`` of rank ``r`` is a pure function of ``(seed, s, r)``, which is what makes
resumed and data-parallel runs exact (the shared :class:`~paper_code.common.training.Trainer` contract).

Held-out functions (:func:`held_out_formulas`) come from a seed stream disjoint from training, and their truth
tables are never trained on: :class:`BooleanBatches` redraws any training formula whose
:attr:`~paper_code.boolformer.formulas.BooleanFormula.key` (dimension and truth table) is held out. A small
dimension has few functions (2 with D = 1, 14 with D = 2, 254 with D = 3), so at most ``max_fraction`` of
the non-constant functions of each dimension are held out; D = 1 is then never tested (its two functions,
x and ¬x, stay in training), and from D = 5 on (4·10⁹ functions) the cap does not bind.

Targets (:func:`target_tokens`): the formula in prefix notation over the input columns (``and``, ``or``,
``not``, ``x_j``), wrapped as ``<EOS> … <EOS>`` by the batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from paper_code.boolformer.formulas import BooleanFormula, FormulaConfig, random_formula
from paper_code.boolformer.inputs import NoiseConfig, noiseless_rows, noisy_task, row_tokens
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.encoding import encode
from paper_code.symbolic.expressions import Node

__all__ = ["REGIMES", "output_vocabulary", "Example", "make_example", "target_tokens", "held_out_formulas",
           "BooleanBatches", "collate"]

#: The two regimes of the paper: full truth tables (§3) and noisy observations (§4).
REGIMES = ("noiseless", "noisy")


def output_vocabulary(n_inputs: int) -> Vocabulary:
    """Decoder tokens: the gates, the variables ``x_0 … x_{n_inputs-1}`` and the constants 0/1 (``INT+ 0``,
    ``INT+ 1``: a constant function is written as a constant)."""
    return Vocabulary(["and", "or", "not", *(f"x_{j}" for j in range(n_inputs)), "INT+", "0", "1"])


@dataclass(frozen=True)
class Example:
    """One (rows → formula) pair: the rows the encoder reads, the target tree over the input columns, and the
    function it came from (``task`` holds the held-out rows in the noisy regime)."""

    X: np.ndarray
    y: np.ndarray
    tree: Node
    formula: BooleanFormula
    task: Any = None


def make_example(formula: BooleanFormula, rng: np.random.Generator, regime: str = "noiseless",
                 rows: str = "full", noise: NoiseConfig | None = None) -> Example:
    """The observation of ``formula`` in ``regime`` (:mod:`paper_code.boolformer.inputs`; ``noise``: the
    noisy process, its defaults when None)."""
    if regime == "noiseless":
        X, y = noiseless_rows(formula, rows)
        return Example(X, y, formula.tree, formula)
    if regime == "noisy":
        task = noisy_task(formula, rng, noise or NoiseConfig())
        return Example(task.X_fit, task.y_fit, task.tree, formula, task)
    raise ValueError(f"regime={regime!r} is invalid; valid: {', '.join(REGIMES)}")


def target_tokens(tree: Node) -> list[str]:
    """Prefix tokens of a formula (the core's encoding; constants as ``INT+ 0`` / ``INT+ 1``)."""
    return encode(tree)


def held_out_formulas(n: int, cfg: FormulaConfig, seed: int = 0, max_fraction: float = 0.1,
                      max_draws: int | None = None) -> list[BooleanFormula]:
    """``n`` distinct functions (by truth table) of the generator, from the stream ``[seed, 0x7E57]`` (training
    draws use ``[seed, step, rank]``), at most ``max_fraction`` of the non-constant functions of any dimension."""
    if not 0 <= max_fraction <= 1:
        raise ValueError(f"max_fraction={max_fraction} must lie in [0, 1]")
    rng = np.random.default_rng([seed, 0x7E57])
    out: dict[bytes, BooleanFormula] = {}
    per_dim: dict[int, int] = {}
    for _ in range(max_draws if max_draws is not None else 200 * n):
        if len(out) == n:
            return list(out.values())
        f = random_formula(rng, cfg)
        cap = max_fraction * (2.0 ** (2**f.dim) - 2)
        if f.key in out or per_dim.get(f.dim, 0) + 1 > cap:
            continue
        out[f.key] = f
        per_dim[f.dim] = per_dim.get(f.dim, 0) + 1
    raise RuntimeError(f"found only {len(out)} of {n} distinct held-out functions: widen the generator "
                       f"(max_dim={cfg.max_dim}) or lower n")


def collate(examples: list[Example], n_inputs: int, out_vocab: Vocabulary) -> tuple[torch.Tensor, ...]:
    """``(ids (B, N_max, n_inputs + 1), mask (B, N_max) True = padded row, seq (B, T))`` with
    ``seq = <EOS> target <EOS> <PAD>…``."""
    n_max = max(len(e.y) for e in examples)
    ids = np.zeros((len(examples), n_max, n_inputs + 1), dtype=np.int64)
    mask = np.ones((len(examples), n_max), dtype=bool)
    targets = [[out_vocab.eos_id, *out_vocab.encode(target_tokens(e.tree)), out_vocab.eos_id] for e in examples]
    seq = np.full((len(examples), max(len(t) for t in targets)), out_vocab.pad_id, dtype=np.int64)
    for b, (e, t) in enumerate(zip(examples, targets)):
        ids[b, : len(e.y)] = row_tokens(e.X, e.y, n_inputs)
        mask[b, : len(e.y)] = False
        seq[b, : len(t)] = t
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(seq)


class BooleanBatches:
    """On-the-fly training batches; ``get(step, rank, world_size)`` is a pure function of its arguments.

    Each rank draws ``batch_size // world_size`` examples from ``default_rng([seed, step, rank])``, redrawing
    formulas whose function is in ``exclude`` (the held-out keys) or whose target exceeds ``max_len`` tokens
    with both ``<EOS>``.
    """

    def __init__(self, formulas: FormulaConfig, batch_size: int, *, regime: str = "noiseless", rows: str = "full",
                 noise: NoiseConfig | None = None, n_inputs: int | None = None, max_len: int = 202,
                 exclude: frozenset[bytes] = frozenset(), seed: int = 0, max_redraws: int = 1000) -> None:
        if regime not in REGIMES:
            raise ValueError(f"regime={regime!r} is invalid; valid: {', '.join(REGIMES)}")
        noise = noise or NoiseConfig()
        self.formulas, self.batch_size, self.regime, self.rows, self.noise = formulas, batch_size, regime, rows, noise
        self.n_inputs = n_inputs or (noise.max_inputs if regime == "noisy" else formulas.max_dim)
        widest = noise.max_inputs if regime == "noisy" else formulas.max_dim
        if self.n_inputs < widest:
            raise ValueError(f"n_inputs={self.n_inputs} is narrower than the widest input ({widest} columns)")
        self.max_len, self.exclude, self.seed, self.max_redraws = max_len, frozenset(exclude), seed, max_redraws
        self.out_vocab = output_vocabulary(self.n_inputs)

    def examples(self, rng: np.random.Generator, n: int) -> list[Example]:
        out = []
        for _ in range(n):
            for _ in range(self.max_redraws):
                f = random_formula(rng, self.formulas)
                if f.key not in self.exclude and len(target_tokens(f.tree)) + 2 <= self.max_len:
                    break
            else:
                raise RuntimeError(f"{self.max_redraws} draws in a row were held out or longer than "
                                   f"max_len={self.max_len}")
            out.append(make_example(f, rng, self.regime, self.rows, self.noise))
        return out

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[torch.Tensor, ...]:
        if self.batch_size % world_size:
            raise ValueError(f"batch_size={self.batch_size} is not divisible by world_size={world_size}")
        rng = np.random.default_rng([self.seed, step, rank])
        return collate(self.examples(rng, self.batch_size // world_size), self.n_inputs, self.out_vocab)

    def fingerprint(self) -> dict[str, Any]:
        return {"class": type(self).__name__, "formulas": self.formulas.to_dict(), "regime": self.regime,
                "rows": self.rows, "noise": self.noise.to_dict(), "n_inputs": self.n_inputs,
                "max_len": self.max_len, "seed": self.seed, "batch_size": self.batch_size,
                "n_excluded": len(self.exclude)}
