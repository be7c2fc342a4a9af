"""The OEIS evaluation set of the recurrence paper (d'Ascoli et al., ICML 2022, §5): 10,000 "easy" integer
sequences with their terms, the file ``OEIS_clean.txt`` of the official code's history (``facebookresearch/recur``).
Sequences come from the On-Line Encyclopedia of Integer Sequences (https://oeis.org), CC BY-SA 4.0.

Format, one sequence per line: ``A000045 ,0,1,1,2,3,5,...,`` (an A-number, a space, then comma-separated terms and
a trailing comma). The file is reference data: it is read from ``data/external/symbolic/oeis/`` or
``$PAPER_DATA_DIR/symbolic/oeis/`` and never committed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from paper_code.data.paths import candidate_dirs, env_note

__all__ = ["OEIS_FILE", "OeisSequence", "parse_line", "parse_oeis", "find_oeis_file", "load_oeis"]

OEIS_FILE = "OEIS_clean.txt"
_ID = re.compile(r"A\d{6}")


@dataclass(frozen=True)
class OeisSequence:
    """An OEIS entry: its A-number and its listed terms (Python integers, any size)."""

    id: str
    terms: tuple[int, ...]

    def split(self, n_input: int, n_predict: int) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """``(first n_input terms, the next n_predict)``, or None when the entry lists fewer than both."""
        if len(self.terms) < n_input + n_predict:
            return None
        return self.terms[:n_input], self.terms[n_input: n_input + n_predict]


def parse_line(line: str, where: str = "line") -> OeisSequence:
    """One line of the file (module doc); ``ValueError`` naming ``where`` when it is not in that form."""
    head, sep, rest = line.strip().partition(",")
    seq_id = head.strip()
    if not sep or not _ID.fullmatch(seq_id):
        raise ValueError(f"{where}: expected 'A###### ,t1,t2,...,' (an A-number, then comma-separated terms), "
                         f"got {line.strip()[:60]!r}")
    fields = rest.split(",")
    if fields and fields[-1].strip() == "":
        fields = fields[:-1]  # the trailing comma
    try:
        terms = tuple(int(f) for f in fields)
    except ValueError as err:
        raise ValueError(f"{where} ({seq_id}): a term is not an integer ({err})") from err
    if not terms:
        raise ValueError(f"{where} ({seq_id}): no terms")
    return OeisSequence(seq_id, terms)


def parse_oeis(lines: Iterable[str], source: str = "OEIS file") -> list[OeisSequence]:
    """Every non-blank line parsed, in order; duplicate A-numbers are an error."""
    out, seen = [], set()
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        seq = parse_line(line, f"{source}:{i}")
        if seq.id in seen:
            raise ValueError(f"{source}:{i}: {seq.id} appears twice")
        seen.add(seq.id)
        out.append(seq)
    return out


def find_oeis_file() -> Path | None:
    """The first ``symbolic/oeis/OEIS_clean.txt`` under the reference-data roots, or None."""
    for d in candidate_dirs("symbolic/oeis"):
        if (d / OEIS_FILE).is_file():
            return d / OEIS_FILE
    return None


def load_oeis(path: str | Path | None = None) -> list[OeisSequence]:
    """The OEIS sequences of ``path`` (default: :func:`find_oeis_file`); a missing file is an error saying where it
    was looked for and how to provide it."""
    if path is None:
        path = find_oeis_file()
        if path is None:
            looked = ", ".join(str(d / OEIS_FILE) for d in candidate_dirs("symbolic/oeis"))
            raise FileNotFoundError(
                f"{OEIS_FILE} not found (looked in: {looked}). Copy the recurrence paper's OEIS file (from the "
                f"history of github.com/facebookresearch/recur) to data/external/symbolic/oeis/, or point "
                f"$PAPER_DATA_DIR at a folder holding symbolic/oeis/{OEIS_FILE}. {env_note()}")
    path = Path(path)
    with path.open() as fh:
        return parse_oeis(fh, str(path))
