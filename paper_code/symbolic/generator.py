"""Random expression generator (the sampling of Lample & Charton, "Deep learning for symbolic mathematics",
ICLR 2020, as used by the symbolic-regression papers of this repository).

* :func:`count_trees` — ``D(e, n)``: trees with ``n`` operators buildable from ``e`` empty slots,
  ``D(0, n) = 0``, ``D(e, 0) = 1``, ``D(e, n) = D(e-1, n) + p1·D(e, n-1) + p2·D(e+1, n-1)``.
* :func:`sample_shape` — prefix arity sequence sampled so that shapes are uniform over all trees with
  ``n`` operators (binary only: ``p1 = 0``; unary–binary: ``p1 = 1``).
* :class:`GeneratorConfig` + :func:`generate` — binary tree, leaves, unary operators inserted above small
  sub-trees then pruned to a sampled count, then prefactor constants, optionally rewritten in SymPy's canonical
  form (the generators of ODEFormer, github.com/sdascoli/odeformer ``odeformer/envs/generators.py``, and of
  end-to-end symbolic regression, Kamienny et al., NeurIPS 2022). Presets :data:`ODEFORMER` and :data:`E2E`.
* :func:`generate_unary_binary` — a unary–binary tree with a total operator budget and
  variable/integer-constant leaves (recurrences).

Every function takes an explicit ``numpy.random.Generator``.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from functools import cache

import numpy as np

from paper_code.common.config import Validated, param
from paper_code.symbolic.expressions import OPERATORS, Node, op, var

__all__ = [
    "count_trees",
    "sample_shape",
    "build_tree",
    "GeneratorConfig",
    "ODEFORMER",
    "E2E",
    "generate",
    "generate_system",
    "generate_unary_binary",
    "GenerationError",
    "loguniform_constant",
    "decimal_constant",
]

log = logging.getLogger(__name__)


class GenerationError(RuntimeError):
    """Rejection sampling gave up (too many rejected draws)."""


@cache
def count_trees(e: int, n: int, p1: int = 0, p2: int = 1) -> int:
    """``D(e, n)`` (exact Python integer)."""
    if n == 0:
        return 1
    if e == 0:
        return 0
    return count_trees(e - 1, n, p1, p2) + p1 * count_trees(e, n - 1, p1, p2) + p2 * count_trees(e + 1, n - 1, p1, p2)


def sample_shape(n_ops: int, rng: np.random.Generator, unary: bool = False) -> list[int]:
    """Arities (0 = leaf) of a random tree with ``n_ops`` operators, in prefix order.

    With ``e`` empty slots and ``n`` operators left, the next internal node sits after ``k`` leaves and has
    arity ``a`` with probability ``∝ p_a · D(e - k - 1 + a, n - 1)``, so each shape is equally likely.
    """
    p1 = 1 if unary else 0
    arities: list[int] = []
    e = 1
    for n in range(n_ops, 0, -1):
        choices, weights = [], []
        for k in range(e):
            for a, pa in ((1, p1), (2, 1)):
                if pa:
                    choices.append((k, a))
                    weights.append(pa * count_trees(e - k - 1 + a, n - 1, p1, 1))
        total = sum(weights)
        # integer sampling (counts overflow float64 for large n); resolution 2^-62 of the total
        r = int(rng.integers(0, 2**62)) * total // 2**62
        idx = 0
        while r >= weights[idx]:
            r -= weights[idx]
            idx += 1
        k, a = choices[idx]
        arities.extend([0] * k + [a])
        e = e - k - 1 + a
    arities.extend([0] * e)
    return arities


def build_tree(arities: list[int], ops: list[str], leaves: list[Node]) -> Node:
    """Tree from a prefix arity sequence, operator names (prefix order) and leaves (prefix order)."""
    it_ops, it_leaves = iter(ops), iter(leaves)

    def rec(pos: int) -> tuple[Node, int]:
        a = arities[pos]
        if a == 0:
            return next(it_leaves), pos + 1
        name = next(it_ops)
        children = []
        pos += 1
        for _ in range(a):
            child, pos = rec(pos)
            children.append(child)
        return Node(name, children), pos

    tree, end = rec(0)
    assert end == len(arities)
    return tree


def loguniform_constant(rng: np.random.Generator, low: float = 0.05, high: float = 20.0) -> float:
    """ODEFormer: random sign × 10^U(log10 low, log10 high)."""
    return float(rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(np.log10(low), np.log10(high)))


def decimal_constant(rng: np.random.Generator) -> float:
    """E2E: ±m·10^e, m ∈ 1..999, e ∈ {-3, -2, -1}."""
    return float(rng.choice([-1.0, 1.0]) * int(rng.integers(1, 1000)) * 10.0 ** int(rng.integers(-3, 0)))


def _weights(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], np.ndarray]:
    names = [n for n, _ in pairs]
    w = np.array([float(x) for _, x in pairs])
    for n in names:
        if n not in OPERATORS:
            raise ValueError(f"unknown operator {n!r}; valid: {sorted(OPERATORS)}")
    if w.sum() <= 0:
        raise ValueError("operator weights must not all be zero")
    return names, w / w.sum()


@dataclasses.dataclass(frozen=True)
class GeneratorConfig(Validated):
    """Generator settings, validated on construction.

    Defaults: the ODEFormer generator as the paper describes it (official code, GitHub ``sdascoli/odeformer``),
    with ``id`` dropped before the prefactors and no canonical rewriting; :data:`ODEFORMER`.
    """

    min_binary: int = param(1, "min number of binary operators per component", ge=0)
    max_binary: int = param(5, "max number of binary operators; E2E uses D + max_binary_extra", ge=0)
    max_binary_extra: int | None = param(None, "if set, max binary = D + this (E2E: 3)", ge=0)
    binary_weights: tuple[float, ...] = param(
        (), "relative weights of the binary-operator counts min_binary..max_binary (one per count); () = uniform",
        ge=0)
    max_unary: int = param(3, "max number of unary operators per component", ge=0)
    binary_ops: tuple[tuple[str, float], ...] = param(
        (("add", 3.0), ("mul", 1.0)), "(binary operator, weight) pairs; weights >= 0, not all zero", ge=0, min_len=1)
    unary_ops: tuple[tuple[str, float], ...] = param(
        (("sin", 1.0), ("inv", 1.0), ("pow2", 1.0), ("id", 3.0)),
        "(unary operator, weight) pairs (id = no-op); weights >= 0, not all zero", ge=0, min_len=1)
    max_unary_subtree: int = param(7, "unary operators only wrap sub-trees with fewer nodes than this", ge=1)
    affine_id: bool = param(
        False, "keep the sampled id unaries until the prefactors are placed, so each becomes an affine map a + b·arg "
        "(as the official ODEFormer code does; the only source of additive constants outside other unaries); "
        "False drops them first")
    constants: str = param("loguniform", "prefactor distribution", choices=("loguniform", "decimal"))
    prob_prefactor: float = param(1.0, "probability of inserting each prefactor (ODEFormer: always)", ge=0, le=1)
    root_additive: bool = param(False, "always add an additive constant at the root (E2E)")
    all_variables: bool = param(False, "first D leaves are x_0..x_{D-1}; reject if a variable is missing (E2E)")
    canonical: bool = param(False, "rewrite in SymPy's canonical form (automatic evaluation, no simplify call: like "
                            "terms merged, numeric factors folded); reject if the size grows more than max_growth")
    simplify: bool = param(False, "SymPy-simplify; reject if the size grows more than max_growth")
    max_growth: float = param(2.0, "size guard of the canonical form and of the simplification", gt=0)
    max_tries: int = param(100, "rejection-sampling attempts before GenerationError", ge=1)

    def validate(self) -> None:
        for key, arity in (("binary_ops", 2), ("unary_ops", 1)):
            pairs = getattr(self, key)
            for name, _ in pairs:
                if name not in OPERATORS:
                    self.fail(key, f"unknown operator {name!r}; valid: {', '.join(sorted(OPERATORS))}")
                if OPERATORS[name].arity != arity:
                    kind = "binary" if arity == 2 else "unary"
                    valid = sorted(n for n, o in OPERATORS.items() if o.arity == arity)
                    self.fail(key, f"{name!r} is not {kind}; valid: {', '.join(valid)}")
            if sum(w for _, w in pairs) <= 0:
                self.fail(key, "the operator weights must not all be zero")
        if self.min_binary > self.max_binary and self.max_binary_extra is None:
            self.fail("min_binary", f"must be <= max_binary={self.max_binary}")
        if self.binary_weights:
            if self.max_binary_extra is not None:
                self.fail("binary_weights", "needs a fixed max_binary (max_binary_extra=None)")
            n_counts = self.max_binary - self.min_binary + 1
            if len(self.binary_weights) != n_counts:
                self.fail("binary_weights", f"needs one weight per count {self.min_binary}..{self.max_binary} "
                          f"({n_counts}), got {len(self.binary_weights)}")
            if sum(self.binary_weights) <= 0:
                self.fail("binary_weights", "the weights must not all be zero")
        if self.canonical and self.simplify:
            self.fail("canonical", "canonical and simplify exclude each other (simplify already rewrites in SymPy)")

    def constant_sampler(self) -> Callable[[np.random.Generator], float]:
        return loguniform_constant if self.constants == "loguniform" else decimal_constant


#: ODEFormer (per component): 1-5 binary operators (add : mul = 3 : 1), 0-3 unaries (sin, inv, pow2, id = 1 : 1 :
#: 1 : 3) on sub-trees of fewer than 7 nodes, log-uniform prefactors in [0.05, 20] (official code's defaults).
ODEFORMER = GeneratorConfig()
#: End-to-end symbolic regression (Kamienny et al., NeurIPS 2022).
E2E = GeneratorConfig(
    min_binary=0, max_binary=13, max_binary_extra=3, max_unary=4,
    binary_ops=(("add", 1.0), ("sub", 1.0), ("mul", 1.0)),
    unary_ops=(("sqrt", 5.0), ("inv", 3.0), ("pow2", 3.0), ("abs", 1.0), ("log", 1.0), ("exp", 1.0),
               ("sin", 1.0), ("cos", 1.0), ("pow3", 1.0), ("tan", 0.2), ("arctan", 0.2)),
    max_unary_subtree=6, constants="decimal", root_additive=True, all_variables=True,
)

_SUMS = ("add", "sub")


def _insert_unaries(tree: Node, cfg: GeneratorConfig, n_unary: int, rng: np.random.Generator) -> Node:
    """Wrap every non-root sub-tree with < ``max_unary_subtree`` nodes in a random unary, keep ``n_unary``
    of them at random, and drop the kept ``id`` wrappers unless ``cfg.affine_id`` (then they stay until
    :func:`_add_prefactors` has turned their argument into ``a + b·arg``, and :func:`_strip_id` removes them).

    Candidates are children, never the root, as in the ODEFormer reference generator (``_add_unaries``).
    """
    names, probs = _weights(cfg.unary_ops)
    candidates = [n for n in tree.nodes() if n is not tree and n.size() < cfg.max_unary_subtree]
    keep = set(rng.choice(len(candidates), size=min(n_unary, len(candidates)), replace=False).tolist())
    chosen = {id(candidates[i]): str(rng.choice(names, p=probs)) for i in sorted(keep)}

    def rec(node: Node) -> Node:
        new = Node(node.value, [rec(c) for c in node.children])
        name = chosen.get(id(node))
        return new if name is None or (name == "id" and not cfg.affine_id) else op(name, new)

    return rec(tree)


def _strip_id(tree: Node) -> Node:
    """Copy of ``tree`` without its ``id`` nodes (each replaced by its argument)."""
    while tree.value == "id":
        tree = tree.children[0]
    return Node(tree.value, [_strip_id(c) for c in tree.children])


def _add_prefactors(tree: Node, cfg: GeneratorConfig, rng: np.random.Generator) -> Node:
    """Multiplicative constant on each non-sum child of a sum; ``a + b·arg`` inside unaries (arg not a sum);
    a global multiplier if nothing was inserted; an additive root constant if ``root_additive``."""
    sampler = cfg.constant_sampler()
    inserted = [0]

    def wrap(name: str, child: Node) -> Node:
        if cfg.prob_prefactor < 1.0 and rng.random() >= cfg.prob_prefactor:
            return child
        inserted[0] += 1
        return op(name, Node(sampler(rng)), child)

    def rec(node: Node) -> Node:
        kids = [rec(c) for c in node.children]
        if node.value in _SUMS:
            kids = [k if k.value in _SUMS else wrap("mul", k) for k in kids]
        elif node.is_operator and OPERATORS[node.value].arity == 1 and kids[0].value not in _SUMS:  # type: ignore[index]
            kids = [wrap("add", wrap("mul", kids[0]))]
        return Node(node.value, kids)

    out = rec(tree)
    if inserted[0] == 0:
        out = op("mul", Node(sampler(rng)), out)
    if cfg.root_additive:
        out = op("add", Node(sampler(rng)), out)
    return out


def _leaves(n: int, dim: int, cfg: GeneratorConfig, rng: np.random.Generator) -> list[Node]:
    idx = rng.integers(0, dim, size=n)
    if cfg.all_variables:
        first = min(n, dim)
        idx[:first] = np.arange(first)
        rng.shuffle(idx)
    return [var(int(j)) for j in idx]


def generate(rng: np.random.Generator, dim: int, cfg: GeneratorConfig = ODEFORMER) -> Node:
    """One random expression in ``x_0..x_{dim-1}``, with rejection sampling."""
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    bin_names, bin_probs = _weights(cfg.binary_ops)
    max_b = cfg.max_binary if cfg.max_binary_extra is None else dim + cfg.max_binary_extra
    counts = np.arange(cfg.min_binary, max_b + 1)
    count_probs = np.asarray(cfg.binary_weights, float) / sum(cfg.binary_weights) if cfg.binary_weights else None
    for _ in range(cfg.max_tries):
        b = int(rng.integers(cfg.min_binary, max_b + 1) if count_probs is None else rng.choice(counts, p=count_probs))
        u = int(rng.integers(0, cfg.max_unary + 1))
        if cfg.all_variables and b + 1 < dim:
            continue  # too few leaves to use every variable
        arities = sample_shape(b, rng, unary=False)
        ops = [str(o) for o in rng.choice(bin_names, size=b, p=bin_probs)]
        tree = build_tree(arities, ops, _leaves(b + 1, dim, cfg, rng))
        tree = _add_prefactors(_insert_unaries(tree, cfg, u, rng), cfg, rng)
        if cfg.affine_id:
            tree = _strip_id(tree)
        if cfg.canonical or cfg.simplify:
            from paper_code.symbolic.sympy_bridge import canonical_tree, simplify_tree  # local: avoids import cycle

            rewritten = (canonical_tree if cfg.canonical else simplify_tree)(tree, max_growth=cfg.max_growth)
            if rewritten is None:
                continue
            tree = rewritten
        if cfg.all_variables and len(tree.variables()) < dim:
            continue
        return tree
    raise GenerationError(f"no valid expression after {cfg.max_tries} tries (dim={dim})")


def generate_system(rng: np.random.Generator, dim: int, cfg: GeneratorConfig = ODEFORMER) -> list[Node]:
    """ODE system: one independently generated component per state variable (as in ODEFormer)."""
    return [generate(rng, dim, cfg) for _ in range(dim)]


def generate_unary_binary(
    rng: np.random.Generator,
    n_ops: int,
    leaves: tuple[str, ...] = ("x_0",),
    unary_ops: tuple[tuple[str, float], ...] = (("abs", 1.0), ("sqrt", 1.0), ("exp", 1.0)),
    binary_ops: tuple[tuple[str, float], ...] = (("add", 1.0), ("sub", 1.0), ("mul", 1.0), ("idiv", 1.0)),
    p_constant: float = 0.25,
    max_int: int = 10,
) -> Node:
    """Unary–binary tree with exactly ``n_ops`` operators (shapes uniform, ``p1 = 1``).

    Leaves are one of ``leaves`` or, with probability ``p_constant``, an integer in ±1..``max_int``.
    """
    arities = sample_shape(n_ops, rng, unary=True)
    un, up = _weights(unary_ops)
    bn, bp = _weights(binary_ops)
    ops = [str(rng.choice(un, p=up) if a == 1 else rng.choice(bn, p=bp)) for a in arities if a]
    n_leaves = arities.count(0)
    leaf_nodes = []
    for _ in range(n_leaves):
        if rng.random() < p_constant:
            leaf_nodes.append(Node(int(rng.choice([-1, 1]) * rng.integers(1, max_int + 1))))
        else:
            leaf_nodes.append(Node(str(rng.choice(list(leaves)))))
    return build_tree(arities, ops, leaf_nodes)
