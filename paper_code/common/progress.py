"""Progress bars and log lines that reach the person waiting, never the published notebook.

Use :func:`progress` for any loop a person waits for::

    for seed in progress(range(cfg.seeds), desc="seeds"):
        ...

Where it renders:

* in JupyterLab (or nbval): a widget bar in the cell (``tqdm.notebook``, needs
  ``ipywidgets``), or a text bar on stderr in a terminal (``tqdm.auto``);
* under the pipeline (``python -m paper_code.pipeline.run_notebook``): the runner
  names a console file in ``PAPER_CONSOLE`` and copies what the kernel writes
  there onto its own terminal, next to its per-cell progress lines. Bars and
  log records then go to that file, so the executed notebook stays free of them.

:func:`setup_logging` routes ``logging`` the same way (the notebook session calls it).
"""
from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

__all__ = ["progress", "console", "setup_logging", "CONSOLE_ENV", "COLUMNS_ENV"]

#: Path of the file the pipeline runner tails onto its terminal (set by the runner only).
CONSOLE_ENV = "PAPER_CONSOLE"
#: Width of the runner's terminal; unset or 0 when it is not interactive (a CI log).
COLUMNS_ENV = "PAPER_CONSOLE_COLUMNS"

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: Libraries whose INFO records are noise to a reader (fontTools logs every glyph subset of a PDF).
QUIET_LOGGERS = ("fontTools", "matplotlib", "PIL")

_console: tuple[str, IO[str]] | None = None


def console() -> IO[str] | None:
    """The runner's console (an open text file), or None outside the pipeline."""
    global _console
    path = os.environ.get(CONSOLE_ENV)
    if not path:
        return None
    if _console is None or _console[0] != path:
        _console = (path, open(path, "a", buffering=1, encoding="utf-8"))  # noqa: SIM115 (lives with the process)
    return _console[1]


def _columns() -> int:
    try:
        return int(os.environ.get(COLUMNS_ENV, "0"))
    except ValueError:
        return 0


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    desc: str | None = None,
    total: float | None = None,
    leave: bool = False,
    disable: bool = False,
    **kwargs: Any,
):
    """A tqdm bar over ``iterable`` (or a manual one: ``with progress(total=n) as bar: bar.update()``).

    Extra keyword arguments go to tqdm (``unit``, ``position``, ...).
    """
    stream = console()
    if stream is None:
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc, total=total, leave=leave, disable=disable, **kwargs)
    from tqdm.std import tqdm

    columns = _columns()
    kwargs.setdefault("mininterval", 0.5 if columns else 15.0)  # a CI log gets a line every 15 s at most
    kwargs.setdefault("ncols", min(columns, 120) if columns else 100)
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=disable, file=stream, **kwargs)


class _ConsoleHandler(logging.StreamHandler):
    """A log handler on the runner's console (marked so a second session replaces, not duplicates, it)."""


def short_location(filename: str) -> str:
    """A warning's source file without machine paths: inside site-packages, the repository, or a notebook cell."""
    from paper_code.common.paths import REPO_ROOT

    path = Path(filename)
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1:])
    if path.parent.name.startswith("ipykernel_"):  # code typed in a notebook cell
        return "notebook cell"
    if path.is_relative_to(REPO_ROOT):
        return path.relative_to(REPO_ROOT).as_posix()
    return path.name


def format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                   line: str | None = None) -> str:
    """``UserWarning: text (package/module.py:12)``: the warning without the machine's paths."""
    return f"{category.__name__}: {message} ({short_location(filename)}:{lineno})\n"


def setup_logging(level: int = logging.INFO) -> None:
    """Send log records to the runner's console under the pipeline, else to stderr (if nothing else is set up).

    Under the pipeline the root logger gets exactly one console handler, and
    warnings (``warnings.warn``) still reach the notebook, where a reader should
    see them, formatted by :func:`format_warning` so that no machine path is published.
    """
    root = logging.getLogger()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, level))
    stream = console()
    if stream is None:
        if not root.handlers:
            logging.basicConfig(level=level, format=LOG_FORMAT)
        return
    for handler in [h for h in root.handlers if isinstance(h, _ConsoleHandler)]:
        root.removeHandler(handler)
    handler = _ConsoleHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    warnings.formatwarning = format_warning
