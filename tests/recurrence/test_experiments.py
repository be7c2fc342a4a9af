"""The experiments on the tiny trained models: in-domain rows and metrics, OEIS rows and metrics, every claim's
metric produced."""
from __future__ import annotations

import math

import pytest

from paper_code.recurrence import experiments as E
from paper_code.recurrence.claims import CLAIMS
from paper_code.recurrence.classics import classic_sequences


@pytest.fixture(scope="module")
def in_domain(trained, methods):
    cfg = trained[0]
    recs = E.held_out(cfg)
    return cfg, recs, E.run_in_domain(methods, recs, cfg.n_predict)


def test_in_domain_rows_and_metrics(in_domain):
    cfg, recs, res = in_domain
    assert len(res) == len(recs) * len(E.METHODS) == cfg.eval_per_cell * cfg.max_ops * 3
    errs = res[[f"err_{h}" for h in range(1, cfg.n_predict + 1)]].to_numpy()
    assert (errs[:, 1:] >= errs[:, :-1]).all()  # the max over more terms never shrinks
    m = E.in_domain_metrics(res, cfg, n_boot=100)
    for key in ("acc_symbolic_beam", "acc_symbolic_greedy", "acc_numeric"):
        assert 0.0 <= m[key] <= 1.0
    for meth in E.METHODS:
        acc = m["horizon_acc"][meth]
        assert len(acc) == cfg.n_predict and acc == sorted(acc, reverse=True)
        assert m["tolerance_acc"][meth] == sorted(m["tolerance_acc"][meth])
        assert m["horizon_acc"][meth][-1] == pytest.approx(m[f"acc_{meth}"])
    lo, mid, hi = (m[f"ops_drop_symbolic_greedy{s}"] for s in ("_ci_low", "", "_ci_high"))
    assert lo <= mid <= hi
    assert m["ops_drop_ci_low_min"] == min(m["ops_drop_symbolic_greedy_ci_low"], m["ops_drop_numeric_ci_low"])


def test_an_oracle_method_scores_one(in_domain):
    cfg, recs, _ = in_domain

    class Oracle:  # writes the true future: exactness and horizons must all be 1
        model = None

        def predict_many(self, observed, n_terms):
            by_obs = {r.observed: r.future for r in recs}
            return [by_obs[tuple(o)][:n_terms] for o in observed]

    res = E.run_in_domain({"numeric": Oracle()}, recs, cfg.n_predict)
    assert (res[[f"err_{h}" for h in range(1, cfg.n_predict + 1)]] == 0).all().all()


def test_oeis_rows_metrics_and_claim_keys(in_domain, methods):
    cfg, _, res = in_domain
    seqs = classic_sequences(30)
    oeis = E.run_oeis(methods, seqs, cfg.oeis_inputs, cfg.n_predict)
    assert set(oeis.method) == set(E.METHODS) | set(E.BASELINES)
    assert len(oeis) == len(seqs) * len(cfg.oeis_inputs) * (len(E.METHODS) + len(E.BASELINES))
    om = E.oeis_metrics(oeis, cfg.n_predict)
    # the linear baseline solves the C-finite classics (Fibonacci, Lucas, powers, polynomials...)
    assert om["oeis15_linear_recurrence_next1"] >= 0.4
    assert om["oeis15_holonomic_recurrence_next10"] >= om["oeis15_linear_recurrence_next10"] - 0.2
    assert om["oeis15_symbolic_minus_linear_next1"] == pytest.approx(
        om["oeis15_symbolic_beam_next1"] - om["oeis15_linear_recurrence_next1"])
    metrics = {**E.in_domain_metrics(res, cfg, n_boot=100), **om}
    for claim in (c for c in CLAIMS if not c.metric.startswith("float_")):  # the float ones: test_float.py
        assert claim.metric in metrics, claim.id
        assert not (isinstance(metrics[claim.metric], float) and math.isnan(metrics[claim.metric])), claim.id
    table = E.oeis_table(oeis)
    assert set(table.columns) >= {"method", "n_inputs", "next1", "next10", "seconds", "sequences"}


def test_oeis_sample_is_seeded_and_sized(trained):
    cfg = trained[0]
    a, src = E.oeis_sample(cfg)
    b, _ = E.oeis_sample(cfg)
    assert [s.id for s in a] == [s.id for s in b]
    assert len(a) == (cfg.oeis_sequences if src == "OEIS_clean.txt" else len(classic_sequences()))
