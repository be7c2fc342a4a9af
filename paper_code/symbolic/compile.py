"""Compile expression trees to plain-Python scalar functions (fast single-point evaluation).

An ODE solver calls the right-hand side once per step on a single state; there the NumPy tree walk of
:meth:`Node.evaluate <paper_code.symbolic.expressions.Node.evaluate>` costs ~45 µs per call, almost all of
it per-node overhead. :func:`compile_system` turns a system of trees into one Python function of floats
built from ``math`` (~2 µs per call) with the core's safe semantics (``docs/symbolic_core.md`` §1):
``div``/``inv`` by 0, ``log`` of x <= 0, ``sqrt`` of x < 0 and domain errors give NaN; overflow gives
±inf, as NumPy does. Operators without a scalar form here (``idiv``, ``mod``, logic) fall back to the
NumPy evaluator, so every tree compiles.

:func:`extend_recurrence_float` rolls a recurrence ``u_n = f(n, u_{n-1}, ..., u_{n-d})`` forward in float64, the
float counterpart of :func:`paper_code.symbolic.exact.extend_recurrence` (same naming: ``x_0_k`` is ``u_{n-k}``, the
first term has ``n = 1``).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from paper_code.symbolic.expressions import NAMED_CONSTANTS, Node, variable_index

__all__ = ["compile_system", "python_source", "recurrence_lags", "compile_recurrence", "extend_recurrence_float"]

_NAN, _INF = float("nan"), float("inf")


def _div(x: float, y: float) -> float:
    return _NAN if y == 0 else x / y


def _inv(x: float) -> float:
    return _NAN if x == 0 else 1.0 / x


def _sqrt(x: float) -> float:
    return _NAN if x < 0 else math.sqrt(x)


def _log(x: float) -> float:
    return _NAN if x <= 0 else math.log(x)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _pow(x: float, y: float) -> float:
    try:
        r = x**y
    except ZeroDivisionError:  # 0 ** negative: NumPy gives inf
        return _INF
    except OverflowError:  # |x| ** y too large: ±inf as in NumPy (negative only for odd integer y)
        return math.copysign(_INF, x) if float(y).is_integer() and y % 2 == 1 else _INF
    return _NAN if isinstance(r, complex) else float(r)


def _safe1(fn: Callable[[float], float]) -> Callable[[float], float]:
    def wrapped(x: float) -> float:
        try:
            return fn(x)
        except (ValueError, OverflowError):  # sin(inf), arcsin(2), ...: NumPy gives NaN
            return _NAN
    return wrapped


_FUNCS: dict[str, Callable] = {
    "_div": _div, "_inv": _inv, "_sqrt": _sqrt, "_log": _log, "_exp": _exp, "_pow": _pow,
    "_sin": _safe1(math.sin), "_cos": _safe1(math.cos), "_tan": _safe1(math.tan),
    "_asin": _safe1(math.asin), "_acos": _safe1(math.acos), "_atan": math.atan,
    "_abs": abs, "_sign": lambda x: 1.0 if x >= 0 else -1.0,
    "_relu": lambda x: x if x > 0 else (0.0 if x <= 0 else _NAN),
}
_BINARY_INFIX = {"add": "+", "sub": "-", "mul": "*"}
_CALL = {"div": "_div", "pow": "_pow", "inv": "_inv", "sqrt": "_sqrt", "log": "_log", "exp": "_exp",
         "sin": "_sin", "cos": "_cos", "tan": "_tan", "arcsin": "_asin", "arccos": "_acos",
         "arctan": "_atan", "abs": "_abs", "sign": "_sign", "relu": "_relu"}


class _Unsupported(Exception):
    pass


def python_source(tree: Node) -> str:
    """Python expression of ``tree`` over the names ``x_0, x_1, ...``; raises ``_Unsupported`` for
    operators without a scalar form."""
    v = tree.value
    if tree.is_operator:
        args = [python_source(c) for c in tree.children]
        if v in _BINARY_INFIX:
            return f"({args[0]} {_BINARY_INFIX[v]} {args[1]})"
        if v == "pow2":
            return f"({args[0]} * {args[0]})" if len(args[0]) < 24 else f"_pow({args[0]}, 2.0)"
        if v == "pow3":
            return f"_pow({args[0]}, 3.0)"
        if v == "id":
            return args[0]
        if v in _CALL:
            return f"{_CALL[v]}({', '.join(args)})"
        raise _Unsupported(v)
    if isinstance(v, (int, float)):
        return repr(float(v))
    if v in NAMED_CONSTANTS:
        return repr(NAMED_CONSTANTS[v])
    if isinstance(v, str) and v.startswith("x_") and v.count("_") == 1:
        return f"x_{variable_index(v)}"
    raise _Unsupported(v)


def compile_system(system: Sequence[Node], dim: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x) -> array([f_0(x), ..., f_{K-1}(x)])`` for a state ``x`` of length ``dim`` (default: the
    number of components). Never raises on numerical trouble (NaN/inf come back as values)."""
    trees = list(system)
    dim = len(trees) if dim is None else dim
    try:
        body = ", ".join(python_source(t) for t in trees)
    except _Unsupported:
        def fallback(x: np.ndarray) -> np.ndarray:
            X = np.asarray(x, dtype=float).reshape(1, -1)
            return np.array([t.evaluate(X)[0] for t in trees])
        return fallback
    names = ", ".join(f"x_{j}" for j in range(dim)) + ("," if dim == 1 else "")
    src = f"def _f(x):\n    {names} = x\n    return ({body},)\n"
    namespace: dict = dict(_FUNCS)
    exec(compile(src, "<compiled system>", "exec"), namespace)  # noqa: S102 — source built from our own trees
    scalar = namespace["_f"]

    def f(x: np.ndarray) -> np.ndarray:
        try:
            return np.array(scalar(np.asarray(x, dtype=float).ravel().tolist()), dtype=float)
        except (OverflowError, ZeroDivisionError, ValueError):
            return np.full(len(trees), _NAN)
    return f


