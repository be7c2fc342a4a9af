"""Train the ODEFormer seq2seq model (cross-entropy, Adam, warm-up then cosine with restarts, as in the official
code ``sdascoli/odeformer``) with the shared Trainer.

Data. Integrating random systems is far slower than a training step at CPU scale (measured on 2 shared
cores: ≈24 accepted quick examples/s per process vs ≈200 samples/s consumed by the quick model), so, like
the official code ("export data"), clean trajectories are pre-generated once into a cache of
``cache_size`` systems (``cache_chunk`` per file, ``gen_workers`` processes) and re-read; the training-time
corruption (noise γ, subsampling ρ) is drawn afresh at every draw from
``(seed, step, position in the global batch)``. So :meth:`OdeBatches.get` is a pure function of
``(step, rank, world_size)``, which is what makes resume and DDP exact. ``cache_size=0`` generates every
example on the fly from the same seeds instead (slow; for tiny runs and checks).

Entry point (reads ``params.yaml``'s ``odeformer`` section when present, else the quick preset)::

    python -m paper_code.odeformer.train [--scale quick|paper] [--max-steps N] [--out PATH]
    torchrun --nproc_per_node=2 -m paper_code.odeformer.train ...   # same run, batch split over ranks
    python -m paper_code.odeformer.train --write-config models/odeformer/train_config.json  # DVC stage
    python -m paper_code.odeformer.train --config models/odeformer/train_config.json        # DVC stage

The DVC pipeline splits training in two stages: ``odeformer_train_config`` writes the training fields of the
resolved config (:meth:`~paper_code.odeformer.config.OdeformerConfig.training_settings`, sorted JSON), and
``train_odeformer`` depends on that file instead of on ``params.yaml``, so a decoding or evaluation change
rewrites a byte-identical file and never retrains. DVC keeps the checkpoint between runs (``persist``), and
:func:`existing_output_action` decides what to do with it: resume an interrupted run, replace the committed
checkpoint when the stage's inputs changed, and refuse (with the restore command) a corrupt file instead of
silently retraining for hours.

Execution options (docs/papers/odeformer.md §7): ``--gen-workers N`` generates the cache in N processes and
``--loader-workers N`` assembles the batches in N forked processes ahead of the trainer (both pure functions of
the seed: the same run, faster); ``--time-budget S`` stops at a checkpoint before S seconds would be exceeded
(exit status :data:`EXIT_UNFINISHED`), and rerunning the command resumes exactly. The device is chosen
automatically (CUDA when available); on CUDA deterministic kernels are requested.

Measured on this project's 2 shared CPU cores (1.23M parameters): the first quick generator made 37
systems/s with 2 processes, the quick mix with the compiled right-hand side about 2.7× more per CPU second;
training runs at 230-270 samples/s at batch 64 (the batch assembly is ≈27 ms of a ≈250 ms step) and about 195
samples/s at the quick preset's batch of 256. The quick preset (100k systems of the quick mix, 3500 steps of 256)
took 59 min of cache (niced, on a loaded machine) and 109 min of training on 2 cores.

Outputs: the Trainer checkpoint at ``--out`` (default ``models/odeformer/model.pt``; resumable, and
:func:`load_model` rebuilds the model from it) and ``<out stem>_stats.json`` next to it (training settings,
steps, samples/s, wall time, every run that led to the checkpoint with its device and times, final loss,
generation throughput, the checkpoint's md5). An unfinished run leaves ``<out stem>_runs.json`` instead.
"""
from __future__ import annotations

import argparse
import logging
import os
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from paper_code.common import distributed as D
from paper_code.common import training_runs as R
from paper_code.common.devices import choose_device
from paper_code.common.parallel import available_cpus, fork_pool
from paper_code.common.paths import REPO_ROOT
from paper_code.common.training import CheckpointMismatchError, warmup_cosine
from paper_code.common.training_runs import (
    EXIT_UNFINISHED,
    DeadlineBatches,
    PrefetchedBatches,
    TimeBudgetExhausted,
    request_determinism,
    run_training,
)
from paper_code.odeformer import checkpoint as C
from paper_code.odeformer.checkpoint import runs_path, stats_path
from paper_code.odeformer.config import OdeformerConfig
from paper_code.odeformer.generator import ODEGeneratorConfig, preset, sample_example
from paper_code.odeformer.integrate import corrupt
from paper_code.symbolic.embedder import Vocabulary, input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.encoding import encode_system
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer, sequence_loss
from paper_code.symbolic.numbers import FloatTokenizer

__all__ = ["Vocabs", "make_vocabs", "generator_config", "build_model", "lr_factor", "Cached", "generate_chunk",
           "read_chunk", "build_cache", "OdeBatches", "PrefetchedBatches", "DeadlineBatches", "TimeBudgetExhausted",
           "EXIT_UNFINISHED", "request_determinism", "available_cpus", "fork_pool", "collate", "loss_fn", "train",
           "stats_path", "runs_path",
           "load_model",
           "write_training_config", "read_training_config", "existing_output_action", "main", "CheckpointMismatchError"]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- vocabularies and model


