"""Data of the arithmetic length-generalization experiments: problems, layouts, exact match, data sets, priming.

Paper: Jelassi et al., arXiv 2306.15400 (2023). Its abstract fixes the tasks: n-digit addition (train 5 digits,
test up to 15) and n × m multiplication (train 5 × 3, test 35 × 3), and *train set priming*, a few (10 to 50)
long examples added to the training set. The paper's body could not be checked: its sequence layout, digit order
and operand sampling below are our choices (UNVERIFIED), each with its reason.

* **Problems** (:func:`addition`, :func:`multiplication`): operands of exactly ``n`` (and ``m``) digits, uniform
  among them: ``10^(n-1) <= x < 10^n``, except that a 1-digit operand is any of 0…9 (0 is written with one digit,
  so 1-digit addition has 100 problems). Addition is n + n digits; multiplication is n × m with the long operand
  first (5 × 3 → 35 × 3). Answers are Python integers, never floats.
* **Layouts** (:class:`Layout`; UNVERIFIED, ours). Source ``a op b =``, target the answer's digits; one token per
  digit, the operator and ``=`` delimit the fields, so no separator token is needed.

  - ``padded`` (primary): the operands zero-padded to fixed widths ``width`` and ``width_b`` and the answer to the
    width that holds every answer, ``max(width, width_b) + 1`` for addition and ``width + width_b`` for
    multiplication. Digits of equal significance of a, b and the answer then sit at offsets that do not depend on
    the operands' lengths, which a clipped relative position embedding can learn once and reuse at any length.
    Length means significant digits: a 5-digit sum in a width-15 layout has as many tokens as a 15-digit one.
  - ``compact`` (negative control): every number written with its own digits, no padding (0 is ``0``), so the
    offset between aligned digits grows with the length.
  - Digits least-significant first in both (``reverse=True``): carries flow from the units, so a left-to-right
    decoder emits each digit of a sum after those it depends on. ``reverse=False`` writes numbers as usual.
* **Exact match** (:func:`exact_match`): right only if every answer digit is, the padded layout's leading zeros
  included, and nothing is added.
* **Data sets**: finite sets of distinct problems, keyed ``(op, a, b)`` (the layout does not change a problem).
  :func:`make_training_set` draws lengths uniformly over the given ones (a length with fewer distinct problems than
  its share gives all of them; the rest go to the other lengths). :func:`make_test_set` draws each length from its
  own seed stream, so a test set does not depend on the other lengths asked for. :func:`prime` appends exactly
  ``n_primed`` problems of the target lengths (multiplication: long first operand, the training set's ``m``),
  disjoint from the training set and the test sets, spread evenly when there are several target lengths (the
  abstract primes "for different generalization lengths"; several at once is our choice).
* **Encoder-only input** (:func:`slot_count`, :func:`tensorize`): the source followed by one answer slot ``_`` per
  answer digit the operands' lengths allow (the padded answer width; compact: ``max(n, m) + 1`` for addition,
  ``n + m`` for multiplication), the model predicting every slot at once; a compact answer shorter than its slots
  ends in ``<PAD>`` targets.
* **Batches** (:func:`collate`): source ids, decoder ids ``<EOS> answer <EOS>`` as in the symbolic core, and masks.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from paper_code.common.config import Validated, param
from paper_code.symbolic.embedder import EOS, PAD, Vocabulary

__all__ = ["OPS", "LAYOUTS", "DIGITS", "VOCAB", "Layout", "Example", "Problem", "make_example", "addition",
           "multiplication", "count_problems", "encode", "decode", "read_number", "exact_match",
           "accuracy_by_length", "problem_keys", "make_training_set", "make_test_set", "prime", "collate", "SLOT",
           "slot_count", "IGNORE", "tensorize"]

#: The operations: addition (n + n digits) and multiplication (n × m digits).
OPS = ("+", "*")
#: The layouts (module doc): zero-padded to fixed widths, or every number with its own digits.
LAYOUTS = ("padded", "compact")
DIGITS = tuple(str(d) for d in range(10))
#: The answer slot of the encoder-only input (:func:`tensorize`).
SLOT = "_"
#: ``<PAD>`` (0), ``<EOS>`` (1), the digits ``0``-``9`` (ids 2-11), ``+``, ``*``, ``=``, the slot ``_``.
VOCAB = Vocabulary([*DIGITS, *OPS, "=", SLOT])
#: Target id of the positions that are not answer slots (``ignore_index`` of the loss).
IGNORE = -100

# seed streams: a training set, a test set (per op and length), the priming examples
_TRAIN, _TEST, _PRIME = 0x7A1, 0x7E57, 0x9817

Key = tuple[str, int, int]


@dataclass(frozen=True)
class Layout(Validated):
    """How a problem is written (module doc); the widths are read by the padded layout only."""

    kind: str = param("padded", "padded (fixed widths, aligned digits) or compact (no padding)", choices=LAYOUTS)
    width: int = param(20, "padded: digits of the first operand, its widest length", ge=1)
    width_b: int | None = param(None, "padded: digits of the second operand (None: width)", ge=1)
    reverse: bool = param(True, "every number least-significant digit first")

    def widths(self, op: str) -> tuple[int, int, int]:
        """Padded widths of (a, b, answer) for ``op``."""
        wa, wb = self.width, self.width_b or self.width
        return wa, wb, (max(wa, wb) + 1 if _check_op(op) == "+" else wa + wb)


class Problem(NamedTuple):
    """A decoded sequence: the operands, the operation and the answer read from the target (None: no target)."""

    a: int
    op: str
    b: int
    answer: int | None


@dataclass(frozen=True)
class Example:
    """One problem written in one layout; ``target_tokens`` are the answer's digits (:func:`make_example`)."""

    a: int
    b: int
    op: str
    answer: int
    source_tokens: tuple[str, ...]
    target_tokens: tuple[str, ...]
    layout: Layout

    @property
    def key(self) -> Key:
        """``(op, a, b)``: what makes two examples the same problem, whatever their layout."""
        return self.op, self.a, self.b

    @property
    def n_digits(self) -> int:
        """Digits of the first operand: the length of the problem."""
        return len(str(self.a))

    @property
    def m_digits(self) -> int:
        return len(str(self.b))


