"""Figure and metrics writers, honouring the ``PAPER_OUT`` redirection (see ``paths``).

Metrics files are JSON with sorted keys and floats rounded to 6 significant
digits, so ``dvc metrics diff`` and ``git diff`` show real changes only. Figures
are written twice: a PNG for the gallery and a PDF (vector) for print, both
byte-identical when the figure is. :func:`replace_dir` and :func:`replace_file`
publish outputs so that a destination is at every instant entirely old or
entirely new, even if the process is killed half-way.
"""
from __future__ import annotations

import ctypes
import errno
import json
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from paper_code.common import paths

__all__ = [
    "save_figure",
    "write_metrics",
    "write_json",
    "read_metrics",
    "to_jsonable",
    "atomic_write",
    "replace_dir",
    "replace_file",
    "recover_dir",
    "PNG_DPI",
]

log = logging.getLogger(__name__)

FIGURE_FORMAT = "png"  # the gallery copy; a PDF is written beside it for print
PRINT_FORMAT = "pdf"
#: PNG resolution for the gallery; the PDF beside it is the print copy. Measured on the Langevin
#: figures: 1.4x the bytes of 110 dpi (figures/ about 5 MB with the PDFs); 200 dpi gives 2x.
PNG_DPI = 150
SIG_DIGITS = 6


def save_figure(fig, paper: str, name: str, *, root: Path | None = None) -> Path:
    """Save ``fig`` as ``figures/<paper>/<name>.png`` and ``<name>.pdf``; return the PNG's path.

    ``name`` is the paper figure it regenerates, e.g. ``"fig1_energy_vs_time"``.
    Both files carry no timestamp, so the same figure gives the same bytes.
    """
    if not name or "/" in name or name.endswith((f".{FIGURE_FORMAT}", f".{PRINT_FORMAT}")):
        raise ValueError(f"figure name must be a bare stem like 'fig1_energy', got {name!r}")
    out = paths.figures_dir(paper, root) / f"{name}.{FIGURE_FORMAT}"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=FIGURE_FORMAT, dpi=PNG_DPI, metadata={"Software": None})
    fig.savefig(out.with_suffix(f".{PRINT_FORMAT}"), format=PRINT_FORMAT, metadata={"CreationDate": None})
    log.info("figure written: %s (+ .%s)", out, PRINT_FORMAT)
    return out


def to_jsonable(value: Any) -> Any:
    """Plain JSON types; numpy scalars/arrays converted, floats rounded, non-finite floats -> None."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            return None
        return float(f"{value:.{SIG_DIGITS}g}")
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot write {type(value).__name__} to a metrics file: {value!r}")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary ``.<name>.*.tmp`` beside it and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` as stable JSON (sorted keys, rounded floats), atomically."""
    atomic_write(Path(path), json.dumps(to_jsonable(payload), indent=2, sort_keys=True) + "\n")
    return Path(path)


def write_metrics(paper: str, payload: Mapping[str, Any], *, root: Path | None = None) -> Path:
    """Write ``metrics/<paper>.json`` under the output root (atomically, replacing it)."""
    out = write_json(paths.metrics_path(paper, root), payload)
    log.info("metrics written: %s", out)
    return out


def read_metrics(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


# --- publishing: replace a directory or a file so that readers never see a mixture -----------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), str(b))


def _sibling(dst: Path, tag: str) -> Path:
    return dst.parent / f".{dst.name}.{tag}"


def recover_dir(dst: Path) -> None:
    """Repair what an interrupted :func:`replace_dir` left: restore ``dst`` from ``.<name>.old``
    if it is missing, then remove the stray ``.<name>.new`` / ``.<name>.old``."""
    new, old = _sibling(dst, "new"), _sibling(dst, "old")
    if old.is_dir() and not dst.exists():
        os.rename(old, dst)
        log.warning("restored %s from an interrupted publish", dst)
    for stray in (new, old):
        if stray.exists():
            shutil.rmtree(stray)
            log.info("removed %s left by an interrupted publish", stray)


def replace_dir(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of the directory ``src``; ``dst`` is entirely old or entirely new at every instant.

    ``src`` is copied to ``.<name>.new`` beside ``dst`` and the two are exchanged in
    one step; the old copy is then removed. Without ``renameat2`` (non-Linux, some
    file systems) ``dst`` moves to ``.<name>.old`` first, and :func:`recover_dir`
    (run at the start of every replacement) puts it back if a kill came in between.
    """
    dst = Path(dst)
    recover_dir(dst)
    new, old = _sibling(dst, "new"), _sibling(dst, "old")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, new)
    if not dst.exists():
        os.rename(new, dst)
    elif _exchange(new, dst):
        shutil.rmtree(new)  # it now holds the previous content
    else:
        os.rename(dst, old)
        os.rename(new, dst)
        shutil.rmtree(old)


def replace_file(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst`` through ``.<name>.tmp`` beside it and one atomic rename."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(dst, "tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
