"""Which papers the repository holds, and where each one's pieces live.

A paper is *registered* as soon as any of its pieces exists: a ``params.yaml``
section, a ``dvc.yaml`` stage that runs its notebook, a ``notebooks/<paper>/``
folder, a ``figures/<paper>/`` folder or a ``metrics/<paper>.json`` file (of the
pipeline, or of a paper-scale run under ``paper_scale/``). From
then on :mod:`paper_code.pipeline.contract` requires every other piece. The
planned papers of ``paper_code.common.config.PAPER_PACKAGES`` that have none of
these are *planned*, not registered.

Everything here is a function of a repository root, so the contract test can
run the same code on a temporary copy.
"""
from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from paper_code.common import config as _config

__all__ = [
    "NOTEBOOK_RUNNER",
    "PAPER_SCALE_DIR",
    "TRAIN_PREFIX",
    "Stage",
    "load_stages",
    "load_params",
    "runner_target",
    "notebook_stages",
    "training_stages",
    "registered_papers",
    "planned_papers",
    "paper_order",
    "package_of",
    "find_repo_root",
    "tracked_data_paths",
]

NOTEBOOK_RUNNER = "paper_code.pipeline.run_notebook"
#: Paper-scale results (``paper_code.pipeline.paper_scale``): the pipeline's output layout inside this folder.
PAPER_SCALE_DIR = "paper_scale"
#: Training stages are named ``train_<paper>`` (or ``train_<paper>_<variant>``).
TRAIN_PREFIX = "train_"


@dataclasses.dataclass(frozen=True)
class Stage:
    """One ``dvc.yaml`` stage, with its paths normalised to strings.

    ``outs`` maps every output path (``outs``, ``metrics`` and ``plots`` alike)
    to its options, e.g. ``{"cache": False, "persist": True}``.
    """

    name: str
    cmd: str
    deps: tuple[str, ...]
    params: tuple[str, ...]
    outs: Mapping[str, Mapping[str, Any]]


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path.name} is not valid YAML: {first}") from exc


def _paths_with_options(entries: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in entries or []:
        if isinstance(entry, str):
            out[entry.rstrip("/")] = {}
        elif isinstance(entry, Mapping):
            for path, opts in entry.items():
                out[str(path).rstrip("/")] = dict(opts or {})
    return out


def _param_names(entries: Any) -> tuple[str, ...]:
    names: list[str] = []
    for entry in entries or []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, Mapping):  # {other_params_file.yaml: [keys]}
            for keys in entry.values():
                names.extend(str(k) for k in keys or [])
    return tuple(names)


def load_stages(root: Path) -> dict[str, Stage]:
    """Every stage of ``root/dvc.yaml`` (empty when the file is absent)."""
    path = root / "dvc.yaml"
    if not path.exists():
        return {}
    raw = _read_yaml(path).get("stages") or {}
    stages = {}
    for name, body in raw.items():
        body = body or {}
        cmd = body.get("cmd", "")
        outs = _paths_with_options(body.get("outs"))
        outs.update(_paths_with_options(body.get("metrics")))
        outs.update(_paths_with_options(body.get("plots")))
        stages[str(name)] = Stage(
            name=str(name),
            cmd=" && ".join(cmd) if isinstance(cmd, list) else str(cmd),
            deps=tuple(str(d).rstrip("/") for d in body.get("deps") or []),
            params=_param_names(body.get("params")),
            outs=outs,
        )
    return stages


def load_params(root: Path) -> dict[str, Any]:
    """The top-level sections of ``root/params.yaml`` (empty when the file is absent)."""
    path = root / "params.yaml"
    if not path.exists():
        return {}
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise ValueError("params.yaml must be a mapping of paper sections at the top level")
    return dict(data)


def runner_target(stage: Stage) -> tuple[str, str] | None:
    """``(paper, notebook)`` when ``stage`` runs the notebook runner, else ``None``."""
    try:
        words = shlex.split(stage.cmd)
    except ValueError:
        return None
    for i in range(len(words) - 1):
        if words[i] == "-m" and words[i + 1] == NOTEBOOK_RUNNER:
            args = [w for w in words[i + 2 :] if not w.startswith("-")]
            return (args[0], args[1]) if len(args) >= 2 else None
    return None


def notebook_stages(root: Path) -> dict[str, list[tuple[Stage, str]]]:
    """Paper -> the stages running one of its notebooks, with the notebook path."""
    found: dict[str, list[tuple[Stage, str]]] = {}
    for stage in load_stages(root).values():
        target = runner_target(stage)
        if target:
            found.setdefault(target[0], []).append((stage, target[1]))
    return found


def training_stages(root: Path) -> list[str]:
    """Names of the training stages (``train_*``), in ``dvc.yaml`` order."""
    return [name for name in load_stages(root) if name.startswith(TRAIN_PREFIX)]


def _packages(packages: Mapping[str, str] | None) -> Mapping[str, str]:
    return _config.PAPER_PACKAGES if packages is None else packages


def paper_order(papers: Iterable[str], packages: Mapping[str, str] | None = None) -> list[str]:
    """Known papers in the order of ``PAPER_PACKAGES`` (the design's order), then the rest alphabetically."""
    known = list(_packages(packages))
    rank = {p: i for i, p in enumerate(known)}
    return sorted(set(papers), key=lambda p: (rank.get(p, len(known)), p))


def _metrics_files(root: Path) -> list[Path]:
    """``metrics/*.json`` of the pipeline and of paper-scale runs (``paper_scale/metrics/*.json``)."""
    found = []
    for folder in (root / "metrics", root / PAPER_SCALE_DIR / "metrics"):
        if folder.is_dir():
            found += [f for f in folder.glob("*.json") if not f.name.startswith(".")]
    return found


def registered_papers(root: Path, packages: Mapping[str, str] | None = None) -> list[str]:
    """Every paper with at least one piece in ``root`` (see the module docstring), in design order."""
    names: set[str] = set(load_params(root))
    names.update(notebook_stages(root))
    for folder in ("notebooks", "figures"):
        base = root / folder
        if base.is_dir():
            names.update(d.name for d in base.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))
    names.update(f.stem for f in _metrics_files(root))
    return paper_order(names, packages)


def planned_papers(root: Path, packages: Mapping[str, str] | None = None) -> list[str]:
    """Papers listed in ``PAPER_PACKAGES`` that have no piece in ``root`` yet."""
    registered = set(registered_papers(root, packages))
    return [p for p in _packages(packages) if p not in registered]


def package_of(paper: str, packages: Mapping[str, str] | None = None) -> str | None:
    """The package folder name of ``paper`` (``"paper_code.dfa.config"`` -> ``"dfa"``), or ``None``."""
    module = _packages(packages).get(paper)
    if not module:
        return None
    parts = module.split(".")
    return parts[-2] if len(parts) >= 2 else None


def find_repo_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``dvc.yaml`` and
    ``paper_code/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file() and (folder / "paper_code").is_dir():
            return folder
    return None


def tracked_data_paths(root: Path) -> list[str]:
    """Paths tracked by the top-level ``*.dvc`` files (``data`` for ``data.dvc``) that exist in ``root``."""
    found = []
    for record in sorted(f for f in root.glob("*.dvc") if f.is_file() and not f.name.startswith(".")):
        for out in _read_yaml(record).get("outs") or []:
            path = str(out.get("path", "")) if isinstance(out, Mapping) else ""
            if path and (root / path).exists():
                found.append(path)
    return found