def _check_op(op: str) -> str:
    if op not in OPS:
        raise ValueError(f"op={op!r} is invalid; valid: {', '.join(map(repr, OPS))}")
    return op


def _check_digits(name: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name}={n!r} is invalid; valid: an integer >= 1")
    return int(n)


def _as_layout(layout: Layout | str) -> Layout:
    if isinstance(layout, Layout):
        return layout
    if isinstance(layout, str):
        return Layout(kind=layout)
    raise TypeError(f"layout must be a Layout or one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")


def _digits(x: int, width: int | None, reverse: bool) -> tuple[str, ...]:
    s = str(x) if width is None else str(x).zfill(width)
    return tuple(reversed(s)) if reverse else tuple(s)


def make_example(a: int, b: int, op: str, layout: Layout | str = "padded") -> Example:
    """``a op b`` written in ``layout``: source ``a op b =``, target the answer (padded layout: zero-padded to the
    layout's widths, which must hold the operands)."""
    op, layout = _check_op(op), _as_layout(layout)
    if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in (a, b)):
        raise ValueError(f"operands must be non-negative integers, got a={a!r}, b={b!r}")
    a, b = int(a), int(b)
    answer = a + b if op == "+" else a * b
    wa = wb = wc = None
    if layout.kind == "padded":
        wa, wb, wc = layout.widths(op)
        if len(str(a)) > wa or len(str(b)) > wb:
            raise ValueError(f"{a} {op} {b} does not fit the padded widths ({wa}, {wb}); valid: operands of at "
                             f"most {wa} and {wb} digits (Layout.width, Layout.width_b)")
    source = (*_digits(a, wa, layout.reverse), op, *_digits(b, wb, layout.reverse), "=")
    return Example(a, b, op, answer, source, _digits(answer, wc, layout.reverse), layout)


def _count(n: int) -> int:
    """Numbers of exactly ``n`` digits (0-9 for n = 1)."""
    return 10 if n == 1 else 9 * 10 ** (n - 1)


def _lowest(n: int) -> int:
    return 0 if n == 1 else 10 ** (n - 1)


