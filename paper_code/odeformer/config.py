"""Presets for ODEFormer (d'Ascoli et al., ICLR 2024) training and decoding.

``quick`` is the CPU scale of ``shared/papers/odeformer.md`` §4: D in {1, 2}, 64 points, 3-digit floats
with exponents clipped to ±10, width 128 / 4 heads / 2 + 2 layers (1.23M parameters), Adam 5e-4 with
200 warm-up steps, batch 64, trained on a cache of pre-generated trajectories with fresh noise and
subsampling at every draw. Budget: cache (≈14 min) + training (≈32 min) ≈ 46 min on 2 CPU cores.
``paper`` is §2.3–§2.4: width 512, 16 heads, 4 encoder / 12 decoder layers (the
repository default depth; 71.6M here), Adam 2e-4, linear warm-up over 10k steps from 1e-7, cosine annealing with
restarts (first period 300k, period ×1.5 and peak ×0.5 per restart), clip 1.0. Values in brackets are
the paper's / official code's; "[unverified]" marks numbers the brief could not check.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import PaperConfig, param

__all__ = ["OdeformerConfig", "PRESETS"]


@dataclasses.dataclass(frozen=True)
class OdeformerConfig(PaperConfig):
    PAPER = "odeformer"

    # -- data (generator.py)
    generator: str = param("quick", "generator preset of generator.py: quick (§4) or full (§2.1)", choices=("quick", "full"))
    float_precision: int = param(3, "significant digits of float tokens [4]; 3 → 1000 mantissa tokens", ge=1, le=4)
    max_exponent: int = param(10, "float exponents clipped to ±this [100]", ge=1, le=100)
    max_dim: int = param(2, "largest system dimension D the model is built for [6]; sets the point-row width", ge=1, le=10)
    cache_size: int = param(
        30_000, "distinct pre-generated trajectories re-read with fresh noise/subsampling (0 = generate on the fly; "
        "paper: ≈50M [unverified])", ge=0)
    cache_chunk: int = param(250, "trajectories per cache file (unit of work of a generation worker)", ge=1)
    gen_workers: int = param(2, "generation processes (per node; split across torchrun ranks)", ge=1)

    # -- model (symbolic/model.py Seq2SeqConfig)
    d_model: int = param(128, "model width [512]", ge=8)
    n_heads: int = param(4, "attention heads [16]", ge=1)
    enc_layers: int = param(2, "encoder layers [4]", ge=1)
    dec_layers: int = param(2, "decoder layers [12; 16 in Kamienny et al., unverified]", ge=1)
    token_dim: int = param(32, "per-token embedding width of the point embedder [64]", ge=1)
    max_len: int = param(96, "max decoder tokens incl. both <EOS>; longer targets are resampled", ge=8)

    # -- optimisation (Adam, warm-up then cosine with restarts)
    batch_size: int = param(64, "global batch (summed over ranks) [token budget ~10k tokens ≈ 80 systems]", ge=1)
    max_steps: int = param(7_000, "optimizer updates [paper: several 100k, unverified]", ge=1)
    lr: float = param(5e-4, "peak learning rate [2e-4]", gt=0, le=1)
    warmup_steps: int = param(200, "linear warm-up steps from warmup_init_lr [10000]", ge=0)
    warmup_init_lr: float = param(1e-7, "learning rate at step 0 [1e-7]", ge=0)
    cosine_period: int = param(
        0, "steps of the first cosine period after warm-up [300000]; 0 = one period to max_steps (then a "
        "longer rerun changes the schedule and the Trainer refuses to resume it)", ge=0)
    period_mult: float = param(1.0, "period multiplier at each restart [1.5]", ge=1)
    peak_decay: float = param(1.0, "peak-lr multiplier at each restart [0.5]", gt=0, le=1)
    min_lr_ratio: float = param(0.01, "floor of the cosine as a fraction of the period's peak [~0]", ge=0, lt=1)
    adam_beta2: float = param(0.999, "Adam beta2 [0.999]", gt=0, lt=1)
    grad_clip: float = param(1.0, "global gradient-norm clip [1.0]", gt=0)

    # -- bookkeeping
    log_every: int = param(50, "log loss and throughput every this many steps", ge=1)
    checkpoint_every: int = param(500, "save a resumable checkpoint every this many steps (0 = only at the end)", ge=0)
    checkpoint_path: str = param("models/odeformer/model.pt", "trained model (relative to the repository root)")
    cache_dir: str = param("", "folder of the trajectory cache; '' = build/odeformer/cache (git-ignored scratch)")

    # -- decoding (§2.5; used by the evaluation stage)
    beam_size: int = param(1, "beam width (1 = sampling/greedy, the paper's default)", ge=1)
    n_candidates: int = param(16, "sampled candidates per bag, ranked by trajectory R² [50]", ge=1)
    temperature: float = param(0.5, "sampling temperature [0.1]", ge=0)
    max_bag: int = param(200, "points per decoding bag [200]", ge=1)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        max_gen_dim = 2 if self.generator == "quick" else 6
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


PRESETS = {
    # 1.23M parameters. Measured on 2 shared CPU cores: cache generation ≈37 systems/s (30k ≈ 14 min),
    # training ≈230 samples/s = 3.6 steps/s (7000 steps ≈ 32 min).
    "quick": OdeformerConfig(),
    # 71.6M parameters (512 wide, 4 + 12 layers; 10k mantissa tokens); for a GPU.
    "paper": OdeformerConfig(
        generator="full", float_precision=4, max_exponent=100, max_dim=6, cache_size=1_000_000,
        cache_chunk=1000, gen_workers=16,
        d_model=512, n_heads=16, enc_layers=4, dec_layers=12, token_dim=64, max_len=256,
        batch_size=80, max_steps=300_000, lr=2e-4, warmup_steps=10_000, cosine_period=300_000,
        period_mult=1.5, peak_decay=0.5, min_lr_ratio=0.0, checkpoint_every=5000, log_every=200,
        n_candidates=50, temperature=0.1,
    ),
}
