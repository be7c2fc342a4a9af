"""Presets for ODEFormer (d'Ascoli et al., ICLR 2024, arXiv 2310.05573): training, decoding and evaluation.

``quick`` is our small scale: D in {1, 2} from the ``quick_mix`` generator with targets in SymPy's canonical form,
64 points, 3-digit floats with exponents clipped to ±10, width 128 / 4 heads / 2 + 2 layers (1.23M parameters),
Adam 1e-3 with 500 warm-up steps, batch 256, 3500 steps on a cache of 100k pre-generated trajectories re-read with
fresh noise and subsampling at every draw. It is the recipe of the committed checkpoint (cache ≈1 h + training
≈1.8 h on 2 CPU cores; docs/papers/odeformer.md, sections 4 and 7, compares it with the first recipe).
It is evaluated on the ODEBench systems with D <= 2 and the Strogatz systems at 64 points, 32 sampled
candidates per system. ``paper`` follows the paper and the defaults of its official code
(``sdascoli/odeformer``): width 512, 16 heads, 4 encoder / 12 decoder layers (the repository's default
depth; 71.6M here), Adam 2e-4, linear warm-up over 10k steps from 1e-7, cosine annealing with restarts
(first period 300k, period ×1.5 and peak ×0.5 per restart), clip 1.0, 50 candidates at temperature 0.1,
every ODEBench system. Values in brackets are the paper's / official code's; "[unverified]" marks numbers
we could not check against the paper.

Every field is tagged with the pipeline stage that reads it (``stage="train"`` or ``"evaluate"``): the
DVC stage ``train_odeformer`` sees only :meth:`OdeformerConfig.training_settings` (through
``models/odeformer/train_config.json``), so changing a decoding or evaluation setting never retrains.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param

__all__ = ["OdeformerConfig", "PRESETS", "STAGES", "EXECUTION_FIELDS", "SINDY_GRID_NAMES", "ODEBENCH_MAX_DIM"]

#: Training fields that change how a run executes, not the model it trains (the cache's content and the batches
#: are pure functions of the seed): a checkpoint trained with other values of these is the same model.
EXECUTION_FIELDS = ("gen_workers", "cache_dir", "log_every", "checkpoint_every")

#: The two pipeline stages a field can belong to.
STAGES = (TRAIN, EVALUATE)

#: Named SINDy hyper-parameter grids (mapped to grids in :data:`paper_code.odeformer.experiments.SINDY_GRIDS`):
#: "quick" = 16 settings selected by derivative R² on a held-out 30 % tail (the paper's protocol, small grid),
#: "quick_trajectory" = the same 16 selected by the integrated trajectory's R², "paper" = the paper's 648-setting
#: search.
SINDY_GRID_NAMES = ("quick", "quick_trajectory", "paper")

#: Largest dimension of an ODEBench system (systems have D = 1..4); ``eval_max_dim=0`` evaluates all of them.
ODEBENCH_MAX_DIM = 4


def _increasing(values: Sequence[float]) -> bool:
    return all(a < b for a, b in zip(values, values[1:]))


@dataclasses.dataclass(frozen=True)
class OdeformerConfig(StagedConfig):
    PAPER = "odeformer"

    seed: int = param(0, "master seed: training cache, initial weights, batches, and the decoding samples", ge=0,
                      stage=TRAIN)

    # -- data (generator.py)
    generator: str = param(
        "quick_mix", "generator preset of generator.py: quick_mix (D <= 2, affine maps, small trees weighted up), "
        "quick (the first D <= 2 recipe) or full (the paper's, D <= 6)", choices=("quick_mix", "quick", "full"),
        stage=TRAIN)
    canonical_targets: bool = param(
        True, "targets in SymPy's canonical form (like terms merged, numeric factors folded), as the official code's "
        "default use_sympy; False = the generator's raw trees", stage=TRAIN)
    float_precision: int = param(3, "significant digits of float tokens [4]; 3 → 1000 mantissa tokens", ge=1, le=4,
                                 stage=TRAIN)
    max_exponent: int = param(10, "float exponents clipped to ±this [100]", ge=1, le=100, stage=TRAIN)
    max_dim: int = param(2, "largest system dimension D the model is built for [6]; sets the point-row width",
                         ge=1, le=10, stage=TRAIN)
    cache_size: int = param(
        100_000, "distinct pre-generated trajectories re-read with fresh noise/subsampling (0 = generate on the fly; "
        "paper: ≈50M [unverified])", ge=0, stage=TRAIN)
    cache_chunk: int = param(250, "trajectories per cache file (unit of work of a generation worker)", ge=1,
                             stage=TRAIN)
    gen_workers: int = param(0, "generation processes (per node; split across torchrun ranks); 0 = one per CPU core. "
                             "The cache's content does not depend on it", ge=0, stage=TRAIN)

    # -- model (symbolic/model.py Seq2SeqConfig)
    d_model: int = param(128, "model width [512]", ge=8, stage=TRAIN)
    n_heads: int = param(4, "attention heads [16]", ge=1, stage=TRAIN)
    enc_layers: int = param(2, "encoder layers [4]", ge=1, stage=TRAIN)
    dec_layers: int = param(2, "decoder layers [12; 16 in Kamienny et al., unverified]", ge=1, stage=TRAIN)
    token_dim: int = param(32, "per-token embedding width of the point embedder [64]", ge=1, stage=TRAIN)
    max_len: int = param(96, "max decoder tokens incl. both <EOS>; longer targets are resampled", ge=8, stage=TRAIN)

    # -- optimisation (Adam, warm-up then cosine with restarts)
    batch_size: int = param(256, "global batch (summed over ranks) [token budget ~10k tokens ≈ 80 systems]", ge=1,
                            stage=TRAIN)
    max_steps: int = param(3_500, "optimizer updates [paper: several 100k, unverified]", ge=1, stage=TRAIN)
    lr: float = param(1e-3, "peak learning rate [2e-4]", gt=0, le=1, stage=TRAIN)
    warmup_steps: int = param(500, "linear warm-up steps from warmup_init_lr [10000]", ge=0, stage=TRAIN)
    warmup_init_lr: float = param(1e-7, "learning rate at step 0 [1e-7]", ge=0, stage=TRAIN)
    cosine_period: int = param(
        0, "steps of the first cosine period after warm-up [300000]; 0 = one period to max_steps (then a "
        "longer rerun changes the schedule and the Trainer refuses to resume it)", ge=0, stage=TRAIN)
    period_mult: float = param(1.0, "period multiplier at each restart [1.5]", ge=1, stage=TRAIN)
    peak_decay: float = param(1.0, "peak-lr multiplier at each restart [0.5]", gt=0, le=1, stage=TRAIN)
    min_lr_ratio: float = param(0.01, "floor of the cosine as a fraction of the period's peak [~0]", ge=0, lt=1,
                                stage=TRAIN)
    adam_beta2: float = param(0.999, "Adam beta2 [0.999]", gt=0, lt=1, stage=TRAIN)
    grad_clip: float = param(1.0, "global gradient-norm clip [1.0]", gt=0, stage=TRAIN)

    # -- training bookkeeping
    log_every: int = param(50, "log loss and throughput every this many steps", ge=1, stage=TRAIN)
    checkpoint_every: int = param(500, "save a resumable checkpoint every this many steps (0 = only at the end)",
                                  ge=0, stage=TRAIN)
    cache_dir: str = param("", "folder of the trajectory cache; '' = build/odeformer/cache (git-ignored scratch)",
                           stage=TRAIN)

    # -- the trained model the evaluation reads
    checkpoint_path: str = param(
        "models/odeformer/model.pt", "checkpoint the evaluation loads (relative to the repository root); the DVC "
        "stage train_odeformer writes models/odeformer/model.pt", stage=EVALUATE)

    # -- decoding
    beam_size: int = param(1, "beam width (1 = sampling/greedy, the paper's default)", ge=1, stage=EVALUATE)
    n_candidates: int = param(32, "sampled candidates per bag, ranked by trajectory R² [50]", ge=1, stage=EVALUATE)
    temperature: float = param(0.5, "sampling temperature [0.1]", ge=0, stage=EVALUATE)
    max_bag: int = param(200, "points per decoding bag [200]", ge=1, stage=EVALUATE)

    # -- evaluation (experiments.py)
    eval_points: int = param(64, "evenly spaced points of each benchmark system's reference grid [150 of 512]",
                             ge=8, le=512, stage=EVALUATE)
    noise_levels: tuple[float, ...] = param(
        (0.0, 0.025, 0.05), "multiplicative noise levels σ of the noise sweep (at ρ = 0); first 0, increasing "
        "[0 to 0.05]", ge=0, lt=1, min_len=2, stage=EVALUATE)
    subsample_fractions: tuple[float, ...] = param(
        (0.5,), "fractions ρ > 0 of the points removed in the subsampling sweep (at σ = 0), increasing [0.25, 0.5]",
        gt=0, lt=1, stage=EVALUATE)
    eval_max_dim: int = param(2, "largest system dimension D of the main benchmark; 0 = every ODEBench system",
                              ge=0, le=10, stage=EVALUATE)
    sweep_ks: tuple[int, ...] = param(
        (1, 2, 4, 8, 16, 32), "candidate counts k of the best-of-first-k sweep; start at 1, increasing, last <= "
        "n_candidates [1, 10, 50]", ge=1, min_len=2, stage=EVALUATE)
    sindy_grid: str = param("quick", "SINDy baseline's grid, selected by the paper's protocol (derivative R² on the "
                            "last 30 %)", choices=SINDY_GRID_NAMES, stage=EVALUATE)
    sindy_variant_grid: str = param(
        "quick_trajectory", "second SINDy baseline, 'SINDy (trajectory selection)'; 'none' = not run",
        choices=(*SINDY_GRID_NAMES, "none"), stage=EVALUATE)
    timing_grid: str = param("paper", "SINDy search timed against ODEFormer", choices=SINDY_GRID_NAMES,
                             stage=EVALUATE)
    timing_systems: int = param(4, "ODEBench systems (evenly spread over those evaluated) of the timing comparison",
                                ge=1, le=63, stage=EVALUATE)
    in_distribution_systems: int = param(100, "held-out systems of the training generator in the in-distribution "
                                         "test", ge=1, stage=EVALUATE)
    perturbation: float = param(0.01, "relative error of every constant of the 'truth ± 1 %' probe of chaotic "
                                "systems", gt=0, lt=1, stage=EVALUATE)
    bootstrap_resamples: int = param(2000, "bootstrap resamples of the noise-retention interval", ge=100,
                                     stage=EVALUATE)
    eval_seed: int = param(0, "seed of the benchmark's noise/subsampling draws, the held-out systems and the "
                           "bootstrap", ge=0, stage=EVALUATE)
    eval_workers: int = param(0, "processes sharing the benchmark's fits (one thread each; same results); "
                              "0 = one per CPU core", ge=0, stage=EVALUATE)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        max_gen_dim = 6 if self.generator == "full" else 2
        if self.max_dim < max_gen_dim:
            self.fail("max_dim", f"must be >= {max_gen_dim}, the largest D of generator={self.generator!r}")
        if self.warmup_init_lr > self.lr:
            self.fail("warmup_init_lr", f"must be <= lr={self.lr}")
        if 0 < self.cache_size < self.batch_size:
            self.fail("cache_size", f"must be 0 or >= batch_size={self.batch_size}")
        if self.beam_size > 1 and self.beam_size < self.n_candidates:
            self.fail("beam_size", f"beam search returns beam_size candidates; set n_candidates <= {self.beam_size}")
        if not self.checkpoint_path.endswith(".pt"):
            self.fail("checkpoint_path", f"must be a .pt file, got {self.checkpoint_path!r}")
        if self.noise_levels[0] != 0 or not _increasing(self.noise_levels):
            self.fail("noise_levels", f"must start at 0 and increase (the sweep is scored against σ = 0), "
                      f"got {list(self.noise_levels)}")
        if not _increasing(self.subsample_fractions):
            self.fail("subsample_fractions", f"must increase, got {list(self.subsample_fractions)}")
        if self.sweep_ks[0] != 1 or not _increasing(self.sweep_ks):
            self.fail("sweep_ks", f"must start at 1 and increase, got {list(self.sweep_ks)}")
        if self.sweep_ks[-1] > self.n_candidates:
            self.fail("sweep_ks", f"largest k={self.sweep_ks[-1]} exceeds n_candidates={self.n_candidates}")
        evaluated = self.eval_max_dim or ODEBENCH_MAX_DIM
        if evaluated > self.max_dim:
            self.fail("eval_max_dim", f"evaluates systems up to D={evaluated} but the model reads D <= "
                      f"max_dim={self.max_dim}; set eval_max_dim to 1..{self.max_dim}")


PRESETS = {
    # 1.23M parameters, 896k training samples (3500 × 256) drawn from 100,000 generated systems of the quick mix.
    # On 2 CPU cores: cache ≈60 min, training ≈109 min. Evaluation ≈3 min.
    "quick": OdeformerConfig(),
    # 71.6M parameters (512 wide, 4 + 12 layers; 10k mantissa tokens); for a GPU.
    "paper": OdeformerConfig(
        generator="full", float_precision=4, max_exponent=100, max_dim=6, cache_size=1_000_000,
        cache_chunk=1000,
        d_model=512, n_heads=16, enc_layers=4, dec_layers=12, token_dim=64, max_len=256,
        batch_size=80, max_steps=300_000, lr=2e-4, warmup_steps=10_000, cosine_period=300_000,
        period_mult=1.5, peak_decay=0.5, min_lr_ratio=0.0, checkpoint_every=5000, log_every=200,
        n_candidates=50, temperature=0.1,
        eval_points=150, noise_levels=(0.0, 0.01, 0.02, 0.03, 0.04, 0.05), subsample_fractions=(0.25, 0.5),
        eval_max_dim=0, sweep_ks=(1, 2, 5, 10, 20, 50), sindy_grid="paper", timing_systems=20,
        in_distribution_systems=500,
    ),
}
