"""Presets for end-to-end symbolic regression (Kamienny, d'Ascoli, Lample, Charton, NeurIPS 2022, arXiv 2204.10532):
two models trained with the same budget, and their evaluation.

The paper's ablation (§4.1) compares an **end-to-end** model (writes the whole function, constants included) with
a **skeleton** model (writes the function with its constants replaced by ``C``, fitted afterwards by BFGS: the
two-step approach of earlier work). Each is trained by its own DVC stage (``train_e2e_sr_end_to_end``,
``train_e2e_sr_skeleton``) on exactly the same examples: batches are pure functions of ``(seed, step, rank)``, only
the target differs.

``quick`` is our CPU scale: D ∈ {1, 2, 3}, at most D + 2 binary operators and 2 unaries, 16-64 points, 3-digit
floats with exponents clipped to ±10; 2 + 2 layers of width 128 with 4 heads, AdamW 1e-3 with warm-up then cosine
decay, batches of 64. ``paper`` follows the paper and its official code (``facebookresearch/symbolicregression``):
D <= 10, 5D-200 points, 4-digit floats, width 512, 16 heads, 4 encoder / 16 decoder layers, Adam 1e-4 after 10k
warm-up steps. Values in brackets are the paper's or its code's; "[unverified]" marks those we could not check.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param
from paper_code.e2e_sr.generator import PRESETS as GENERATORS
from paper_code.e2e_sr.generator import FunctionGeneratorConfig
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["E2EConfig", "PRESETS", "MODELS", "END_TO_END", "SKELETON", "EXECUTION_FIELDS"]

#: The trained models (the ``--model`` of the training command).
MODELS = ("end_to_end", "skeleton")
END_TO_END, SKELETON = MODELS

#: Training fields that change how a run executes, not the model it trains.
EXECUTION_FIELDS = ("loader_workers", "log_every", "checkpoint_every")


@dataclasses.dataclass(frozen=True)
class E2EConfig(StagedConfig):
    PAPER = "e2e_symbolic_regression"

    seed: int = param(0, "master seed: training examples, initial weights, held-out examples", ge=0, stage=TRAIN)

    # -- data (generator.py, data.py), both models
    generator: str = param("quick", "generator preset of generator.py: quick (D <= 3) or full (the paper's, D <= 10)",
                           choices=tuple(GENERATORS), stage=TRAIN)
    float_precision: int = param(3, "significant digits of float tokens [4]", ge=1, le=4, stage=TRAIN)
    max_exponent: int = param(10, "float exponents clipped to ±this [100]", ge=1, le=100, stage=TRAIN)
    max_output_tokens: int = param(200, "examples whose end-to-end target is longer are redrawn (for both models)",
                                   ge=8, stage=TRAIN)

    # -- model (symbolic/model.py Seq2SeqConfig, point inputs), both models
    d_model: int = param(128, "model width [512]", ge=8, stage=TRAIN)
    n_heads: int = param(4, "attention heads [16]", ge=1, stage=TRAIN)
    enc_layers: int = param(2, "encoder layers [4]", ge=1, stage=TRAIN)
    dec_layers: int = param(2, "decoder layers [16]", ge=1, stage=TRAIN)
    token_dim: int = param(32, "per-token embedding width of the point embedder [64]", ge=1, stage=TRAIN)

    # -- optimisation (AdamW, linear warm-up then cosine decay), both models
    batch_size: int = param(64, "examples per batch [a budget of 10,000 tokens]", ge=1, stage=TRAIN)
    steps: int = param(4000, "optimizer updates of each model (the same budget for both)", ge=1, stage=TRAIN)
    lr: float = param(1e-3, "peak learning rate [1e-4]", gt=0, le=1, stage=TRAIN)
    warmup_steps: int = param(300, "linear warm-up steps from warmup_init_lr [10000]", ge=0, stage=TRAIN)
    warmup_init_lr: float = param(1e-7, "learning rate at step 0 [1e-7]", ge=0, stage=TRAIN)
    min_lr_ratio: float = param(0.05, "floor of the cosine decay as a fraction of lr [inverse sqrt in the code]",
                                ge=0, lt=1, stage=TRAIN)
    weight_decay: float = param(0.01, "AdamW weight decay [0: Adam]", ge=0, stage=TRAIN)
    grad_clip: float = param(1.0, "global gradient-norm clip [0.5]", gt=0, stage=TRAIN)
    loader_workers: int = param(1, "processes generating batches ahead of the trainer (same batches; 0 = inline)",
                                ge=0, stage=TRAIN)
    log_every: int = param(50, "log loss and throughput every this many steps", ge=1, stage=TRAIN)
    checkpoint_every: int = param(250, "save a resumable checkpoint every this many steps", ge=1, stage=TRAIN)

    # -- the trained models the evaluation reads
    end_to_end_checkpoint: str = param("models/e2e_sr/end_to_end/model.pt", "checkpoint of the end-to-end model",
                                       stage=EVALUATE)
    skeleton_checkpoint: str = param("models/e2e_sr/skeleton/model.pt", "checkpoint of the skeleton model",
                                     stage=EVALUATE)

    # -- inference (§3.3): bagging, decoding, refinement
    max_bag: int = param(64, "points per bag [200]", ge=1, stage=EVALUATE)
    n_bags: int = param(4, "most bags per data set [10]", ge=1, stage=EVALUATE)
    n_candidates: int = param(16, "candidates decoded per bag (beam width, or samples) [10, unverified]", ge=1,
                              stage=EVALUATE)
    decoding: str = param("beam", "beam search or temperature sampling of the candidates [sampling in the code]",
                          choices=("beam", "sampling"), stage=EVALUATE)
    temperature: float = param(0.5, "sampling temperature (decoding='sampling') [0.1]", gt=0, stage=EVALUATE)
    refine_top: int = param(5, "best candidates (by training R²) whose constants BFGS refines [10]", ge=1,
                            stage=EVALUATE)
    refine_seconds: float = param(0.2, "wall-clock cap of one BFGS refinement [1 s]", gt=0, stage=EVALUATE)
    refine_points: int = param(1024, "most points BFGS reads [1024]", ge=1, stage=EVALUATE)

    # -- in-domain evaluation (§4.1-4.2)
    eval_per_cell: int = param(100, "held-out functions per input dimension D", ge=1, stage=EVALUATE)
    test_points: int = param(200, "fresh points of each held-out function's input distribution it is scored on "
                             "[200]", ge=10, stage=EVALUATE)
    extrapolation_sigmas: tuple[float, ...] = param(
        (1.0, 2.0, 4.0, 8.0, 16.0), "input scalings σ of the extrapolation sets; start at 1, increasing [1-16]",
        ge=1, min_len=2, stage=EVALUATE)
    tolerances: tuple[float, ...] = param((0.1, 0.01, 0.001), "τ of the tolerance accuracies Acc_τ [0.1, 0.01, "
                                          "0.001]", gt=0, min_len=1, stage=EVALUATE)

    # -- Feynman problems under SRBench's protocol (§4.3)
    feynman_max_dim: int = param(3, "Feynman problems with at most this many variables (the model's D)", ge=1,
                                 le=10, stage=EVALUATE)
    feynman_rows: int = param(400, "rows drawn per problem, split 75 / 25 into train / test [SRBench: 10^5 drawn, "
                              "methods subsample]", ge=8, stage=EVALUATE)
    noise_levels: tuple[float, ...] = param((0.0, 0.01, 0.1), "target-noise levels ν: y += N(0, (ν RMS(y))²) on "
                                            "the training rows [0, 0.001, 0.01, 0.1]", ge=0, min_len=1,
                                            stage=EVALUATE)
    gplearn_population: int = param(500, "gplearn population [1000 in SRBench]", ge=10, stage=EVALUATE)
    gplearn_generations: int = param(10, "gplearn generations [500 in SRBench]", ge=1, stage=EVALUATE)
    operon_evaluations: int = param(20_000, "Operon's evaluation budget [500k in SRBench]", ge=100, stage=EVALUATE)

    eval_seed: int = param(0, "seed of the held-out functions, data draws, random BFGS starts and the bootstrap",
                           ge=0, stage=EVALUATE)
    eval_workers: int = param(0, "processes sharing the evaluation's fits (one thread each; same results); 0 = one "
                              "per CPU core", ge=0, stage=EVALUATE)
    bootstrap_resamples: int = param(2000, "bootstrap resamples of the claims' confidence intervals", ge=100,
                                     stage=EVALUATE)

    @classmethod
    def models(cls) -> tuple[str, ...]:
        """Both models read every training field (the same budget and data); what differs is what they write, so
        the training stage of each passes ``--model``."""
        return MODELS

    def generator_config(self) -> FunctionGeneratorConfig:
        """The training distribution (generator.py preset ``generator``)."""
        return GENERATORS[self.generator]

    def floats(self) -> FloatTokenizer:
        """The float tokens of inputs and constants."""
        return FloatTokenizer(self.float_precision, self.max_exponent, overflow="clip")

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        if self.warmup_init_lr > self.lr:
            self.fail("warmup_init_lr", f"must be <= lr={self.lr}")
        if self.extrapolation_sigmas[0] != 1 or any(a >= b for a, b in zip(self.extrapolation_sigmas,
                                                                          self.extrapolation_sigmas[1:])):
            self.fail("extrapolation_sigmas", f"must start at 1 and increase, got {list(self.extrapolation_sigmas)}")
        for key in (f"{m}_checkpoint" for m in MODELS):
            if not getattr(self, key).endswith(".pt"):
                self.fail(key, f"must be a .pt file, got {getattr(self, key)!r}")


PRESETS = {
    "quick": E2EConfig(),
    # About 86M parameters [the paper]; for GPUs.
    "paper": E2EConfig(
        generator="full", float_precision=4, max_exponent=100, d_model=512, n_heads=16, enc_layers=4, dec_layers=16,
        token_dim=64, batch_size=128, steps=300_000, lr=1e-4, warmup_steps=10_000, min_lr_ratio=0.0,
        weight_decay=0.0, grad_clip=0.5, loader_workers=8, log_every=200, checkpoint_every=2000,
        max_bag=200, n_bags=10, n_candidates=10, refine_top=10, refine_seconds=1.0, eval_per_cell=100,
        feynman_max_dim=10, feynman_rows=10_000, noise_levels=(0.0, 0.001, 0.01, 0.1), gplearn_population=1000,
        gplearn_generations=100, operon_evaluations=500_000,
    ),
}
