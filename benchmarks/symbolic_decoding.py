"""Fast decoding in the symbolic core: decoding throughput and ODEFormer fit time, before and after.

    python benchmarks/symbolic_decoding.py [--systems 12] [--candidates 16] [--beam 4] [--threads 1 2]
    python -m paper_code.pipeline.bench --only symbolic_decoding   # its rows of the benchmark report

Three implementations, on the trained quick checkpoint (``dvc pull train_odeformer``):

* ``before``: the decoding of commit 6a778c3, read from git: every step re-runs the decoder over the
  whole prefix of every row (finished ones too) and projects every position onto the vocabulary; beam
  search runs one input at a time;
* ``no cache``: today's batched loops with ``use_cache=False`` (the full-prefix reference path);
* ``after``: today's default: key/value cache, last position projected only, finished rows leave the
  batch, beam search batched across inputs.

Decoding: the clean 64-point tasks of the first ``--systems`` ODEBench systems with D <= 2, rescaled as
ODEFormer does, one bag each, decoded in one batch: greedy, sampling of ``--candidates`` per input at
temperature 0.5, beam search of width ``--beam``. Throughput = output tokens (up to and including the
closing ``<EOS>``; for beam search, of the returned hypotheses) per second. Fit: ``OdeformerMethod.fit``
per system with the notebook's settings (16 samples at temperature 0.5, ranking by trajectory R²), split
into decoding and ranking. Every number is the best of ``--repeats`` runs; everything runs once per torch
thread count in ``--threads``; the machine's load average is printed before and after (other processes
distort the numbers).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from types import ModuleType

import numpy as np
import torch

from paper_code.common.config import resolve_config
from paper_code.common.paths import REPO_ROOT
from paper_code.common.threads import limit_threads
from paper_code.odeformer.benchmark import prepare_tasks
from paper_code.odeformer.inference import OdeformerMethod, Rescaling
from paper_code.odeformer.odebench import ODEBENCH
from paper_code.odeformer.train import load_model
from paper_code.pipeline.bench_tools import timed_fit
from paper_code.symbolic.embedder import tokenize_points
from paper_code.symbolic.estimator import resolve_path

BEFORE_COMMIT = "6a778c3a54b6c223b27f0134878acda8022481f9"


def _module_at(commit: str, path: str, name: str) -> ModuleType | None:
    """``path`` as of ``commit``, imported under ``name`` (``None`` without git history)."""
    try:
        src = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    sys.modules[name] = module
    exec(compile(src, f"{commit[:7]}:{path}", "exec"), module.__dict__)
    return module


def _timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _n_tokens(ids: torch.Tensor, pad: int) -> int:
    return int((ids != pad).sum())  # tokens up to and including <EOS>; padding after it is not output


def decode_rates(models: dict[str, torch.nn.Module], ids, mask, n_samples: int, beam: int, repeats: int
                 ) -> dict[str, dict[str, float]]:
    """Output tokens/s per implementation and decoding mode."""
    pad = next(iter(models.values())).pad_id
    rates: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        kw = {} if name == "before" else {"use_cache": name == "after"}
        r = {}
        s, out = _timed(lambda model=model, kw=kw: model.greedy(ids, mask, **kw), repeats)
        r["greedy"] = _n_tokens(out, pad) / s
        gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
        s, out = _timed(lambda model=model, gen=gen, kw=kw: model.sample(ids, mask, temperature=0.5,
                                                                         n_samples=n_samples, generator=gen(), **kw),
                        repeats)
        r[f"sampling x{n_samples}"] = _n_tokens(out, pad) / s
        if name == "before":  # the committed beam search looped over inputs itself; same call
            s, out = _timed(lambda model=model: model.beam_search(ids, mask, beam_size=beam), repeats)
        else:
            s, out = _timed(lambda model=model, kw=kw: model.beam_search(ids, mask, beam_size=beam, **kw), repeats)
        r[f"beam {beam}"] = sum(len(h) + 1 for hyps in out for _, h in hyps) / s
        rates[name] = r
    return rates


def fit_times(methods: dict[str, OdeformerMethod], tasks, repeats: int) -> dict[str, tuple[float, float]]:
    """Mean over systems of the ``(fit, decoding)`` seconds of each method, each the best of ``repeats`` runs;
    the methods take turns on each system, so that a burst of load hits them alike."""
    totals = {name: [0.0, 0.0] for name in methods}
    for task in tasks:
        for name, method in methods.items():
            best = min(timed_fit(method, task.t_obs, task.y_obs) for _ in range(repeats))
            totals[name][0] += best[0]
            totals[name][1] += best[1]
    return {name: (t / len(tasks), d / len(tasks)) for name, (t, d) in totals.items()}


def bench(ctx) -> list:
    """Rows for ``make bench``: output tokens/s of today's decoding with and without the key/value cache, at the
    default threads (the git-history comparison stays in the CLI)."""
    from paper_code.pipeline.bench_rows import MeasureRow

    cfg = resolve_config("odeformer", "quick")
    path = resolve_path(cfg.checkpoint_path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: `dvc pull train_odeformer`")
    model, vocabs = load_model(path, cfg)
    systems = [s for s in ODEBENCH if s.dim <= 2][: ctx.pick(8, 2)]
    bags = []
    for task in prepare_tasks(systems, n_points=64):
        tau, z = Rescaling.fit(task.t_obs, task.y_obs).apply(task.t_obs, task.y_obs)
        bags.append(np.concatenate([tau[:, None], z], 1))
    ids, mask = tokenize_points(bags, vocabs.floats, vocabs.inp, model.cfg.max_width)
    rates = decode_rates({"no cache": model, "after": model}, ids, mask, 16, 4, repeats=ctx.pick(2, 1))
    group = f"Decoding throughput, symbolic core (quick checkpoint, {len(systems)} ODEBench inputs in one batch)"
    threads = torch.get_num_threads()
    rows = []
    for mode in rates["after"]:
        rows.append(MeasureRow(group, f"{mode}, key/value cache", rates["after"][mode], "output tokens/s", threads,
                               f"{rates['after'][mode] / rates['no cache'][mode]:.1f}x the full-prefix decoder"))
        rows.append(MeasureRow(group, f"{mode}, full prefix each step", rates["no cache"][mode], "output tokens/s",
                               threads, "use_cache=False (reference path)"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", type=int, default=12)
    ap.add_argument("--candidates", type=int, default=16)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=2, help="best of this many runs per measurement")
    args = ap.parse_args()

    cfg = resolve_config("odeformer", "quick")
    path = resolve_path(cfg.checkpoint_path)
    if not path.is_file():
        sys.exit(f"no checkpoint at {path}: `dvc pull train_odeformer`")
    model, vocabs = load_model(path, cfg)
    models: dict[str, torch.nn.Module] = {}
    old_model = _module_at(BEFORE_COMMIT, "paper_code/symbolic/model.py", "_before_model")
    old_inference = _module_at(BEFORE_COMMIT, "paper_code/odeformer/inference.py", "_before_inference")
    if old_model is not None:
        before = old_model.Seq2SeqTransformer(model.cfg, len(vocabs.inp), len(vocabs.out), model.pad_id, model.eos_id)
        before.load_state_dict(model.state_dict())
        models["before"] = before.eval()
    else:
        print(f"(no git history with {BEFORE_COMMIT[:7]}: 'before' is skipped)")
    models["no cache"], models["after"] = model, model

    systems = [s for s in ODEBENCH if s.dim <= 2][: args.systems]
    tasks = prepare_tasks(systems, n_points=64)
    bags = []
    for task in tasks:
        tau, z = Rescaling.fit(task.t_obs, task.y_obs).apply(task.t_obs, task.y_obs)
        bags.append(np.concatenate([tau[:, None], z], 1))
    ids, mask = tokenize_points(bags, vocabs.floats, vocabs.inp, model.cfg.max_width)
    methods: dict[str, OdeformerMethod] = {}
    if old_inference is not None and "before" in models:
        methods["before"] = old_inference.OdeformerMethod(models["before"], vocabs, n_candidates=args.candidates,
                                                          temperature=0.5, max_bag=cfg.max_bag)
    methods["no cache"] = OdeformerMethod(model, vocabs, n_candidates=args.candidates, temperature=0.5,
                                          max_bag=cfg.max_bag, use_cache=False)
    methods["after"] = OdeformerMethod(model, vocabs, n_candidates=args.candidates, temperature=0.5,
                                       max_bag=cfg.max_bag)

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; "
          f"load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"quick checkpoint ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters), "
          f"{len(tasks)} ODEBench systems (D <= 2), 64 points, one bag each")
    for n in args.threads:
        with limit_threads(n):
            rates = decode_rates(models, ids, mask, args.candidates, args.beam, args.repeats)
            fits = fit_times(methods, tasks, args.repeats)
        print(f"\n== torch threads = {n}")
        modes = list(next(iter(rates.values())))
        print(f"{'output tokens/s':18s}" + "".join(f"{m:>16s}" for m in modes))
        for name, r in rates.items():
            print(f"{name:18s}" + "".join(f"{r[m]:16.0f}" for m in modes))
        if "before" in rates:
            print(f"{'speed-up':18s}" + "".join(f"{rates['after'][m] / rates['before'][m]:15.1f}x" for m in modes))
        print(f"{'fit / system':18s}{'total ms':>16s}{'decoding ms':>16s}{'ranking ms':>16s}")
        for name, (total, dec) in fits.items():
            print(f"{name:18s}{total * 1e3:16.0f}{dec * 1e3:16.0f}{(total - dec) * 1e3:16.0f}")
        if "before" in fits:
            b, a = fits["before"], fits["after"]
            print(f"{'speed-up':18s}{b[0] / a[0]:15.1f}x{b[1] / a[1]:15.1f}x")
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
