"""Named Boolean functions (circuits) as full truth tables: the functions of the paper's circuit table.

Paper: d'Ascoli et al., "Boolformer: symbolic regression of logic functions with transformers", arXiv 2309.12207
(v2 §3 and App. E: the largest input size at which the model recovers each function exactly, from its full
truth table). A multi-output circuit (adder, multiplier) is fitted one output bit at a time.

Conventions (every constructor):

* ``X`` is :func:`~paper_code.boolformer.formulas.all_inputs` ``(D)``: the project's row order (row i holds bit j
  of i in column j); column j is the input called ``input_names[j]``.
* Multi-bit numbers are written **most significant bit first**, inputs and outputs alike: for a 2-bit comparator
  the columns are ``a1, a0, b1, b0`` (``a_i`` has weight 2^i), for a 2-bit adder the outputs are ``s2, s1, s0``.
* ``Y`` is (2^D, K) uint8: column k is output ``output_names[k]``.
* D is at most 20 (the cap of a full truth table); sizes that would exceed it raise ``ValueError``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from paper_code.boolformer.formulas import all_inputs

__all__ = ["Circuit", "comparator", "multiplexer", "majority", "parity", "adder", "multiplier", "gate",
           "random_function", "circuit", "CIRCUIT_NAMES", "CIRCUIT_SWEEP", "GATES", "MAX_DIM"]

#: Largest input dimension of a full truth table (that of :func:`~paper_code.boolformer.formulas.all_inputs`).
MAX_DIM = 20
#: The gates of :func:`gate`.
GATES = ("and", "or", "xor")


@dataclass(frozen=True)
class Circuit:
    """One named Boolean function with D inputs and K outputs, as its full truth table (module doc)."""

    name: str
    label: str
    X: np.ndarray
    Y: np.ndarray
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def dim(self) -> int:
        """Number of inputs D."""
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        """Number of output bits K."""
        return self.Y.shape[1]

    def output(self, k: int = 0) -> np.ndarray:
        """(2^D,) uint8 truth table of output bit ``k`` (``output_names[k]``)."""
        if not 0 <= k < self.n_outputs:
            raise ValueError(f"output k={k} is invalid: {self.name} has outputs 0..{self.n_outputs - 1}")
        return self.Y[:, k].copy()


# ----------------------------------------------------------------------------- helpers
def _check(what: str, value: int, low: int, dim: Callable[[int], int]) -> None:
    """Raise unless ``value`` is an integer >= ``low`` whose input dimension ``dim(value)`` is at most 20."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{what}={value!r} is invalid: an integer >= {low} is needed")
    if dim(value) > MAX_DIM:
        raise ValueError(f"{what}={value} gives D={dim(value)} inputs; a full truth table needs D <= {MAX_DIM}")


