"""One ``__init__.py`` style for every paper package: a docstring that cites the paper, and no imports."""
from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from paper_code.common.config import PAPER_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
# Every implemented paper's package, plus the shared symbolic core.
PACKAGES = sorted(
    {pkg for pkg in (m.rsplit(".", 1)[0] for m in PAPER_PACKAGES.values()) if importlib.util.find_spec(pkg)}
    | {"paper_code.symbolic"}
)


def test_the_landed_papers_are_covered():
    landed = {"paper_code.langevin", "paper_code.random_features", "paper_code.dfa", "paper_code.odeformer"}
    assert landed <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_init_is_a_citing_docstring_and_nothing_else(package):
    path = ROOT / Path(*package.split(".")) / "__init__.py"
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree)
    assert doc, f"{path}: needs a module docstring naming the paper"
    assert "arXiv" in doc, f"{path}: the docstring must cite the paper with its arXiv id"
    extra = [type(node).__name__ for node in tree.body[1:]]
    assert not extra, f"{path}: keep the package file to its docstring (found {extra}); import submodules directly"


def test_importing_the_packages_is_cheap():
    code = f"import sys; import {', '.join(PACKAGES)}; print(sorted({{'torch', 'numpy', 'scipy'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout
