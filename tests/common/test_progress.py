"""Progress bars and log records go to the runner's console under the pipeline, to tqdm.auto elsewhere."""
from __future__ import annotations

import logging
import warnings

import pytest

from paper_code.common import paths, progress


@pytest.fixture
def console_file(tmp_path, monkeypatch):
    f = tmp_path / "console.log"
    f.touch()
    monkeypatch.setenv(progress.CONSOLE_ENV, str(f))
    monkeypatch.setattr(progress, "_console", None)
    yield f
    monkeypatch.setattr(progress, "_console", None)


def test_bar_goes_to_the_console_file(console_file):
    assert sum(progress.progress(range(4), desc="seeds")) == 6
    text = console_file.read_text()
    assert "seeds:   0%" in text and "0/4" in text


def test_outside_the_pipeline_tqdm_auto_is_used(monkeypatch, capsys):
    monkeypatch.delenv(progress.CONSOLE_ENV, raising=False)
    from tqdm.auto import tqdm

    bar = progress.progress(range(2), desc="x")
    assert isinstance(bar, tqdm)
    list(bar)
    assert "x" in capsys.readouterr().err  # a terminal bar on stderr (in a notebook: a widget)


def test_logging_and_warnings_under_the_pipeline(console_file, monkeypatch):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, warnings.formatwarning)
    try:
        progress.setup_logging()
        progress.setup_logging()  # a second session replaces its handler, never duplicates it
        logging.getLogger("paper_code.demo").info("hello console")
        logging.getLogger("fontTools.subset").info("glyph noise")
        assert console_file.read_text().count("INFO paper_code.demo: hello console") == 1
        assert "glyph noise" not in console_file.read_text()
        text = warnings.formatwarning("careful", UserWarning, str(paths.REPO_ROOT / "paper_code/x.py"), 7)
        assert text == "UserWarning: careful (paper_code/x.py:7)\n"
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        warnings.formatwarning = saved[2]


@pytest.mark.parametrize(
    "filename,expected",
    [
        ("/opt/venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py", "numpy/core/fromnumeric.py"),
        ("/tmp/ipykernel_4242/123456.py", "notebook cell"),
        (str(paths.REPO_ROOT / "paper_code/dfa/deep.py"), "paper_code/dfa/deep.py"),
        ("/usr/lib/python3.11/warnings.py", "warnings.py"),
    ],
)
def test_warning_locations_carry_no_machine_path(filename, expected):
    assert progress.short_location(filename) == expected
