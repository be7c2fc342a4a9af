"""The float model's pieces: generator, tokens, fit and rolling forward in float64, and the tiny trained float
models through the in-domain evaluation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from paper_code.recurrence import data as D
from paper_code.recurrence import experiments as E
from paper_code.recurrence import inference as I
from paper_code.recurrence.claims import CLAIMS
from paper_code.recurrence.generator import (
    FLOAT_BINARY,
    FLOAT_CONSTANTS,
    FLOAT_UNARY,
    RecurrenceConfig,
    generate_recurrence,
)
from paper_code.symbolic.compile import extend_recurrence_float
from paper_code.symbolic.encoding import decode

GEN = RecurrenceConfig(kind="float", max_degree=3, max_ops=5, min_terms=10, max_terms=25)


def test_float_sequences_follow_their_recurrence_with_the_float_vocabulary():
    rng = np.random.default_rng(0)
    named = ops = 0
    for _ in range(200):
        rec = generate_recurrence(rng, GEN)
        assert all(isinstance(u, float) and math.isfinite(u) and abs(u) <= 1e100 for u in rec.terms)
        rest = extend_recurrence_float(rec.tree, rec.initial, len(rec.terms) - len(rec.initial))
        assert tuple(rest) == rec.terms[len(rec.initial):]
        for node in rec.tree.nodes():
            if node.is_operator:
                assert node.value in FLOAT_BINARY + FLOAT_UNARY
                ops += 1
            named += node.value in FLOAT_CONSTANTS
        D.symbolic_vocabulary("float").encode(D.symbolic_target(rec.tree))
    assert named > 0 and ops > 0


def test_float_tokens_round_trip_to_four_digits():
    values = [3.14159265, -2.5e-7, 0.0, 1.23456e50, -9.99951]
    back = D.decode_terms(D.input_tokens(values, "float"), "float")
    for v, b in zip(values, back):
        assert b == pytest.approx(v, rel=D.FLOATS.max_relative_error, abs=1e-300)
    with pytest.raises(ValueError, match="3 tokens"):
        D.decode_terms(["+", "N1000"], "float")
    with pytest.raises(ValueError, match="valid: int, float"):
        D.input_vocabulary("complex")


def test_float_fit_and_roll_forward():
    fib = [0.5, 1.5]
    tree = decode("add x_0_1 x_0_2".split())
    fib += list(extend_recurrence_float(tree, fib, 10))
    assert I.fit_to_observed(tree, fib, "float") == 0.0
    assert -1.0 <= I.fit_to_observed(decode("mul x_0_1 INT+ 2".split()), fib, "float") < -0.05
    assert I.roll_forward(tree, fib, 2, "float") == pytest.approx((fib[-1] + fib[-2], 2 * fib[-1] + fib[-2]))
    assert I.roll_forward(decode("log sub INT+ 5 n".split()), [1.0] * 6, 1, "float") is None  # log(-2)
    ranked = I.recurrence_problem(fib, kind="float").rank([decode("mul x_0_1 INT+ 2".split()), tree])
    assert ranked[0].prediction is tree


def test_tiny_float_models_evaluate(trained_float):
    cfg, stats = trained_float
    methods = E.load_methods(cfg, "float")
    recs = E.held_out(cfg, "float")
    assert all(isinstance(u, float) for r in recs for u in r.terms)
    res = E.run_in_domain(methods, recs, cfg.n_predict)
    m = E.in_domain_metrics(res, cfg, n_boot=50, exact_tol=1e-10)
    for meth in E.METHODS:
        assert 0.0 <= m[f"acc_{meth}"] <= m["tolerance_acc"][meth][-1] <= 1.0
    metrics = E.prefixed(m, "float_")
    for claim in (c for c in CLAIMS if c.metric.startswith("float_")):
        assert claim.metric in metrics, claim.id
    assert E.training_stats(cfg, ("float_symbolic", "float_numeric"))["float_numeric_steps"] == cfg.steps


def test_out_of_vocabulary_table_and_prefixed_metrics(trained_float):
    cfg, _ = trained_float
    methods = E.load_methods(cfg, "float")
    oov = E.run_oov(methods, cfg.max_terms, cfg.n_predict)
    with pytest.raises(TypeError, match="SymbolicMethod"):
        E.run_oov({"symbolic_beam": methods["numeric"], "numeric": methods["numeric"]}, 10, 2)
    assert len(oov) == len(E.OOV_FUNCTIONS)
    assert (oov[["symbolic error", "numeric error"]] >= 0).all().all()
    assert E.prefixed({"a": 1}, "float_") == {"float_a": 1}


def test_float_estimator(trained_float):
    from paper_code.recurrence.estimator import RecurrenceRegressor

    cfg, _ = trained_float
    values = [0.5 * 1.1**k for k in range(12)]
    est = RecurrenceRegressor(kind="float", config=cfg).fit(np.array(values))
    assert est.fit_ == est.score() <= 0.0 and est.equations_str_[0].startswith("u_n = ")
    expected = I.roll_forward(est.trees_[0], tuple(values), 3, "float")
    if expected is None:
        with pytest.raises(ValueError, match="no finite value"):
            est.predict(3)
    else:
        assert est.predict(3) == expected
    with pytest.raises(ValueError, match="finite"):
        RecurrenceRegressor(kind="float", config=cfg).fit([1.0, float("nan"), 2.0])
    with pytest.raises(TypeError, match="integers only"):
        RecurrenceRegressor(config=cfg).fit([1.0, 2.5, 3.0])
    with pytest.raises(ValueError, match="valid: int, float"):
        RecurrenceRegressor(kind="complex", config=cfg).fit([1, 2, 3])
