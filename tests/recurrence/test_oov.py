"""Out-of-vocabulary constants and functions (§4.3): the constant protocol of the official code
(``facebookresearch/recur``, ``notebooks/streamlit.py``: input ``c·n`` for ``n = 1..24``, value ``u_N / N``, formula
with ``n = 1``) on hand-made trees and a stub model, then on the tiny float models with the figure."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pytest

from paper_code.recurrence import experiments as E
from paper_code.recurrence import figures as F
from paper_code.recurrence.inference import SymbolicMethod
from paper_code.symbolic.candidates import Candidate, DecodingSettings
from paper_code.symbolic.encoding import decode

PI = math.pi


def tree(prefix: str):
    return decode(prefix.split())


def test_constant_sequence_is_c_times_n_from_n_equals_1():
    seq = E.constant_sequence(PI)
    assert len(seq) == 24 and seq[0] == PI and seq[-1] == 24 * PI
    assert seq == tuple(PI * n for n in range(1, 25))
    assert E.constant_sequence(2.0, 3) == (2.0, 4.0, 6.0)
    for c in (0.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="finite and non-zero"):
            E.constant_sequence(c)
    with pytest.raises(ValueError, match="n_terms must be an integer >= 2"):
        E.constant_sequence(PI, 1)


def test_constant_value_is_the_rolled_forward_last_term_over_its_index():
    seq = E.constant_sequence(PI)
    assert E.constant_value(tree("mul n pi"), seq) == pytest.approx(PI, rel=1e-15)
    # u_n = π n + 1: u_24 / 24 = π + 1/24, not the value at n = 1 (π + 1) nor the one at n = 0
    assert E.constant_value(tree("add mul n pi INT+ 1"), seq) == pytest.approx(PI + 1 / 24, rel=1e-15)
    # a recurrence is rolled forward from its initial term, on its own predictions: u_n = u_{n-1} + π gives 24 π,
    # u_n = 2 u_{n-1} gives π 2^23 (one step from the true terms would give 2 · 23 π)
    assert E.constant_value(tree("add x_0_1 pi"), seq) == pytest.approx(PI, rel=1e-14)
    assert E.constant_value(tree("mul x_0_1 INT+ 2"), seq) == pytest.approx(PI * 2**23 / 24, rel=1e-14)
    assert math.isnan(E.constant_value(tree("log sub INT+ 5 n"), seq))  # log of a negative number
    with pytest.raises(ValueError, match="reads 3 terms back"):
        E.constant_value(tree("x_0_3"), seq[:3])


def test_constant_formula_sets_n_to_1_for_a_lag_free_tree():
    text, value = E.constant_formula(tree("div mul n pow2 pi INT+ 6"))
    assert text == "pi**2/6" and value == pytest.approx(PI**2 / 6, rel=1e-15)
    assert E.constant_formula(tree("add mul n pi INT+ 1"))[1] == pytest.approx(PI + 1, rel=1e-15)
    text, value = E.constant_formula(tree("add x_0_1 pi"))
    assert text == "recurrence: u_n = u_{n-1} + pi" and math.isnan(value)
    assert math.isnan(E.constant_formula(tree("sqrt sub n INT+ 2"))[1])  # sqrt(-1): not a real value


@dataclass
class _Stub(SymbolicMethod):
    """A float SymbolicMethod whose "model" answers the input ``c, 2c, ...`` with ``answers[c]`` (a tree; none when
    absent), recording the inputs and the beam it was asked for (``seen``, shared by its copies)."""

    answers: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)

    def candidates_many(self, sequences):
        self.seen.append((list(sequences), self.settings.beam_size))
        out = []
        for seq in sequences:
            t = self.answers.get(seq[0])
            out.append(None if t is None else [Candidate(t, 0, 0.0)])
        return out


def _stub(answers, max_src_len=200):
    return _Stub(SimpleNamespace(cfg=SimpleNamespace(max_src_len=max_src_len)), None, None, kind="float",
                 answers=answers)


def test_run_oov_constants_feeds_c_n_and_reads_u_N_over_N():
    constants = {"pi": ("π", PI), "zeta2": ("ζ(2)", PI**2 / 6), "e": ("e", math.e)}
    stub = _stub({PI: tree("mul n pi"), PI**2 / 6: tree("add x_0_1 div pow2 pi INT+ 6")})
    table = E.run_oov_constants(stub, constants, beam=7)
    inputs, beam = stub.seen[0]
    assert beam == 7 and inputs == [tuple(c * n for n in range(1, 25)) for _, c in constants.values()]
    assert list(table.index) == ["π", "ζ(2)", "e"]
    assert table.loc["π", "formula"] == "pi" and table.loc["π", "formula value"] == pytest.approx(PI)
    assert table.loc["π", "u_N/N"] == pytest.approx(PI, rel=1e-15) and table.loc["π", "relative error"] < 1e-15
    assert table.loc["ζ(2)", "formula"].startswith("recurrence: ") and math.isnan(table.loc["ζ(2)", "formula value"])
    assert table.loc["ζ(2)", "u_N/N"] == pytest.approx(PI**2 / 6, rel=1e-14)
    assert table.loc["e", "formula"] == "-" and table.loc["e", "relative error"] == math.inf  # nothing valid
    assert E.run_oov_constants(stub, constants, n_terms=10).loc["π", "u_N/N"] == pytest.approx(PI, rel=1e-15)
    assert stub.seen[-1][1] == 1 and len(stub.seen[-1][0][0]) == 10  # beam None: the method's own decoding
    default = E.run_oov_constants(_stub({}))
    assert len(default) == len(E.OOV_CONSTANTS) and default.loc["ζ(2) = π²/6", "true value"] == pytest.approx(
        1.644934, abs=5e-7)


def test_run_oov_constants_rejects_bad_input():
    with pytest.raises(ValueError, match="reads at most 30: pass n_terms <= 10"):
        E.run_oov_constants(_stub({}, max_src_len=30))
    with pytest.raises(ValueError, match="beam must be a positive integer"):
        E.run_oov_constants(_stub({}), beam=0)
    with pytest.raises(TypeError, match="float SymbolicMethod"):
        E.run_oov_constants(_Stub(None, None, None, DecodingSettings(n_candidates=1, temperature=0.0)))
    with pytest.raises(ValueError, match="finite and non-zero"):
        E.run_oov_constants(_stub({}), {"zero": ("0", 0.0)})


def test_tiny_float_models_on_constants_and_functions_figure(trained_float):
    cfg, _ = trained_float
    methods = E.load_methods(cfg, "float")
    with pytest.raises(ValueError, match="n_terms <= 20"):  # the tiny model reads 60 tokens, 3 per term
        E.run_oov_constants(methods["symbolic_beam"])
    table = E.run_oov_constants(methods["symbolic_beam"], n_terms=12, beam=4)
    assert len(table) == len(E.OOV_CONSTANTS)
    assert list(table.columns) == ["true value", "formula", "formula value", "u_N/N", "relative error"]
    assert (table["relative error"] >= 0).all()
    preds = E.oov_predictions(methods, cfg.max_terms, cfg.n_predict)
    assert [p.label for p in preds] == [label for label, _ in E.OOV_FUNCTIONS.values()]
    assert all(len(p.terms) == cfg.max_terms + cfg.n_predict and len(p.future) == cfg.n_predict for p in preds)
    assert E.oov_table(preds).equals(E.run_oov(methods, cfg.max_terms, cfg.n_predict))
    fig = F.fig_oov_functions(preds)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [p.label for p in preds]
    for ax, p in zip(panels, preds):
        assert ax.lines[0].get_ydata().tolist() == list(p.terms)  # the true values over observed + predicted
        assert any(list(line.get_xdata()) == [p.n_observed + 0.5] * 2 for line in ax.lines)  # the boundary
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:2] == ["true, observed", "true, future"]
    plt.close(fig)
    with pytest.raises(ValueError, match="preds is empty"):
        F.fig_oov_functions([])
