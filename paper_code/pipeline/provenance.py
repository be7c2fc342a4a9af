"""What a result was produced from: the git commit, uncommitted changes, and a digest of each dependency.

A result that is not rerun by ``dvc repro`` (a paper-scale run, see
:mod:`paper_code.pipeline.paper_scale`) carries a :class:`Provenance` record. Its
``deps`` map each dependency path of the paper's stage (``dvc.yaml``) to a digest of
the files under it, computed the same way on every machine. :func:`changed_deps`
recomputes them on the current tree: a non-empty answer means the result is
older than the code it depends on ("stale").

Digests cover file contents and relative paths, not timestamps or permissions. Like
DVC (``.dvcignore``), they skip ``__pycache__/``, ``*.pyc``, ``*.tmp`` and hidden
files and folders (``.ipynb_checkpoints/``, the runner's ``.<name>.new`` strays).
"""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["Provenance", "path_digest", "digests", "git_state", "record", "changed_deps", "describe_commit"]

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".tmp")
MISSING = None  # the digest recorded for a dependency path that does not exist


def _skipped(rel: Path) -> bool:
    return any(part.startswith(".") or part in _SKIP_DIRS for part in rel.parts) or rel.name.endswith(_SKIP_SUFFIXES)


def _file_md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def path_digest(root: Path, rel: str) -> str | None:
    """md5 over ``(relative path, content md5)`` of every file at or under ``root/rel``; ``None`` if absent."""
    target = root / rel
    if target.is_file():
        return _file_md5(target)
    if not target.is_dir():
        return MISSING
    lines = []
    for path in sorted(target.rglob("*")):
        sub = path.relative_to(target)
        if path.is_file() and not _skipped(sub):
            lines.append(f"{sub.as_posix()}\0{_file_md5(path)}\n")
    return hashlib.md5("".join(lines).encode()).hexdigest()


def digests(root: Path, deps: Iterable[str]) -> dict[str, str | None]:
    """``{dependency path: digest}`` for every path of ``deps`` (see :func:`path_digest`)."""
    return {dep: path_digest(root, dep) for dep in sorted(set(deps))}


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:  # no git on this machine
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_state(root: Path, deps: Sequence[str]) -> tuple[str | None, list[str]]:
    """``(HEAD commit, dependency paths with uncommitted changes)``; ``(None, [])`` outside a git checkout."""
    commit = _git(root, "rev-parse", "--verify", "HEAD")
    if commit is None:
        return None, []
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *deps) or ""
    changed = {line[3:].split(" -> ")[-1].strip('"') for line in status.splitlines() if len(line) > 3}
    dirty = sorted(dep for dep in deps if any(p == dep or p.startswith(dep.rstrip("/") + "/") for p in changed))
    return commit.strip(), dirty


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a result came from: ``commit`` (``None`` outside git), ``dirty`` dependency paths, ``deps`` digests."""

    paper: str
    scale: str
    commit: str | None
    dirty: tuple[str, ...]
    deps: Mapping[str, str | None]

    def to_dict(self) -> dict[str, Any]:
        return {"paper": self.paper, "scale": self.scale, "commit": self.commit, "dirty": list(self.dirty),
                "deps": dict(self.deps)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "provenance") -> Provenance:
        missing = [k for k in ("paper", "scale", "commit", "deps") if k not in data]
        if missing or not isinstance(data.get("deps"), Mapping):
            raise ValueError(f"{where}: not a provenance record (missing {', '.join(missing) or 'deps mapping'})")
        return cls(paper=str(data["paper"]), scale=str(data["scale"]), commit=data["commit"],
                   dirty=tuple(data.get("dirty") or ()), deps=dict(data["deps"]))


def record(root: Path, paper: str, scale: str, deps: Sequence[str]) -> Provenance:
    """The provenance of a run of ``paper`` at ``scale`` that depends on ``deps``, taken from ``root`` now."""
    commit, dirty = git_state(root, list(deps))
    return Provenance(paper=paper, scale=scale, commit=commit, dirty=tuple(dirty), deps=digests(root, deps))


def changed_deps(root: Path, prov: Provenance, current_deps: Iterable[str] | None = None) -> list[str]:
    """Dependency paths whose files differ from the record (``current_deps``: the stage's deps today, if known).

    A path the stage gained or lost since the run counts as changed.
    """
    current = set(prov.deps if current_deps is None else current_deps)
    return sorted(
        p for p in set(prov.deps) | current
        if p not in prov.deps or p not in current or path_digest(root, p) != prov.deps[p]
    )


def describe_commit(prov: Provenance) -> str:
    """``abc1234``, ``abc1234 + uncommitted changes in paper_code/x``, or ``unknown commit``."""
    if prov.commit is None:
        return "unknown commit (not a git checkout)"
    text = prov.commit[:7]
    if prov.dirty:
        text += f" + uncommitted changes in {', '.join(prov.dirty)}"
    return text
