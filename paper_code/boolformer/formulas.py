"""Random Boolean formulas, their truth tables and their simplification (Boolformer's data generator).

Paper: d'Ascoli, Bengio, Susskind, Abbé, "Boolformer: symbolic regression of logic functions with
transformers", arXiv 2309.12207 (v2, App. A.1); official code GitHub ``sdascoli/boolformer``
(``RandomBooleanFunctions``). A formula is a :class:`~paper_code.symbolic.expressions.Node` tree over the
core's ``and``/``or`` (binary) and ``not`` gates and the variables ``x_0 … x_{D-1}``; 0/1 are ``int`` leaves.

One draw (:func:`random_formula`, App. A.1):

1. the input dimension D ~ U{min_dim..max_dim}; the number of active variables S ~ U{1..min(D, max_active)}
   (S = D when ``all_active``), chosen uniformly among the D;
2. B ~ U{S-1..max_binary} binary gates, each AND or OR with probability 1/2, on a binary tree whose shape is
   uniform among the trees with B internal nodes (Lample & Charton's sampler, the core's ``sample_shape``);
3. a NOT above every node, leaves included, with probability ``p_not``;
4. the B+1 leaves filled with the active variables, each at least once, and no two sibling leaves equal;
5. :func:`simplify`; rejected if the result is constant on the full truth table or longer than
   ``max_tokens`` prefix tokens.

Simplification (App. A.1, "simplification"): negations pushed down with De Morgan, then boolean.py's
``simplify`` until the formula stops changing, then the negation rule again. It never changes the function:
:func:`truth_table` of the result equals that of the draw (tested). Equivalence of two formulas is always
semantic: the same truth table.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import boolean
import numpy as np

from paper_code.common.config import Validated, param
from paper_code.symbolic.expressions import Node, op, var, variable_index
from paper_code.symbolic.generator import GenerationError, build_tree, sample_shape

__all__ = ["FormulaConfig", "BooleanFormula", "random_formula", "simplify", "truth_table", "evaluate_rows",
           "all_inputs",
           "n_binary_gates", "complexity", "to_algebra", "from_algebra", "push_negations", "ALGEBRA"]

#: The boolean.py algebra every conversion uses.
ALGEBRA = boolean.BooleanAlgebra()


@dataclass(frozen=True)
class FormulaConfig(Validated):
    """The random-formula distribution (paper values in brackets: v2 App. A.1, v1 noiseless script)."""

    min_dim: int = param(1, "smallest input dimension D [1; v1 noiseless: 3]", ge=1, le=20)
    max_dim: int = param(10, "largest input dimension D [10]", ge=1, le=20)
    max_active: int = param(10, "largest number of active variables S [10 noiseless; 6 noisy]", ge=1)
    all_active: bool = param(True, "every one of the D variables is active (the noiseless regime) [True]")
    max_binary: int = param(500, "largest number of binary gates before simplification [500; v1 noisy 20]", ge=0)
    p_not: float = param(0.5, "probability of a NOT above each node, leaves included [0.5]", ge=0, le=1)
    max_tokens: int = param(200, "longest simplified formula, in prefix tokens [200]", ge=1)
    max_tries: int = param(100, "draws before giving up (constant or too long formulas are redrawn)", ge=1)

    def validate(self) -> None:
        if self.min_dim > self.max_dim:
            self.fail("min_dim", f"must be <= max_dim={self.max_dim}")
        if self.all_active and self.max_active < self.max_dim:
            self.fail("max_active", f"all_active needs max_active >= max_dim={self.max_dim} (S = D)")
        if self.max_binary < min(self.max_active, self.max_dim) - 1:
            self.fail("max_binary", f"must be >= S - 1 for every S: at least {min(self.max_active, self.max_dim) - 1} "
                      "(each active variable needs a leaf)")


@dataclass(frozen=True)
class BooleanFormula:
    """One generated function: the simplified formula, its input dimension and its truth table.

    ``table[i]`` is the value at the input whose bit j is ``x_j`` (:func:`all_inputs`); ``active`` are the
    indices of the variables the draw used (a variable can vanish in simplification if the function does not
    depend on it).
    """

    tree: Node
    dim: int
    active: tuple[int, ...]
    table: np.ndarray
    binary_gates_drawn: int

    @property
    def key(self) -> bytes:
        """Identity of the function (for deduplication): its dimension and truth table."""
        return self.dim.to_bytes(1, "little") + np.packbits(self.table).tobytes()


# ----------------------------------------------------------------------------- tables
@cache
def _inputs(dim: int) -> np.ndarray:
    rows = np.arange(2**dim)[:, None]
    out = ((rows >> np.arange(dim)[None, :]) & 1).astype(np.uint8)
    out.setflags(write=False)
    return out


def all_inputs(dim: int) -> np.ndarray:
    """(2^D, D) 0/1 array: row i has bit j of i in column j (read-only, cached)."""
    if not 0 <= dim <= 20:
        raise ValueError(f"dim={dim} is out of range: a full truth table needs 0 <= D <= 20")
    return _inputs(dim)


def evaluate_rows(tree: Node, X: np.ndarray) -> np.ndarray:
    """(n,) uint8 values of ``tree`` on the 0/1 rows ``X`` (variable ``x_j`` reads column j)."""
    used = [variable_index(v) for v in tree.variables()]
    if used and max(used) >= X.shape[1]:
        raise ValueError(f"the formula uses x_{max(used)} but the rows have {X.shape[1]} columns")
    values = np.broadcast_to(tree.evaluate(np.asarray(X, dtype=float)), (len(X),))
    return (values > 0.5).astype(np.uint8)


def truth_table(tree: Node, dim: int) -> np.ndarray:
    """(2^D,) uint8 values of ``tree`` on every input (:func:`all_inputs`)."""
    used = [variable_index(v) for v in tree.variables()]
    if used and max(used) >= dim:
        raise ValueError(f"the formula uses x_{max(used)} but dim={dim}")
    return evaluate_rows(tree, all_inputs(dim))


# ----------------------------------------------------------------------------- measures
def n_binary_gates(tree: Node) -> int:
    """Binary gates (``and``/``or``) in the tree: the size measure of the paper's figures."""
    return sum(1 for n in tree.nodes() if n.value in ("and", "or"))


