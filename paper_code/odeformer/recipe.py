"""The quick training recipe, measured: what canonical targets and the quick mix change (docs/papers/odeformer.md,
section 4).

Two questions, each answered on CPU in minutes:

* **Targets** (:func:`target_statistics`): on the same generated systems, the raw trees against their SymPy
  canonical forms (:func:`~paper_code.symbolic.sympy_bridge.canonical_tree`): mean target length in tokens, and
  the duplicate rate, the fraction of systems whose skeleton (constants replaced by ``C``) an earlier system
  already had, by raw skeleton and by canonical skeleton. A raw skeleton that is distinct only because of its
  writing (``c·x + c·x`` vs ``c·x``) is a duplicate by canonical skeleton.
* **Accuracy** (:func:`evaluate_run`): short training runs of two recipes (same steps, batch, model), each
  scored on the same held-out generated systems of both generators and on the clean ODEBench systems the model
  reads (D <= 2), with the fast sampled decoding; accuracy = fraction with R² > 0.9, as the paper scores.

CLI (writes JSON next to the runs and prints a table)::

    python -m paper_code.odeformer.recipe targets CACHE_DIR [CACHE_DIR ...]
    python -m paper_code.odeformer.recipe evaluate RUN_DIR [RUN_DIR ...] [--held-out 50]

A run folder holds the ``train_config.json`` and ``model.pt`` of ``python -m paper_code.odeformer.train --config
RUN_DIR/train_config.json --out RUN_DIR/model.pt``.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paper_code.odeformer import benchmark as B
from paper_code.odeformer.config import OdeformerConfig
from paper_code.odeformer.odebench import ODEBENCH
from paper_code.symbolic.encoding import decode_system, encode_system
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.numbers import FloatTokenizer
from paper_code.symbolic.sympy_bridge import canonical_tree

__all__ = ["skeleton", "target_statistics", "cache_systems", "HELD_OUT_GENERATORS", "evaluate_run", "main"]

log = logging.getLogger(__name__)

#: The held-out sets every run is scored on: ``(name, generator, canonical targets)``. The form of the targets does
#: not change the trajectories, so only the generator matters for scoring.
HELD_OUT_GENERATORS = (("held-out quick", "quick", False), ("held-out quick_mix", "quick_mix", True))


def skeleton(tokens: Sequence[str]) -> str:
    """The target with every float constant (three tokens) and integer replaced by ``C``."""
    out, i = [], 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("+", "-"):
            out.append("C")
            i += 3
        elif tok in ("INT+", "INT-"):
            out.append("C")
            i += 1
            while i < len(tokens) and tokens[i].isdigit():
                i += 1
        else:
            out.append(tok)
            i += 1
    return " ".join(out)


def _duplicate_rate(keys: Iterable[str]) -> float:
    seen: set[str] = set()
    dup = n = 0
    for k in keys:
        dup += k in seen
        seen.add(k)
        n += 1
    return dup / n if n else float("nan")


def target_statistics(systems: Sequence[Sequence[Node]], floats: FloatTokenizer) -> dict[str, float]:
    """Length and duplicate rates of ``systems`` as they are and in canonical form (the same systems)."""
    raw = [encode_system(s, floats) for s in systems]
    canon_trees = [[canonical_tree(t, max_growth=float("inf")) or t for t in s] for s in systems]
    canon = [encode_system(s, floats) for s in canon_trees]
    return {
        "n_systems": len(systems),
        "length_raw": float(np.mean([len(t) for t in raw])),
        "length_canonical": float(np.mean([len(t) for t in canon])),
        "duplicates_raw_skeleton": _duplicate_rate(skeleton(t) for t in raw),
        "duplicates_canonical_skeleton": _duplicate_rate(skeleton(t) for t in canon),
        "distinct_raw_skeletons": len({skeleton(t) for t in raw}),
        "distinct_canonical_skeletons": len({skeleton(t) for t in canon}),
        "already_canonical": float(np.mean([a == b for a, b in zip(raw, canon)])),
    }


def cache_systems(folder: str | Path, floats: FloatTokenizer, vocab: Any, limit: int = 0) -> list[list[Node]]:
    """The target systems of a training-cache folder (chunk files in order; at most ``limit`` when > 0)."""
    from paper_code.odeformer.train import read_chunk

    out: list[list[Node]] = []
    for path in sorted(Path(folder).glob("chunk_*.pkl")):
        for cached in read_chunk(path):
            out.append(decode_system(vocab.decode(cached.target), floats))
            if limit and len(out) >= limit:
                return out
    if not out:
        raise FileNotFoundError(f"no chunk_*.pkl in {folder}: give a training-cache folder (build/odeformer/cache/...)")
    return out


def evaluate_run(run: str | Path, n_held_out: int = 50, seed: int = 1, n_candidates: int = 16) -> dict[str, Any]:
    """Accuracy of a trained run on the held-out sets of :data:`HELD_OUT_GENERATORS` and on clean ODEBench (D <= 2,
    64 points), σ = 0, with ``n_candidates`` samples at the quick preset's temperature."""
    from paper_code.odeformer.experiments import held_out_systems, load_method
    from paper_code.odeformer.train import read_training_config

    run = Path(run)
    cfg = read_training_config(run / "train_config.json")
    cfg = cfg.replace({"checkpoint_path": str(run / "model.pt"), "n_candidates": n_candidates,
                       "sweep_ks": tuple(k for k in cfg.sweep_ks if k <= n_candidates)})
    method = load_method(cfg)
    out: dict[str, Any] = {"run": run.name, "generator": cfg.generator, "canonical_targets": cfg.canonical_targets,
                           "steps": cfg.max_steps, "batch_size": cfg.batch_size}
    start = time.perf_counter()
    for name, generator, canonical in HELD_OUT_GENERATORS:
        gen_cfg = cfg.replace({"generator": generator, "canonical_targets": canonical})
        tasks = B.prepare_tasks(held_out_systems(gen_cfg, n_held_out, seed), (0.0,), (0.0,), cfg.eval_points, seed)
        res = B.run_benchmark([method], tasks)
        out[name] = float((res["r2_reconstruction"] > B.ACCURACY_THRESHOLD).mean())
    systems = [s for s in ODEBENCH if s.dim <= cfg.max_dim]
    res = B.run_benchmark([method], B.prepare_tasks(systems, (0.0,), (0.0,), cfg.eval_points, 0))
    ok = res["r2_reconstruction"] > B.ACCURACY_THRESHOLD
    out["ODEBench D<=2"] = float(ok.mean())
    out["ODEBench recovered"] = sorted(int(s) for s in res.loc[ok, "system"])
    for d in sorted(res["dim"].unique()):
        out[f"ODEBench D={d}"] = float(ok[res["dim"] == d].mean())
    out["eval_s"] = time.perf_counter() - start
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("targets", help="target length and duplicate rates of training caches")
    t.add_argument("caches", nargs="+", help="training-cache folders (build/odeformer/cache/...)")
    t.add_argument("--limit", type=int, default=0, help="at most this many systems per cache (0 = all)")
    e = sub.add_parser("evaluate", help="accuracies of trained runs")
    e.add_argument("runs", nargs="+", help="folders with train_config.json and model.pt")
    e.add_argument("--held-out", type=int, default=50, help="held-out systems per generator")
    e.add_argument("--candidates", type=int, default=16, help="sampled candidates per system")
    e.add_argument("--out", default=None, help="JSON file for the results")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from paper_code.odeformer.train import make_vocabs

    if args.what == "targets":
        vocabs = make_vocabs(OdeformerConfig())
        rows = {Path(c).name: target_statistics(cache_systems(c, vocabs.floats, vocabs.out, args.limit), vocabs.floats)
                for c in args.caches}
    else:
        rows = {Path(r).name: evaluate_run(r, args.held_out, n_candidates=args.candidates) for r in args.runs}
    table = pd.DataFrame(rows)
    print(table.to_string())
    if getattr(args, "out", None):
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
