"""Train the ODEFormer seq2seq model (``shared/papers/odeformer.md`` §2.4) with the shared Trainer.

Data. Integrating random systems is far slower than a training step at CPU scale (measured on 2 shared
cores: ≈24 accepted quick examples/s per process vs ≈200 samples/s consumed by the quick model), so, like
the paper (§2.1 step 11, "export data"), clean trajectories are pre-generated once into a cache of
``cache_size`` systems (``cache_chunk`` per file, ``gen_workers`` processes) and re-read; the training-time
corruption (noise γ, subsampling ρ, §2.1 step 10) is drawn afresh at every draw from
``(seed, step, position in the global batch)``. So :meth:`OdeBatches.get` is a pure function of
``(step, rank, world_size)``, which is what makes resume and DDP exact. ``cache_size=0`` generates every
example on the fly from the same seeds instead (slow; for tiny runs and checks).

Entry point (reads ``params.yaml``'s ``odeformer`` section when present, else the quick preset)::

    python -m paper_code.odeformer.train [--scale quick|paper] [--max-steps N] [--out PATH]
    torchrun --nproc_per_node=2 -m paper_code.odeformer.train ...   # same run, batch split over ranks

Measured on this project's 2 shared CPU cores (quick preset, 1.23M parameters, batch 64): cache
generation 37 systems/s with 2 processes (24/s with one), training 230-270 samples/s (≈4 steps/s; the
batch assembly is ≈27 ms of a ≈250 ms step), 2 × 1-thread torchrun ≈ 257 samples/s. Projected quick run:
30k systems ≈ 14 min + 7000 steps ≈ 30 min. A 700-step check reached loss 1.75 (from 7.45).

Outputs: the Trainer checkpoint at ``--out`` (default ``models/odeformer/model.pt``; resumable, and
:func:`load_model` rebuilds the model from it) and ``<out stem>_stats.json`` next to it (config, steps,
samples/s, wall time, final loss, generation throughput).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_code.common import distributed as D
from paper_code.common.config import ConfigError, config_from_params, load_params_section, resolve_config
from paper_code.common.paths import REPO_ROOT, params_path
from paper_code.common.training import CheckpointMismatchError, Trainer, TrainConfig
from paper_code.odeformer.config import OdeformerConfig
from paper_code.odeformer.generator import FULL, QUICK, ODEGeneratorConfig, sample_example
from paper_code.odeformer.integrate import corrupt
from paper_code.symbolic.embedder import Vocabulary, input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.encoding import encode_system
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["Vocabs", "make_vocabs", "generator_config", "build_model", "lr_factor", "Cached", "generate_chunk",
           "build_cache", "OdeBatches", "collate", "loss_fn", "train", "load_model", "main",
           "CheckpointMismatchError"]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- vocabularies and model


@dataclass(frozen=True)
class Vocabs:
    floats: FloatTokenizer
    inp: Vocabulary   # float tokens of the point embedder
    out: Vocabulary   # expression tokens of the decoder


def make_vocabs(cfg: OdeformerConfig) -> Vocabs:
    # "clip": the quick scale's "exponents clipped to ±10" (§4); observed |x| < 100 anyway.
    floats = FloatTokenizer(cfg.float_precision, cfg.max_exponent, overflow="clip")
    return Vocabs(floats, input_vocabulary(floats), output_vocabulary(floats, max_dim=cfg.max_dim))


def generator_config(cfg: OdeformerConfig, corrupted: bool) -> ODEGeneratorConfig:
    """The generator preset, with on-sample corruption switched on or off (the cache stores clean data)."""
    return dataclasses.replace(QUICK if cfg.generator == "quick" else FULL, corrupt=corrupted)


def build_model(cfg: OdeformerConfig, vocabs: Vocabs | None = None) -> Seq2SeqTransformer:
    """The core encoder-decoder at the config's sizes; rows are ``(t, x_1..x_D)`` padded to ``max_dim + 1``."""
    vocabs = vocabs or make_vocabs(cfg)
    mcfg = Seq2SeqConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, enc_layers=cfg.enc_layers,
                         dec_layers=cfg.dec_layers, token_dim=cfg.token_dim, max_width=cfg.max_dim + 1,
                         max_len=cfg.max_len)
    return Seq2SeqTransformer(mcfg, len(vocabs.inp), len(vocabs.out), vocabs.out.pad_id, vocabs.out.eos_id)