@dataclass(frozen=True)
class Vocabs:
    floats: FloatTokenizer
    inp: Vocabulary   # float tokens of the point embedder
    out: Vocabulary   # expression tokens of the decoder


def make_vocabs(cfg: OdeformerConfig) -> Vocabs:
    # "clip": the quick scale clips exponents to ±10 (max_exponent); observed |x| < 100 anyway.
    floats = FloatTokenizer(cfg.float_precision, cfg.max_exponent, overflow="clip")
    return Vocabs(floats, input_vocabulary(floats), output_vocabulary(floats, max_dim=cfg.max_dim))


def generator_config(cfg: OdeformerConfig, corrupted: bool) -> ODEGeneratorConfig:
    """The generator preset with the config's target form, and on-sample corruption switched on or off (the cache
    stores clean data)."""
    return preset(cfg.generator, canonical=cfg.canonical_targets, corrupted=corrupted)


def build_model(cfg: OdeformerConfig, vocabs: Vocabs | None = None) -> Seq2SeqTransformer:
    """The core encoder-decoder at the config's sizes; rows are ``(t, x_1..x_D)`` padded to ``max_dim + 1``."""
    vocabs = vocabs or make_vocabs(cfg)
    mcfg = Seq2SeqConfig(d_model=cfg.d_model, n_heads=cfg.n_heads, enc_layers=cfg.enc_layers,
                         dec_layers=cfg.dec_layers, token_dim=cfg.token_dim, max_width=cfg.max_dim + 1,
                         max_len=cfg.max_len)
    return Seq2SeqTransformer(mcfg, len(vocabs.inp), len(vocabs.out), vocabs.out.pad_id, vocabs.out.eos_id)


def lr_factor(step: int, cfg: OdeformerConfig) -> float:
    """``lr(step) / cfg.lr``: the shared warm-up + cosine-with-restarts schedule
    (:func:`paper_code.common.training.warmup_cosine`) at the config's settings."""
    return warmup_cosine(step, lr=cfg.lr, max_steps=cfg.max_steps, warmup_steps=cfg.warmup_steps,
                         warmup_init_lr=cfg.warmup_init_lr, cosine_period=cfg.cosine_period,
                         period_mult=cfg.period_mult, peak_decay=cfg.peak_decay, min_lr_ratio=cfg.min_lr_ratio)


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
    form = "canonical" if cfg.canonical_targets else "raw"
    return base / (f"{cfg.generator}-{form}-p{cfg.float_precision}e{cfg.max_exponent}-d{cfg.max_dim}-L{cfg.max_len}"
                   f"-c{cfg.cache_chunk}-s{cfg.seed}")


def _write_chunk(args: tuple[OdeformerConfig, int, str]) -> int:
    cfg, chunk, path = args
    torch.set_num_threads(1)
    # Plain tuples, not Cached objects: under `python -m` the class lives in __main__, which another reader lacks.
    data = [(c.t, c.y, c.target) for c in generate_chunk(cfg, chunk)]
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # atomic: a reader never sees half a chunk
    return chunk


class _ChunkUnpickler(pickle.Unpickler):
    """Reads chunk files, also those that pickled ``Cached`` objects from a ``python -m`` run (``__main__``)."""

    def find_class(self, module: str, name: str) -> Any:
        if name == "Cached" and module in ("__main__", __name__):
            return Cached
        return super().find_class(module, name)


def read_chunk(path: str | Path) -> list[Cached]:
    """The systems of one cache chunk file."""
    with open(path, "rb") as f:
        data = _ChunkUnpickler(f).load()
    return [c if isinstance(c, Cached) else Cached(*c) for c in data]


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
        workers = max(1, (cfg.gen_workers or available_cpus()) // world_size)
        t0 = time.perf_counter()
        log.info("rank %d: generating %d chunks of %d systems with %d process(es) -> %s",
                 rank, len(todo), cfg.cache_chunk, workers, folder)
        # fork: workers only run numpy/scipy; spawn would re-import the caller's __main__.
        pool = fork_pool(workers) if workers > 1 else None
        if pool is None:
            for job in todo:
                _write_chunk(job)
        else:
            with pool:
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
        systems.extend(read_chunk(p))
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
                "generator": c.generator, "canonical": c.canonical_targets,
                "floats": [c.float_precision, c.max_exponent],
                "max_len": c.max_len}


#: Token-mean cross-entropy of the target given its prefix (:func:`~paper_code.symbolic.model.sequence_loss`).
loss_fn = sequence_loss


# --------------------------------------------------------------------------- training