def _operands(rng: np.random.Generator, n: int, size: int) -> list[int]:
    """``size`` uniform numbers of exactly ``n`` digits (0-9 for n = 1), as Python integers."""
    if n <= 18:  # 10^18 fits an int64
        return [int(x) for x in rng.integers(_lowest(n), 10**n, size=size)]
    digits = rng.integers(0, 10, size=(size, n))
    digits[:, 0] = rng.integers(1, 10, size=size)
    return [int("".join(map(str, row))) for row in digits.tolist()]


def addition(rng: np.random.Generator, n_digits: int, layout: Layout | str = "padded") -> Example:
    """A uniform ``n_digits + n_digits`` addition (operands of exactly ``n_digits`` digits; 0-9 for 1 digit)."""
    n = _check_digits("n_digits", n_digits)
    return make_example(_operands(rng, n, 1)[0], _operands(rng, n, 1)[0], "+", layout)


def multiplication(rng: np.random.Generator, n_digits: int, m_digits: int,
                   layout: Layout | str = "padded") -> Example:
    """A uniform ``n_digits × m_digits`` multiplication (exact digit counts; 0-9 for 1 digit)."""
    n, m = _check_digits("n_digits", n_digits), _check_digits("m_digits", m_digits)
    return make_example(_operands(rng, n, 1)[0], _operands(rng, m, 1)[0], "*", layout)


def _second(op: str, n: int, m_digits: int | None) -> int:
    """Digits of the second operand: ``n`` for addition, ``m_digits`` (required) for multiplication."""
    if _check_op(op) == "+":
        if m_digits is not None and m_digits != n:
            raise ValueError(f"m_digits={m_digits} is invalid for addition; valid: None (both operands have "
                             f"n_digits)")
        return n
    if m_digits is None:
        raise ValueError("multiplication needs m_digits, the digits of the second operand (an integer >= 1)")
    return _check_digits("m_digits", m_digits)


def count_problems(op: str, n_digits: int, m_digits: int | None = None) -> int:
    """Distinct problems (ordered operand pairs) of ``n_digits`` (× ``m_digits`` for multiplication)."""
    n = _check_digits("n_digits", n_digits)
    return _count(n) * _count(_second(op, n, m_digits))


# --------------------------------------------------------------------------------------------------- tokens

def encode(example: Example, vocab: Vocabulary = VOCAB) -> tuple[list[int], list[int]]:
    """``(source ids, target ids)`` of ``example`` (no ``<EOS>``; :func:`collate` adds it to the target)."""
    return vocab.encode(example.source_tokens), vocab.encode(example.target_tokens)


def read_number(tokens: Sequence[str], reverse: bool = True) -> int:
    """The integer written by digit ``tokens`` (least-significant first if ``reverse``)."""
    if not tokens or any(t not in DIGITS for t in tokens):
        raise ValueError(f"{list(tokens)} is not a number; valid: one or more of the tokens 0-9")
    return int("".join(reversed(tokens) if reverse else tokens))


def _read_field(tokens: Sequence[str], width: int | None, reverse: bool, what: str) -> int:
    x = read_number(tokens, reverse)
    expected = len(str(x)) if width is None else width
    if len(tokens) != expected:
        form = f"exactly {width} digits" if width is not None else "no leading zeros"
        raise ValueError(f"{what} {list(tokens)} is not in the layout's form; valid: {form}")
    return x


def decode(source_ids: Sequence[int], target_ids: Sequence[int] | None = None, layout: Layout | str = "padded",
           vocab: Vocabulary = VOCAB) -> Problem:
    """The problem of ids written in ``layout`` (inverse of :func:`encode`); ``ValueError`` if they are not in the
    layout's form. The answer is read from the target as written, right or wrong."""
    layout = _as_layout(layout)
    src = [vocab.itos[int(i)] for i in source_ids]
    ops = [i for i, t in enumerate(src) if t in OPS]
    if len(ops) != 1 or not src or src[-1] != "=":
        raise ValueError(f"source {src} is not 'a op b =' with one operator of {', '.join(OPS)}")
    op = src[ops[0]]
    wa = wb = wc = None
    if layout.kind == "padded":
        wa, wb, wc = layout.widths(op)
    a = _read_field(src[: ops[0]], wa, layout.reverse, "first operand")
    b = _read_field(src[ops[0] + 1: -1], wb, layout.reverse, "second operand")
    if target_ids is None:
        return Problem(a, op, b, None)
    return Problem(a, op, b, _read_field([vocab.itos[int(i)] for i in target_ids], wc, layout.reverse, "answer"))


