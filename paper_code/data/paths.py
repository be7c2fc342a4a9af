"""Where the loaders look for external data files.

Search roots, in order: ``<repo>/data/external/`` (DVC-tracked) and the folder
named by the environment variable ``PAPER_DATA_DIR`` (CI points it at a shared
reference-data folder). A dataset lives in a fixed sub-folder of a root, e.g.
``<root>/mnist/`` or ``<root>/cifar-10-batches-py/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from paper_code.common.paths import REPO_ROOT

__all__ = [
    "DATA_DIR_ENV",
    "DVC_HINT",
    "REPO_ROOT",
    "REPO_EXTERNAL_DIR",
    "external_roots",
    "candidate_dirs",
    "env_note",
]

DATA_DIR_ENV = "PAPER_DATA_DIR"
# How to register newly placed files with DVC (one place to change it).
DVC_HINT = "then run `dvc add data` (data/ is tracked by data.dvc)"


# Read at call time by external_roots(); tests may monkeypatch it.
REPO_EXTERNAL_DIR: Path | None = REPO_ROOT / "data" / "external"


def external_roots() -> list[Path]:
    """Search roots for external files: repo ``data/external`` then ``$PAPER_DATA_DIR``."""
    roots: list[Path] = []
    if REPO_EXTERNAL_DIR is not None:
        roots.append(Path(REPO_EXTERNAL_DIR))
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        env_root = Path(env).expanduser()
        if env_root not in roots:
            roots.append(env_root)
    return roots


def candidate_dirs(subdir: str) -> list[Path]:
    """``<root>/<subdir>`` for every search root."""
    return [root / subdir for root in external_roots()]


def env_note() -> str:
    """A line for error messages saying how ``$PAPER_DATA_DIR`` was used."""
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return f"(${DATA_DIR_ENV}={env})"
    return (
        f"(${DATA_DIR_ENV} is not set; point it at a folder with the same layout "
        "to search there too)"
    )