def recurrence_lags(tree: Node) -> dict[str, int]:
    """``{"x_0_k": k}`` for the lags a scalar recurrence reads; ``ValueError`` for any other variable than ``n``."""
    lags = {}
    for name in sorted(tree.variables()):
        if name == "n":
            continue
        parts = name.split("_")
        if len(parts) != 3 or parts[:2] != ["x", "0"] or not parts[2].isdigit() or int(parts[2]) < 1:
            raise ValueError(f"variable {name!r} is neither a lag x_0_k (k >= 1) nor the index n of a scalar "
                             "recurrence")
        lags[name] = int(parts[2])
    return lags


def compile_recurrence(tree: Node) -> tuple[Callable[[float, Sequence[float]], float], int]:
    """``(step, d)``: ``step(n, history)`` evaluates the recurrence for index ``n`` on the terms so far (the last
    ``d`` are read), and ``d`` is the largest lag."""
    lags = recurrence_lags(tree)
    depth = max(lags.values(), default=0)
    renamed = tree.relabel({"n": "x_0", **{name: f"x_{k}" for name, k in lags.items()}})
    f = compile_system([renamed], dim=depth + 1)

    def step(n: float, history: Sequence[float]) -> float:
        return float(f(np.array([n, *(history[-k] for k in range(1, depth + 1))], dtype=float))[0])
    return step, depth


def extend_recurrence_float(tree: Node, terms: Sequence[float], n_new: int) -> np.ndarray:
    """The ``n_new`` float64 terms that follow ``terms``, each appended before the next is computed; numerical
    trouble comes back as NaN/inf values (never raises). ``ValueError`` if a lag reaches before the first term."""
    if n_new < 0:
        raise ValueError(f"n_new must be >= 0, got {n_new}")
    step, depth = compile_recurrence(tree)
    series = [float(u) for u in terms]
    if depth > len(series):
        raise ValueError(f"the recurrence reads {depth} terms back but only {len(series)} are given")
    for _ in range(n_new):
        series.append(step(len(series) + 1, series))
    return np.array(series[len(terms):], dtype=float)
