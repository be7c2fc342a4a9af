"""Random integer recurrences ``u_n = f(n, u_{n-1}, ..., u_{n-d})`` and the sequences they generate.

The integer model's distribution of d'Ascoli, Kamienny, Lample & Charton (ICML 2022, §3.1; official code
``facebookresearch/recur``, ``src/envs/generators.py``):

* the degree ``d`` is uniform in 1..``max_degree`` and the number of operators ``o`` uniform in 1..``max_ops``;
  the tree's shape is uniform among unary-binary trees with ``o`` operators (Lample & Charton's counting,
  :func:`~paper_code.symbolic.generator.generate_unary_binary`), binary operators ``add, sub, mul, idiv, mod``
  and unary ``abs, pow2 (sqr), sign, relu``;
* each leaf is, with probability 1/3 each, an integer constant in ±1..10, the index ``n``, or a previous term
  ``u_{n-k}`` (``x_0_k``) with ``k`` uniform in 1..d;
* the sequence starts with as many initial terms as the largest lag the tree uses, uniform integers in
  [-10, 10]; the first term has index ``n = 1``;
* it has ``N_in`` observed terms (uniform in ``min_terms..max_terms``) plus ``n_predict`` terms to predict, all
  computed exactly on Python integers (:func:`~paper_code.symbolic.exact.extend_recurrence`);
* a draw is rejected when a term has no exact value (a division or modulo by 0), exceeds ``max_abs`` in absolute
  value, or when the last 5 observed terms have fewer than 2 distinct successive differences (constant or
  arithmetic tails, which the reference code calls uninteresting).

The float model's distribution (``kind="float"``) differs in three places: binary ``add, sub, mul, div`` and unary
``abs, inv, pow2 (sqr), sqrt, log, exp, sin, cos, tan, arcsin, arccos, arctan``; a constant leaf is one of the 20
integers ±1..10 or e, π, Euler's γ, uniformly; initial terms are uniform reals in [-10, 10]. Terms are computed in
float64 (:func:`~paper_code.symbolic.compile.extend_recurrence_float`), and a NaN or infinite term rejects the draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from paper_code.common.config import Validated, param
from paper_code.symbolic.compile import extend_recurrence_float
from paper_code.symbolic.exact import ExactEvaluationError, extend_recurrence
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.generator import generate_unary_binary

__all__ = ["INTEGER_BINARY", "INTEGER_UNARY", "FLOAT_BINARY", "FLOAT_UNARY", "FLOAT_CONSTANTS", "RecurrenceConfig",
           "Recurrence", "lags_of", "is_interesting",
           "draw_tree", "sequence_of", "generate_recurrence", "RecurrenceRejected"]

INTEGER_BINARY = ("add", "sub", "mul", "idiv", "mod")
INTEGER_UNARY = ("abs", "pow2", "sign", "relu")
FLOAT_BINARY = ("add", "sub", "mul", "div")
FLOAT_UNARY = ("abs", "inv", "pow2", "sqrt", "log", "exp", "sin", "cos", "tan", "arcsin", "arccos", "arctan")
FLOAT_CONSTANTS = ("e", "pi", "euler_gamma")


class RecurrenceRejected(ValueError):
    """A draw that the generator rejects (and redraws); the message says why."""


@dataclass(frozen=True)
class RecurrenceConfig(Validated):
    """The distribution of integer recurrences (module doc; the paper's values in brackets)."""

    max_degree: int = param(6, "largest recurrence degree d [6]", ge=1)
    max_ops: int = param(10, "largest number of operators o [10]", ge=1)
    min_terms: int = param(5, "fewest observed terms N_in [5]", ge=1)
    max_terms: int = param(30, "most observed terms N_in [30]", ge=1)
    n_predict: int = param(10, "terms to predict after the observed ones [10]", ge=0)
    max_int: int = param(10, "constant leaves are ±1..max_int [10]", ge=1)
    init_range: int = param(10, "initial terms are uniform in [-init_range, init_range] [10]", ge=0)
    max_abs_digits: int = param(100, "reject a sequence with a term of more digits [100: |u| <= 10^100]", ge=1)
    max_tries: int = param(1000, "draws before giving up", ge=1)
    kind: Literal["int", "float"] = param("int", "integer sequences (exact) or float sequences (float64)",
                                          choices=("int", "float"))

    def validate(self) -> None:
        if self.min_terms > self.max_terms:
            self.fail("min_terms", f"must be <= max_terms={self.max_terms}")


@dataclass(frozen=True)
class Recurrence:
    """A drawn recurrence: its tree (``x_0_k`` = ``u_{n-k}``, ``n`` = 1-based index), degree ``d`` drawn, operator
    count, initial terms, and every term (initial ones first): the first ``n_observed`` are the model's input."""

    tree: Node
    degree: int
    n_ops: int
    initial: tuple[int, ...] | tuple[float, ...]
    terms: tuple[int, ...] | tuple[float, ...]
    n_observed: int

    @property
    def observed(self) -> tuple:
        return self.terms[: self.n_observed]

    @property
    def future(self) -> tuple:
        return self.terms[self.n_observed:]


def lags_of(tree: Node) -> list[int]:
    """The lags ``k`` of the ``x_0_k`` leaves of ``tree``, sorted."""
    return sorted({int(v.split("_")[2]) for v in tree.variables() if v.startswith("x_0_")})


def is_interesting(observed: tuple[int, ...] | list[int], window: int = 5) -> bool:
    """At least 2 distinct successive differences among the last ``window`` observed terms."""
    tail = list(observed)[-window:]
    return len({b - a for a, b in zip(tail, tail[1:])}) >= 2


def draw_tree(rng: np.random.Generator, degree: int, n_ops: int, cfg: RecurrenceConfig) -> Node:
    """A tree of ``n_ops`` operators whose leaves are a third constants, a third ``n``, a third lags <= ``degree``
    (float model: a constant is e, π or γ with probability 3 / (2 max_int + 3))."""
    leaves = ("n",) * degree + tuple(f"x_0_{k}" for k in range(1, degree + 1))  # n and the lags in equal parts
    unary, binary = (INTEGER_UNARY, INTEGER_BINARY) if cfg.kind == "int" else (FLOAT_UNARY, FLOAT_BINARY)
    tree = generate_unary_binary(rng, n_ops, leaves=leaves, unary_ops=tuple((o, 1.0) for o in unary),
                                 binary_ops=tuple((o, 1.0) for o in binary), p_constant=1 / 3, max_int=cfg.max_int)
    if cfg.kind == "float":
        p_named = len(FLOAT_CONSTANTS) / (2 * cfg.max_int + len(FLOAT_CONSTANTS))
        for node in tree.nodes():
            if isinstance(node.value, int) and rng.random() < p_named:
                node.value = str(rng.choice(FLOAT_CONSTANTS))
    return tree


def sequence_of(tree: Node, initial: tuple, n_observed: int, cfg: RecurrenceConfig) -> tuple:
    """``initial`` followed by the terms ``tree`` generates, ``n_observed + n_predict`` in all; raises
    :class:`RecurrenceRejected` for the module doc's rejections."""
    n_new = n_observed + cfg.n_predict - len(initial)
    if n_new < 0:
        raise RecurrenceRejected(f"{len(initial)} initial terms for a sequence of {n_observed + cfg.n_predict}")
    if cfg.kind == "float":
        values = extend_recurrence_float(tree, initial, n_new)
        if not np.isfinite(values).all():
            raise RecurrenceRejected("a term is NaN or infinite")
        new: tuple = tuple(float(u) for u in values)
    else:
        try:
            new = tuple(extend_recurrence(tree, initial, n_new, max_digits=cfg.max_abs_digits + 1))
        except ExactEvaluationError as err:
            raise RecurrenceRejected(str(err)) from err
    terms = tuple(initial) + new
    limit = 10**cfg.max_abs_digits
    if any(abs(u) > limit for u in terms):
        raise RecurrenceRejected(f"a term exceeds 10^{cfg.max_abs_digits}")
    if not is_interesting(terms[:n_observed]):
        raise RecurrenceRejected("the last observed terms have fewer than 2 distinct differences")
    return terms


def _draw(rng: np.random.Generator, cfg: RecurrenceConfig) -> Recurrence:
    degree = int(rng.integers(1, cfg.max_degree + 1))
    n_ops = int(rng.integers(1, cfg.max_ops + 1))
    tree = draw_tree(rng, degree, n_ops, cfg)
    n_initial = max(lags_of(tree), default=0)
    if cfg.kind == "float":
        initial: tuple = tuple(float(x) for x in rng.uniform(-cfg.init_range, cfg.init_range, size=n_initial))
    else:
        initial = tuple(int(x) for x in rng.integers(-cfg.init_range, cfg.init_range + 1, size=n_initial))
    n_observed = int(rng.integers(cfg.min_terms, cfg.max_terms + 1))
    return Recurrence(tree, degree, n_ops, initial, sequence_of(tree, initial, n_observed, cfg), n_observed)


def generate_recurrence(rng: np.random.Generator, cfg: RecurrenceConfig = RecurrenceConfig()) -> Recurrence:
    """A random recurrence and its sequence (module doc), redrawn until one is accepted."""
    last = ""
    for _ in range(cfg.max_tries):
        try:
            return _draw(rng, cfg)
        except RecurrenceRejected as err:
            last = str(err)
    raise RuntimeError(f"no recurrence accepted in {cfg.max_tries} draws (last rejection: {last})")
