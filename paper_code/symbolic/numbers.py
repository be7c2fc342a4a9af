"""Numbers as tokens (``docs/symbolic_core.md`` §3).

* :class:`FloatTokenizer` — base-10 "P10" floats: ``sign`` (``+``/``-``), mantissa ``N`` + ``precision``
  digits, exponent ``E<k>``; value = sign · mantissa · 10^k. The digits come from Python's
  ``"%.{precision-1}e"`` formatting (correctly rounded, as in the reference code), exponent shifted by
  ``-(precision-1)``. Example (precision 4): 3.14159 → ``+ N3142 E-3``.
  NaN → three ``NaN`` tokens; ±inf → ``sign INF INF``. Exponents below ``-max_exponent`` flush to zero
  (``N000…0``, ``E0``); exponents above ``max_exponent`` become ±inf (``overflow="inf"``) or saturate
  to the largest representable magnitude (``overflow="clip"``, the quick-scale "exponents clipped" option).
* :func:`encode_int` / :func:`decode_int` — sign token + base-B digits, most significant first
  (expressions: ``INT+``/``INT-`` with base 10; sequences: base 10,000). Exact for any size.
* :class:`IntegerTokenizer` — the sequence form: ``+``/``-`` then base-B digit tokens ``"0"``..``str(B-1)``
  (d'Ascoli et al., "Deep symbolic regression for recurrent sequences", ICML 2022: base 10,000; official code
  ``facebookresearch/recur``, ``src/envs/encoders.py``, ``IntegerSeries``). 123456 → ``+ 12 3456``; 0 → ``+ 0``.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from paper_code.common.config import Validated, param

__all__ = ["FloatTokenizer", "IntegerTokenizer", "encode_int", "decode_int", "NAN_TOKEN", "INF_TOKEN"]

NAN_TOKEN = "NaN"
INF_TOKEN = "INF"


@dataclass(frozen=True)
class FloatTokenizer(Validated):
    """Sign / mantissa / exponent float tokeniser, vectorised over arrays (3 tokens per float)."""

    precision: int = param(4, "significant digits of the mantissa (float64 carries about 15)", ge=1, le=15)
    max_exponent: int = param(100, "exponents below -this flush to zero, above +this overflow", ge=0)
    overflow: Literal["inf", "clip"] = param(
        "inf", "an exponent above max_exponent gives ±inf ('inf') or the largest representable value ('clip')")
    _mantissa: dict[str, int] = field(init=False, repr=False, compare=False)
    _exponent: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        m = {f"N{i:0{self.precision}d}": i for i in range(10**self.precision)} if self.precision <= 6 else {}
        object.__setattr__(self, "_mantissa", m)
        e = {f"E{k}": k for k in range(-self.max_exponent, self.max_exponent + 1)}
        object.__setattr__(self, "_exponent", e)

    tokens_per_float: ClassVar[int] = 3

    @property
    def vocabulary(self) -> list[str]:
        """All tokens this tokeniser can emit."""
        mant = [f"N{i:0{self.precision}d}" for i in range(10**self.precision)]
        return ["+", "-", *mant, *self._exponent, NAN_TOKEN, INF_TOKEN]

    @property
    def max_relative_error(self) -> float:
        """Worst-case relative rounding error, 0.5·10^-(precision-1)."""
        return 0.5 * 10.0 ** (-(self.precision - 1))

    def encode(self, values: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """Tokens of shape ``values.shape + (3,)`` (dtype ``object``: Python strings)."""
        arr = np.asarray(values, dtype=float)
        flat = arr.ravel()
        p = self.precision
        out = np.empty((flat.size, 3), dtype=object)
        formatted = np.char.mod(f"%+.{p - 1}e", flat)  # e.g. '+3.142e+00', 'nan', '+inf'
        top = 10**p - 1
        for i, (v, s) in enumerate(zip(flat, formatted.tolist())):
            if np.isnan(v):
                out[i] = (NAN_TOKEN, NAN_TOKEN, NAN_TOKEN)
                continue
            sign = "-" if s[0] == "-" else "+"
            if np.isinf(v):
                out[i] = (sign, INF_TOKEN, INF_TOKEN)
                continue
            mant_str, exp_str = s[1:].split("e")
            mant = int(mant_str.replace(".", ""))
            exp = int(exp_str) - (p - 1)
            if mant == 0 or exp < -self.max_exponent:
                mant, exp = 0, 0
            elif exp > self.max_exponent:
                if self.overflow == "inf":
                    out[i] = (sign, INF_TOKEN, INF_TOKEN)
                    continue
                mant, exp = top, self.max_exponent
            out[i] = (sign, f"N{mant:0{p}d}", f"E{exp}")
        return out.reshape(arr.shape + (3,))

    def encode_flat(self, values: np.ndarray | Sequence[float] | float) -> list[str]:
        """Tokens of all values concatenated (``3 * n`` strings)."""
        return [str(t) for t in self.encode(values).ravel()]

    def decode(self, tokens: np.ndarray | Sequence[str]) -> np.ndarray:
        """Inverse of :meth:`encode`: tokens of shape ``S + (3,)`` (or a flat list of ``3n``) → floats ``S``.

        Raises ``ValueError`` naming the offending token for malformed triples.
        """
        tok = np.asarray(tokens, dtype=object)
        if tok.ndim == 1:
            if tok.size % 3:
                raise ValueError(f"flat float token list must have a multiple of 3 tokens, got {tok.size}")
            tok = tok.reshape(-1, 3)
        if tok.shape[-1] != 3:
            raise ValueError(f"last axis must hold 3 tokens per float, got shape {tok.shape}")
        flat = tok.reshape(-1, 3)
        out = np.empty(flat.shape[0])
        for i, (s, m, e) in enumerate(flat.tolist()):
            out[i] = self.decode_one(s, m, e)
        return out.reshape(tok.shape[:-1])

    def decode_one(self, sign: str, mantissa: str, exponent: str) -> float:
        """Value of one (sign, mantissa, exponent) triple."""
        if sign == NAN_TOKEN:
            if mantissa == exponent == NAN_TOKEN:
                return float("nan")
            raise ValueError(f"malformed NaN triple ({sign}, {mantissa}, {exponent})")
        if sign not in ("+", "-"):
            raise ValueError(f"expected a sign token '+' or '-', got {sign!r}")
        s = -1.0 if sign == "-" else 1.0
        if mantissa == INF_TOKEN:
            if exponent != INF_TOKEN:
                raise ValueError(f"malformed inf triple ({sign}, {mantissa}, {exponent})")
            return s * float("inf")
        return s * float(f"{self.parse_mantissa(mantissa)}e{self.parse_exponent(exponent)}")

    def parse_mantissa(self, token: str) -> int:
        if self._mantissa:
            if token not in self._mantissa:
                raise ValueError(f"not a mantissa token of precision {self.precision}: {token!r}")
            return self._mantissa[token]
        if not (isinstance(token, str) and token[:1] == "N" and len(token) == self.precision + 1
                and token[1:].isdigit()):
            raise ValueError(f"not a mantissa token of precision {self.precision}: {token!r}")
        return int(token[1:])

    def parse_exponent(self, token: str) -> int:
        if token not in self._exponent:
            raise ValueError(f"not an exponent token in E-{self.max_exponent}..E{self.max_exponent}: {token!r}")
        return self._exponent[token]

    def is_sign(self, token: str) -> bool:
        return token in ("+", "-", NAN_TOKEN)

    def round(self, values: np.ndarray | float) -> np.ndarray:
        """Values as the tokeniser represents them (encode then decode)."""
        return self.decode(self.encode(values))


def encode_int(n: int, base: int = 10, signs: tuple[str, str] = ("INT+", "INT-")) -> list[str]:
    """Sign token then base-``base`` digits (most significant first), e.g. ``-120 → INT- 1 2 0``."""
    if base < 2:
        raise ValueError(f"base must be >= 2, got {base}")
    n = int(n)
    digits: list[str] = []
    m = abs(n)
    while True:
        m, r = divmod(m, base)
        digits.append(str(r))
        if m == 0:
            break
    return [signs[1] if n < 0 else signs[0], *reversed(digits)]


def decode_int(tokens: Sequence[str], base: int = 10, signs: tuple[str, str] = ("INT+", "INT-")) -> int:
    """Inverse of :func:`encode_int`; raises ``ValueError`` on a missing sign or a bad digit."""
    if len(tokens) < 2 or tokens[0] not in signs:
        raise ValueError(f"integer must start with {signs[0]}/{signs[1]} followed by digits, got {list(tokens)!r}")
    value = 0
    for t in tokens[1:]:
        if not (isinstance(t, str) and t.isdigit() and int(t) < base):
            raise ValueError(f"not a base-{base} digit token: {t!r}")
        value = value * base + int(t)
    return -value if tokens[0] == signs[1] else value


@dataclass(frozen=True)
class IntegerTokenizer(Validated):
    """Exact integer tokens for sequences: a sign token (``+``/``-``) then the base-``base`` digits, most
    significant first, each digit one token ``"0"``..``str(base - 1)``; ``-7 → ['-', '7']``, ``0 → ['+', '0']``."""

    base: int = param(10_000, "integer base; each digit is one token", ge=2)
    _digits: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_digits", {str(i): i for i in range(self.base)} if self.base <= 10**6 else {})

    @property
    def vocabulary(self) -> list[str]:
        """All tokens this tokeniser can emit: ``+``, ``-`` and the ``base`` digits."""
        return ["+", "-", *(str(i) for i in range(self.base))]

    def encode(self, n: int) -> list[str]:
        """Sign token then base-``base`` digits of the integer ``n`` (Python or NumPy; any size)."""
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(f"IntegerTokenizer encodes integers, got {n!r} ({type(n).__name__})")
        return encode_int(int(n), self.base, ("+", "-"))

    def decode(self, tokens: Sequence[str]) -> int:
        """Inverse of :meth:`encode`: ``ValueError`` on a missing sign, no digits, or a non-digit token."""
        tokens = list(tokens)
        if len(tokens) < 2 or tokens[0] not in ("+", "-"):
            raise ValueError(f"an integer is a sign token '+'/'-' followed by base-{self.base} digits, got {tokens!r}")
        value = 0
        for t in tokens[1:]:
            value = value * self.base + self.digit(t)
        return -value if tokens[0] == "-" else value

    def digit(self, token: str) -> int:
        """Value of one digit token (canonical spelling only: ``"7"``, not ``"07"``)."""
        if self._digits:  # table of the canonical spellings (bases up to 10^6)
            d = self._digits.get(token) if isinstance(token, str) else None
        elif isinstance(token, str) and token.isascii() and token.isdigit() and str(int(token)) == token:
            d = int(token) if int(token) < self.base else None
        else:
            d = None
        if d is None:
            raise ValueError(f"not a base-{self.base} digit token: {token!r}")
        return d

    def encode_sequence(self, values: Sequence[int]) -> list[str]:
        """Tokens of several integers concatenated (each starts with its sign token)."""
        return [t for v in values for t in self.encode(v)]

    def decode_sequence(self, tokens: Sequence[str]) -> list[int]:
        """Inverse of :meth:`encode_sequence`: split at the sign tokens and decode each integer."""
        out: list[int] = []
        start = None
        for i, t in enumerate(tokens):
            if t in ("+", "-"):
                if start is not None:
                    out.append(self.decode(tokens[start:i]))
                start = i
            elif start is None:
                raise ValueError(f"integer sequence must start with a sign token, got {t!r} at position 0")
        if start is not None:
            out.append(self.decode(tokens[start:]))
        return out
