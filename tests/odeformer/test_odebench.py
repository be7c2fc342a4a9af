"""ODEBench / Strogatz transcriptions against the official reference files (skipped when absent)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from paper_code.odeformer.odebench import (
    CHAOTIC_IDS,
    ODEBENCH,
    STROGATZ,
    load_reference_odebench,
    load_reference_strogatz,
    odebench_system,
    parse_system,
)
from paper_code.symbolic.expressions import OPERATORS

# Lorenz (r = 99.96 and r = 28) and Chen-Lee amplify integration error: only loose agreement is possible.
SENSITIVE = {55: 1.0, 56: 2e-2, 61: 2e-2}


def test_table_shape():
    assert [s.id for s in ODEBENCH] == list(range(1, 64))
    dims = [s.dim for s in ODEBENCH]
    assert [dims.count(d) for d in (1, 2, 3, 4)] == [23, 28, 10, 2]
    assert all(len(s.init) == 2 and all(len(ic) == s.dim for ic in s.init) for s in ODEBENCH)
    assert set(CHAOTIC_IDS) <= {s.id for s in ODEBENCH if s.dim == 3}
    assert len(STROGATZ) == 7 and all(s.dim == 2 and len(s.init) == 4 for s in STROGATZ)


def test_every_system_parses_into_core_trees():
    for s in (*ODEBENCH, *STROGATZ):
        assert len(s.trees) == s.dim
        for tree in s.trees:
            assert all(n.value in OPERATORS for n in tree.nodes() if n.is_operator)
            assert {int(v[2:]) for v in tree.variables()} <= set(range(s.dim))
        assert np.isfinite(s.rhs(np.array([s.init[0]]))).all(), s.id


def test_parse_system_errors():
    with pytest.raises(ValueError):
        parse_system(["c0 * x0 + c1"], [1.0])  # c1 unbound


@pytest.fixture(scope="module")
def reference():
    try:
        return load_reference_odebench()
    except FileNotFoundError as err:
        pytest.skip(f"ODEBench reference JSON absent: {err}")


def test_constants_and_initial_conditions_match_reference(reference):
    assert len(reference) == 63
    for rec in reference:
        s = odebench_system(rec["id"])
        assert s.dim == rec["dim"]
        np.testing.assert_allclose(s.constants, rec["consts"][0], rtol=1e-12, err_msg=str(s.id))
        np.testing.assert_allclose(np.array(s.init), np.array(rec["init"]), rtol=1e-12, err_msg=str(s.id))


def test_rhs_matches_reference_substituted_expressions(reference):
    for rec in reference:
        s = odebench_system(rec["id"])
        xs = [sympy.Symbol(f"x_{i}") for i in range(s.dim)]
        for ic in range(2):
            y = np.asarray(rec["solutions"][0][ic]["y"]).T
            want = np.stack([np.broadcast_to(sympy.lambdify(xs, sympy.sympify(e), "numpy")(*y.T), len(y))
                             for e in rec["substituted"][0]], axis=1)
            np.testing.assert_allclose(s.rhs(y), want, rtol=1e-10, atol=1e-12 * np.abs(want).max(),
                                       err_msg=f"id {s.id} IC {ic + 1}")


def test_trajectories_reproduce_reference_solutions(reference):
    worst = {}
    for rec in reference:
        s = odebench_system(rec["id"])
        for ic in range(2):
            sol = rec["solutions"][0][ic]
            y_ref, t = np.asarray(sol["y"]).T, np.asarray(sol["t"])
            traj = s.solve(ic, t)
            assert traj.ok, (s.id, ic, traj.reason)
            dev = np.abs(traj.y - y_ref).max() / np.abs(y_ref).max()
            worst[s.id] = max(worst.get(s.id, 0.0), dev)
    for i, dev in worst.items():
        assert dev < SENSITIVE.get(i, 1e-4), (i, dev)


@pytest.mark.parametrize("system", STROGATZ, ids=lambda s: s.id)
def test_strogatz_against_reference_files(system):
    try:
        ref = load_reference_strogatz(system.id)
    except FileNotFoundError as err:
        pytest.skip(f"Strogatz reference files absent: {err}")
    x, dx = ref["x"], ref["dx"]
    # exact derivative labels at every sample
    np.testing.assert_allclose(system.rhs(x.reshape(-1, 2)), dx.reshape(-1, 2), rtol=1e-8, atol=1e-10)
    # initial conditions (rounded to 3 decimals in the transcription)
    np.testing.assert_allclose(np.array(system.init), x[:, 0], atol=5e-4 + 1e-12)
    # Integrating from the first rows with t = 0, 0.1, ..., 9.9 does NOT reproduce the samples for 5 of the
    # 7 systems (e.g. vdp drifts by a few %), so the time grid of these files is not confirmed: no
    # trajectory check here, only the exact derivative labels above.