def lr_factor(step: int, cfg: OdeformerConfig) -> float:
    """``lr(step) / cfg.lr``: linear warm-up from ``warmup_init_lr``, then cosine annealing with restarts
    (period ×``period_mult``, peak ×``peak_decay`` at each restart; floor ``min_lr_ratio`` × peak)."""
    w = cfg.warmup_steps
    if step < w:
        start = cfg.warmup_init_lr / cfg.lr
        return start + (1.0 - start) * step / w
    s = step - w
    period = float(cfg.cosine_period or max(cfg.max_steps - w, 1))
    peak = 1.0
    while s >= period:
        s -= period
        period *= cfg.period_mult
        peak *= cfg.peak_decay
    return peak * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * s / period)))


# --------------------------------------------------------------------------- trajectory cache


@dataclass
class Cached:
    """One clean training system: observation grid, states and target ids."""

    t: np.ndarray        # (N,) float32
    y: np.ndarray        # (N, D) float32 clean states
    target: list[int]    # decoder ids of the prefix system, without <EOS> markers


def _draw(rng: np.random.Generator, cfg: OdeformerConfig, gen: ODEGeneratorConfig, vocabs: Vocabs):
    """Rejection-sample an example whose target fits ``max_len`` (both <EOS> included)."""
    while True:
        ex = sample_example(rng, gen)
        ids = vocabs.out.encode(encode_system(ex.system, vocabs.floats))
        if len(ids) + 2 <= cfg.max_len:
            return ex, ids


def generate_chunk(cfg: OdeformerConfig, chunk: int) -> list[Cached]:
    """The ``chunk``-th block of ``cache_chunk`` clean systems; a pure function of ``(seed, chunk)``."""
    vocabs, gen = make_vocabs(cfg), generator_config(cfg, corrupted=False)
    rng = np.random.default_rng([cfg.seed, 0x0DE, chunk])
    out = []
    for _ in range(cfg.cache_chunk):
        ex, ids = _draw(rng, cfg, gen, vocabs)
        # float32 halves the cache's memory; the tokens keep 3-4 significant digits anyway.
        out.append(Cached(ex.t_clean.astype(np.float32), ex.y_clean.astype(np.float32), ids))
    return out


def cache_folder(cfg: OdeformerConfig) -> Path:
    """Cache files depend on everything that changes their content (not on cache_size: prefixes are shared)."""
    base = Path(cfg.cache_dir or "build/odeformer/cache")
    if not base.is_absolute():
        base = REPO_ROOT / base
    return base / (f"{cfg.generator}-p{cfg.float_precision}e{cfg.max_exponent}-d{cfg.max_dim}-L{cfg.max_len}"
                   f"-c{cfg.cache_chunk}-s{cfg.seed}")


def _write_chunk(args: tuple[OdeformerConfig, int, str]) -> int:
    cfg, chunk, path = args
    torch.set_num_threads(1)
    data = generate_chunk(cfg, chunk)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # atomic: a reader never sees half a chunk
    return chunk


