"""The executed notebook as a clean record: what a reader needs, nothing that changes between identical runs.

Papermill and nbclient write run metadata into every executed notebook (start and
end times, durations, input/output paths, iopub timestamps, widget state), and
paper code may leave progress bars or machine paths in its outputs. A rerun with
identical results would then differ from the committed notebook. :func:`clean`
removes all of that:

* notebook metadata ``papermill`` and ``widgets``; cell metadata ``papermill``,
  ``execution`` and empty ``tags``; the injected-parameters cell gets a fixed id;
* progress-bar outputs: widget views (``tqdm.notebook``) and text bars, i.e. the
  stderr lines redrawn with a carriage return. Other stderr text stays: under the
  pipeline, log records go to the runner's console (see ``progress``), so what is
  left on stderr is warnings, and a reader should see those;
* absolute paths (the repository, the staging folder, the home folder) inside
  text outputs and tracebacks, made relative.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["clean", "clean_file", "path_replacements"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
INJECTED_TAG = "injected-parameters"
_RUN_METADATA = ("papermill", "execution")


def path_replacements(*roots: tuple[Path, str]) -> list[tuple[str, str]]:
    """``(absolute path, replacement)`` pairs, longest first, with and without a trailing slash.

    ``path_replacements((staging, ""), (repo, ""), (Path.home(), "~"))`` turns
    ``<staging>/figures/x.png`` into ``figures/x.png`` and ``<home>/x`` into ``~/x``.
    """
    pairs: list[tuple[str, str]] = []
    for root, repl in roots:
        text = str(root).rstrip("/")
        if len(text) < 2:  # never rewrite "/" itself
            continue
        pairs.append((text + "/", repl + "/" if repl else ""))
        pairs.append((text, repl or "."))
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _scrub(text: str, pairs: Sequence[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _join(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _without_bars(text: str) -> str:
    """Drop the lines of a stream that a text progress bar redraws (they contain a carriage return)."""
    return "\n".join(line for line in text.split("\n") if "\r" not in line)


def _clean_output(out: dict[str, Any], pairs: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    kind = out.get("output_type")
    if kind == "stream":
        text = _join(out.get("text", ""))
        if out.get("name") == "stderr":
            text = _without_bars(text)
        text = _scrub(text, pairs)
        if not text.strip():
            return None
        out["text"] = text
    elif kind in ("display_data", "execute_result"):
        data = out.get("data", {})
        if WIDGET_MIME in data:
            return None
        for mime, value in data.items():
            if mime.startswith("text/"):
                data[mime] = _scrub(_join(value), pairs)
    elif kind == "error":
        out["evalue"] = _scrub(str(out.get("evalue", "")), pairs)
        out["traceback"] = [_scrub(line, pairs) for line in out.get("traceback", [])]
    return out


def clean(nb: dict[str, Any], pairs: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Clean a notebook (nbformat v4 dict, modified in place and returned); see the module docstring."""
    for key in ("papermill", "widgets"):
        nb.get("metadata", {}).pop(key, None)
    for cell in nb.get("cells", []):
        meta = cell.setdefault("metadata", {})
        for key in _RUN_METADATA:
            meta.pop(key, None)
        if "tags" in meta and not meta["tags"]:
            del meta["tags"]
        if INJECTED_TAG in meta.get("tags", []) and "id" in cell:
            cell["id"] = INJECTED_TAG
        if cell.get("cell_type") == "code":
            kept = (_clean_output(o, pairs) for o in cell.get("outputs", []))
            cell["outputs"] = [o for o in kept if o is not None]
    return nb


def clean_file(path: Path, pairs: Sequence[tuple[str, str]] = ()) -> None:
    """Clean the notebook at ``path`` in place (written the way nbformat writes)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.write(nbformat.from_dict(clean(nb, pairs)), path)
