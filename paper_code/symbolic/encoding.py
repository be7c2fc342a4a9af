"""Prefix (Polish) token encoding of expression trees (``docs/symbolic_core.md`` §1 and §3).

Tokens: operator names (``add``, ``sin``, …), variables (``x_0``…), named constants (``e``, ``pi``,
``euler_gamma``), the skeleton placeholder ``C``, float constants as three
:class:`~paper_code.symbolic.numbers.FloatTokenizer` tokens (``+ N3142 E-3``), integer constants as
``INT+``/``INT-`` plus base-10 digits. Multi-output expressions (ODE systems, vector recurrences)
join the per-component sequences with the separator ``|``.
Example: ``mul - N5000 E-4 x_1 | sin x_0``.
"""
from __future__ import annotations

from collections.abc import Sequence

from paper_code.symbolic.expressions import NAMED_CONSTANTS, OPERATORS, PLACEHOLDER, Node, is_variable
from paper_code.symbolic.numbers import INF_TOKEN, NAN_TOKEN, FloatTokenizer, decode_int, encode_int

__all__ = ["SEPARATOR", "PrefixParseError", "encode", "decode", "encode_system", "decode_system"]

SEPARATOR = "|"
_INT_SIGNS = ("INT+", "INT-")
_DEFAULT = FloatTokenizer()


class PrefixParseError(ValueError):
    """A malformed prefix sequence; the message names the token position and what was expected."""


def encode(tree: Node, floats: FloatTokenizer = _DEFAULT) -> list[str]:
    """Prefix tokens of ``tree``; float constants are rounded to ``floats.precision`` digits."""
    out: list[str] = []
    for node in tree.nodes():
        v = node.value
        if isinstance(v, float):
            out.extend(floats.encode_flat(v))
        elif isinstance(v, int):
            out.extend(encode_int(v))
        else:
            out.append(v)
    return out


def encode_system(trees: Sequence[Node], floats: FloatTokenizer = _DEFAULT) -> list[str]:
    """Components joined by the separator token ``|``."""
    if not trees:
        raise ValueError("a system needs at least one component")
    out: list[str] = []
    for i, t in enumerate(trees):
        if i:
            out.append(SEPARATOR)
        out.extend(encode(t, floats))
    return out


def decode(tokens: Sequence[str], floats: FloatTokenizer = _DEFAULT) -> Node:
    """Tree of a single prefix expression; raises :class:`PrefixParseError` if the sequence is
    malformed, truncated, or has trailing tokens."""
    tokens = list(tokens)
    if not tokens:
        raise PrefixParseError("empty token sequence")
    tree, pos = _parse(tokens, 0, floats)
    if pos != len(tokens):
        raise PrefixParseError(f"trailing tokens from position {pos}: {tokens[pos:pos + 5]!r}")
    return tree


def decode_system(tokens: Sequence[str], floats: FloatTokenizer = _DEFAULT) -> list[Node]:
    """Components of a ``|``-separated sequence."""
    parts: list[list[str]] = [[]]
    for t in tokens:
        if t == SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(t)
    return [decode(p, floats) for p in parts]


def _parse(tokens: list[str], pos: int, floats: FloatTokenizer) -> tuple[Node, int]:
    """Iterative prefix parser: returns (tree, next position)."""
    root_holder: list[Node] = []
    # stack of (node, number of children still missing)
    stack: list[tuple[Node, int]] = []
    while True:
        if pos >= len(tokens):
            raise PrefixParseError(f"sequence ended early at position {pos}: an operand is missing")
        node, pos = _read_item(tokens, pos, floats)
        if stack:
            parent, missing = stack.pop()
            parent.children.append(node)
            if missing > 1:
                stack.append((parent, missing - 1))
        else:
            root_holder.append(node)
        if node.is_operator:
            stack.append((node, OPERATORS[node.value].arity))  # type: ignore[index]
        if not stack:
            return root_holder[0], pos


def _read_item(tokens: list[str], pos: int, floats: FloatTokenizer) -> tuple[Node, int]:
    t = tokens[pos]
    if not isinstance(t, str):
        raise PrefixParseError(f"token {pos} is not a string: {t!r}")
    if t in OPERATORS:
        node = Node.__new__(Node)  # children are attached by the parser, validated at the end
        node.value, node.children = t, []
        return node, pos + 1
    if is_variable(t) or t in NAMED_CONSTANTS or t == PLACEHOLDER:
        return Node(t), pos + 1
    if t in ("+", "-", NAN_TOKEN):
        if pos + 3 > len(tokens):
            raise PrefixParseError(f"float at position {pos} is truncated: {tokens[pos:]!r}")
        try:
            value = floats.decode_one(*tokens[pos:pos + 3])
        except ValueError as err:
            raise PrefixParseError(f"bad float at position {pos}: {err}") from None
        return Node(value), pos + 3
    if t in _INT_SIGNS:
        end = pos + 1
        while end < len(tokens) and isinstance(tokens[end], str) and tokens[end].isdigit():
            end += 1
        try:
            return Node(decode_int(tokens[pos:end])), end
        except ValueError as err:
            raise PrefixParseError(f"bad integer at position {pos}: {err}") from None
    if t == SEPARATOR:
        raise PrefixParseError(f"separator '|' at position {pos} inside an expression (use decode_system)")
    if t in (INF_TOKEN,) or t.startswith(("N", "E")):
        raise PrefixParseError(f"float token {t!r} at position {pos} without a preceding sign token")
    raise PrefixParseError(f"unknown token {t!r} at position {pos}")