# ------------------------------------------------------------------------------------------------ evaluation

def _predicted_tokens(predicted: Iterable[str | int], vocab: Vocabulary) -> tuple[str, ...]:
    tokens = [t if isinstance(t, str) else vocab.itos[int(t)] for t in predicted]
    if tokens and tokens[0] == EOS:  # the decoder's start token
        tokens = tokens[1:]
    if EOS in tokens:
        tokens = tokens[: tokens.index(EOS)]
    while tokens and tokens[-1] == PAD:
        tokens.pop()
    return tuple(tokens)


def exact_match(predicted: Iterable[str | int], example: Example, vocab: Vocabulary = VOCAB) -> bool:
    """Whether the predicted answer (tokens or ids; an opening ``<EOS>`` is dropped, the sequence ends at the next
    ``<EOS>``, trailing ``<PAD>`` ignored) is exactly the target: every digit, leading zeros included, no more."""
    return _predicted_tokens(predicted, vocab) == example.target_tokens


def accuracy_by_length(preds: Sequence[Iterable[str | int]], examples: Sequence[Example],
                       vocab: Vocabulary = VOCAB) -> dict[int, float]:
    """Exact-match accuracy per length (digits of the first operand), in increasing length."""
    if len(preds) != len(examples):
        raise ValueError(f"{len(preds)} predictions for {len(examples)} examples; valid: one per example")
    hits: dict[int, list[bool]] = {}
    for p, e in zip(preds, examples):
        hits.setdefault(e.n_digits, []).append(exact_match(p, e, vocab))
    return {n: float(np.mean(hits[n])) for n in sorted(hits)}


# -------------------------------------------------------------------------------------------------- data sets

def _is_key(x: object) -> bool:
    return (isinstance(x, tuple) and len(x) == 3 and x[0] in OPS
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in x[1:]))


def problem_keys(*collections: object) -> set[Key]:
    """The ``(op, a, b)`` keys of examples, keys, and any nesting of them in iterables or mappings (values), e.g. a
    training set and the ``{length: examples}`` test sets of :func:`make_test_set`."""
    out: set[Key] = set()
    stack: list[object] = list(collections)
    while stack:
        x = stack.pop()
        if isinstance(x, Example):
            out.add(x.key)
        elif _is_key(x):
            out.add((x[0], int(x[1]), int(x[2])))  # type: ignore[index]
        elif isinstance(x, Mapping):
            stack.extend(x.values())
        elif isinstance(x, Iterable) and not isinstance(x, (str, bytes)):
            stack.extend(x)
        else:
            raise TypeError(f"cannot read a problem from {x!r}; valid: Example, (op, a, b), or collections of them")
    return out


def _occupancy(keys: Iterable[Key]) -> Counter[tuple[str, int, int]]:
    return Counter((op, len(str(a)), len(str(b))) for op, a, b in keys)


def _describe(op: str, n: int, m: int) -> str:
    return f"{n}-digit {op} {m}-digit"


def _sample(rng: np.random.Generator, op: str, n: int, m: int, count: int, taken: set[Key],
            blocked: int) -> list[Key]:
    """``count`` distinct n × m problems not in ``taken`` (``blocked`` of which are n × m); adds them to ``taken``."""
    total = _count(n) * _count(m)
    if count > total - blocked:
        raise ValueError(f"{count} distinct {_describe(op, n, m)} problems requested but only {total - blocked} "
                         f"remain ({total} exist, {blocked} excluded); valid: at most {total - blocked}")
    out: list[Key] = []
    if total <= 4 * (count + blocked):  # dense: walk a permutation of all problems
        for idx in rng.permutation(total).tolist():
            if len(out) == count:
                break
            key = (op, _lowest(n) + idx // _count(m), _lowest(m) + idx % _count(m))
            if key not in taken:
                taken.add(key)
                out.append(key)
        return out
    while len(out) < count:  # sparse: rejection, at least 3/4 of the draws are new
        k = (count - len(out)) * 9 // 8 + 8
        for key in zip([op] * k, _operands(rng, n, k), _operands(rng, m, k)):
            if key not in taken:
                taken.add(key)
                out.append(key)
                if len(out) == count:
                    break
    return out


def _lengths(lengths: int | Iterable[int], name: str = "lengths") -> list[int]:
    values = [lengths] if isinstance(lengths, (int, np.integer)) else list(lengths)
    if not values:
        raise ValueError(f"{name} is empty; valid: one or more digit counts >= 1")
    return sorted({_check_digits("n_digits", n) for n in values})


def _seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} is invalid; valid: an integer >= 0")
    return int(seed)


