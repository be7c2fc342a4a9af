"""Tree ↔ SymPy conversion, canonical form and simplification with a size guard.

* :func:`to_sympy` — tree → SymPy expression (variables become real symbols ``x_j``).
* :func:`from_sympy` — SymPy → tree with binary ``add``/``mul`` chains; ``x**-1 → inv``, ``x**2 → pow2``,
  ``x**3 → pow3``, ``x**(1/2) → sqrt``, other powers ``pow``; ``-x → mul(-1, x)``; rationals become
  ``div`` of integers; SymPy floats become float constants; ``And``/``Or`` (n-ary) become chains of binary
  ``and``/``or``, ``Not`` → ``not``, ``true``/``false`` → the leaves 1/0 (Boolean formulas, Boolformer).
* :func:`canonical_tree` — SymPy's canonical form without a ``simplify`` call: the tree is rebuilt through
  SymPy's automatic evaluation (like terms merged, numeric factors folded and distributed over sums, ``x·x``
  → ``x²``), as the official ODEFormer code does by default (``use_sympy``, github.com/sdascoli/odeformer,
  ``odeformer/envs/simplifiers.py``); ``None`` when it grows by more than ``max_growth``.
* :func:`simplify_tree` — SymPy simplification; ``None`` when the result is more than ``max_growth``
  times larger than the input (the ODEFormer generator's size guard, step 7 of its sampling) or cannot be
  converted back.
* :func:`symbolically_equivalent` — ``simplify(a - b) == 0`` with a numeric fallback.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import sympy

from paper_code.symbolic.expressions import OPERATORS, PLACEHOLDER, Node, op

__all__ = ["to_sympy", "from_sympy", "canonical_tree", "simplify_tree", "symbolically_equivalent", "symbol"]

log = logging.getLogger(__name__)

_NAMED_TO_SYMPY = {"e": sympy.E, "pi": sympy.pi, "euler_gamma": sympy.EulerGamma}
_FUNCS = {
    sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.exp: "exp", sympy.log: "log",
    sympy.Abs: "abs", sympy.asin: "arcsin", sympy.acos: "arccos", sympy.atan: "arctan",
}


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol used for variable ``name`` (real-valued)."""
    return sympy.Symbol(name, real=True)


def to_sympy(tree: Node) -> sympy.Expr:
    """SymPy expression of ``tree`` (float constants become ``sympy.Float``)."""
    v = tree.value
    if tree.is_operator:
        return OPERATORS[v].sympy_fn(*[to_sympy(c) for c in tree.children])  # type: ignore[index]
    if isinstance(v, float):
        return sympy.Float(v)
    if isinstance(v, int):
        return sympy.Integer(v)
    if v in _NAMED_TO_SYMPY:
        return _NAMED_TO_SYMPY[v]
    return symbol(str(v))


def _fold(name: str, args: list[Node]) -> Node:
    out = args[0]
    for a in args[1:]:
        out = op(name, out, a)
    return out


