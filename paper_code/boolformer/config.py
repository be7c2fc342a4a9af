"""Presets for Boolformer (d'Ascoli, Bengio, Susskind, Abbé, arXiv 2309.12207): two trained models and their
evaluation.

The paper trains two models: a **noiseless** one that reads whole truth tables (§3) and a **noisy** one that
reads a few hundred noisy random-walk observations among up to 120 inactive variables (§4). Here each is
trained by its own DVC stage (``train_boolformer_noiseless``, ``train_boolformer_noisy``); a training field
tagged ``model=`` is read by that model's stage only, an untagged training field by both (the architecture and
the optimiser), so changing the noisy regime never retrains the noiseless model. Evaluation fields never
retrain anything.

``quick`` is our CPU scale: D = 1..5 and at most 15 binary gates before simplification, 60-token formulas, held-out
truth tables never trained on (noiseless); at most 16 input columns of which 1-3 active, 16-64 observed rows,
flip rate up to 0.05 (noisy); 2 + 2 layers of width 128 with 4 heads, 16-dimensional bit embeddings (about 0.9M
parameters each), AdamW 1e-3 with warm-up then cosine decay, batches of 128. ``paper`` follows the paper and its
official code: 8 + 8 layers of width 512 with 16 heads, D <= 10, 500 gates before simplification, 200-token
formulas, 120 inactive variables and up to 6 active, 30-300 observed rows, flip rate up to 0.1, AdamW 2e-4
with 5k warm-up steps, batch 1024 [v2 §2.3 and App. A]. Values in brackets are the paper's or its code's.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param

__all__ = ["BoolformerConfig", "PRESETS", "MODELS", "EXECUTION_FIELDS"]

#: The two trained models (the ``--model`` of the training command; the tag of their own training fields).
MODELS = ("noiseless", "noisy")
NOISELESS, NOISY = MODELS

#: Training fields that change how a run executes, not the model it trains (batches are pure functions of the
#: seed and step).
EXECUTION_FIELDS = ("loader_workers", "log_every", "checkpoint_every")


@dataclasses.dataclass(frozen=True)
class BoolformerConfig(StagedConfig):
    PAPER = "boolformer"

    seed: int = param(0, "master seed: training data, initial weights, held-out functions, decoding samples", ge=0,
                      stage=TRAIN)

    # -- model (paper_code/symbolic/model.py Seq2SeqConfig), both models
    d_model: int = param(128, "model width [512]", ge=8, stage=TRAIN)
    n_heads: int = param(4, "attention heads [16]", ge=1, stage=TRAIN)
    enc_layers: int = param(2, "encoder layers [8]", ge=1, stage=TRAIN)
    dec_layers: int = param(2, "decoder layers [8]", ge=1, stage=TRAIN)
    token_dim: int = param(16, "embedding width of each input bit before the row projection [v2 4, v1 64]", ge=1,
                           stage=TRAIN)

    # -- optimisation (AdamW, linear warm-up then cosine decay), both models
    batch_size: int = param(128, "formulas per batch [1024 v2; 64 v1 noiseless]", ge=1, stage=TRAIN)
    lr: float = param(1e-3, "peak learning rate [2e-4]", gt=0, le=1, stage=TRAIN)
    warmup_steps: int = param(300, "linear warm-up steps from warmup_init_lr [5000 v2]", ge=0, stage=TRAIN)
    warmup_init_lr: float = param(1e-7, "learning rate at step 0 [1e-7]", ge=0, stage=TRAIN)
    min_lr_ratio: float = param(0.05, "floor of the cosine decay as a fraction of lr [0: v2 cools down to 0]", ge=0,
                                lt=1, stage=TRAIN)
    weight_decay: float = param(0.01, "AdamW weight decay [AdamW default 0.01]", ge=0, stage=TRAIN)
    grad_clip: float = param(1.0, "global gradient-norm clip [1.0]", gt=0, stage=TRAIN)
    loader_workers: int = param(1, "processes generating batches ahead of the trainer (same batches; 0 = inline)",
                                ge=0, stage=TRAIN)
    log_every: int = param(50, "log loss and throughput every this many steps", ge=1, stage=TRAIN)
    checkpoint_every: int = param(250, "save a resumable checkpoint every this many steps", ge=1, stage=TRAIN)

    # -- the noiseless model: full truth tables (§3)
    noiseless_steps: int = param(6000, "optimizer updates of the noiseless model", ge=1, stage=TRAIN,
                                 model=NOISELESS)
    noiseless_min_dim: int = param(1, "smallest number of variables D [1 v2; 3 v1]", ge=1, le=10, stage=TRAIN,
                                   model=NOISELESS)
    noiseless_max_dim: int = param(5, "largest number of variables D [10]", ge=1, le=10, stage=TRAIN,
                                   model=NOISELESS)
    noiseless_max_binary: int = param(15, "most binary gates of a draw before simplification [500]", ge=0,
                                      stage=TRAIN, model=NOISELESS)
    noiseless_max_tokens: int = param(60, "longest simplified target formula, in prefix tokens [200]", ge=2,
                                      stage=TRAIN, model=NOISELESS)
    noiseless_rows: str = param("full", "rows the encoder reads: the whole truth table (v1) or only the minority "
                                "output's rows (v2)", choices=("full", "minority"), stage=TRAIN, model=NOISELESS)
    held_out: int = param(600, "held-out functions (distinct truth tables) never trained on, the test set of the "
                          "noiseless model", ge=0, stage=TRAIN, model=NOISELESS)
    held_out_fraction: float = param(0.1, "at most this fraction of the non-constant functions of any D is held "
                                     "out (small D has few functions)", ge=0, le=1, stage=TRAIN, model=NOISELESS)

    # -- the noisy model: noisy random-walk observations (§4)
    noisy_steps: int = param(5000, "optimizer updates of the noisy model", ge=1, stage=TRAIN, model=NOISY)
    noisy_max_active: int = param(3, "largest number of active variables S [6 v2; 10 v1]", ge=1, le=10,
                                  stage=TRAIN, model=NOISY)
    noisy_max_binary: int = param(10, "most binary gates of a draw before simplification [500 v2; 20 v1]", ge=0,
                                  stage=TRAIN, model=NOISY)
    noisy_max_tokens: int = param(40, "longest simplified target formula, in prefix tokens [200]", ge=2,
                                  stage=TRAIN, model=NOISY)
    noisy_max_inputs: int = param(16, "input columns (active + inactive) [120 v2; 130 v1]", ge=1, stage=TRAIN,
                                  model=NOISY)
    noisy_min_points: int = param(16, "fewest observed rows N [30]", ge=1, stage=TRAIN, model=NOISY)
    noisy_max_points: int = param(64, "most observed rows N [300]", ge=1, stage=TRAIN, model=NOISY)
    noisy_max_flip: float = param(0.05, "largest probability of flipping each observed bit [0.1]", ge=0, le=0.5,
                                  stage=TRAIN, model=NOISY)

    # -- the trained models the evaluation reads
    noiseless_checkpoint: str = param("models/boolformer/noiseless/model.pt", "checkpoint of the noiseless model",
                                      stage=EVALUATE)
    noisy_checkpoint: str = param("models/boolformer/noisy/model.pt", "checkpoint of the noisy model",
                                  stage=EVALUATE)

    # -- decoding (v2: 10 sampled candidates ranked by fitting error; v1: beam search)
    n_candidates: int = param(10, "sampled candidates per output, ranked by fitting accuracy [10 v2]", ge=1,
                              stage=EVALUATE)
    temperature: float = param(0.6, "sampling temperature [0.3-0.7 v2]", ge=0, stage=EVALUATE)
    beam_size: int = param(1, "beam width (1 = sampling)", ge=1, stage=EVALUATE)

    # -- evaluation
    eval_held_out: int = param(300, "held-out functions evaluated (the first of the held-out set)", ge=1,
                               stage=EVALUATE)
    eval_noisy_tasks: int = param(100, "noisy tasks per point of each noisy sweep", ge=1, stage=EVALUATE)
    circuit_beam: int = param(100, "beam width of the named circuits' decoding, all hypotheses ranked by fit [100 v1, "
                              "App. E]", ge=1, stage=EVALUATE)
    timing_functions: int = param(40, "held-out functions timed against the classical minimiser", ge=1,
                                  stage=EVALUATE)
    class_subsets: int = param(4, "random subsets of the training rows decoded per data set, the formula with the best "
                               "training F1 kept [4 v2]", ge=1, stage=EVALUATE)
    class_points: int = param(64, "training rows per subset [250-299 v2]", ge=2, stage=EVALUATE)
    grn_networks: int = param(10, "E. coli 16-gene networks evaluated (of 10), every leave-one-experiment-out fold",
                              ge=0, le=10, stage=EVALUATE)
    grn_simulated: int = param(3, "simulated 16-gene networks evaluated the same way (also when the reference data "
                               "is absent)", ge=0, stage=EVALUATE)
    grn_points: int = param(64, "transitions per gene the Boolformer reads (sampled from the fold's 503) [300]", ge=2,
                            stage=EVALUATE)
    best_fit_regulators: int = param(2, "largest regulator set of the Best-Fit search", ge=1, le=4, stage=EVALUATE)
    reveal_regulators: int = param(3, "largest regulator set of the REVEAL search", ge=1, le=4, stage=EVALUATE)
    eval_seed: int = param(0, "seed of the evaluation's draws (noisy tasks, data splits, baselines)", ge=0,
                           stage=EVALUATE)
    eval_workers: int = param(0, "processes sharing the evaluation's fits (one thread each; same results); 0 = one "
                              "per CPU core", ge=0, stage=EVALUATE)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        if self.noiseless_min_dim > self.noiseless_max_dim:
            self.fail("noiseless_min_dim", f"must be <= noiseless_max_dim={self.noiseless_max_dim}")
        if self.noisy_min_points > self.noisy_max_points:
            self.fail("noisy_min_points", f"must be <= noisy_max_points={self.noisy_max_points}")
        if self.noisy_max_active > self.noisy_max_inputs:
            self.fail("noisy_max_active", f"must be <= noisy_max_inputs={self.noisy_max_inputs}")
        if self.warmup_init_lr > self.lr:
            self.fail("warmup_init_lr", f"must be <= lr={self.lr}")
        if self.beam_size > 1 and self.beam_size < self.n_candidates:
            self.fail("beam_size", f"beam search returns beam_size candidates; set n_candidates <= {self.beam_size}")
        for key in ("noiseless_checkpoint", "noisy_checkpoint"):
            if not getattr(self, key).endswith(".pt"):
                self.fail(key, f"must be a .pt file, got {getattr(self, key)!r}")


PRESETS = {
    "quick": BoolformerConfig(),
    # About 60M parameters per model, for GPUs (v2: about one day on 4 H100s).
    "paper": BoolformerConfig(
        d_model=512, n_heads=16, enc_layers=8, dec_layers=8, token_dim=4, batch_size=1024, lr=2e-4,
        warmup_steps=5000, min_lr_ratio=0.0, log_every=200, checkpoint_every=2000, loader_workers=8,
        noiseless_steps=70_000, noiseless_max_dim=10, noiseless_max_binary=500, noiseless_max_tokens=200,
        noiseless_rows="minority", held_out=3000, held_out_fraction=0.1,
        noisy_steps=70_000, noisy_max_active=6, noisy_max_binary=500, noisy_max_tokens=200, noisy_max_inputs=120,
        noisy_min_points=30, noisy_max_points=300, noisy_max_flip=0.1,
        n_candidates=10, temperature=0.5, eval_held_out=3000, eval_noisy_tasks=300,
    ),
}
