"""Presets for length generalization in arithmetic transformers (Jelassi, d'Ascoli, Domingo-Enrich, Wu, Li, Charton,
arXiv 2306.15400).

The abstract fixes the experiments: addition trained on 5-digit operands and tested on 15 digits, with relative
position embeddings succeeding where absolute ones fail; n × 3 multiplication trained on 5 × 3, where relative
embeddings fail at 35 × 3 unless the training set is *primed* with 10 to 50 long examples; priming for other
lengths; and a priming count that grows like the log of the training-set size. The paper's body (model sizes,
schedules, training-set sizes) could not be checked, so every size here is our choice, stated with its reason.

Three groups of models, each trained by its own DVC stage (``train_arithmetic_<group>``; :data:`GROUPS`) into one
file of checkpoints; a training field tagged ``model=<group>`` is read by that group's stage only:

* ``addition``: one model per position encoding (and seed) on 1..``add_train_digits``-digit additions in the
  padded layout, plus the compact layout for two encodings (negative control);
* ``multiplication``: the relative-key model on n × ``mul_m`` products, n <= ``mul_train_digits``, from a finite
  training set of ``mul_train_size`` problems, unprimed and primed at the target length ``mul_prime_length`` with
  each count of ``mul_primes``, and primed over several lengths at once (``mul_multi_lengths``);
* ``priming_law``: the same task at several training-set sizes ``law_train_sizes`` and priming counts
  ``law_primes``, for the smallest count reaching ``law_threshold`` at the target length.

``quick`` is our CPU scale (2 layers of width 64, minutes per model); ``paper`` uses the sizes the brief of the
paper's setting suggests (the paper's 5 × 3 → 35 × 3 task, 5M-example training sets) for GPUs.
"""
from __future__ import annotations

import dataclasses

from paper_code.arithmetic.model import POSITIONS
from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param

__all__ = ["ArithmeticConfig", "PRESETS", "GROUPS", "ADDITION", "MULTIPLICATION", "PRIMING_LAW", "EXECUTION_FIELDS"]

#: The groups of trained models (the ``--model`` of the training command; the tag of their own training fields).
GROUPS = ("addition", "multiplication", "priming_law")
ADDITION, MULTIPLICATION, PRIMING_LAW = GROUPS

#: Training fields that change how a run executes, not the models it trains.
EXECUTION_FIELDS = ("log_every", "checkpoint_every", "train_workers")


