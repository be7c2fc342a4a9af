"""Recurrence generator: sequences satisfy their recurrence exactly, the distribution's invariants, rejection."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.recurrence import generator as G
from paper_code.symbolic.exact import evaluate_int
from paper_code.symbolic.expressions import Node

CFG = G.RecurrenceConfig(max_degree=3, max_ops=5, min_terms=8, max_terms=20)


def _draws(n=150, cfg=CFG, seed=0):
    rng = np.random.default_rng(seed)
    return [G.generate_recurrence(rng, cfg) for _ in range(n)]


def test_every_term_satisfies_the_recurrence_exactly():
    for r in _draws():
        lags = G.lags_of(r.tree)
        assert len(r.initial) == max(lags, default=0) and r.terms[: len(r.initial)] == r.initial
        for i in range(len(r.initial), len(r.terms)):  # 0-based position i has index n = i + 1
            env = {f"x_0_{k}": r.terms[i - k] for k in lags} | {"n": i + 1}
            assert evaluate_int(r.tree, env) == r.terms[i]
        assert all(isinstance(u, int) for u in r.terms)


def test_distribution_invariants():
    draws = _draws(300)
    ops = {"add", "sub", "mul", "idiv", "mod", "abs", "pow2", "sign", "relu"}
    for r in draws:
        assert 1 <= r.degree <= CFG.max_degree and 1 <= r.n_ops <= CFG.max_ops
        assert sum(node.is_operator for node in r.tree.nodes()) == r.n_ops
        assert all(k <= r.degree for k in G.lags_of(r.tree))
        assert CFG.min_terms <= r.n_observed <= CFG.max_terms and len(r.future) == CFG.n_predict
        assert all(-10 <= u <= 10 for u in r.initial)
        assert all(abs(u) <= 10**CFG.max_abs_digits for u in r.terms)
        assert G.is_interesting(r.observed)
        for node in r.tree.prefix():
            if isinstance(node, str) and not node.startswith("x_0_") and node != "n":
                assert node in ops, node
    assert {r.degree for r in draws} == {1, 2, 3} and {r.n_ops for r in draws} == set(range(1, 6))


def test_leaves_are_a_third_constants():
    rng = np.random.default_rng(1)
    leaves = []
    for _ in range(400):
        tree = G.draw_tree(rng, degree=2, n_ops=4, cfg=CFG)
        leaves += [t for t in tree.prefix() if not (isinstance(t, str) and t in G.INTEGER_BINARY + G.INTEGER_UNARY)]
    consts = [t for t in leaves if not isinstance(t, str)]
    assert abs(len(consts) / len(leaves) - 1 / 3) < 0.05
    assert all(1 <= abs(int(c)) <= 10 for c in consts)
    names = [t for t in leaves if isinstance(t, str)]
    assert abs(names.count("n") / len(names) - 0.5) < 0.06


def test_uninteresting_tails_and_bad_configs_are_rejected():
    assert not G.is_interesting([1, 2, 3, 4, 5, 6])  # arithmetic tail
    assert not G.is_interesting([7, 7, 7, 7, 7])
    assert G.is_interesting([1, 1, 2, 3, 5, 8])
    with pytest.raises(ValueError, match="min_terms"):
        G.RecurrenceConfig(min_terms=9, max_terms=8)


def test_rejections_and_giving_up():
    fib = Node("add", [Node("x_0_1"), Node("x_0_2")])
    assert G.sequence_of(fib, (1, 1), 8, CFG)[:10] == (1, 1, 2, 3, 5, 8, 13, 21, 34, 55)
    with pytest.raises(G.RecurrenceRejected, match="idiv"):
        G.sequence_of(Node("idiv", [Node("n"), Node("x_0_1")]), (0,), 8, CFG)  # n // 0 at the first step
    with pytest.raises(G.RecurrenceRejected, match="digits|exceeds"):
        G.sequence_of(Node("pow2", [Node("x_0_1")]), (3,), 8, CFG.replace(max_abs_digits=5))
    with pytest.raises(G.RecurrenceRejected, match="differences"):
        G.sequence_of(Node("add", [Node("x_0_1"), Node(2)]), (1,), 8, CFG)
    with pytest.raises(RuntimeError, match="no recurrence accepted"):
        G.generate_recurrence(np.random.default_rng(0), CFG.replace(max_abs_digits=1, max_tries=3))
