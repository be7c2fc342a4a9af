import os
from pathlib import Path

import numpy as np
import pytest

from paper_code.e2e_sr.feynman import CSV_NAME, FEYNMAN, compare_with_csv, problems


def test_the_table_has_the_100_problems_with_their_variable_counts():
    assert len(FEYNMAN) == 100 and len({p.id for p in FEYNMAN}) == 100
    counts = {d: sum(p.dim == d for p in FEYNMAN) for d in range(1, 11)}
    assert counts == {1: 1, 2: 15, 3: 36, 4: 27, 5: 13, 6: 6, 7: 0, 8: 1, 9: 1, 10: 0}
    assert len(problems(max_dim=3)) == 52


@pytest.mark.parametrize("problem", FEYNMAN, ids=lambda p: p.id)
def test_every_problem_is_finite_on_its_ranges(problem):
    X, y = problem.sample(np.random.default_rng(0), 500)
    assert X.shape == (500, problem.dim) and np.isfinite(y).all()
    assert {str(s) for s in problem.expression.free_symbols} == set(problem.names)


def test_known_values():
    p = next(p for p in FEYNMAN if p.id == "I.6.2a")
    assert p.evaluate(np.array([[0.0]]))[0] == pytest.approx(1 / np.sqrt(2 * np.pi))
    newton = next(p for p in FEYNMAN if p.id == "I.12.1")  # F = mu * N_n
    assert newton.evaluate(np.array([[2.0, 3.0]]))[0] == pytest.approx(6.0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"X must be \(n, 1\)"):
        FEYNMAN[0].evaluate(np.zeros((3, 2)))


def test_agrees_with_the_reference_csv_when_present():
    root = os.environ.get("PAPER_DATA_DIR")
    path = Path(root) / "symbolic" / "feynman" / CSV_NAME if root else None
    if path is None or not path.is_file():
        pytest.skip("reference data folder not found (set PAPER_DATA_DIR)")
    assert compare_with_csv(path) == []


def test_compare_reports_a_changed_range(tmp_path):
    p = FEYNMAN[0]
    header = "Filename,Number,Output,Formula,# variables,v1_name,v1_low,v1_high\n"
    (tmp_path / "f.csv").write_text(header + f"{p.id},1,{p.output},{p.formula},1,{p.names[0]},1,4\n")
    diffs = compare_with_csv(tmp_path / "f.csv")
    assert any("variables" in d and p.id in d for d in diffs)
    assert sum("not in the file" in d for d in diffs) == 99
