"""What the Boolformer encoder reads: observed rows (x, y) of a Boolean function, noiseless or noisy.

Paper: arXiv 2309.12207 v2, §3 (noiseless) and §4 (noisy), App. A.2; official code GitHub
``sdascoli/boolformer``.

* **Noiseless** (:func:`noiseless_rows`): the whole truth table of the D active variables (v1), or only the
  rows whose output is the minority value (v2; at most 2^(D-1) rows, and the value itself tells which rows
  were left out, so the table is still determined).
* **Noisy** (:func:`noisy_task`): the function's S active variables are placed among D_total input columns
  (the others are inactive); inputs are a random walk on the hypercube (a uniform start, then each bit
  flipped with probability ``p_walk`` per step); 2N steps, the first N to fit, the next N held out; every
  input bit and output bit of the fit rows is flipped with probability ``p_flip``, the held-out rows are
  clean.
* **Tokens** (:func:`row_tokens`): one encoder position per row: the D_total input bits padded to
  ``max_inputs`` with ``<PAD>``, then y; ids of the core's :class:`~paper_code.symbolic.embedder.Vocabulary`
  over the tokens ``0`` and ``1`` (:data:`INPUT_VOCAB`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paper_code.boolformer.formulas import BooleanFormula, all_inputs, evaluate_rows  # evaluate_rows: re-exported
from paper_code.common.config import Validated, param
from paper_code.symbolic.embedder import Vocabulary
from paper_code.symbolic.expressions import Node

__all__ = ["INPUT_VOCAB", "noiseless_rows", "NoiseConfig", "NoisyTask", "random_walk", "evaluate_rows",
           "noisy_task", "row_tokens"]

#: Input tokens: ``<PAD>`` (0), ``<EOS>`` (1, unused by the encoder), ``0`` and ``1``.
INPUT_VOCAB = Vocabulary(["0", "1"])


def noiseless_rows(formula: BooleanFormula, rows: str = "full") -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: (n, D) and (n,) uint8 rows of the truth table; ``rows="minority"`` keeps only the rows of
    the minority output value (ties: the rows where y = 1)."""
    X, y = all_inputs(formula.dim), formula.table
    if rows == "full":
        return X.copy(), y.copy()
    if rows == "minority":
        minority = int(2 * y.sum() <= len(y))
        keep = y == minority
        return X[keep].copy(), y[keep].copy()
    raise ValueError(f"rows={rows!r} is invalid; valid: 'full', 'minority'")


@dataclass(frozen=True)
class NoiseConfig(Validated):
    """The noisy regime's observation process (v2 text values; v1 script values in brackets)."""

    min_points: int = param(30, "fewest observed rows N [30]", ge=1)
    max_points: int = param(300, "most observed rows N [300; v1 601]", ge=1)
    min_inactive: int = param(0, "fewest inactive input variables added to the active ones [0]", ge=0)
    max_inactive: int = param(120, "most inactive input variables added to the active ones [120]", ge=0)
    max_inputs: int = param(130, "input columns of the encoder (active + inactive, padded) [v1 130]", ge=1)
    min_walk: float = param(0.05, "smallest per-step bit-flip probability of the input random walk [0.05]",
                            ge=0, le=1)
    max_walk: float = param(0.25, "largest per-step bit-flip probability of the input random walk [0.25]",
                            ge=0, le=1)
    min_flip: float = param(0.0, "smallest probability of flipping each input and output bit of the fit rows [0]",
                            ge=0, le=0.5)
    max_flip: float = param(0.1, "largest probability of flipping each input and output bit of the fit rows [0.1]",
                            ge=0, le=0.5)

    def validate(self) -> None:
        if self.min_points > self.max_points:
            self.fail("min_points", f"must be <= max_points={self.max_points}")
        if self.min_walk > self.max_walk:
            self.fail("min_walk", f"must be <= max_walk={self.max_walk}")
        if self.min_flip > self.max_flip:
            self.fail("min_flip", f"must be <= max_flip={self.max_flip}")
        if self.min_inactive > self.max_inactive:
            self.fail("min_inactive", f"must be <= max_inactive={self.max_inactive}")