def _number(X: np.ndarray) -> np.ndarray:
    """Integer value of each row of bit columns written most significant bit first."""
    weights = 1 << np.arange(X.shape[1] - 1, -1, -1, dtype=np.int64)
    return X.astype(np.int64) @ weights


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 binary digits of ``values``, most significant bit first."""
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def _msb_names(prefix: str, width: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(width - 1, -1, -1))


def _make(name: str, label: str, X: np.ndarray, Y: np.ndarray, inputs, outputs) -> Circuit:
    Y = np.asarray(Y, dtype=np.uint8).reshape(len(X), -1)
    return Circuit(name, label, np.array(X, dtype=np.uint8), Y, tuple(inputs), tuple(outputs))


# ----------------------------------------------------------------------------- circuits
def comparator(bits: int) -> Circuit:
    """``a > b`` for two unsigned ``bits``-bit numbers; inputs ``a`` then ``b``, each MSB first (D = 2·bits)."""
    _check("bits", bits, 1, lambda b: 2 * b)
    X = all_inputs(2 * bits)
    a, b = _number(X[:, :bits]), _number(X[:, bits:])
    return _make("comparator", f"{bits}-bit comparator a > b", X, a > b,
                 _msb_names("a", bits) + _msb_names("b", bits), ("a>b",))


def multiplexer(address_bits: int) -> Circuit:
    """2^k-to-1 multiplexer: k address bits ``s`` (MSB first) select data bit ``d_s`` among ``d0 … d_{2^k-1}``;
    inputs are the address then the data (D = k + 2^k: 3 for k = 1, 6 for the 4-to-1 mux, 11 for the 8-to-1)."""
    k = address_bits
    _check("address_bits", k, 1, lambda k: k + 2**k)
    X = all_inputs(k + 2**k)
    address = _number(X[:, :k])
    y = X[np.arange(len(X)), k + address]
    return _make("multiplexer", f"{2**k}-to-1 multiplexer", X, y,
                 _msb_names("s", k) + tuple(f"d{i}" for i in range(2**k)), ("out",))


def majority(n: int) -> Circuit:
    """1 iff strictly more than half of the ``n`` inputs are 1 (for even n: more than n/2; a tie gives 0)."""
    _check("n", n, 1, int)
    X = all_inputs(n)
    return _make("majority", f"majority of {n}", X, 2 * X.sum(axis=1) > n,
                 tuple(f"x{i}" for i in range(n)), ("maj",))


def parity(n: int) -> Circuit:
    """1 iff an odd number of the ``n`` inputs are 1 (the XOR of all inputs)."""
    _check("n", n, 1, int)
    X = all_inputs(n)
    return _make("parity", f"parity of {n}", X, X.sum(axis=1) % 2, tuple(f"x{i}" for i in range(n)), ("parity",))


def adder(bits: int) -> Circuit:
    """``a + b`` of two unsigned ``bits``-bit numbers: bits + 1 output bits ``s_bits … s0``, MSB first (the carry
    out is the first output); inputs ``a`` then ``b``, each MSB first (D = 2·bits)."""
    _check("bits", bits, 1, lambda b: 2 * b)
    X = all_inputs(2 * bits)
    total = _number(X[:, :bits]) + _number(X[:, bits:])
    return _make("adder", f"{bits}-bit adder a + b", X, _bits(total, bits + 1),
                 _msb_names("a", bits) + _msb_names("b", bits), _msb_names("s", bits + 1))


def multiplier(bits: int) -> Circuit:
    """``a * b`` of two unsigned ``bits``-bit numbers: 2·bits output bits ``p_{2bits-1} … p0``, MSB first; inputs
    ``a`` then ``b``, each MSB first (D = 2·bits)."""
    _check("bits", bits, 1, lambda b: 2 * b)
    X = all_inputs(2 * bits)
    product = _number(X[:, :bits]) * _number(X[:, bits:])
    return _make("multiplier", f"{bits}-bit multiplier a * b", X, _bits(product, 2 * bits),
                 _msb_names("a", bits) + _msb_names("b", bits), _msb_names("p", 2 * bits))


def gate(name: str, n: int = 2) -> Circuit:
    """An ``n``-input AND, OR or XOR gate (``name`` in :data:`GATES`; n >= 2)."""
    if name not in GATES:
        raise ValueError(f"gate {name!r} is unknown; valid: {', '.join(GATES)}")
    _check("n", n, 2, int)
    X = all_inputs(n)
    s = X.sum(axis=1)
    y = {"and": s == n, "or": s > 0, "xor": s % 2 == 1}[name]
    return _make(name, f"{n}-input {name.upper()}", X, y, tuple(f"x{i}" for i in range(n)), (name,))


def random_function(rng: np.random.Generator, n: int) -> Circuit:
    """A truth table drawn uniformly among the non-constant functions of ``n`` inputs (uniform bits, constant
    tables redrawn)."""
    _check("n", n, 1, int)
    X = all_inputs(n)
    while True:
        y = rng.integers(0, 2, size=len(X), dtype=np.uint8)
        if y.min() != y.max():
            break
    return _make("random", f"random function of {n} inputs", X, y, tuple(f"x{i}" for i in range(n)), ("f",))


# ----------------------------------------------------------------------------- dispatch
_BUILDERS: dict[str, Callable[[int], Circuit]] = {
    "comparator": comparator, "multiplexer": multiplexer, "majority": majority, "parity": parity,
    "adder": adder, "multiplier": multiplier,
    **{g: (lambda n, g=g: gate(g, n)) for g in GATES},
}
#: Every name :func:`circuit` accepts.
CIRCUIT_NAMES = (*_BUILDERS, "random")

#: The paper's sweep of App. E at CPU scale (D <= 6): (name, sizes); the size is the constructor's argument
#: (bits for comparator/adder/multiplier, address bits for the multiplexer, inputs otherwise).
CIRCUIT_SWEEP: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("comparator", (1, 2, 3)),
    ("multiplexer", (1, 2)),
    ("majority", (3, 4, 5, 6)),
    ("parity", (2, 3, 4, 5, 6)),
    ("adder", (1, 2, 3)),
    ("multiplier", (1, 2, 3)),
)


def circuit(name: str, size: int, rng: np.random.Generator | None = None) -> Circuit:
    """The circuit ``name`` (one of :data:`CIRCUIT_NAMES`) at ``size`` (see :data:`CIRCUIT_SWEEP`); ``"random"``
    needs ``rng``."""
    if name == "random":
        if rng is None:
            raise ValueError("circuit('random', n) needs rng (a numpy Generator)")
        return random_function(rng, size)
    if name not in _BUILDERS:
        raise ValueError(f"circuit {name!r} is unknown; valid: {', '.join(CIRCUIT_NAMES)}")
    return _BUILDERS[name](size)
