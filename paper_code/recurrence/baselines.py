"""Classical baselines for continuing integer sequences, exact on Python integers.

* :func:`linear_recurrence` — the shortest linear recurrence with constant rational coefficients found by SymPy's
  ``find_linear_recurrence`` (order at most ``N // 2`` for ``N`` observed terms), rolled forward: the offline stand-in
  for Mathematica's ``FindLinearRecurrence``, the paper's first baseline on OEIS (§5, Table 3).
* :func:`holonomic_recurrence` — the smallest linear recurrence with *polynomial* coefficients,
  ``sum_{i=0..r} p_i(n) u_{n-i} = 0`` with ``deg p_i <= k`` (a P-recursive or holonomic guess, the method of
  Salvy & Zimmermann's ``gfun``/``listtorec``, 1994, which also underlies guessers such as Mathematica's
  ``FindSequenceFunction`` for holonomic sequences): factorials, Catalan and binomial numbers, ``n * 2^n``... The
  coefficients are the one-dimensional null space of the linear system the observed terms give, solved exactly by
  fraction-free Gauss-Jordan elimination; the system must have at least :data:`HOLONOMIC_CHECKS` more equations than
  unknowns, so the guess is checked on terms it was not forced to fit.

Both return the next ``n_terms`` terms, or None when no recurrence is found or a continued term is not an integer.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

__all__ = ["linear_recurrence", "roll_linear", "HOLONOMIC_CHECKS", "holonomic_recurrence", "find_holonomic",
           "roll_holonomic"]

#: Equations beyond the number of unknowns that a holonomic guess must also satisfy.
HOLONOMIC_CHECKS = 3


def roll_linear(coeffs: Sequence[Fraction | int], observed: Sequence[int], n_terms: int) -> tuple[int, ...] | None:
    """Continue ``u_n = sum_i coeffs[i-1] * u_{n-i}``; None when a term is not an integer."""
    series = list(observed)
    for _ in range(n_terms):
        value = sum((Fraction(c) * series[-i] for i, c in enumerate(coeffs, start=1)), Fraction(0))
        if value.denominator != 1:
            return None
        series.append(int(value))
    return tuple(series[len(observed):])


def linear_recurrence(observed: Sequence[int], n_terms: int) -> tuple[int, ...] | None:
    """SymPy's shortest linear recurrence of the observed terms (order <= N // 2), rolled forward."""
    import sympy

    if len(observed) < 2:
        return None
    k = sympy.Symbol("k", integer=True)
    seq = sympy.sequence(tuple(sympy.Integer(u) for u in observed), (k, 0, len(observed) - 1))
    coeffs = seq.find_linear_recurrence(len(observed))
    if not coeffs:
        return None
    return roll_linear([Fraction(int(c.p), int(c.q)) for c in coeffs], observed, n_terms)


def _reduce(rows: list[list[int]], n_cols: int) -> tuple[list[int], list[list[int]]]:
    """Fraction-free Gauss-Jordan elimination: the pivot columns and the reduced independent rows (integers, each
    divided by its gcd)."""
    R = [r[:] for r in rows]
    pivots: list[int] = []
    top = 0
    for col in range(n_cols):
        piv = next((i for i in range(top, len(R)) if R[i][col]), None)
        if piv is None:
            continue
        R[top], R[piv] = R[piv], R[top]
        p_row = R[top]
        p = p_row[col]
        for i in range(len(R)):
            f = R[i][col]
            if i == top or not f:
                continue
            row = [p * a - f * b for a, b in zip(R[i], p_row)]
            g = math.gcd(*row)
            R[i] = [a // g for a in row] if g > 1 else row
        pivots.append(col)
        top += 1
        if top == len(R):
            break
    return pivots, R[:top]


def find_holonomic(observed: Sequence[int], order: int, degree: int) -> list[list[int]] | None:
    """Integer coefficients ``c[i][j]`` of ``sum_i (sum_j c[i][j] n^j) u_{n-i} = 0`` (``n`` = 1-based index) that
    every observed term satisfies, when the system has a one-dimensional null space and enough checks; else None."""
    m = (order + 1) * (degree + 1)
    n_eq = len(observed) - order
    if n_eq < m + HOLONOMIC_CHECKS:
        return None
    rows = []
    for idx in range(order, len(observed)):  # u_n with n = idx + 1
        n = idx + 1
        rows.append([n**j * observed[idx - i] for i in range(order + 1) for j in range(degree + 1)])
    pivots, R = _reduce(rows, m)
    if len(pivots) != m - 1:
        return None
    free = next(c for c in range(m) if c not in pivots)
    scale = math.lcm(*(row[c] for row, c in zip(R, pivots)))
    x = [0] * m
    x[free] = scale
    for row, c in zip(R, pivots):
        x[c] = -row[free] * scale // row[c]
    coeffs = [x[i * (degree + 1): (i + 1) * (degree + 1)] for i in range(order + 1)]
    return coeffs if any(coeffs[0]) and any(any(c) for c in coeffs[1:]) else None


def roll_holonomic(coeffs: list[list[int]], observed: Sequence[int], n_terms: int) -> tuple[int, ...] | None:
    """Continue a holonomic recurrence; None when the leading polynomial vanishes or a term is not an integer."""
    series = list(observed)

    def poly(c: list[int], n: int) -> int:
        return sum(a * n**j for j, a in enumerate(c))

    for _ in range(n_terms):
        n = len(series) + 1
        lead = poly(coeffs[0], n)
        rest = sum(poly(c, n) * series[-i] for i, c in enumerate(coeffs[1:], start=1))
        if lead == 0 or rest % lead:
            return None
        series.append(-rest // lead)
    return tuple(series[len(observed):])


def holonomic_recurrence(observed: Sequence[int], n_terms: int, max_order: int = 3,
                         max_degree: int = 3) -> tuple[int, ...] | None:
    """The smallest (fewest unknowns, then lowest order) holonomic recurrence with ``order <= max_order`` and
    ``degree <= max_degree`` that fits the observed terms, rolled forward."""
    shapes = sorted(((r, k) for r in range(1, max_order + 1) for k in range(max_degree + 1)),
                    key=lambda s: ((s[0] + 1) * (s[1] + 1), s[0]))
    for order, degree in shapes:
        coeffs = find_holonomic(observed, order, degree)
        if coeffs is not None:
            return roll_holonomic(coeffs, observed, n_terms)
    return None