@dataclass(frozen=True)
class NoisyTask:
    """One noisy observation of a function: fit rows (corrupted) and held-out rows (clean).

    ``columns[j]`` is the input column of the drawn formula's variable ``x_j``; the other columns are
    inactive. ``tree`` is the formula written over the input columns (``x_j`` renamed ``x_{columns[j]}``):
    the target a model must find.
    """

    tree: Node
    X_fit: np.ndarray
    y_fit: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    columns: dict[int, int]
    p_walk: float
    p_flip: float

    @property
    def n_inputs(self) -> int:
        return self.X_fit.shape[1]


def random_walk(rng: np.random.Generator, n: int, dim: int, p: float) -> np.ndarray:
    """(n, dim) uint8: a uniform random start, then each bit flipped with probability ``p`` at each step."""
    flips = rng.random((n, dim)) < p
    flips[0] = rng.random(dim) < 0.5  # the start: uniform bits
    return (np.cumsum(flips, axis=0) % 2).astype(np.uint8)


def noisy_task(formula: BooleanFormula, rng: np.random.Generator, cfg: NoiseConfig = NoiseConfig()) -> NoisyTask:
    """One draw of the noisy observation process (module doc) for ``formula``."""
    n_active = len(formula.active)
    if n_active + cfg.min_inactive > cfg.max_inputs:
        raise ValueError(f"{n_active} active and at least {cfg.min_inactive} inactive variables do not fit in "
                         f"max_inputs={cfg.max_inputs} columns")
    n_inactive = int(rng.integers(cfg.min_inactive, min(cfg.max_inactive, cfg.max_inputs - n_active) + 1))
    width = n_active + n_inactive
    placed = rng.permutation(width)[:n_active]
    columns = {j: int(c) for j, c in zip(formula.active, placed)}
    tree = formula.tree.relabel({f"x_{j}": f"x_{c}" for j, c in columns.items()})
    n = int(rng.integers(cfg.min_points, cfg.max_points + 1))
    p_walk = float(rng.uniform(cfg.min_walk, cfg.max_walk))
    p_flip = float(rng.uniform(cfg.min_flip, cfg.max_flip))
    X = random_walk(rng, 2 * n, width, p_walk)
    y = evaluate_rows(tree, X)
    X_fit, y_fit = X[:n].copy(), y[:n].copy()
    X_fit ^= (rng.random(X_fit.shape) < p_flip).astype(np.uint8)
    y_fit ^= (rng.random(n) < p_flip).astype(np.uint8)
    return NoisyTask(tree, X_fit, y_fit, X[n:].copy(), y[n:].copy(), columns, p_walk, p_flip)


def row_tokens(X: np.ndarray, y: np.ndarray, max_inputs: int) -> np.ndarray:
    """(n, max_inputs + 1) int64 ids of :data:`INPUT_VOCAB`: the input bits, ``<PAD>`` up to ``max_inputs``,
    then the output bit."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (n, D) and y (n,), got {X.shape} and {y.shape}")
    if X.shape[1] > max_inputs:
        raise ValueError(f"{X.shape[1]} input columns exceed max_inputs={max_inputs}")
    if X.size and not np.isin(X, (0, 1)).all() or y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("inputs and outputs must be 0/1")
    zero, one = INPUT_VOCAB.stoi["0"], INPUT_VOCAB.stoi["1"]
    out = np.full((len(X), max_inputs + 1), INPUT_VOCAB.pad_id, dtype=np.int64)
    out[:, : X.shape[1]] = np.where(X == 1, one, zero)
    out[:, -1] = np.where(y == 1, one, zero)
    return out