def complexity(tree: Node) -> int:
    """Gates once chains of the same binary operator are merged into one gate of any fan-in (v1's ranking
    tie-break); NOTs count as gates."""
    def rec(node: Node, parent: str | None) -> int:
        if node.value in ("and", "or"):
            own = 0 if node.value == parent else 1
            return own + sum(rec(c, str(node.value)) for c in node.children)
        if node.value == "not":
            return 1 + rec(node.children[0], None)
        return 0
    return rec(tree, None)


# ----------------------------------------------------------------------------- conversions
def to_algebra(tree: Node) -> boolean.Expression:
    """The boolean.py expression of a tree (0/1 leaves become FALSE/TRUE)."""
    if tree.value == "and":
        return ALGEBRA.AND(*(to_algebra(c) for c in tree.children))
    if tree.value == "or":
        return ALGEBRA.OR(*(to_algebra(c) for c in tree.children))
    if tree.value == "not":
        return ALGEBRA.NOT(to_algebra(tree.children[0]))
    if isinstance(tree.value, int) and tree.value in (0, 1):
        return ALGEBRA.TRUE if tree.value else ALGEBRA.FALSE
    if isinstance(tree.value, str):
        return ALGEBRA.Symbol(tree.value)
    raise ValueError(f"{tree.value!r} is not a Boolean leaf (variables x_j, 0 or 1)")


def _chain(name: str, children: list[Node]) -> Node:
    """Right-nested binary chain: ``and a and b c``."""
    out = children[-1]
    for c in reversed(children[:-1]):
        out = op(name, c, out)
    return out


def from_algebra(expr: boolean.Expression) -> Node:
    """The tree of a boolean.py expression; n-ary AND/OR become right-nested binary chains, with the
    operands in boolean.py's order."""
    if expr == ALGEBRA.TRUE:
        return Node(1)
    if expr == ALGEBRA.FALSE:
        return Node(0)
    if isinstance(expr, ALGEBRA.Symbol):
        return Node(str(expr.obj))
    if isinstance(expr, ALGEBRA.NOT):
        return op("not", from_algebra(expr.args[0]))
    if isinstance(expr, (ALGEBRA.AND, ALGEBRA.OR)):
        name = "and" if isinstance(expr, ALGEBRA.AND) else "or"
        return _chain(name, [from_algebra(a) for a in expr.args])
    raise ValueError(f"unsupported boolean.py expression {expr!r}")


# ----------------------------------------------------------------------------- simplification
def _negate(tree: Node) -> Node:
    return tree.children[0] if tree.value == "not" else op("not", tree)


