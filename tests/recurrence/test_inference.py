"""The sequence pieces of the candidate loop: validity, fit to the observed terms, exact rolling forward, ranking."""
from __future__ import annotations

from paper_code.recurrence import inference as I
from paper_code.symbolic.encoding import decode

FIB = (0, 1, 1, 2, 3, 5, 8, 13, 21, 34)


def tree(prefix: str):
    return decode(prefix.split())


def test_fit_to_observed_counts_one_step_predictions():
    assert I.fit_to_observed(tree("add x_0_1 x_0_2"), FIB) == 1.0
    # u_n = u_{n-1} + 1 is right only where Fibonacci increases by one (0 -> 1, 1 -> 2, 2 -> 3)
    assert I.fit_to_observed(tree("add x_0_1 INT+ 1"), FIB) == 3 / 9
    assert I.fit_to_observed(tree("idiv x_0_1 sub x_0_1 x_0_1"), FIB) == 0.0  # division by zero: all missed
    assert I.fit_to_observed(tree("mul n n"), (1, 4, 9, 16)) == 1.0  # n = 1 for the first term


def test_roll_forward_is_exact_beyond_float64():
    out = I.roll_forward(tree("add mul x_0_1 INT+ 1 0 INT+ 1"), (10**29,), 2)
    assert out == (10**30 + 1, 10**31 + 11)
    assert I.roll_forward(tree("idiv INT+ 1 sub n INT+ 3"), (1, 1), 1) is None  # 1 // (3 - 3)
    assert I.roll_forward(tree("pow2 x_0_1"), (10**600,), 1) is None  # beyond MAX_PREDICTED_DIGITS


def test_is_recurrence_rejects_unreadable_lags_and_foreign_variables():
    assert I.is_recurrence(tree("add x_0_1 x_0_3"), 4)
    assert not I.is_recurrence(tree("add x_0_1 x_0_4"), 4)  # u_{n-4} needs more than 4 observed terms
    assert not I.is_recurrence(tree("add x_1 n"), 10)
    assert not I.is_recurrence(tree("add x_0_1 + N1000 E-3"), 10)  # a float constant


def test_problem_ranks_the_best_fit_first_and_merges_duplicates():
    problem = I.recurrence_problem(FIB)
    raw = [tree("add x_0_1 INT+ 1"), None, tree("add x_0_1 x_0_2"), tree("add x_0_1 x_0_2"), tree("x_0_20")]
    ranked = problem.rank(raw)
    assert [c.prediction.prefix() for c in ranked] == [["add", "x_0_1", "x_0_2"], ["add", "x_0_1", 1]]
    assert ranked[0].score == 1.0 and ranked[0].order == 2
