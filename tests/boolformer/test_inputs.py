"""Boolformer's encoder inputs: truth-table rows, the noisy observation process, row tokens."""
from __future__ import annotations

import numpy as np
import pytest

from paper_code.boolformer import formulas as Fm
from paper_code.boolformer import inputs as In
from paper_code.common.config import ConfigError
from paper_code.symbolic.expressions import op, var


def _formula(tree, dim, active=None):
    return Fm.BooleanFormula(tree, dim, tuple(active if active is not None else range(dim)),
                             Fm.truth_table(tree, dim), 0)


def test_noiseless_rows_full_and_minority():
    f = _formula(op("and", var(0), var(1)), 3)  # y = 1 on 2 of 8 rows
    X, y = In.noiseless_rows(f)
    assert X.shape == (8, 3) and y.tolist() == f.table.tolist()
    Xm, ym = In.noiseless_rows(f, "minority")
    assert ym.tolist() == [1, 1] and (Xm[:, :2] == 1).all()
    tie = _formula(var(0), 2)  # two rows of each value: the rows where y = 1
    assert In.noiseless_rows(tie, "minority")[1].tolist() == [1, 1]
    with pytest.raises(ValueError, match="valid: 'full', 'minority'"):
        In.noiseless_rows(f, "all")


def test_random_walk_flips_each_bit_at_its_rate():
    rng = np.random.default_rng(0)
    X = In.random_walk(rng, 20_000, 8, 0.1)
    assert X.shape == (20_000, 8) and set(np.unique(X)) <= {0, 1}
    rate = np.mean(X[1:] != X[:-1])
    assert abs(rate - 0.1) < 0.005
    starts = np.array([In.random_walk(np.random.default_rng(s), 1, 4, 0.0)[0] for s in range(400)])
    assert abs(starts.mean() - 0.5) < 0.05  # uniform start


def test_noisy_task_places_active_variables_and_corrupts_only_the_fit_rows():
    tree = op("or", op("and", var(1), var(3)), op("not", var(4)))
    f = _formula(tree, 5, active=(1, 3, 4))
    cfg = In.NoiseConfig(min_points=400, max_points=400, max_inactive=20, max_inputs=30, max_flip=0.1)
    rng = np.random.default_rng(1)
    for _ in range(5):
        task = In.noisy_task(f, rng, cfg)
        assert len(task.y_fit) == len(task.y_test) == 400 and 3 <= task.n_inputs <= 23
        assert sorted(task.columns) == [1, 3, 4] and len(set(task.columns.values())) == 3
        renamed = tree.relabel({f"x_{j}": f"x_{c}" for j, c in task.columns.items()})
        assert task.tree.prefix() == renamed.prefix()
        np.testing.assert_array_equal(In.evaluate_rows(task.tree, task.X_test), task.y_test)  # clean
        clean_y = In.evaluate_rows(task.tree, task.X_fit)
        assert np.mean(clean_y != task.y_fit) < task.p_flip + 0.2  # outputs flipped (and inputs, which moves y)
    exact = In.noisy_task(f, rng, cfg.replace(max_flip=0.0))
    np.testing.assert_array_equal(In.evaluate_rows(exact.tree, exact.X_fit), exact.y_fit)
    with pytest.raises(ValueError, match="uses x_4 but the rows have 2 columns"):
        In.evaluate_rows(tree, exact.X_fit[:, :2])


def test_output_flips_happen_at_the_drawn_rate():
    f = _formula(var(0), 1)
    cfg = In.NoiseConfig(min_points=20_000, max_points=20_000, max_inactive=0, max_inputs=1, max_flip=0.1)
    task = In.noisy_task(f, np.random.default_rng(2), cfg)
    # y = x_0: a disagreement means exactly one of the two bits flipped, probability 2 p (1 - p)
    mismatch = np.mean(task.X_fit[:, 0] != task.y_fit)
    assert abs(mismatch - 2 * task.p_flip * (1 - task.p_flip)) < 0.01


def test_row_tokens_layout_and_errors():
    X = np.array([[0, 1], [1, 1]], dtype=np.uint8)
    ids = In.row_tokens(X, np.array([1, 0]), max_inputs=4)
    zero, one, pad = In.INPUT_VOCAB.stoi["0"], In.INPUT_VOCAB.stoi["1"], In.INPUT_VOCAB.pad_id
    assert ids.tolist() == [[zero, one, pad, pad, one], [one, one, pad, pad, zero]]
    with pytest.raises(ValueError, match="exceed max_inputs=1"):
        In.row_tokens(X, np.array([1, 0]), max_inputs=1)
    with pytest.raises(ValueError, match="must be 0/1"):
        In.row_tokens(X * 2, np.array([1, 0]), max_inputs=4)


def test_bad_noise_configs_are_refused():
    with pytest.raises(ConfigError, match="min_points"):
        In.NoiseConfig(min_points=50, max_points=10)
    with pytest.raises(ConfigError, match="max_flip"):
        In.NoiseConfig(max_flip=0.7)