@dataclasses.dataclass(frozen=True)
class ArithmeticConfig(StagedConfig):
    PAPER = "arithmetic_length_generalization"

    seed: int = param(0, "master seed: training sets, initial weights, priming examples", ge=0, stage=TRAIN)

    # -- model (paper_code/arithmetic/model.py), every group
    d_model: int = param(64, "model width", ge=8, stage=TRAIN)
    n_heads: int = param(4, "attention heads", ge=1, stage=TRAIN)
    n_layers: int = param(2, "transformer blocks (encoder-only)", ge=1, stage=TRAIN)
    ffn_mult: int = param(4, "MLP hidden width / d_model", ge=1, stage=TRAIN)
    clip: int = param(48, "relative encodings: largest offset told apart; must reach the answer slot's offset to "
                      "its operand digits in the padded layout (2 * width + 2 for addition)", ge=1, stage=TRAIN)
    max_positions: int = param(256, "absolute encoding: rows of the learned table", ge=1, stage=TRAIN)

    # -- optimisation (AdamW, linear warm-up then cosine decay), every group
    batch_size: int = param(128, "problems per batch", ge=1, stage=TRAIN)
    lr: float = param(3e-3, "peak learning rate (3e-3 learns addition about three times faster than 1e-3 here)", gt=0,
                      le=1, stage=TRAIN)
    warmup_steps: int = param(200, "linear warm-up steps", ge=0, stage=TRAIN)
    min_lr_ratio: float = param(0.1, "floor of the cosine decay as a fraction of lr", ge=0, lt=1, stage=TRAIN)
    weight_decay: float = param(0.0, "AdamW weight decay", ge=0, stage=TRAIN)
    grad_clip: float = param(1.0, "global gradient-norm clip", gt=0, stage=TRAIN)
    train_workers: int = param(0, "processes training a group's runs side by side, one torch thread each (same "
                               "models); 0 = one per CPU core", ge=0, stage=TRAIN)
    log_every: int = param(100, "log the loss every this many steps", ge=1, stage=TRAIN)
    checkpoint_every: int = param(500, "save a resumable checkpoint every this many steps", ge=1, stage=TRAIN)

    # -- addition: every position encoding, trained on short operands [abstract: 5 digits -> 15]
    add_width: int = param(20, "padded layout: digits of each operand (the longest test length)", ge=2,
                           stage=TRAIN, model=ADDITION)
    add_train_digits: int = param(5, "longest training operand, in digits [5]", ge=1, stage=TRAIN, model=ADDITION)
    add_train_size: int = param(200_000, "distinct training problems, lengths 1..add_train_digits uniform", ge=1,
                                stage=TRAIN, model=ADDITION)
    add_steps: int = param(3000, "optimizer updates per addition model", ge=1, stage=TRAIN, model=ADDITION)
    add_positions: tuple[str, ...] = param(POSITIONS, "position encodings trained on the padded layout",
                                           stage=TRAIN, model=ADDITION)
    add_seeds: int = param(1, "seeds of every padded-layout addition model", ge=1, stage=TRAIN, model=ADDITION)
    add_extra_seeds: int = param(1, "more seeds of the absolute and relative_k models (the claims' pair)", ge=0,
                                 stage=TRAIN, model=ADDITION)
    add_compact_positions: tuple[str, ...] = param(("absolute", "relative_k"), "position encodings also trained on "
                                                   "the compact layout (negative control)", stage=TRAIN,
                                                   model=ADDITION)

    # -- multiplication n x m, with and without priming [abstract: 5 x 3 -> 35 x 3, 10 to 50 primes]
    mul_m: int = param(1, "digits of the second operand [3]", ge=1, stage=TRAIN, model=MULTIPLICATION)
    mul_width: int = param(12, "padded layout: digits of the first operand (the longest test length)", ge=2,
                           stage=TRAIN, model=MULTIPLICATION)
    mul_train_digits: int = param(5, "longest training first operand, in digits [5]", ge=1, stage=TRAIN,
                                  model=MULTIPLICATION)
    mul_train_size: int = param(10_000, "distinct (unprimed) training problems [5M]", ge=1, stage=TRAIN,
                                model=MULTIPLICATION)
    mul_steps: int = param(3000, "optimizer updates per multiplication model", ge=1, stage=TRAIN,
                           model=MULTIPLICATION)
    mul_position: str = param("relative_k", "position encoding of the multiplication models", choices=POSITIONS,
                              stage=TRAIN, model=MULTIPLICATION)
    mul_prime_length: int = param(10, "target length L* of the single-length priming [35]", ge=2, stage=TRAIN,
                                  model=MULTIPLICATION)
    mul_primes: tuple[int, ...] = param((0, 10, 50, 200), "priming counts at L* (0 = unprimed) [10 to 50]",
                                        stage=TRAIN, model=MULTIPLICATION)
    mul_multi_lengths: tuple[int, ...] = param((6, 8, 10, 12), "lengths primed at once by the multi-length model",
                                               stage=TRAIN, model=MULTIPLICATION)
    mul_multi_primes: int = param(200, "priming examples of the multi-length model, split evenly over its lengths",
                                  ge=1, stage=TRAIN, model=MULTIPLICATION)

    # -- the priming law: counts needed vs training-set size (same task as multiplication)
    law_train_sizes: tuple[int, ...] = param((2_500, 5_000, 10_000, 20_000), "training-set sizes [1e5-5e6]",
                                             stage=TRAIN, model=PRIMING_LAW)
    law_primes: tuple[int, ...] = param((25, 50, 100, 200, 400), "priming counts at L* per size", stage=TRAIN,
                                        model=PRIMING_LAW)
    law_steps: int = param(3000, "optimizer updates per priming-law model", ge=1, stage=TRAIN, model=PRIMING_LAW)

    # -- the trained models the evaluation reads
    addition_checkpoint: str = param("models/arithmetic/addition.pt", "checkpoints of the addition group",
                                     stage=EVALUATE)
    multiplication_checkpoint: str = param("models/arithmetic/multiplication.pt", "checkpoints of the "
                                           "multiplication group", stage=EVALUATE)
    priming_law_checkpoint: str = param("models/arithmetic/priming_law.pt", "checkpoints of the priming-law group",
                                        stage=EVALUATE)

    # -- evaluation
    test_size: int = param(1000, "held-out test problems per length, from the longest training length to the padded "
                           "width (the same for every model of a task; training never sees them)", ge=1,
                           stage=TRAIN)
    test_seed: int = param(1, "seed of the held-out test problems", ge=0, stage=TRAIN)
    add_test_lengths: tuple[int, ...] = param((5, 6, 8, 10, 12, 15, 18, 20), "addition test lengths",
                                              stage=EVALUATE)
    mul_test_lengths: tuple[int, ...] = param((5, 6, 7, 8, 9, 10, 11, 12), "multiplication test lengths",
                                              stage=EVALUATE)
    law_threshold: float = param(0.5, "exact-match accuracy at L* that defines the priming count needed (0.5: in "
                                 "pilots at quick scale no count we could afford reached 0.8)", gt=0,
                                 le=1, stage=EVALUATE)

    def checkpoint_path(self, group: str) -> str:
        """The checkpoint file of ``group``."""
        if group not in GROUPS:
            raise ValueError(f"group={group!r} is invalid; valid: {', '.join(GROUPS)}")
        return getattr(self, f"{group}_checkpoint")

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        for key in ("add_positions", "add_compact_positions"):
            bad = [p for p in getattr(self, key) if p not in POSITIONS]
            if bad:
                self.fail(key, f"unknown encodings {bad}; valid: {', '.join(POSITIONS)}")
        if not self.add_positions:
            self.fail("add_positions", "needs at least one encoding")
        if self.add_train_digits >= self.add_width:
            self.fail("add_train_digits", f"must be < add_width={self.add_width} (longer tests need room)")
        if self.mul_train_digits >= self.mul_width:
            self.fail("mul_train_digits", f"must be < mul_width={self.mul_width}")
        if not self.mul_train_digits < self.mul_prime_length <= self.mul_width:
            self.fail("mul_prime_length", f"must lie in ({self.mul_train_digits}, {self.mul_width}]")
        if any(not self.mul_train_digits < n <= self.mul_width for n in self.mul_multi_lengths):
            self.fail("mul_multi_lengths", f"every length must lie in ({self.mul_train_digits}, {self.mul_width}]")
        for key in ("mul_primes", "law_primes"):
            if not getattr(self, key) or any(n < 0 for n in getattr(self, key)):
                self.fail(key, "needs one or more counts >= 0")
        if not self.law_train_sizes or any(n < self.batch_size for n in self.law_train_sizes):
            self.fail("law_train_sizes", f"needs one or more sizes >= batch_size={self.batch_size}")
        if self.mul_train_size < self.batch_size:
            self.fail("mul_train_size", f"must be >= batch_size={self.batch_size}")
        for key, width in (("add_test_lengths", self.add_width), ("mul_test_lengths", self.mul_width)):
            if not getattr(self, key) or any(not 1 <= n <= width for n in getattr(self, key)):
                self.fail(key, f"every length must lie in [1, {width}] (the padded width)")
        if self.max_positions < 3 * self.add_width + 3:
            self.fail("max_positions", f"must hold the addition input, {3 * self.add_width + 3} tokens")
        for group in GROUPS:
            if not self.checkpoint_path(group).endswith(".pt"):
                self.fail(f"{group}_checkpoint", "must be a .pt file")


PRESETS = {
    "quick": ArithmeticConfig(),
    # The abstract's tasks at sizes for GPUs: 5 x 3 -> 35 x 3 multiplication, 5M-example training sets.
    "paper": ArithmeticConfig(
        d_model=256, n_heads=8, n_layers=4, batch_size=256, checkpoint_every=5000, log_every=500,
        add_width=20, add_train_size=2_000_000, add_steps=50_000, add_seeds=3, add_extra_seeds=0,
        mul_m=3, mul_width=35, mul_train_size=5_000_000, mul_steps=100_000, mul_prime_length=35,
        mul_primes=(0, 10, 25, 50), mul_multi_lengths=(10, 15, 20, 25, 30, 35), mul_multi_primes=150,
        law_train_sizes=(100_000, 300_000, 1_000_000, 3_000_000), law_steps=100_000, clip=96,
        mul_test_lengths=(5, 6, 10, 15, 20, 25, 30, 35),
    ),
}
