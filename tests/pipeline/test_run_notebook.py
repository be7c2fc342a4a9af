"""The notebook runner: publishes on success, keeps committed outputs on failure (claims included)."""
from __future__ import annotations

import json
import sys
import textwrap
import types

import nbformat
import pytest

from paper_code.common import config as C
from paper_code.pipeline import run_notebook, scorecard

TOY_CONFIG = '''
import dataclasses
from paper_code.common.config import PaperConfig, param

@dataclasses.dataclass(frozen=True)
class ToyConfig(PaperConfig):
    PAPER = "toy"
    value: float = param(1.0, "the value the notebook reports")

PRESETS = {"quick": ToyConfig(), "paper": ToyConfig(value=2.0)}
'''

NOTEBOOK_CELLS = [
    'scale = "quick"\noverrides = {}',
    textwrap.dedent('''
        from paper_code.common import config
        config.PAPER_PACKAGES["toy"] = "toy_config"
        from paper_code.common.session import PaperSession
        from paper_code.common.plotting import new_figure
        from paper_code.common import claims as K
        session = PaperSession("toy", scale, overrides)
        fig, ax = new_figure(); ax.plot([0, 1], [0, session.config.value])
        session.save_figure(fig, "fig1_toy")
        session.record(value=session.config.value)
    '''),
    'report = session.finish([K.Claim("V", "value below 1.5", "value", K.less_than(1.5), paper_value=1.0)])\nreport',
]


@pytest.fixture
def toy_repo(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks" / "toy"
    nbdir.mkdir(parents=True)
    (nbdir / "toy_config.py").write_text(TOY_CONFIG)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK_CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "toy.ipynb")
    module = types.ModuleType("toy_config")
    monkeypatch.setitem(sys.modules, "toy_config", module)
    exec(TOY_CONFIG, module.__dict__)
    monkeypatch.setitem(C.PAPER_PACKAGES, "toy", "toy_config")
    return tmp_path


def _params(repo, text):
    f = repo / "params.yaml"
    f.write_text(text)
    return f


def test_success_publishes_outputs(toy_repo):
    params = _params(toy_repo, "toy:\n  scale: quick\n")
    rc = run_notebook.run("toy", toy_repo / "notebooks/toy/toy.ipynb", repo=toy_repo, params_file=params)
    assert rc == 0
    metrics = json.loads((toy_repo / "metrics/toy.json").read_text())
    assert metrics["metrics"] == {"value": 1.0} and metrics["scale"] == "quick"
    assert metrics["claims"][0]["status"] == "reproduced" and metrics["wall_time_s"] > 0
    assert (toy_repo / "figures/toy/fig1_toy.png").exists()
    assert (toy_repo / "reports/notebooks/toy/toy.ipynb").exists()
    # the scorecard renders it
    md = scorecard.render(scorecard.collect(toy_repo / "metrics"))
    assert "| **V** value below 1.5 | 1 | 1 | < 1.5 | quick | reproduced |" in md

    # a failing claim (paper scale: value 2.0 is not < 1.5) fails the run and keeps what was published
    published = ["figures/toy/fig1_toy.png", "metrics/toy.json", "reports/notebooks/toy/toy.ipynb"]
    before = {toy_repo / p: (toy_repo / p).read_bytes() for p in published}
    params = _params(toy_repo, "toy:\n  scale: paper\n")
    rc = run_notebook.run("toy", toy_repo / "notebooks/toy/toy.ipynb", repo=toy_repo, params_file=params)
    assert rc == 1
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path} changed after a failed run"
    failed = toy_repo / "build/failed/toy__toy.ipynb"
    assert failed.exists() and "ClaimFailure" in failed.read_text()


def test_bad_params_fail_before_running(toy_repo):
    params = _params(toy_repo, "toy:\n  scale: quick\n  valu: 3\n")
    rc = run_notebook.run("toy", toy_repo / "notebooks/toy/toy.ipynb", repo=toy_repo, params_file=params)
    assert rc == 2
    assert not (toy_repo / "build").exists(), "no kernel should have started"
