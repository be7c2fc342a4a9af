"""The notebook session: results-only metrics, config and timings beside them, claims mode, helpers."""
from __future__ import annotations

import json
import sys
import types

import matplotlib.pyplot as plt
import pytest

from paper_code.common import claims as K
from paper_code.common import config as C
from paper_code.common import paths
from paper_code.common.plotting import new_figure
from paper_code.common.session import PaperSession

TOY_CONFIG = '''
import dataclasses
from paper_code.common.config import PaperConfig, param

@dataclasses.dataclass(frozen=True)
class ToyConfig(PaperConfig):
    PAPER = "toy"
    value: float = param(1.0, "the value")

PRESETS = {"quick": ToyConfig(), "paper": ToyConfig(value=2.0)}
'''

CLAIM = K.Claim("V", "value below 1.5", "value", K.less_than(1.5), paper_value=1.0)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    module = types.ModuleType("toy_session_config")
    monkeypatch.setitem(sys.modules, "toy_session_config", module)
    exec(TOY_CONFIG, module.__dict__)
    monkeypatch.setitem(C.PAPER_PACKAGES, "toy", "toy_session_config")
    monkeypatch.setenv(paths.OUTPUT_ENV, str(tmp_path))
    return tmp_path


def test_finish_writes_results_config_and_timings_apart(toy):
    s = PaperSession("toy", "quick")
    with s.timed("block"):
        s.record(value=s.config.value)
    with s.timed("block"):
        pass
    fig, ax = new_figure()
    ax.plot([0, 1])
    s.save_figure(fig, "fig1_toy", show=False)
    report = s.finish([CLAIM])
    assert report.ok and s.claims_mode == "enforced"
    metrics = json.loads((toy / "metrics/toy.json").read_text())
    assert metrics == {
        "paper": "toy", "scale": "quick", "overrides": {}, "claims_mode": "enforced",
        "metrics": {"value": 1.0}, "claims": report.to_records(), "figures": ["fig1_toy"],
    }
    cfg = json.loads((toy / "reports/notebooks/toy/config.json").read_text())
    assert cfg["config"] == {"seed": 0, "value": 1.0} and cfg["overrides"] == {}
    timings = json.loads((toy / "timings/toy.json").read_text())
    assert set(timings["timed_s"]) == {"block"} and timings["notebook_compute_s"] >= timings["timed_s"]["block"] > 0
    assert timings["machine"]["cpu_count"] >= 1


def test_enforced_flip_raises_after_writing_the_record(toy):
    s = PaperSession("toy", "paper")  # value 2.0: the claim fails, declared to pass
    s.record(value=s.config.value)
    with pytest.raises(K.ClaimFailure, match="V: FAILED"):
        s.finish([CLAIM])
    assert json.loads((toy / "metrics/toy.json").read_text())["claims"][0]["status"] == "FAILED"


def test_overrides_make_an_exploration_that_does_not_raise(toy):
    s = PaperSession("toy", "quick", {"value": 3.0})
    assert s.claims_mode == "exploratory"
    s.record(value=s.config.value)
    report = s.finish([CLAIM])
    metrics = json.loads((toy / "metrics/toy.json").read_text())
    assert metrics["claims_mode"] == "exploratory" and metrics["overrides"] == {"value": 3.0}
    assert report.results[0].status == "failed (exploratory)"


def test_show_tables_named_metrics_in_order(toy):
    s = PaperSession("toy", "quick")
    s.record(b=2.5, a=[1, 2], c=True)
    table = s.show(["c", "b"])
    assert list(table.index) == ["c", "b"] and list(table["value"]) == [True, 2.5]
    assert list(s.show("a")["value"]) == [[1, 2]]
    with pytest.raises(KeyError, match="not recorded yet: zz"):
        s.show(["a", "zz"])


def test_save_figure_show_closes_the_figure(toy):
    s = PaperSession("toy", "quick")
    fig, ax = new_figure()
    ax.plot([0, 1])
    path = s.save_figure(fig, "fig1_toy")
    assert path.exists() and path.with_suffix(".pdf").exists()
    assert not plt.fignum_exists(fig.number), "shown figures are closed (the inline backend won't show them twice)"
    fig2, _ = new_figure()
    s.save_figure(fig2, "fig2_toy", show=False)
    assert plt.fignum_exists(fig2.number)
    plt.close(fig2)


def test_say_fills_numbers_from_the_metrics_and_rejects_unknown_keys(toy):
    session = PaperSession("toy", "quick")
    session.record(peak=0.98765, label="x")
    md = session.say("peak {peak:.3f} of {label}; literal {{braces}}")
    assert md.data == "peak 0.988 of x; literal {braces}"
    with pytest.raises(K.ClaimError, match="peek"):
        session.say("peak {peek:.3f}")