def train(cfg: OdeformerConfig, checkpoint_path: str | Path | None = None, progress: bool = True,
          systems: list[Cached] | None = None, loader_workers: int = 0,
          time_budget_s: float | None = None) -> dict[str, Any]:
    """Train (or resume) to ``cfg.max_steps``; returns the stats written next to the checkpoint
    (:func:`paper_code.common.training_runs.run_training`).

    ``checkpoint_path`` overrides ``cfg.checkpoint_path`` (relative paths are taken from the repository
    root). ``systems`` skips the cache build (tests). ``loader_workers > 0`` assembles batches in that many forked
    processes (same batches). ``time_budget_s`` stops at a checkpoint before the budget would be overrun and raises
    :class:`TimeBudgetExhausted` (no stats file: the run is unfinished; rerunning resumes it). Under torchrun,
    call inside an initialised group.
    """
    t_start = time.perf_counter()
    path = C.resolve(checkpoint_path or cfg.checkpoint_path)
    rank, world = D.get_rank(), D.get_world_size()
    if D.is_main_process():
        stats_path(path).unlink(missing_ok=True)  # stats describe a finished run; this one is not finished yet
    torch.manual_seed(cfg.seed)  # same initial weights on every rank (DDP also broadcasts them)
    vocabs = make_vocabs(cfg)
    gen_rate, t_gen = float("nan"), time.perf_counter()
    if systems is None and cfg.cache_size > 0:
        systems, gen_rate = build_cache(cfg, rank, world)
    generation_s = time.perf_counter() - t_gen
    batches: Any = OdeBatches(cfg, systems, vocabs)
    prefetch = PrefetchedBatches(batches, loader_workers) if loader_workers > 0 else None
    try:
        request_determinism(choose_device("auto"))  # before the first CUDA kernel
        model = build_model(cfg, vocabs)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(0.9, cfg.adam_beta2))
        return run_training(cfg=cfg, settings=cfg.training_settings(), model=model, optimizer=opt, loss_fn=loss_fn,
                            batches=prefetch or batches, path=path, lr_lambda=lambda t: lr_factor(t, cfg),
                            desc="odeformer", progress=progress, time_budget_s=time_budget_s, t_start=t_start,
                            generation_s=generation_s,
                            extra_stats={"generation_examples_per_s": gen_rate, "loader_workers": loader_workers})
    finally:
        if prefetch is not None:
            prefetch.close()


def load_model(path: str | Path, cfg: OdeformerConfig) -> tuple[Seq2SeqTransformer, Vocabs]:
    """Model (eval mode, CPU) and vocabularies from a checkpoint written by :func:`train` with ``cfg``.

    Raises :class:`~paper_code.odeformer.checkpoint.CheckpointCorruptError` for an unreadable file and
    ``RuntimeError`` (``load_state_dict``) for the weights of another architecture."""
    vocabs = make_vocabs(cfg)
    model = build_model(cfg, vocabs)
    model.load_state_dict(C.read_checkpoint(Path(path))["model"])
    return model.eval(), vocabs


# --------------------------------------------------------------------------- the DVC stages' settings and output


def write_training_config(cfg: OdeformerConfig, path: str | Path) -> Path:
    """Write ``cfg``'s training fields as sorted JSON (byte-identical for configs that differ only in decoding or
    evaluation fields); returns the absolute path."""
    return R.write_training_config(cfg, path)


def read_training_config(path: str | Path) -> OdeformerConfig:
    """The config whose training fields are those of the JSON file :func:`write_training_config` wrote."""
    return COMMAND.read_config(path)  # type: ignore[return-value]


def existing_output_action(path: Path, cfg: OdeformerConfig) -> str:
    """What training does with a checkpoint already at ``path``: ``"train"``, ``"replace"`` or ``"keep"``
    (:meth:`paper_code.common.checkpoints.ModelStage.existing_output_action`)."""
    return C.MODEL_STAGE.existing_output_action(path, cfg.training_settings())


# --------------------------------------------------------------------------- CLI


def _add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--gen-workers", type=int, default=None, metavar="N",
                    help="override gen_workers (cache generation processes; the cache does not depend on it)")
    ap.add_argument("--loader-workers", type=int, default=0, metavar="N",
                    help="assemble batches in N forked processes ahead of the trainer (same batches; for a GPU)")


def _check_arguments(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.loader_workers < 0:
        ap.error(f"--loader-workers must be >= 0, got {args.loader_workers}")


def _apply_arguments(cfg: OdeformerConfig, args: argparse.Namespace) -> OdeformerConfig:
    return cfg.replace({"gen_workers": args.gen_workers}) if args.gen_workers is not None else cfg


def _train_command(cfg: OdeformerConfig, model: str | None, progress: bool, time_budget_s: float | None,
                   args: argparse.Namespace) -> dict[str, Any]:
    return train(cfg, progress=progress, loader_workers=args.loader_workers, time_budget_s=time_budget_s)


COMMAND = R.TrainingCommand(
    paper="odeformer", module="paper_code.odeformer.train", train=_train_command, stages={None: C.MODEL_STAGE},
    add_arguments=_add_arguments, apply_arguments=_apply_arguments, extra_checks=_check_arguments,
    description=__doc__.splitlines()[0])


def resolve_cli_config(scale: str | None, max_steps: int | None, out: str | None,
                       config_file: str | None = None) -> OdeformerConfig:
    """The training settings of ``config_file`` (a :func:`write_training_config` JSON) when given, else
    params.yaml's ``odeformer`` section (if present) or the quick preset; ``--scale`` replaces the preset but keeps
    the section's overrides; ``--max-steps`` / ``--out`` override last."""
    return COMMAND.resolve(scale, max_steps, out, config_file)  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