def _check_size(size: int, name: str = "size") -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"{name}={size!r} is invalid; valid: an integer >= 0")
    return int(size)


def _build(keys: Iterable[Key], layout: Layout) -> tuple[Example, ...]:
    return tuple(make_example(a, b, op, layout) for op, a, b in keys)


def make_training_set(rng: np.random.Generator | int, op: str, lengths: int | Iterable[int], size: int, *,
                      m_digits: int | None = None, layout: Layout | str = "padded",
                      exclude: object = ()) -> tuple[Example, ...]:
    """``size`` distinct problems, shuffled, of first operands with a length of ``lengths`` (e.g. ``range(1, 6)``),
    uniform over the lengths (module doc), none in ``exclude`` (see :func:`problem_keys`). ``rng``: a generator, or
    a seed (stream ``[seed, 0x7A1]``)."""
    op, layout = _check_op(op), _as_layout(layout)
    ns = _lengths(lengths)
    ms = [_second(op, n, m_digits) for n in ns]
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng([_seed(rng), _TRAIN])
    size = _check_size(size)
    taken = problem_keys(exclude)
    occupied = _occupancy(taken)
    blocked = [occupied[(op, n, m)] for n, m in zip(ns, ms)]
    room = [_count(n) * _count(m) - k for n, m, k in zip(ns, ms, blocked)]
    if size > sum(room):
        raise ValueError(f"size={size} exceeds the {sum(room)} distinct {op!r} problems of lengths {ns} (after "
                         f"{sum(blocked)} excluded); valid: size <= {sum(room)}")
    counts = [0] * len(ns)
    left = size
    while left:  # uniform over the lengths that still have room
        open_ = [i for i in range(len(ns)) if counts[i] < room[i]]
        for i, d in zip(open_, rng.multinomial(left, [1 / len(open_)] * len(open_)).tolist()):
            take = min(d, room[i] - counts[i])
            counts[i] += take
            left -= take
    keys = [k for n, m, c, blk in zip(ns, ms, counts, blocked) for k in _sample(rng, op, n, m, c, taken, blk)]
    return _build((keys[i] for i in rng.permutation(len(keys)).tolist()), layout)


def make_test_set(seed: int, op: str, lengths: int | Iterable[int], size: int, *, m_digits: int | None = None,
                  layout: Layout | str = "padded", exclude: object = ()) -> dict[int, tuple[Example, ...]]:
    """``{L: size distinct problems whose first operand has exactly L digits}`` for each L of ``lengths``, none in
    ``exclude`` (the training set). Each length has its own stream ``[seed, 0x7E57, op, L, m]``, so a test set does
    not depend on which other lengths are asked for."""
    op, layout, seed = _check_op(op), _as_layout(layout), _seed(seed)
    taken = problem_keys(exclude)
    occupied = _occupancy(taken)
    out = {}
    for n in _lengths(lengths):
        m = _second(op, n, m_digits)
        rng = np.random.default_rng([seed, _TEST, OPS.index(op), n, m])
        out[n] = _build(_sample(rng, op, n, m, _check_size(size), taken, occupied[(op, n, m)]), layout)
    return out


