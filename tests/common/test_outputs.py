"""Figure/metrics writers honour the PAPER_OUT redirection and write stable JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest

from paper_code.common import outputs, paths
from paper_code.common.plotting import new_figure


def test_outputs_follow_paper_out(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.OUTPUT_ENV, str(tmp_path))
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    f = outputs.save_figure(fig, "demo", "fig1_line")
    m = outputs.write_metrics("demo", {"a": np.float32(0.123456789), "b": np.arange(3), "c": float("inf"), "ok": np.bool_(True)})
    assert f == tmp_path / "figures" / "demo" / "fig1_line.png" and f.stat().st_size > 1000
    assert m == tmp_path / "metrics" / "demo.json"
    assert json.loads(m.read_text()) == {"a": 0.123457, "b": [0, 1, 2], "c": None, "ok": True}
    # nothing was written into the repository's tracked folders
    assert not (paths.REPO_ROOT / "figures" / "demo").exists()
    assert not (paths.REPO_ROOT / "metrics" / "demo.json").exists()


def test_unset_paper_out_goes_to_scratch(monkeypatch):
    monkeypatch.delenv(paths.OUTPUT_ENV, raising=False)
    assert paths.output_root() == paths.SCRATCH_DIR
    assert paths.figures_dir("x") == paths.REPO_ROOT / "build" / "scratch" / "figures" / "x"


def test_same_figure_is_byte_identical(tmp_path):
    def draw(name):
        fig, ax = new_figure()
        ax.plot(np.linspace(0, 1, 50), np.sin(np.linspace(0, 6, 50)), label="sin")
        ax.legend()
        return outputs.save_figure(fig, "demo", name, root=tmp_path)

    assert draw("a").read_bytes() == draw("b").read_bytes()


@pytest.mark.parametrize("bad", ["", "fig.png", "sub/fig"])
def test_bad_figure_names(bad, tmp_path):
    fig, _ = new_figure()
    with pytest.raises(ValueError, match="bare stem"):
        outputs.save_figure(fig, "demo", bad, root=tmp_path)


def test_unserialisable_metric_is_an_error(tmp_path):
    with pytest.raises(TypeError, match="cannot write object"):
        outputs.write_metrics("demo", {"x": object()}, root=tmp_path)
