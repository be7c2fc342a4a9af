"""The built-in classic sequences: known values, and agreement with the OEIS reference file where it is present."""
from __future__ import annotations

import pytest

from paper_code.recurrence.classics import CLASSICS, classic_sequences
from paper_code.recurrence.oeis import load_oeis


def test_known_values():
    terms = {s.id: s.terms for s in classic_sequences(10)}
    assert terms["A000045"] == (0, 1, 1, 2, 3, 5, 8, 13, 21, 34)
    assert terms["A000108"] == (1, 1, 2, 5, 14, 42, 132, 429, 1430, 4862)
    assert terms["A000040"] == (2, 3, 5, 7, 11, 13, 17, 19, 23, 29)
    assert terms["A000041"] == (1, 1, 2, 3, 5, 7, 11, 15, 22, 30)
    assert terms["A000110"] == (1, 1, 2, 5, 15, 52, 203, 877, 4140, 21147)
    assert terms["A001006"] == (1, 1, 2, 4, 9, 21, 51, 127, 323, 835)
    assert terms["A000010"] == (1, 1, 2, 2, 4, 2, 6, 4, 6, 4)
    assert all(len(s.terms) == 40 for s in classic_sequences())
    with pytest.raises(ValueError, match="n_terms"):
        classic_sequences(0)


def test_agree_with_the_oeis_file_where_listed():
    try:
        reference = {s.id: s.terms for s in load_oeis()}
    except FileNotFoundError as err:
        pytest.skip(f"reference data absent: {err}")
    shared = [aid for aid in CLASSICS if aid in reference]
    assert shared, "no classic sequence is in the OEIS file"
    for s in classic_sequences(25):
        if s.id in reference:
            assert reference[s.id][:25] == s.terms, s.id