def prime(training_set: Sequence[Example], n_primed: int, target_lengths: int | Iterable[int], seed: int, *,
          exclude: object = ()) -> tuple[Example, ...]:
    """A new training set: ``training_set`` (untouched) followed by exactly ``n_primed`` distinct problems whose
    first operand has a target length (split evenly over several, the shorter lengths taking the remainder), with
    the training set's op, ``m`` (multiplication) and layout, and none in the training set or in ``exclude`` (the
    test sets). Deterministic in ``seed`` (stream ``[seed, 0x9817]``)."""
    training_set = tuple(training_set)
    if not training_set:
        raise ValueError("training_set is empty; priming copies its op, layout and m_digits")
    n_primed = _check_size(n_primed, "n_primed")
    shapes = {(e.op, e.layout) for e in training_set}
    if len(shapes) != 1:
        raise ValueError(f"training_set mixes ops or layouts {sorted(map(str, shapes))}; valid: one op, one layout")
    op, layout = shapes.pop()
    m_digits = None
    if op == "*":
        ms = {e.m_digits for e in training_set}
        if len(ms) != 1:
            raise ValueError(f"training_set mixes second-operand lengths {sorted(ms)}; valid: one m_digits")
        m_digits = ms.pop()
    ns = _lengths(target_lengths, "target_lengths")
    rng = np.random.default_rng([_seed(seed), _PRIME])
    taken = problem_keys(training_set, exclude)
    occupied = _occupancy(taken)
    primes: list[Key] = []
    for i, n in enumerate(ns):
        m = _second(op, n, m_digits)
        count = n_primed // len(ns) + (i < n_primed % len(ns))
        primes += _sample(rng, op, n, m, count, taken, occupied[(op, n, m)])
    return training_set + _build(primes, layout)


# ---------------------------------------------------------------------------------------------------- batches

def collate(examples: Sequence[Example], vocab: Vocabulary = VOCAB) -> tuple[torch.Tensor, ...]:
    """``(source (B, S), source_mask (B, S), target (B, T), target_mask (B, T))`` LongTensors and bool masks (True =
    padding): sources right-padded with ``<PAD>``, targets ``<EOS> answer <EOS> <PAD>…`` (the symbolic core's
    decoder convention; a decoder-only model reads the source followed by the target)."""
    if not examples:
        raise ValueError("collate needs at least one example")
    pairs = [encode(e, vocab) for e in examples]
    sources = [s for s, _ in pairs]
    targets = [[vocab.eos_id, *t, vocab.eos_id] for _, t in pairs]
    src = torch.full((len(pairs), max(map(len, sources))), vocab.pad_id, dtype=torch.long)
    tgt = torch.full((len(pairs), max(map(len, targets))), vocab.pad_id, dtype=torch.long)
    for i, (s, t) in enumerate(zip(sources, targets)):
        src[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        tgt[i, : len(t)] = torch.tensor(t, dtype=torch.long)
    return src, src == vocab.pad_id, tgt, tgt == vocab.pad_id


def slot_count(example: Example) -> int:
    """Answer slots of ``example`` in the encoder-only input: the padded answer width, or (compact) the most digits
    an answer of these operand lengths can have, ``max(n, m) + 1`` for addition and ``n + m`` for multiplication."""
    if example.layout.kind == "padded":
        return example.layout.widths(example.op)[2]
    n, m = example.n_digits, example.m_digits
    return max(n, m) + 1 if example.op == "+" else n + m


def tensorize(examples: Sequence[Example], vocab: Vocabulary = VOCAB) -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs (N, S), targets (N, S))`` LongTensors of the encoder-only model: ``source _…_`` right-padded with
    ``<PAD>``, and the answer's ids at the slots (then ``<PAD>`` up to the slot count), :data:`IGNORE` elsewhere."""
    if not examples:
        raise ValueError("tensorize needs at least one example")
    slot, pad = vocab.stoi[SLOT], vocab.pad_id
    rows = []
    for e in examples:
        n_slots = slot_count(e)
        answer = vocab.encode(e.target_tokens)
        if len(answer) > n_slots:
            raise ValueError(f"the answer of {e.a} {e.op} {e.b} has {len(answer)} digits for {n_slots} slots")
        rows.append((vocab.encode(e.source_tokens), n_slots, answer + [pad] * (n_slots - len(answer))))
    width = max(len(src) + n for src, n, _ in rows)
    inputs = torch.full((len(rows), width), pad, dtype=torch.long)
    targets = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for i, (src, n, tgt) in enumerate(rows):
        inputs[i, : len(src)] = torch.tensor(src, dtype=torch.long)
        inputs[i, len(src): len(src) + n] = slot
        targets[i, len(src): len(src) + n] = torch.tensor(tgt, dtype=torch.long)
    return inputs, targets
