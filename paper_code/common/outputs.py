"""Figure and metrics writers, honouring the ``PAPER_OUT`` redirection (see ``paths``).

Metrics files are JSON with sorted keys and floats rounded to 6 significant
digits, so ``dvc metrics diff`` and ``git diff`` show real changes only.
"""
from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from paper_code.common import paths

__all__ = ["save_figure", "write_metrics", "read_metrics", "to_jsonable"]

log = logging.getLogger(__name__)

FIGURE_FORMAT = "png"
SIG_DIGITS = 6


def save_figure(fig, paper: str, name: str, *, root: Path | None = None) -> Path:
    """Save ``fig`` as ``figures/<paper>/<name>.png`` under the output root and return the path.

    ``name`` is the paper figure it regenerates, e.g. ``"fig1_energy_vs_time"``.
    """
    if not name or "/" in name or name.endswith(f".{FIGURE_FORMAT}"):
        raise ValueError(f"figure name must be a bare stem like 'fig1_energy', got {name!r}")
    out = paths.figures_dir(paper, root) / f"{name}.{FIGURE_FORMAT}"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=FIGURE_FORMAT, metadata={"Software": None})
    log.info("figure written: %s", out)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_metrics(paper: str, payload: Mapping[str, Any], *, root: Path | None = None) -> Path:
    """Write ``metrics/<paper>.json`` under the output root (atomically, replacing it)."""
    out = paths.metrics_path(paper, root)
    atomic_write(out, json.dumps(to_jsonable(payload), indent=2, sort_keys=True) + "\n")
    log.info("metrics written: %s", out)
    return out


def read_metrics(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())
