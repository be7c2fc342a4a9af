"""The classical baselines: SymPy's linear recurrence and the exact holonomic guess."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from paper_code.recurrence import baselines as B

FIB = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377]


def test_linear_recurrence_continues_c_finite_sequences_exactly():
    assert B.linear_recurrence(FIB, 3) == (610, 987, 1597)
    assert B.linear_recurrence([2**k + 3**k for k in range(12)], 2) == (2**12 + 3**12, 2**13 + 3**13)
    big = [10**30 * (-2) ** k + 1 for k in range(10)]  # exact far beyond float64
    assert B.linear_recurrence(big, 1) == (10**30 * (-2) ** 10 + 1,)


def test_linear_recurrence_misses_what_it_cannot_express():
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]
    pred = B.linear_recurrence(primes, 1)
    assert pred != (53,)
    fact = [math.factorial(k) for k in range(15)]
    assert B.linear_recurrence(fact, 1) != (math.factorial(15),)


def test_roll_linear_needs_integer_terms():
    half = [Fraction(1, 2), Fraction(1, 2)]
    assert B.roll_linear(half, [2, 4], 1) == (3,)
    assert B.roll_linear(half, [2, 4], 2) is None  # (4 + 3) / 2
    assert B.roll_linear([Fraction(1, 2)], [3], 1) is None


@pytest.mark.parametrize("name, terms", [
    ("factorial", [math.factorial(k) for k in range(16)]),
    ("catalan", [math.comb(2 * k, k) // (k + 1) for k in range(16)]),
    ("derangements", [1, 0, 1, 2, 9, 44, 265, 1854, 14833, 133496, 1334961, 14684570, 176214841, 2290792932,
                      32071101049, 481066515734]),
    ("n 2^n", [k * 2**k for k in range(16)]),
    ("fibonacci", FIB + [610]),
])
def test_holonomic_guess_finds_p_recursive_sequences(name, terms):
    observed, future = terms[:12], tuple(terms[12:])
    assert B.holonomic_recurrence(observed, len(future)) == future, name


def test_holonomic_relation_holds_on_every_observed_term():
    terms = [math.comb(2 * k, k) for k in range(14)]
    coeffs = B.find_holonomic(terms, 1, 1)
    assert coeffs is not None
    for idx in range(1, len(terms)):
        n = idx + 1
        assert sum(sum(c * n**j for j, c in enumerate(p)) * terms[idx - i] for i, p in enumerate(coeffs)) == 0


def test_holonomic_guess_needs_checks_and_rejects_noise():
    rng = np.random.default_rng(0)
    noise = [int(x) for x in rng.integers(-1000, 1000, 25)]
    assert B.holonomic_recurrence(noise, 3) is None
    # order 1, degree 1: 4 unknowns; 4 + HOLONOMIC_CHECKS equations need 4 + HOLONOMIC_CHECKS + 1 terms
    fact = [math.factorial(k) for k in range(20)]
    m = 4 + B.HOLONOMIC_CHECKS
    assert B.find_holonomic(fact[: m], 1, 1) is None
    assert B.find_holonomic(fact[: m + 1], 1, 1) is not None