def build_cache(cfg: OdeformerConfig, rank: int = 0, world_size: int = 1) -> tuple[list[Cached], float]:
    """Generate the missing chunk files (rank r does chunks r, r+W, …), wait for all, load ``cache_size`` systems.

    Returns ``(systems, examples/s of this rank's generation)`` (nan when nothing was generated).
    """
    folder = cache_folder(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    n_chunks = -(-cfg.cache_size // cfg.cache_chunk)
    paths = [folder / f"chunk_{c:06d}.pkl" for c in range(n_chunks)]
    todo = [(cfg, c, str(paths[c])) for c in range(rank, n_chunks, world_size) if not paths[c].exists()]
    rate = float("nan")
    if todo:
        workers = max(1, cfg.gen_workers // world_size)
        t0 = time.perf_counter()
        log.info("rank %d: generating %d chunks of %d systems with %d process(es) -> %s",
                 rank, len(todo), cfg.cache_chunk, workers, folder)
        if workers == 1:
            for job in todo:
                _write_chunk(job)
        else:
            # fork: workers only run numpy/scipy; spawn would re-import the caller's __main__.
            with get_context("fork").Pool(workers) as pool:
                for i, _ in enumerate(pool.imap_unordered(_write_chunk, todo), 1):
                    if i % max(1, len(todo) // 10) == 0:
                        log.info("rank %d: %d/%d chunks", rank, i, len(todo))
        rate = len(todo) * cfg.cache_chunk / (time.perf_counter() - t0)
        log.info("rank %d: generation %.1f examples/s", rank, rate)
    # Poll rather than barrier: a long generation would hit the process group's collective time-out,
    # and without a group another job may be writing the same cache.
    while not all(p.exists() for p in paths):
        time.sleep(1.0)
    systems: list[Cached] = []
    for p in paths:
        with open(p, "rb") as f:
            systems.extend(pickle.load(f))
    return systems[: cfg.cache_size], rate


# --------------------------------------------------------------------------- batches


def collate(rows: Sequence[np.ndarray], targets: Sequence[Sequence[int]], vocabs: Vocabs,
            max_width: int) -> tuple[Tensor, Tensor, Tensor]:
    """``(point_ids (B, N_max, 3·max_width), point_mask (B, N_max) True = pad, seq (B, T_max))`` with
    ``seq = <EOS> target <EOS> <PAD>…``."""
    ids, mask = tokenize_points(rows, vocabs.floats, vocabs.inp, max_width)
    t_max = max(len(t) for t in targets) + 2
    seq = torch.full((len(targets), t_max), vocabs.out.pad_id, dtype=torch.long)
    eos = vocabs.out.eos_id
    for b, t in enumerate(targets):
        seq[b, : len(t) + 2] = torch.tensor([eos, *t, eos])
    return ids, mask, seq


class OdeBatches:
    """BatchSource of ``(point_ids, point_mask, seq)``, deterministic in ``(seed, step, rank, world_size)``.

    The global batch of ``step`` is ``batch_size`` cache entries: epochs visit the cache in a permutation
    drawn from ``(seed, epoch)``, and the ``k``-th step of an epoch takes the ``k``-th block. Rank ``r`` of
    ``W`` gets the ``r``-th of ``W`` equal consecutive slices. Sample ``j`` of the global batch is corrupted
    with a generator seeded by ``(seed, step, j)``, so it is the same whatever rank draws it.
    Without a cache (``systems=None``) sample ``j`` is generated from ``(seed, step, j)`` instead.
    """

    def __init__(self, cfg: OdeformerConfig, systems: list[Cached] | None, vocabs: Vocabs | None = None):
        self.cfg, self.systems = cfg, systems
        self.vocabs = vocabs or make_vocabs(cfg)
        self.batch_size, self.seed = cfg.batch_size, cfg.seed
        if systems is not None:
            if len(systems) < cfg.batch_size:
                raise ValueError(f"cache holds {len(systems)} systems, fewer than batch_size={cfg.batch_size}")
            self.steps_per_epoch = len(systems) // cfg.batch_size
        self._gen = generator_config(cfg, corrupted=True)
        self._perm: tuple[int, np.ndarray] | None = None

    def global_indices(self, step: int) -> np.ndarray:
        """Cache indices of the global batch of ``step``."""
        epoch, k = divmod(step, self.steps_per_epoch)
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (epoch, np.random.default_rng([self.seed, 0xE90C, epoch]).permutation(len(self.systems)))
        return self._perm[1][k * self.batch_size:(k + 1) * self.batch_size]

    def positions(self, rank: int, world_size: int) -> range:
        """Positions in the global batch that ``rank`` trains on."""
        if not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank={rank}, world_size={world_size}")
        if self.batch_size % world_size:
            raise ValueError(f"batch_size={self.batch_size} must be divisible by world_size={world_size}")
        shard = self.batch_size // world_size
        return range(rank * shard, (rank + 1) * shard)

    def examples(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[list[np.ndarray], list[list[int]]]:
        """Rows ``(t, x_1..x_D)`` and target ids of this rank's shard of ``step``."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        pos = self.positions(rank, world_size)
        rows, targets = [], []
        idx = self.global_indices(step) if self.systems is not None else None
        for j in pos:
            rng = np.random.default_rng([self.seed, step, j])
            if idx is None:
                ex, target = _draw(rng, self.cfg, self._gen, self.vocabs)
                t, y = ex.t, ex.y
            else:
                s = self.systems[idx[j]]
                t, y, _, _ = corrupt(s.t, s.y, rng)
                target = s.target
            rows.append(np.concatenate([t[:, None], y], axis=1).astype(np.float64))
            targets.append(target)
        return rows, targets

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor, Tensor]:
        rows, targets = self.examples(step, rank, world_size)
        return collate(rows, targets, self.vocabs, self.cfg.max_dim + 1)

    def fingerprint(self) -> dict[str, Any]:
        c = self.cfg
        return {"class": type(self).__name__, "seed": c.seed, "batch_size": c.batch_size,
                "cache": None if self.systems is None else [cache_folder(c).name, len(self.systems)],
                "generator": c.generator, "floats": [c.float_precision, c.max_exponent], "max_len": c.max_len}


def loss_fn(model: nn.Module, batch: tuple[Tensor, Tensor, Tensor]) -> Tensor:
    """Token-mean cross-entropy of ``seq[:, 1:]`` given ``seq[:, :-1]`` (padding ignored). ``model`` may be
    the DDP wrapper, so the forward goes through ``model(...)``. Under DDP each rank averages over its own
    tokens, so the global loss is a mean of per-rank token means (≈ the global token mean)."""
    ids, mask, seq = batch
    logits = model(ids, mask, seq[:, :-1])  # (B, T-1, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, 1:].reshape(-1), ignore_index=0)


# --------------------------------------------------------------------------- training


class _Throughput:
    """eval_fn that only measures samples/s between calls (the loss itself is logged by the Trainer)."""

    def __init__(self, batch_size: int):
        self.batch_size, self.last = batch_size, None

    def __call__(self, model: nn.Module, step: int) -> dict[str, float]:
        now = time.perf_counter()
        out = {}
        if self.last is not None and step > self.last[0]:
            rate = (step - self.last[0]) * self.batch_size / (now - self.last[1])
            out["samples_per_s"] = rate
            if D.is_main_process():
                log.info("step %d: %.1f samples/s", step, rate)
        self.last = (step, now)
        return out


def train(cfg: OdeformerConfig, checkpoint_path: str | Path | None = None, progress: bool = True,
          systems: list[Cached] | None = None) -> dict[str, Any]:
    """Train (or resume) to ``cfg.max_steps``; returns the stats written next to the checkpoint.

    ``checkpoint_path`` overrides ``cfg.checkpoint_path`` (relative paths are taken from the repository
    root). ``systems`` skips the cache build (tests). Under torchrun, call inside an initialised group.
    """
    path = Path(checkpoint_path or cfg.checkpoint_path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    rank, world = D.get_rank(), D.get_world_size()
    torch.manual_seed(cfg.seed)  # same initial weights on every rank (DDP also broadcasts them)
    vocabs = make_vocabs(cfg)
    gen_rate = float("nan")
    if systems is None and cfg.cache_size > 0:
        systems, gen_rate = build_cache(cfg, rank, world)
    batches = OdeBatches(cfg, systems, vocabs)
    model = build_model(cfg, vocabs)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, cfg.adam_beta2))
    tcfg = TrainConfig(max_steps=cfg.max_steps, log_every=cfg.log_every, checkpoint_path=path,
                       checkpoint_every=cfg.checkpoint_every, grad_clip=cfg.grad_clip, progress=progress,
                       desc="odeformer")
    trainer = Trainer(model, opt, loss_fn, batches, tcfg, lr_lambda=lambda t: lr_factor(t, cfg),
                      eval_fn=_Throughput(cfg.batch_size), eval_every=cfg.log_every)
    log.info("odeformer: %.2fM parameters, %d steps of %d samples, world size %d",
             n_params / 1e6, cfg.max_steps, cfg.batch_size, world)
    hist = trainer.fit()
    trained = cfg.max_steps - hist.resumed_from
    losses = [r["loss"] for r in hist.records if "loss" in r]
    stats = {
        "steps": cfg.max_steps,
        "steps_this_run": trained,
        "resumed_from": hist.resumed_from,
        "samples_per_s": trained * cfg.batch_size / hist.wall_time_s if trained else float("nan"),
        "wall_time_s": hist.wall_time_s,
        "final_loss": losses[-1] if losses else float("nan"),
        "first_loss": losses[0] if losses else float("nan"),
        "final_loss_mean_last10": float(np.mean(losses[-10:])) if losses else float("nan"),
        "generation_examples_per_s": gen_rate,
        "n_params": n_params,
        "world_size": world,
        "device": str(trainer.device),
        "checkpoint": str(path),
        "argv": sys.argv,
        "config": cfg.to_dict(),
    }
    if D.is_main_process():
        stats_path(path).write_text(json.dumps(_finite(stats), indent=2) + "\n")
    return stats


def stats_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + "_stats.json")


def _finite(obj: Any) -> Any:
    """JSON has no NaN: write null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def load_model(path: str | Path, cfg: OdeformerConfig) -> tuple[Seq2SeqTransformer, Vocabs]:
    """Model (eval mode, CPU) and vocabularies from a checkpoint written by :func:`train` with ``cfg``."""
    vocabs = make_vocabs(cfg)
    model = build_model(cfg, vocabs)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(ckpt["model"])
    return model.eval(), vocabs


# --------------------------------------------------------------------------- CLI


def resolve_cli_config(scale: str | None, max_steps: int | None, out: str | None) -> OdeformerConfig:
    """params.yaml's ``odeformer`` section (if present) or the quick preset; ``--scale`` replaces the preset
    but keeps the section's overrides; ``--max-steps`` / ``--out`` override last."""
    overrides: dict[str, Any] = {}
    preset = "quick"
    pfile = params_path()
    has_section = False
    if pfile.exists():
        try:
            preset, overrides = load_params_section("odeformer", pfile)
            has_section = True
        except ConfigError as err:
            if "no section" not in str(err):
                raise
    if scale is None and has_section:
        cfg = config_from_params("odeformer", pfile)
    else:
        cfg = resolve_config("odeformer", scale or preset, overrides)
    extra: dict[str, Any] = {}
    if max_steps is not None:
        extra["max_steps"] = max_steps
    if out is not None:
        extra["checkpoint_path"] = out
    return cfg.replace(extra) if extra else cfg  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=("quick", "paper"), default=None, help="preset (default: params.yaml, else quick)")
    ap.add_argument("--max-steps", type=int, default=None, help="override max_steps")
    ap.add_argument("--out", default=None, help="checkpoint path (default models/odeformer/model.pt)")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ctx = D.init_distributed()
    try:
        cfg = resolve_cli_config(args.scale, args.max_steps, args.out)
        if ctx.device.type == "cpu" and ctx.world_size > 1:
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // ctx.world_size))
        stats = train(cfg, progress=not args.no_progress)
        if ctx.is_main:
            log.info("done: %d steps, %.1f samples/s, %.0f s, final loss %.4f -> %s", stats["steps"],
                     stats["samples_per_s"], stats["wall_time_s"], stats["final_loss"], stats["checkpoint"])
        return stats
    finally:
        D.cleanup_distributed()


if __name__ == "__main__":
    main()