def _operands(tree: Node, name: str) -> list[Node]:
    """The operands of a maximal chain of ``name`` gates rooted at ``tree``."""
    if tree.value != name:
        return [tree]
    return [x for c in tree.children for x in _operands(c, name)]


def push_negations(tree: Node) -> Node:
    """Remove double negations, and apply De Morgan where more than half of a gate's operands are negated:
    ``and(¬a, ¬b, c)`` becomes ``¬or(a, b, ¬c)`` (App. A.1; chains of one operator are one gate)."""
    if tree.value == "not":
        inner = push_negations(tree.children[0])
        return _negate(inner)
    if tree.value in ("and", "or"):
        name = str(tree.value)
        operands = [push_negations(c) for c in _operands(tree, name)]
        negated = sum(1 for c in operands if c.value == "not")
        if 2 * negated > len(operands):
            other = "or" if name == "and" else "and"
            return op("not", _chain(other, [_negate(c) for c in operands]))
        return _chain(name, operands)
    return tree.copy()


def simplify(tree: Node, max_rounds: int = 10) -> Node:
    """The simplification of App. A.1: negation rule, boolean.py ``simplify`` to a fixed point (at most
    ``max_rounds`` rounds), negation rule. The function is unchanged."""
    expr = to_algebra(push_negations(tree))
    for _ in range(max_rounds):
        nxt = expr.simplify()
        if nxt == expr:
            break
        expr = nxt
    return push_negations(from_algebra(expr))


# ----------------------------------------------------------------------------- generator
def _leaves(arities: Sequence[int], active: Sequence[int], rng: np.random.Generator) -> list[Node]:
    """Leaves in prefix order, drawn one after the other: uniform among the active variables, except that the
    second of two sibling leaves differs from the first (when S > 1), and the last leaves go to the active
    variables still unused, so that each appears at least once."""
    n = arities.count(0)
    second_of_pair = set()  # leaf indices whose sibling is the leaf just before them
    k = 0
    for p, a in enumerate(arities):
        if a == 0:
            if p >= 2 and arities[p - 2] == 2 and arities[p - 1] == 0:
                second_of_pair.add(k)
            k += 1
    unused, out = set(active), []
    for k in range(n):
        allowed = [v for v in active if not (k in second_of_pair and len(active) > 1 and v == out[-1])]
        if n - k == len(unused):  # as many leaves left as unused variables: use them
            allowed = [v for v in allowed if v in unused]
        v = int(rng.choice(allowed))
        out.append(v)
        unused.discard(v)
    return [var(j) for j in out]


def _with_nots(tree: Node, p_not: float, rng: np.random.Generator) -> Node:
    children = [_with_nots(c, p_not, rng) for c in tree.children]
    node = Node(tree.value, children)
    return op("not", node) if rng.random() < p_not else node


def _draw(cfg: FormulaConfig, rng: np.random.Generator) -> tuple[Node, int, tuple[int, ...], int]:
    dim = int(rng.integers(cfg.min_dim, cfg.max_dim + 1))
    n_active = dim if cfg.all_active else int(rng.integers(1, min(dim, cfg.max_active) + 1))
    active = tuple(sorted(int(j) for j in rng.choice(dim, size=n_active, replace=False)))
    n_binary = int(rng.integers(n_active - 1, cfg.max_binary + 1))
    arities = sample_shape(n_binary, rng)
    leaves = _leaves(arities, active, rng)
    gates = ["and" if rng.random() < 0.5 else "or" for a in arities if a]
    tree = _with_nots(build_tree(arities, gates, leaves), cfg.p_not, rng)
    return tree, dim, active, n_binary


def random_formula(rng: np.random.Generator, cfg: FormulaConfig = FormulaConfig()) -> BooleanFormula:
    """One simplified, non-constant random formula (module doc); raises :class:`GenerationError` after
    ``cfg.max_tries`` rejected draws."""
    for _ in range(cfg.max_tries):
        raw, dim, active, n_binary = _draw(cfg, rng)
        tree = simplify(raw)
        table = truth_table(tree, dim)
        if table.min() == table.max() or tree.size() > cfg.max_tokens:
            continue
        return BooleanFormula(tree, dim, active, table, n_binary)
    raise GenerationError(f"{cfg.max_tries} draws in a row were constant or longer than {cfg.max_tokens} tokens")
