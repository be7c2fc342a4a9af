"""Train (or resume) every run of the notebook into its checkpoints, ahead of the notebook.

    python -m paper_code.dfa.precompute --scale paper                 # all parts, one after the other
    python -m paper_code.dfa.precompute --scale paper --part deep_linear   # one part (run parts in parallel)

Each part calls the same ``run_*`` function the notebook calls, with the same resolved
config, so the checkpoints it leaves under ``checkpoint_dir`` are exactly what the
notebook then reads back (a finished run is re-evaluated, not retrained; an interrupted
one resumes from its last checkpoint: rerun the same command). The wall and CPU time of
every part are added to ``<checkpoint_dir>/cpu_times.json``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from paper_code.common.config import resolve_config
from paper_code.dfa.config import DFAConfig

# imported up front, so that a long run keeps the code it started with even if the files change meanwhile
from paper_code.dfa.exp_deep_linear import run_deep_linear
from paper_code.dfa.exp_images import load_fashion, load_images, run_cnn, run_mlp
from paper_code.dfa.exp_shallow import simulate_shallow
from paper_code.dfa.resumable import checkpoint_file

log = logging.getLogger("paper_code.dfa.precompute")

PAPER = "dfa_alignment"


def _shallow(cfg: DFAConfig) -> None:
    simulate_shallow(cfg)  # the ODEs need no training: the notebook integrates them


def _deep_linear(cfg: DFAConfig) -> None:
    run_deep_linear(cfg)


def _mnist(cfg: DFAConfig) -> None:
    run_mlp(cfg, load_images(cfg))


def _fashion(cfg: DFAConfig) -> None:
    run_mlp(cfg, load_fashion(cfg), label_noise=False, name="mlp_fashion")


def _cnn(cfg: DFAConfig) -> None:
    run_cnn(cfg, load_images(cfg))


#: The parts, in the notebook's order.
PARTS: dict[str, Callable[[DFAConfig], None]] = {
    "shallow": _shallow, "deep_linear": _deep_linear, "mnist": _mnist, "fashion": _fashion, "cnn": _cnn,
}


def record_times(folder: Path, part: str, wall_s: float, cpu_s: float) -> None:
    """Add one finished part's times to ``folder/cpu_times.json`` (a resumed part adds to its earlier total)."""
    path = folder / "cpu_times.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    prev = data.get(part, {"wall_s": 0.0, "cpu_s": 0.0, "sessions": 0})
    data[part] = {"wall_s": prev["wall_s"] + wall_s, "cpu_s": prev["cpu_s"] + cpu_s, "sessions": prev["sessions"] + 1}
    data["total"] = {k: sum(v[k] for p, v in data.items() if p != "total") for k in ("wall_s", "cpu_s")}
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="paper", help="preset to train (default: paper)")
    ap.add_argument("--part", action="append", choices=sorted(PARTS),
                    help="part(s) to train (repeatable; default: all, in the notebook's order)")
    args = ap.parse_args(argv)
    cfg = resolve_config(PAPER, args.scale, {})
    assert isinstance(cfg, DFAConfig)
    probe = checkpoint_file(cfg.checkpoint_dir, "probe")
    if probe is None:
        print(f"error: the {args.scale!r} preset of {PAPER} sets no checkpoint_dir, so nothing would be kept for the "
              "notebook; use --scale paper (or a preset with a checkpoint_dir)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("paper_code.common.training").setLevel(logging.DEBUG)  # one line per log step: progress
    folder = probe.parent
    for part in args.part or list(PARTS):
        log.info("%s: training part %r at scale %r, checkpoints in %s", PAPER, part, args.scale, folder)
        w0, c0 = time.perf_counter(), time.process_time()
        PARTS[part](cfg)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        record_times(folder, part, wall, cpu)
        log.info("%s: part %r done in %.0f s wall, %.0f s CPU", PAPER, part, wall, cpu)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
