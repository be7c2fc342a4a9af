"""Classic integer sequences defined in project code: the OEIS evaluation's fallback when the reference file
``OEIS_clean.txt`` is absent (:func:`paper_code.recurrence.oeis.load_oeis`), and examples for the notebook.

Each entry is an OEIS A-number (https://oeis.org, CC BY-SA 4.0), a name, and a function returning the first ``n``
terms from the OEIS offset, computed exactly. They mix what the paper's model can express (linear recurrences,
``u_n = n u_{n-1}``, ``idiv``/``mod`` patterns), what holonomic guessing finds (Catalan, Motzkin, derangements) and
what neither does (primes, partitions, Bell numbers, divisor functions).
"""
from __future__ import annotations

import math
from collections.abc import Callable

from paper_code.recurrence.oeis import OeisSequence

__all__ = ["CLASSICS", "classic_sequences"]


def _linear(init: tuple[int, ...], coeffs: tuple[int, ...]) -> Callable[[int], list[int]]:
    """``u_n = sum_i coeffs[i] u_{n-1-i}`` from ``init``."""
    def terms(n: int) -> list[int]:
        u = list(init)
        while len(u) < n:
            u.append(sum(c * u[-1 - i] for i, c in enumerate(coeffs)))
        return u[:n]
    return terms


def _closed(f: Callable[[int], int], offset: int = 0) -> Callable[[int], list[int]]:
    return lambda n: [f(k) for k in range(offset, offset + n)]


def _first_order(init: int, step: Callable[[int, int], int], offset: int) -> Callable[[int], list[int]]:
    """``u_k = step(k, u_{k-1})`` for ``k > offset``, ``u_offset = init``."""
    def terms(n: int) -> list[int]:
        u = [init]
        for k in range(offset + 1, offset + n):
            u.append(step(k, u[-1]))
        return u
    return terms


def _primes(n: int) -> list[int]:
    out, k = [], 2
    while len(out) < n:
        if all(k % p for p in out if p * p <= k):
            out.append(k)
        k += 1
    return out


def _partitions(n: int) -> list[int]:
    p = [1] + [0] * (n - 1)
    for part in range(1, n):
        for total in range(part, n):
            p[total] += p[total - part]
    return p


def _bell(n: int) -> list[int]:
    out, row = [1], [1]
    while len(out) < n:
        new = [row[-1]]
        for x in row:
            new.append(new[-1] + x)
        row = new
        out.append(row[0])
    return out


def _motzkin(n: int) -> list[int]:
    m = [1, 1]
    for k in range(2, n):
        m.append(((2 * k + 1) * m[-1] + (3 * k - 3) * m[-2]) // (k + 2))
    return m[:n]


def _derangements(n: int) -> list[int]:
    d = [1, 0]
    for k in range(2, n):
        d.append((k - 1) * (d[-1] + d[-2]))
    return d[:n]


def _divisors(k: int) -> list[int]:
    return [d for d in range(1, k + 1) if k % d == 0]


#: A-number -> (name, first n terms).
CLASSICS: dict[str, tuple[str, Callable[[int], list[int]]]] = {
    "A000045": ("Fibonacci numbers", _linear((0, 1), (1, 1))),
    "A000032": ("Lucas numbers", _linear((2, 1), (1, 1))),
    "A000073": ("tribonacci numbers", _linear((0, 0, 1), (1, 1, 1))),
    "A000129": ("Pell numbers", _linear((0, 1), (2, 1))),
    "A001045": ("Jacobsthal numbers", _linear((0, 1), (1, 2))),
    "A000931": ("Padovan sequence", _linear((1, 0, 0), (0, 1, 1))),
    "A001608": ("Perrin sequence", _linear((3, 0, 2), (0, 1, 1))),
    "A000079": ("powers of 2", _closed(lambda k: 2**k)),
    "A000244": ("powers of 3", _closed(lambda k: 3**k)),
    "A000225": ("2^n - 1", _closed(lambda k: 2**k - 1)),
    "A000290": ("squares", _closed(lambda k: k * k)),
    "A000578": ("cubes", _closed(lambda k: k**3)),
    "A000217": ("triangular numbers", _closed(lambda k: k * (k + 1) // 2)),
    "A000326": ("pentagonal numbers", _closed(lambda k: k * (3 * k - 1) // 2)),
    "A002378": ("oblong numbers n(n+1)", _closed(lambda k: k * (k + 1))),
    "A036289": ("n 2^n", _closed(lambda k: k * 2**k)),
    "A004526": ("floor(n/2)", _closed(lambda k: k // 2)),
    "A010872": ("n mod 3", _closed(lambda k: k % 3)),
    "A000142": ("factorials", _first_order(1, lambda k, u: k * u, 0)),
    "A000165": ("double factorial of even numbers 2^n n!", _first_order(1, lambda k, u: 2 * k * u, 0)),
    "A000108": ("Catalan numbers", _closed(lambda k: math.comb(2 * k, k) // (k + 1))),
    "A000984": ("central binomial coefficients", _closed(lambda k: math.comb(2 * k, k))),
    "A001006": ("Motzkin numbers", _motzkin),
    "A000166": ("derangements", _derangements),
    "A000040": ("prime numbers", _primes),
    "A000041": ("partition numbers", _partitions),
    "A000110": ("Bell numbers", _bell),
    "A000005": ("number of divisors", _closed(lambda k: len(_divisors(k)), offset=1)),
    "A000203": ("sum of divisors", _closed(lambda k: sum(_divisors(k)), offset=1)),
    "A000010": ("Euler's totient", _closed(lambda k: sum(math.gcd(k, j) == 1 for j in range(1, k + 1)), offset=1)),
}


def classic_sequences(n_terms: int = 40) -> list[OeisSequence]:
    """The classic sequences with their first ``n_terms`` terms, as OEIS entries."""
    if n_terms < 1:
        raise ValueError(f"n_terms must be >= 1, got {n_terms}")
    return [OeisSequence(aid, tuple(terms(n_terms))) for aid, (_, terms) in CLASSICS.items()]
