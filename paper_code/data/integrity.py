"""Check that the working copy of ``data/`` is what ``data.dvc`` records.

    python -m paper_code.data.integrity [--root DIR]

Exits 1, naming every missing or damaged file and the command that restores it,
when DVC reports a recorded file deleted or modified (``dvc data status``), or
when a shipped file fails its pinned sha256 (which also catches a record that was
committed from a damaged file). Added files are fine: record them with
``dvc add data``.

Why this exists: to ``dvc repro`` a ``.dvc`` file is a stage, and a changed
data-source stage is "reproduced" by recording whatever is on disk. With
``data/external/`` deleted or a file truncated, ``dvc repro`` used to rewrite
``data.dvc`` to the empty or damaged state (``frozen: true`` does not stop it).
So no stage in ``dvc.yaml`` depends on ``data`` (that would pull ``data.dvc``
into the graph): each data-reading stage depends on ``paper_code/data``, whose
pinned checksums fix the data's content, and runs this check first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from . import external, mnist_subset, paths
from .errors import DatasetChecksumError

__all__ = [
    "DATA_DIR",
    "RECORD",
    "dvc_changes",
    "changes_from_status",
    "pinned_files",
    "find_problems",
    "main",
]

DATA_DIR = "data"
RECORD = "data.dvc"


def pinned_files(root: Path) -> Iterator[tuple[Path, Callable[[Path], None]]]:
    """(file, verifier) for each shipped file with a pinned checksum present under ``root``."""
    ext = root / DATA_DIR / "external"
    subset = ext / mnist_subset.MNIST_SUBSET_SUBDIR / mnist_subset.MNIST_SUBSET_FILENAME
    if subset.is_file():
        yield subset, mnist_subset.verify_mnist_subset
    fashion = ext / external.FASHION_MNIST_SUBDIR
    for stem in external.FASHION_MNIST_SHA256:
        path = external.idx_file(fashion, stem)
        if path is not None:
            yield path, external.verify_fashion_mnist_file


def dvc_changes(root: Path) -> dict[str, list[str]]:
    """Files of the record that DVC sees ``deleted`` or ``modified`` in the working copy."""
    dvc = shutil.which("dvc")
    if dvc is None:
        raise RuntimeError("`dvc` is not on PATH: activate the venv (`. .venv/bin/activate`)")
    proc = subprocess.run(
        [dvc, "data", "status", "--granular", "--json", DATA_DIR],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        from paper_code.pipeline.dvc_run import diagnose  # DVC's known failures and their fixes

        found = diagnose(proc.stderr, root)
        hints = "".join(f"\n  cause: {d.cause}\n  fix:   {d.fix}" for d in found)
        raise RuntimeError(f"`dvc data status` failed in {root}:\n{proc.stderr.strip()}{hints}")
    return changes_from_status(json.loads(proc.stdout or "{}"))


def changes_from_status(status: dict) -> dict[str, list[str]]:
    """``deleted`` / ``modified`` paths from ``dvc data status --granular --json`` output.

    Files are listed; a folder only when DVC listed none of the files under it (as
    when the record's manifest is not at hand). Added files are not problems.
    """
    uncommitted = status.get("uncommitted", {})
    listed = [p for entries in uncommitted.values() for p in entries if not p.endswith("/")]
    changes = {}
    for kind in ("deleted", "modified"):
        entries = uncommitted.get(kind, [])
        dirs = [d for d in entries if d.endswith("/") and not any(f.startswith(d) for f in listed)]
        changes[kind] = sorted([p for p in entries if not p.endswith("/")] + dirs)
    return changes


def find_problems(root: Path) -> list[str]:
    """One line per missing or damaged file under ``root/data`` (empty when all is well)."""
    if not (root / RECORD).is_file():
        return []
    changes = dvc_changes(root)
    lines = [f"deleted:  {p}" for p in changes["deleted"]]
    lines += [f"modified: {p}" for p in changes["modified"]]
    modified = set(changes["modified"])
    for path, verify in pinned_files(root):
        rel = path.relative_to(root).as_posix()
        if rel in modified:
            continue  # already reported; `dvc pull --force` restores it
        try:
            verify(path)
        except DatasetChecksumError as exc:
            reason = str(exc).split(" Fix:")[0].removeprefix(f"{path}: ")
            lines.append(
                f"damaged record: {rel} matches data.dvc but not its pinned checksum ({reason}); "
                "data.dvc was committed from a damaged file: restore it from git history "
                f"(`git log -p {RECORD}`), then `{paths.RESTORE_FIX}`"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=paths.REPO_ROOT, help="repository root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        problems = find_problems(root)
    except RuntimeError as exc:
        print(f"data check: {exc}", file=sys.stderr)
        return 2
    if not problems:
        print(f"data check: {DATA_DIR}/ matches {RECORD}")
        return 0
    print(f"data check failed: {DATA_DIR}/ differs from its record {RECORD}", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    print(
        f"Fix: `{paths.RESTORE_FIX}` restores the recorded files (discarding local edits to them);"
        f" to keep an intended change to a file without a pinned checksum, `dvc add {DATA_DIR}`."
        f" Nothing was computed from this copy and {RECORD} is unchanged.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
