"""Where the loaders look for external data files.

Search roots, in order: ``<repo>/data/external/`` (DVC-tracked) and the folder
named by the environment variable ``PAPER_DATA_DIR`` (CI points it at a shared
reference-data folder). A dataset lives in a fixed sub-folder of a root, e.g.
``<root>/mnist/`` or ``<root>/cifar-10-batches-py/``.

In a checkout, ``data.dvc`` records the files shipped under ``data/external/``
(the MNIST subset, Fashion-MNIST). There the recorded copy is the only one read:
a missing or damaged copy is an error naming ``dvc pull``, never a silent switch
to a copy elsewhere on the machine. Without the record (the package used outside
a checkout), the loaders fall back to copies installed by pip or apt.
"""

from __future__ import annotations

import os
from pathlib import Path

from paper_code.common.paths import REPO_ROOT

__all__ = [
    "DATA_DIR_ENV",
    "DVC_HINT",
    "DVC_RECORD",
    "PULL_FIX",
    "RESTORE_FIX",
    "REPO_ROOT",
    "REPO_EXTERNAL_DIR",
    "external_roots",
    "candidate_dirs",
    "record_present",
    "tracked_dir",
    "in_repo_external",
    "env_note",
]

DATA_DIR_ENV = "PAPER_DATA_DIR"
# How to register newly placed files with DVC (one place to change it).
DVC_HINT = "then run `dvc add data` (data/ is tracked by data.dvc)"
# Restores files the record lists but the working copy lacks.
PULL_FIX = "dvc pull data.dvc"
# Also replaces files that differ from the record (discarding local changes to them).
RESTORE_FIX = "dvc pull --force data.dvc"


# Read at call time; tests may monkeypatch them.
REPO_EXTERNAL_DIR: Path | None = REPO_ROOT / "data" / "external"
DVC_RECORD: Path | None = REPO_ROOT / "data.dvc"


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


def record_present() -> bool:
    """True in a checkout whose ``data.dvc`` records ``data/external/``."""
    return REPO_EXTERNAL_DIR is not None and DVC_RECORD is not None and Path(DVC_RECORD).is_file()


def tracked_dir(subdir: str) -> Path | None:
    """``data/external/<subdir>`` when the record makes it the only source, else None."""
    if not record_present():
        return None
    assert REPO_EXTERNAL_DIR is not None
    return Path(REPO_EXTERNAL_DIR) / subdir


def in_repo_external(path: Path) -> bool:
    """Whether ``path`` lies under the repository's ``data/external/``."""
    if REPO_EXTERNAL_DIR is None:
        return False
    return Path(path).resolve().is_relative_to(Path(REPO_EXTERNAL_DIR).resolve())


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
