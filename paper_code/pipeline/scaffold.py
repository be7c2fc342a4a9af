"""Start a new paper from the template in ``templates/paper/``.

    paper-code new <paper> --package <package> [--topic <topic>] [--title "..."]

Copies the template package, notebook and tests under their new names, appends
the paper's section to ``params.yaml`` and its stage to ``dvc.yaml``, and
returns the lines still to add by hand (the ``PAPER_PACKAGES`` entry, the README
row and gallery). It never overwrites a file: it refuses if any target exists
or the paper already has a piece. The template's placeholders are the
identifiers ``new_paper`` (paper folder), ``new_package`` (package),
``NewPackage`` (class-name prefix) and ``new_topic`` (notebook topic).
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from paper_code.common import paths
from paper_code.pipeline import registry

__all__ = ["TEMPLATE_DIR", "ScaffoldError", "NewPaper", "new_paper", "render_template"]

TEMPLATE_DIR = paths.REPO_ROOT / "templates" / "paper"
NAME = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
TITLE_PLACEHOLDER = "TODO: the paper's title"
COPIED = ("paper_code", "notebooks", "tests")


class ScaffoldError(ValueError):
    """The new paper cannot be created as asked; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class NewPaper:
    """What :func:`new_paper` did, and what is left to do by hand."""

    paper: str
    package: str
    created: tuple[Path, ...]
    registry_line: str
    readme_row: str
    readme_gallery: str


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def render_template(text: str, paper: str, package: str, topic: str, title: str | None = None) -> str:
    """``text`` with the template's placeholders replaced."""
    for pattern, value in (
        (r"(?<![A-Za-z0-9])new_paper(?![A-Za-z0-9])", paper),
        (r"(?<![A-Za-z0-9])new_package(?![A-Za-z0-9])", package),
        (r"(?<![A-Za-z0-9])NewPackage", _camel(package)),  # class names: NewPackageConfig
        (r"(?<![A-Za-z0-9])new_topic(?![A-Za-z0-9])", topic),
    ):
        text = re.sub(pattern, value, text)
    return text.replace(TITLE_PLACEHOLDER, title) if title else text


def _check_names(paper: str, package: str, topic: str) -> None:
    for what, value in (("paper", paper), ("package", package), ("topic", topic)):
        if not NAME.match(value):
            raise ScaffoldError(f"{what} name {value!r} is not valid: use lower-case letters, digits and underscores")


def _append(path: Path, fragment: str, section: str, check) -> str:
    """The text of ``path`` with ``fragment`` appended, after checking it parses with ``section`` present."""
    old = path.read_text() if path.exists() else ""
    new = old.rstrip("\n") + "\n" + fragment
    try:
        ok = check(yaml.safe_load(new) or {})
    except yaml.YAMLError:
        ok = False
    if not ok:
        raise ScaffoldError(f"could not append {section} to {path.name}; add it by hand:\n{fragment}")
    return new


def new_paper(
    root: Path, paper: str, package: str, *, topic: str = "walkthrough", title: str | None = None,
    template: Path = TEMPLATE_DIR,
) -> NewPaper:
    """Create ``paper`` (package ``package``) under ``root`` from ``template``; see the module docstring."""
    _check_names(paper, package, topic)
    if paper in registry.registered_papers(root):
        raise ScaffoldError(f"paper {paper!r} already has pieces in {root}; run `paper-code check {paper}` instead")
    if not template.is_dir():
        raise ScaffoldError(f"template folder {template} not found (templates/paper/ of the repository)")

    def render(text: str) -> str:
        return render_template(text, paper, package, topic, title)

    plan: dict[Path, str] = {}
    for src in sorted(p for folder in COPIED for p in (template / folder).rglob("*") if p.is_file()):
        if "__pycache__" in src.parts or ".ipynb_checkpoints" in src.parts:
            continue
        rel = render(src.relative_to(template).as_posix())
        plan[root / rel] = render(src.read_text())
    clashes = [p.relative_to(root).as_posix() for p in plan if p.exists()]
    if clashes:
        raise ScaffoldError(f"refusing to overwrite existing files: {', '.join(clashes)}")

    fragments = template / "fragments"
    params = _append(
        root / "params.yaml", render((fragments / "params_section.yaml").read_text()), f"section {paper!r}",
        lambda d: isinstance(d, dict) and isinstance(d.get(paper), dict),
    )
    dvc = _append(
        root / "dvc.yaml", render((fragments / "dvc_stage.yaml").read_text()), f"stage {paper!r}",
        lambda d: isinstance(d, dict) and paper in (d.get("stages") or {}),
    )
    for path, text in plan.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "params.yaml").write_text(params)
    (root / "dvc.yaml").write_text(dvc)
    return NewPaper(
        paper=paper,
        package=package,
        created=tuple(sorted(plan)),
        registry_line=f'    "{paper}": "paper_code.{package}.config",',
        readme_row=render((fragments / "README_row.md").read_text()).strip(),
        readme_gallery=render((fragments / "README_gallery.md").read_text()).strip(),
    )
