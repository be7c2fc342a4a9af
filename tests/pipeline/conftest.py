"""A temporary repository holding one paper made from ``templates/paper/`` (the contract, CLI and scorecard tests).

``paper_repo``: the paper as ``paper-code new`` leaves it, plus the two lines added
by hand (its ``PAPER_PACKAGES`` entry, its README row); it has not run yet.
``ran_paper_repo``: the same after a run: the template notebook executed cell by
cell in this process (its package importable as ``paper_code.toy_pkg``), its
figures, metrics and executed notebook published as the runner would, and the
gallery section added to the README.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import paper_code
from paper_code.common import config as C
from paper_code.pipeline import scaffold

PAPER, PACKAGE, TOPIC = "toy_paper", "toy_pkg", "toy_topic"
NOTEBOOK = f"notebooks/{PAPER}/01_{TOPIC}.ipynb"

SKELETON = {
    "params.yaml": "# one section per paper\n",
    "dvc.yaml": (
        "stages:\n"
        "  scorecard:\n"
        "    cmd: python -m paper_code.pipeline.scorecard\n"
        "    deps: [metrics, paper_code/pipeline/scorecard.py]\n"
        "    outs:\n"
        "      - reports/scorecard.md:\n"
        "          cache: false\n"
    ),
    "README.md": (
        "# Reproductions\n\n## Papers\n\n| paper | notebook | package | status |\n|---|---|---|---|\n"
        "\n## Gallery\n\n## Layout\n"
    ),
}


def _add_to_readme(root: Path, after: str, text: str) -> None:
    readme = root / "README.md"
    body = readme.read_text()
    assert after in body
    readme.write_text(body.replace(after, after + text + "\n", 1))


def _forget_package() -> None:
    for name in [m for m in sys.modules if m == f"paper_code.{PACKAGE}" or m.startswith(f"paper_code.{PACKAGE}.")]:
        del sys.modules[name]


def _make_repo(root: Path) -> scaffold.NewPaper:
    root.mkdir(parents=True)
    for name, text in SKELETON.items():
        (root / name).write_text(text)
    made = scaffold.new_paper(root, PAPER, PACKAGE, topic=TOPIC, title="A toy paper")
    _add_to_readme(root, "|---|---|---|---|\n", made.readme_row)
    return made


def _register(root: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setitem(C.PAPER_PACKAGES, PAPER, f"paper_code.{PACKAGE}.config")
    # the template package becomes importable as paper_code.toy_pkg (the notebook and presets_for import it)
    mp.setattr(paper_code, "__path__", [*paper_code.__path__, str(root / "paper_code")])
    _forget_package()


def _execute_in_process(notebook: Path) -> None:
    """Run every code cell of ``notebook`` in one namespace, like a kernel would (no magics in the template)."""
    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict = {"__name__": "__main__"}
    for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        exec(compile("".join(cell["source"]), f"{notebook.name}[cell {i}]", "exec"), namespace)


@pytest.fixture(scope="session")
def template_run(tmp_path_factory) -> Path:
    """The outputs (``figures/``, ``metrics/``, ``reports/``) of one in-process run of the template notebook."""
    base = tmp_path_factory.mktemp("template_run")
    _make_repo(base / "repo")
    with pytest.MonkeyPatch.context() as mp:
        _register(base / "repo", mp)
        mp.setenv("PAPER_OUT", str(base / "out"))
        try:
            _execute_in_process(base / "repo" / NOTEBOOK)
        finally:
            _forget_package()
    return base / "out"


@pytest.fixture
def paper_repo(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    made = _make_repo(root)
    (tmp_path / "gallery.md").write_text(made.readme_gallery)  # added to the README once figures exist
    _register(root, monkeypatch)
    yield root
    _forget_package()


@pytest.fixture
def ran_paper_repo(paper_repo, template_run, tmp_path) -> Path:
    root = paper_repo
    for folder in ("figures", "metrics", "reports"):
        if (template_run / folder).exists():
            shutil.copytree(template_run / folder, root / folder, dirs_exist_ok=True)
    executed = root / "reports" / "notebooks" / PAPER / Path(NOTEBOOK).name
    executed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / NOTEBOOK, executed)
    _add_to_readme(root, "## Gallery\n", "\n" + (tmp_path / "gallery.md").read_text())
    return root
