"""Exact evaluation of expression trees on Python integers (``docs/symbolic_core.md`` §1, "Exact integers").

:meth:`Node.evaluate <paper_code.symbolic.expressions.Node.evaluate>` works in float64, so ``10**30 + 1`` is not
representable there. :func:`evaluate_int` evaluates the integer operators of the core's table on Python ints
(arbitrary precision), as integer sequences need (d'Ascoli, Kamienny, Lample & Charton, "Deep symbolic regression
for recurrent sequences", ICML 2022: integer model with binary ``add, sub, mul, idiv, mod`` and unary ``abs, sqr
(= pow2), sign, relu (the code's "step")``; official code ``facebookresearch/recur``, ``src/envs/generators.py``,
``Node.val``). Conventions, those of that code and of the core's float evaluation:

* ``idiv(a, b) = a // b`` (floor division, rounds towards -inf: ``idiv(-7, 2) = -4``) and ``mod(a, b) = a % b``
  (Python modulo, the result has the divisor's sign: ``mod(-7, 2) = 1``, ``mod(7, -2) = -1``), so that
  ``b * idiv(a, b) + mod(a, b) == a``; ``b = 0`` raises (the reference code rejects the sequence).
* ``sign(x) = +1 if x >= 0 else -1`` (``sign(0) = +1``); ``relu(x) = max(x, 0)``.
* Beyond the paper's set, generic exact forms: ``pow2``/``pow3``, ``id``, ``pow(a, k)`` for an integer
  ``0 <= k <= MAX_POW_EXPONENT`` (``a = ±1`` also for ``k < 0``), ``div(a, b)`` and ``inv(a)`` only when the
  quotient is an integer.

Anything else raises :class:`ExactEvaluationError` naming the operator or leaf: an operator without an exact integer
form (``sin``, ``log``, ...), a division by zero, a non-integer result, a float or named-constant leaf, a missing
variable, or (``max_digits``) a value with more decimal digits than allowed, detected before a huge product or power
is built.

:func:`extend_recurrence` rolls a recurrence ``u_n = f(n, u_{n-1}, ..., u_{n-d})`` forward with the paper's naming:
``x_0_k`` is ``u_{n-k}`` and the index of the first term is ``n = 1`` (reference code: ``n = 1 + len(series)``).
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from paper_code.symbolic.expressions import NAMED_CONSTANTS, Node, is_variable

__all__ = ["ExactEvaluationError", "INTEGER_OPERATORS", "MAX_POW_EXPONENT", "DEFAULT_MAX_DIGITS", "evaluate_int",
           "extend_recurrence"]

#: Largest exponent ``pow`` accepts (larger ones only make sense for a base of 0 or ±1).
MAX_POW_EXPONENT = 10_000

#: Default size guard of :func:`evaluate_int`: values with more decimal digits raise (``None`` disables it).
DEFAULT_MAX_DIGITS: int | None = 10_000


class ExactEvaluationError(ArithmeticError):
    """A tree has no exact integer value; the message names the operator (or leaf) and the operands."""


def _fail(name: str, args: tuple[int, ...], why: str) -> ExactEvaluationError:
    shown = ", ".join(_short(a) for a in args)
    return ExactEvaluationError(f"{name}({shown}): {why}")


def _short(a: int) -> str:
    if a.bit_length() <= 200:
        return str(a)
    return f"<{'-' if a < 0 else ''}integer of about {int(a.bit_length() * 0.30103) + 1} digits>"


def _idiv(a: int, b: int) -> int:
    if b == 0:
        raise _fail("idiv", (a, b), "division by zero")
    return a // b


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise _fail("mod", (a, b), "modulo by zero")
    return a % b


def _div(a: int, b: int) -> int:
    if b == 0:
        raise _fail("div", (a, b), "division by zero")
    q, r = divmod(a, b)
    if r:
        raise _fail("div", (a, b), "the quotient is not an integer (use idiv for floor division)")
    return q


def _inv(a: int) -> int:
    if a not in (1, -1):
        raise _fail("inv", (a,), "1/a is an integer only for a = ±1")
    return a


def _pow(a: int, k: int) -> int:
    if k < 0:
        if a in (1, -1):
            return a ** (-k)  # 1/a == a for a = ±1
        raise _fail("pow", (a, k), "a negative exponent gives a non-integer result")
    if k > MAX_POW_EXPONENT:
        if a in (0, 1):
            return a
        if a == -1:
            return 1 if k % 2 == 0 else -1
        raise _fail("pow", (a, k), f"exponent larger than MAX_POW_EXPONENT={MAX_POW_EXPONENT}")
    return a**k


#: Exact integer form of each supported operator of :data:`~paper_code.symbolic.expressions.OPERATORS`.
INTEGER_OPERATORS: Mapping[str, Callable[..., int]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "idiv": _idiv,
    "mod": _mod,
    "div": _div,
    "pow": _pow,
    "abs": abs,
    "pow2": lambda a: a * a,
    "pow3": lambda a: a * a * a,
    "sign": lambda a: 1 if a >= 0 else -1,
    "relu": lambda a: a if a > 0 else 0,
    "inv": _inv,
    "id": lambda a: a,
}


def _result_bits(name: str, args: tuple[int, ...]) -> int:
    """A lower bound on the bit length of ``name(*args)`` for the operators that can grow fast (0: no bound)."""
    if name == "mul" and args[0] and args[1]:
        return args[0].bit_length() + args[1].bit_length() - 1
    if name in ("pow2", "pow3") and args[0]:
        return (args[0].bit_length() - 1) * (2 if name == "pow2" else 3) + 1
    if name == "pow" and abs(args[0]) > 1 and 0 < args[1] <= MAX_POW_EXPONENT:
        return (args[0].bit_length() - 1) * args[1] + 1
    return 0


@lru_cache(maxsize=8)
def _limit(max_digits: int) -> int:
    return 10**max_digits


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ExactEvaluationError(f"variable {name!r} has the non-integer value {value!r}")
    return int(value)


def evaluate_int(tree: Node, env: Mapping[str, int] | None = None, *,
                 max_digits: int | None = DEFAULT_MAX_DIGITS) -> int:
    """Exact value of ``tree`` on Python ints.

    ``env`` maps variable names (``x_j``, ``x_j_k``, ``n``, ``t``) to integers (Python or NumPy ints).
    ``max_digits`` bounds the number of decimal digits of every intermediate value (``None``: no bound); a
    product or power that would exceed it is refused before it is computed. Raises
    :class:`ExactEvaluationError` (see the module docstring) instead of returning an inexact value.
    """
    env = env or {}
    if max_digits is not None and (isinstance(max_digits, bool) or not isinstance(max_digits, int)
                                   or max_digits < 1):
        raise ValueError(f"max_digits must be an integer >= 1 or None, got {max_digits!r}")
    limit = None if max_digits is None else _limit(max_digits)
    limit_bits = None if limit is None else limit.bit_length()

    def rec(node: Node) -> int:
        v = node.value
        if node.is_operator:
            name = str(v)
            fn = INTEGER_OPERATORS.get(name)
            if fn is None:
                raise ExactEvaluationError(f"operator {name!r} has no exact integer form; supported: "
                                           f"{', '.join(INTEGER_OPERATORS)}")
            args = tuple(rec(c) for c in node.children)
            if limit_bits is not None and _result_bits(name, args) > limit_bits:
                raise _fail(name, args, f"the result would have more than max_digits={max_digits} digits")
            out = fn(*args)
            if limit is not None and abs(out) >= limit:
                raise _fail(name, args, f"the result has more than max_digits={max_digits} digits")
            return out
        if isinstance(v, bool):
            raise ExactEvaluationError(f"boolean leaf {v!r} is not an integer")
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            raise ExactEvaluationError(f"float constant {v!r} in an exact integer evaluation")
        if v in NAMED_CONSTANTS:
            raise ExactEvaluationError(f"named constant {v!r} is not an integer")
        if isinstance(v, str) and is_variable(v):
            if v not in env:
                raise ExactEvaluationError(f"no value supplied for variable {v!r} (env has: {', '.join(env) or '-'})")
            return _as_int(v, env[v])
        raise ExactEvaluationError(f"leaf {v!r} has no integer value")

    return rec(tree)


def extend_recurrence(tree: Node, terms: Sequence[int], n_new: int, *,
                      max_digits: int | None = DEFAULT_MAX_DIGITS) -> list[int]:
    """The ``n_new`` terms that follow ``terms`` under ``u_n = tree(n, u_{n-1}, ...)``, each appended before the
    next is computed (``x_0_k`` = the term ``k`` steps back, ``n`` = 1-based index of the new term).

    Raises :class:`ExactEvaluationError` if a lag reaches before the first term or a term has no exact value.
    """
    if n_new < 0:
        raise ValueError(f"n_new must be >= 0, got {n_new}")
    lags: dict[str, int] = {}
    for name in sorted(tree.variables()):
        if name == "n":
            continue
        parts = name.split("_")
        if len(parts) != 3 or parts[1] != "0" or int(parts[2]) < 1:
            raise ExactEvaluationError(f"variable {name!r} is neither a lag x_0_k (k >= 1) nor the index n of a "
                                       "scalar recurrence")
        lags[name] = int(parts[2])
    series = [_as_int(f"terms[{i}]", u) for i, u in enumerate(terms)]
    if lags and max(lags.values()) > len(series):
        raise ExactEvaluationError(f"the recurrence reads {max(lags.values())} terms back but only {len(series)} "
                                   "are given")
    out: list[int] = []
    for _ in range(n_new):
        env = {name: series[-k] for name, k in lags.items()}
        env["n"] = len(series) + 1
        series.append(evaluate_int(tree, env, max_digits=max_digits))
        out.append(series[-1])
    return out
