"""Expression trees and the operator table shared by the four symbolic papers.

Conventions: ``docs/symbolic_core.md`` §1. A :class:`Node` is an operator with children or a
leaf. Leaves are variables ``x_j`` (``x_{j,k}``, ``n`` and ``t`` are also accepted as variable names),
float constants (Python ``float``), integer constants (Python ``int``) and the named constants
``e``, ``pi``, ``euler_gamma``.

Safe-evaluation semantics (§1, fixed once): ``inv(0)``, ``div(., 0)``, ``log(x <= 0)`` and
``sqrt(x < 0)`` give NaN (``use_abs=True`` maps them to ``log|x|`` / ``sqrt|x|``); ``idiv``/``mod``
are floor division / modulo with NaN on division by zero; ``sign(0) = +1``. Evaluation never raises
on numerical problems: :func:`safe_evaluate` returns the values plus a validity mask, and values whose
magnitude reaches :data:`OVERFLOW` count as invalid.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import sympy
import torch

__all__ = [
    "Operator",
    "OPERATORS",
    "NAMED_CONSTANTS",
    "PLACEHOLDER",
    "OVERFLOW",
    "Node",
    "Leaf",
    "var",
    "const",
    "op",
    "substitute",
    "is_variable",
    "variable_index",
    "EvalResult",
    "safe_evaluate",
    "evaluate_torch",
]

#: Magnitude at or above which a float result counts as an overflow (§1: "~10^103 (floats) rejects").
OVERFLOW: float = 1e103

NAMED_CONSTANTS: dict[str, float] = {"e": math.e, "pi": math.pi, "euler_gamma": 0.5772156649015329}

#: Constant placeholder of skeletons (§1 "skeleton extraction").
PLACEHOLDER = "C"

_VAR_RE = re.compile(r"^(x_\d+(?:_\d+)?|n|t)$")


def is_variable(token: object) -> bool:
    """True for variable names ``x_j``, ``x_j_k`` (recurrence lag k), ``n`` and ``t``."""
    return isinstance(token, str) and _VAR_RE.match(token) is not None


def variable_index(name: str) -> int:
    """Column index of ``x_j`` / ``x_j_k`` (the component ``j``); raises for ``n``/``t``."""
    if not name.startswith("x_"):
        raise ValueError(f"{name!r} has no column index")
    return int(name[2:].split("_")[0])


# ----------------------------------------------------------------------------- operator table
@dataclass(frozen=True)
class Operator:
    """One operator: name (= prefix token), arity and its NumPy, Torch and SymPy implementations.

    ``np_fn`` takes ``(use_abs, *args)`` arrays; ``torch_fn`` and ``sympy_fn`` take the arguments only.
    """

    name: str
    arity: int
    np_fn: Callable[..., np.ndarray]
    torch_fn: Callable[..., torch.Tensor] | None
    sympy_fn: Callable[..., Any]
    infix: str | None = None  # binary infix symbol, e.g. "+"


def _nan_where(bad: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.where(bad, np.nan, x)


def _np_div(_a: bool, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _nan_where(y == 0, x / np.where(y == 0, 1.0, y))


def _np_inv(_a: bool, x: np.ndarray) -> np.ndarray:
    return _nan_where(x == 0, 1.0 / np.where(x == 0, 1.0, x))


def _np_log(use_abs: bool, x: np.ndarray) -> np.ndarray:
    if use_abs:
        x = np.abs(x)
    return _nan_where(x <= 0, np.log(np.where(x <= 0, 1.0, x)))


def _np_sqrt(use_abs: bool, x: np.ndarray) -> np.ndarray:
    if use_abs:
        x = np.abs(x)
    return _nan_where(x < 0, np.sqrt(np.where(x < 0, 0.0, x)))


def _np_idiv(_a: bool, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _nan_where(y == 0, np.floor_divide(x, np.where(y == 0, 1.0, y)))


def _np_mod(_a: bool, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _nan_where(y == 0, np.mod(x, np.where(y == 0, 1.0, y)))


def _t_nan_where(bad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.where(bad, torch.full_like(x, float("nan")), x)


def _t_div(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    safe = torch.where(y == 0, torch.ones_like(y), y)
    return _t_nan_where(y == 0, x / safe)


def _t_log(x: torch.Tensor) -> torch.Tensor:
    return _t_nan_where(x <= 0, torch.log(torch.where(x <= 0, torch.ones_like(x), x)))


def _t_sqrt(x: torch.Tensor) -> torch.Tensor:
    return _t_nan_where(x < 0, torch.sqrt(torch.where(x < 0, torch.ones_like(x), x)))


def _b(x: np.ndarray) -> np.ndarray:
    return np.asarray(x) != 0


def _mk(name: str, arity: int, np_fn: Callable, torch_fn: Callable | None, sympy_fn: Callable,
        infix: str | None = None) -> Operator:
    return Operator(name, arity, np_fn, torch_fn, sympy_fn, infix)


_OPS: list[Operator] = [
    # binary
    _mk("add", 2, lambda a, x, y: x + y, lambda x, y: x + y, lambda x, y: x + y, "+"),
    _mk("sub", 2, lambda a, x, y: x - y, lambda x, y: x - y, lambda x, y: x - y, "-"),
    _mk("mul", 2, lambda a, x, y: x * y, lambda x, y: x * y, lambda x, y: x * y, "*"),
    _mk("div", 2, _np_div, _t_div, lambda x, y: x / y, "/"),
    _mk("pow", 2, lambda a, x, y: np.power(x, y), torch.pow, lambda x, y: x**y, "**"),
    _mk("idiv", 2, _np_idiv, None, lambda x, y: sympy.floor(x / y), "//"),
    _mk("mod", 2, _np_mod, None, sympy.Mod, "%"),
    _mk("and", 2, lambda a, x, y: (_b(x) & _b(y)).astype(float), None, sympy.And),
    _mk("or", 2, lambda a, x, y: (_b(x) | _b(y)).astype(float), None, sympy.Or),
    # unary
    _mk("inv", 1, _np_inv, lambda x: _t_div(torch.ones_like(x), x), lambda x: 1 / x),
    _mk("abs", 1, lambda a, x: np.abs(x), torch.abs, sympy.Abs),
    _mk("pow2", 1, lambda a, x: x * x, lambda x: x * x, lambda x: x**2),
    _mk("pow3", 1, lambda a, x: x * x * x, lambda x: x * x * x, lambda x: x**3),
    _mk("sqrt", 1, _np_sqrt, _t_sqrt, sympy.sqrt),
    _mk("exp", 1, lambda a, x: np.exp(x), torch.exp, sympy.exp),
    _mk("log", 1, _np_log, _t_log, sympy.log),
    _mk("sin", 1, lambda a, x: np.sin(x), torch.sin, sympy.sin),
    _mk("cos", 1, lambda a, x: np.cos(x), torch.cos, sympy.cos),
    _mk("tan", 1, lambda a, x: np.tan(x), torch.tan, sympy.tan),
    _mk("arcsin", 1, lambda a, x: np.arcsin(x), torch.arcsin, sympy.asin),
    _mk("arccos", 1, lambda a, x: np.arccos(x), torch.arccos, sympy.acos),
    _mk("arctan", 1, lambda a, x: np.arctan(x), torch.arctan, sympy.atan),
    _mk("sign", 1, lambda a, x: np.where(x >= 0, 1.0, -1.0),
        lambda x: torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x)),
        lambda x: sympy.Piecewise((1, x >= 0), (-1, True))),
    _mk("relu", 1, lambda a, x: np.maximum(x, 0.0), torch.relu, lambda x: sympy.Max(x, 0)),
    _mk("not", 1, lambda a, x: (~_b(x)).astype(float), None, sympy.Not),
    _mk("id", 1, lambda a, x: x, lambda x: x, lambda x: x),
]

#: Operator table, keyed by prefix token.
OPERATORS: Mapping[str, Operator] = {o.name: o for o in _OPS}


# ----------------------------------------------------------------------------- trees
@dataclass(eq=False)
class Node:
    """Expression-tree node: ``value`` is an operator name, a variable name, a named constant,
    a ``float`` or an ``int``; ``children`` has exactly ``arity`` entries for operators."""

    value: str | float | int
    children: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.value, (bool, np.bool_)):
            raise TypeError("booleans are not leaf values; use int 0/1")
        if isinstance(self.value, np.integer):
            self.value = int(self.value)
        elif isinstance(self.value, np.floating):
            self.value = float(self.value)
        if isinstance(self.value, str) and self.value in OPERATORS:
            want = OPERATORS[self.value].arity
            if len(self.children) != want:
                raise ValueError(f"operator {self.value!r} needs {want} children, got {len(self.children)}")
        elif self.children:
            raise ValueError(f"leaf {self.value!r} cannot have children")
        elif isinstance(self.value, str) and not (
            is_variable(self.value) or self.value in NAMED_CONSTANTS or self.value == PLACEHOLDER
        ):
            raise ValueError(f"unknown symbol {self.value!r}")

    # --- classification
    @property
    def is_operator(self) -> bool:
        return isinstance(self.value, str) and self.value in OPERATORS

    @property
    def is_leaf(self) -> bool:
        return not self.is_operator

    @property
    def is_constant(self) -> bool:
        """Numeric (float/int) or named constant leaf."""
        return isinstance(self.value, (int, float)) or self.value in NAMED_CONSTANTS

    @property
    def is_float_constant(self) -> bool:
        return isinstance(self.value, float)

    # --- traversal
    def nodes(self) -> Iterator[Node]:
        """All nodes in prefix (pre-order) order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def prefix(self) -> list[str | float | int]:
        """Prefix (Polish) symbol list; numeric constants stay numbers (see ``encoding`` for tokens)."""
        return [n.value for n in self.nodes()]

    def size(self) -> int:
        """Number of nodes (the "complexity" of §8)."""
        return sum(1 for _ in self.nodes())

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)

    def variables(self) -> set[str]:
        return {n.value for n in self.nodes() if isinstance(n.value, str) and is_variable(n.value)}

    def copy(self) -> Node:
        return Node(self.value, [c.copy() for c in self.children])

    # --- constants
    def constants(self) -> list[float]:
        """Float constants in prefix order."""
        return [n.value for n in self.nodes() if n.is_float_constant]  # type: ignore[misc]

    def with_constants(self, values: Sequence[float]) -> Node:
        """Copy with the float constants replaced, in prefix order, by ``values``."""
        it = iter([float(v) for v in values])
        out = self.copy()
        n_used = 0
        for node in out.nodes():
            if node.is_float_constant:
                try:
                    node.value = next(it)
                except StopIteration:
                    raise ValueError("fewer values than float constants") from None
                n_used += 1
        if next(it, None) is not None:
            raise ValueError(f"more values than the {n_used} float constants")
        return out

    def skeleton(self) -> tuple[Node, list[float]]:
        """(copy with every float constant replaced by the placeholder ``C``, the constants in prefix order)."""
        out = self.copy()
        for node in out.nodes():
            if node.is_float_constant:
                node.value = PLACEHOLDER
        return out, self.constants()

    def fill_skeleton(self, values: Sequence[float]) -> Node:
        """Inverse of :meth:`skeleton`: placeholders replaced, in prefix order, by ``values``."""
        out = self.copy()
        holes = [n for n in out.nodes() if n.value == PLACEHOLDER]
        if len(holes) != len(values):
            raise ValueError(f"skeleton has {len(holes)} placeholders, got {len(values)} values")
        for node, v in zip(holes, values):
            node.value = float(v)
        return out

    def relabel(self, mapping: Mapping[str, str]) -> Node:
        """Copy with variables renamed by ``mapping`` (unmapped names unchanged)."""
        out = self.copy()
        for node in out.nodes():
            if isinstance(node.value, str) and node.value in mapping:
                node.value = mapping[node.value]
        return out

    # --- printing
    def infix(self) -> str:
        """Readable infix string (valid SymPy input for the arithmetic subset)."""
        v = self.value
        if not self.is_operator:
            return repr(v) if isinstance(v, float) else str(v)
        o = OPERATORS[v]  # type: ignore[index]
        args = [c.infix() for c in self.children]
        if o.arity == 2 and o.infix:
            return f"({args[0]} {o.infix} {args[1]})"
        return f"{v}({', '.join(args)})"

    def __str__(self) -> str:
        return self.infix()

    def __repr__(self) -> str:
        return f"Node({self.infix()})"

    # --- evaluation
    def evaluate(self, X: np.ndarray, use_abs: bool = False, extra: Mapping[str, np.ndarray] | None = None
                 ) -> np.ndarray:
        """NumPy evaluation on a batch ``X`` of shape ``(N, D)``; returns ``(N,)``; never raises on NaN/inf.

        ``x_j`` reads column ``j``; ``extra`` supplies other variables (``t``, ``n``, ``x_j_k``).
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be (N, D), got shape {X.shape}")
        with np.errstate(all="ignore"):
            return np.broadcast_to(self._eval_np(X, use_abs, extra or {}), (X.shape[0],)).astype(float)

    def _eval_np(self, X: np.ndarray, use_abs: bool, extra: Mapping[str, np.ndarray]) -> np.ndarray:
        v = self.value
        if self.is_operator:
            args = [c._eval_np(X, use_abs, extra) for c in self.children]
            return OPERATORS[v].np_fn(use_abs, *args)  # type: ignore[index]
        if isinstance(v, (int, float)):
            return np.full(X.shape[0], float(v))
        if v in NAMED_CONSTANTS:
            return np.full(X.shape[0], NAMED_CONSTANTS[v])
        if v in extra:
            return np.asarray(extra[v], dtype=float)
        if v.startswith("x_") and v.count("_") == 1:
            j = variable_index(v)
            if j >= X.shape[1]:
                raise ValueError(f"variable {v} needs at least {j + 1} input columns, X has {X.shape[1]}")
            return X[:, j]
        raise ValueError(f"no value supplied for variable {v!r}")


Leaf = Node


def var(j: int) -> Node:
    """Variable leaf ``x_j``."""
    return Node(f"x_{j}")


def const(c: float | int | str) -> Node:
    """Constant leaf (float, int or named constant)."""
    return Node(c)


def op(name: str, *children: Node) -> Node:
    """Operator node ``name(children...)``."""
    return Node(name, list(children))


def substitute(tree: Node, mapping: Mapping[str, Node]) -> Node:
    """Copy of ``tree`` with each variable leaf named in ``mapping`` replaced by (a copy of) its subtree
    (renaming variables: ``{"x_0": var(3)}``; rescaling them: ``{"x_0": op("mul", const(2.0), var(0))}``)."""
    if not tree.children:
        return mapping[tree.value].copy() if isinstance(tree.value, str) and tree.value in mapping else tree.copy()
    return Node(tree.value, [substitute(c, mapping) for c in tree.children])


class EvalResult(NamedTuple):
    """Values of a safe evaluation and the mask of finite, non-overflowing entries."""

    values: np.ndarray
    valid: np.ndarray

    @property
    def all_valid(self) -> bool:
        return bool(self.valid.all())


def safe_evaluate(tree: Node, X: np.ndarray, use_abs: bool = False,
                  extra: Mapping[str, np.ndarray] | None = None) -> EvalResult:
    """Evaluate and flag invalid points (NaN, inf, or ``|y| >= OVERFLOW``) instead of raising."""
    y = tree.evaluate(X, use_abs=use_abs, extra=extra)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(y) & (np.abs(y) < OVERFLOW)
    return EvalResult(y, valid)


def evaluate_torch(tree: Node, X: torch.Tensor, constants: torch.Tensor | None = None) -> torch.Tensor:
    """Torch evaluation (differentiable); float constants are read, in prefix order, from ``constants``
    when given (so gradients flow into them), else taken from the tree."""
    counter = [0]

    def rec(node: Node) -> torch.Tensor:
        v = node.value
        if node.is_operator:
            o = OPERATORS[v]  # type: ignore[index]
            if o.torch_fn is None:
                raise NotImplementedError(f"operator {v!r} has no torch implementation")
            return o.torch_fn(*[rec(c) for c in node.children])
        if isinstance(v, float):
            if constants is not None:
                c = constants[counter[0]]
                counter[0] += 1
                return c.expand(X.shape[0])
            return torch.full((X.shape[0],), v, dtype=X.dtype)
        if isinstance(v, int):
            return torch.full((X.shape[0],), float(v), dtype=X.dtype)
        if v in NAMED_CONSTANTS:
            return torch.full((X.shape[0],), NAMED_CONSTANTS[v], dtype=X.dtype)
        return X[:, variable_index(v)]

    out = rec(tree)
    if constants is not None and counter[0] != constants.shape[0]:
        raise ValueError(f"tree has {counter[0]} float constants, got {constants.shape[0]} values")
    return out