def from_sympy(expr: sympy.Basic) -> Node:
    """Tree of a SymPy expression; raises ``ValueError`` for unsupported nodes."""
    if isinstance(expr, sympy.Symbol):
        return Node(expr.name)
    if expr is sympy.true or expr is sympy.false:  # Boolean constants (Boolformer): the 0/1 leaves
        return Node(int(bool(expr)))
    if isinstance(expr, (sympy.And, sympy.Or)):  # n-ary in SymPy, a left-nested chain of binary gates here
        return _fold("and" if isinstance(expr, sympy.And) else "or", [from_sympy(a) for a in expr.args])
    if isinstance(expr, sympy.Not):
        return op("not", from_sympy(expr.args[0]))
    if expr is sympy.E:
        return Node("e")
    if expr is sympy.pi:
        return Node("pi")
    if expr is sympy.EulerGamma:
        return Node("euler_gamma")
    if isinstance(expr, sympy.Integer):
        return Node(int(expr))
    if isinstance(expr, sympy.Rational):
        return op("div", Node(int(expr.p)), Node(int(expr.q)))
    if isinstance(expr, sympy.Float) or (expr.is_number and expr.is_real and not expr.free_symbols
                                          and not expr.args):
        return Node(float(expr))
    if isinstance(expr, sympy.Add):
        return _fold("add", [from_sympy(a) for a in expr.as_ordered_terms()])
    if isinstance(expr, sympy.Mul):
        num, den = [], []
        for a in expr.args:
            if isinstance(a, sympy.Pow) and a.exp.is_negative and a.exp.is_number and a.exp != -1:
                den.append(from_sympy(sympy.Pow(a.base, -a.exp)))
            elif isinstance(a, sympy.Pow) and a.exp == -1:
                den.append(from_sympy(a.base))
            else:
                num.append(from_sympy(a))
        if not den:
            return _fold("mul", num)
        d = _fold("mul", den)
        return op("inv", d) if not num else op("div", _fold("mul", num), d)
    if isinstance(expr, sympy.Pow):
        base, ex = expr.args
        special = {2: "pow2", 3: "pow3", -1: "inv", sympy.Rational(1, 2): "sqrt"}
        if ex in special:
            return op(special[ex], from_sympy(base))
        if ex == sympy.Rational(-1, 2):
            return op("inv", op("sqrt", from_sympy(base)))
        return op("pow", from_sympy(base), from_sympy(ex))
    for f, name in _FUNCS.items():
        if isinstance(expr, f):
            return op(name, from_sympy(expr.args[0]))
    if isinstance(expr, sympy.Max) and len(expr.args) == 2 and sympy.S.Zero in expr.args:
        other = [a for a in expr.args if a != 0][0]
        return op("relu", from_sympy(other))
    raise ValueError(f"unsupported SymPy node {type(expr).__name__}: {expr}")


def _rebuilt(tree: Node, expr_of: Callable[[sympy.Expr], sympy.Expr], max_growth: float) -> Node | None:
    """``from_sympy(expr_of(to_sympy(tree)))``, or ``None`` if it grew by more than ``max_growth`` (node count) or
    could not be converted back."""
    try:
        out = from_sympy(expr_of(to_sympy(tree)))
    except (ValueError, TypeError, RecursionError) as err:
        log.debug("rewriting rejected %s: %s", tree, err)
        return None
    if any(n.value == PLACEHOLDER for n in out.nodes()) or out.size() > max_growth * tree.size():
        return None
    return out


def canonical_tree(tree: Node, max_growth: float = 2.0) -> Node | None:
    """The tree rebuilt from SymPy's automatically evaluated form (no ``simplify``).

    ``(-0.171·x)+(-0.373·x)`` becomes ``-0.544·x``, ``c·(a + b·x)`` becomes ``c·b·x + c·a``, ``x·x`` becomes
    ``pow2(x)``, ``id`` disappears: mathematically the same function. ``None`` if it grew by more than
    ``max_growth`` or could not be converted."""
    return _rebuilt(tree, lambda expr: expr, max_growth)


def simplify_tree(tree: Node, max_growth: float = 2.0) -> Node | None:
    """SymPy-simplified tree, or ``None`` if it grew by more than ``max_growth`` or could not be converted."""
    return _rebuilt(tree, sympy.simplify, max_growth)


def symbolically_equivalent(a: Node | sympy.Expr, b: Node | sympy.Expr,
                            rng: np.random.Generator | None = None, rtol: float = 1e-8) -> bool:
    """``simplify(a - b) == 0``, else numeric check at 64 random points (relative error < ``rtol``)."""
    ea = to_sympy(a) if isinstance(a, Node) else a
    eb = to_sympy(b) if isinstance(b, Node) else b
    try:
        if sympy.simplify(ea - eb) == 0:
            return True
    except (TypeError, ValueError, RecursionError):
        pass
    syms = sorted(ea.free_symbols | eb.free_symbols, key=lambda s: s.name)
    rng = rng if rng is not None else np.random.default_rng(0)
    X = rng.uniform(0.1, 2.0, size=(64, len(syms)))
    fa = sympy.lambdify(syms, ea, "numpy")
    fb = sympy.lambdify(syms, eb, "numpy")
    with np.errstate(all="ignore"):
        ya = np.broadcast_to(np.asarray(fa(*X.T), dtype=float), (64,))
        yb = np.broadcast_to(np.asarray(fb(*X.T), dtype=float), (64,))
    ok = np.isfinite(ya) & np.isfinite(yb)
    if ok.sum() < 32:
        return False
    return bool(np.all(np.abs(ya[ok] - yb[ok]) <= rtol * np.maximum(np.abs(yb[ok]), 1e-12) + 1e-300))

