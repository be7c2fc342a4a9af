"""Where things live: the repository root and the (redirectable) output folders.

Outputs (figures, metrics) go under ``$PAPER_OUT`` when it is set. The DVC
pipeline points it at a staging folder and publishes on success; the test
suite points it at a temporary folder. When it is unset (a person running a
notebook in JupyterLab) outputs go to ``build/scratch/`` so tracked figures
only ever change through ``dvc repro``.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_ENV = "PAPER_OUT"
SCRATCH_DIR = REPO_ROOT / "build" / "scratch"

FIGURES = "figures"
METRICS = "metrics"


def output_root() -> Path:
    """Root under which ``figures/<paper>/`` and ``metrics/<paper>.json`` are written."""
    env = os.environ.get(OUTPUT_ENV)
    return Path(env).resolve() if env else SCRATCH_DIR


def figures_dir(paper: str, root: Path | None = None) -> Path:
    return (root or output_root()) / FIGURES / paper


def metrics_path(paper: str, root: Path | None = None) -> Path:
    return (root or output_root()) / METRICS / f"{paper}.json"


def report_dir(paper: str, root: Path | None = None) -> Path:
    """``reports/notebooks/<paper>/``: the executed notebook and its resolved ``config.json``."""
    return (root or output_root()) / "reports" / "notebooks" / paper


def timings_path(paper: str, root: Path | None = None) -> Path:
    """``timings/<paper>.json`` (run times, machine); the runner publishes it to ``build/timings/``."""
    return (root or output_root()) / "timings" / f"{paper}.json"


def params_path() -> Path:
    return REPO_ROOT / "params.yaml"
