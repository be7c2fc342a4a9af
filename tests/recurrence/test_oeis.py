"""The OEIS reader: the reference file's format, errors, and the shipped file when present."""
from __future__ import annotations

import pytest

from paper_code.recurrence import oeis as O


def test_parse_line_reads_huge_and_negative_terms_and_the_trailing_comma():
    big = 10**120 + 7
    seq = O.parse_line(f"A000045 ,0,1,-1,2,{big},\n")
    assert seq.id == "A000045" and seq.terms == (0, 1, -1, 2, big)
    assert seq.split(2, 3) == ((0, 1), (-1, 2, big)) and seq.split(4, 2) is None


@pytest.mark.parametrize("line, match", [
    ("A00004 ,1,2,", "A-number"), ("A000045 1,2,3", "A-number"), ("A000045 ,1,x,", "not an integer"),
    ("A000045 ,", "no terms"),
])
def test_parse_line_rejects_malformed_lines(line, match):
    with pytest.raises(ValueError, match=match):
        O.parse_line(line, "f:1")


def test_parse_oeis_skips_blank_lines_and_refuses_duplicates():
    seqs = O.parse_oeis(["A000001 ,1,2,", "", "A000002 ,3,"])
    assert [s.id for s in seqs] == ["A000001", "A000002"]
    with pytest.raises(ValueError, match="twice"):
        O.parse_oeis(["A000001 ,1,", "A000001 ,2,"], "f")


def test_missing_file_names_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(O, "candidate_dirs", lambda sub: [tmp_path / sub])
    with pytest.raises(FileNotFoundError, match="PAPER_DATA_DIR"):
        O.load_oeis()


def test_reference_file_when_present():
    path = O.find_oeis_file()
    if path is None:
        pytest.skip("OEIS_clean.txt not in the reference data (set $PAPER_DATA_DIR)")
    seqs = O.load_oeis(path)
    assert len(seqs) == 10_000 and seqs[0].id == "A000005" and seqs[-1].id == "A108563"
    assert min(len(s.terms) for s in seqs) >= 28
    assert sum(len(s.terms) >= 35 for s in seqs) == 7228
