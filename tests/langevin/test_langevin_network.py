"""Two-layer erf teacher-student: closed-form test error and the ensemble trainer."""

import numpy as np
import pytest
import torch

from paper_code.langevin.network import (
    TeacherStudentConfig,
    erf_network,
    generalisation_error,
    mc_generalisation_error,
    train_teacher_student,
)
from paper_code.langevin.schedules import Constant, ConstantThenPowerLaw, PowerLaw


def test_closed_form_error_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    dt = torch.float64
    W, v = torch.randn(6, 2, 40, generator=g, dtype=dt), torch.randn(6, 2, generator=g, dtype=dt)
    W_t, v_t = torch.randn(6, 3, 40, generator=g, dtype=dt), torch.randn(6, 3, generator=g, dtype=dt)
    exact = generalisation_error(W, v, W_t, v_t)
    n = 100_000
    x = torch.randn(6, n, 40, generator=g, dtype=dt)
    sq = 0.5 * (erf_network(x, W, v) - erf_network(x, W_t, v_t)) ** 2  # (6, n)
    mean, se = sq.mean(-1), sq.std(-1) / np.sqrt(n)
    assert torch.all((mean - exact).abs() < 4 * se), (mean, exact, se)
    assert torch.all((mc_generalisation_error(W, v, W_t, v_t, n, g) - exact).abs() < 4 * se)
    assert torch.allclose(generalisation_error(W_t, v_t, W_t, v_t), torch.zeros(6, dtype=dt), atol=1e-12)


def test_ensemble_members_are_independent_and_follow_their_schedule():
    cfg = TeacherStudentConfig(D=20, t_max=3.0, n_seeds=2, sigma=0.3, eval_dt=0.5)
    alone = train_teacher_student(PowerLaw(1.0, 1.0), cfg)
    both = train_teacher_student([Constant(1.0), PowerLaw(1.0, 1.0)], cfg)
    # the PowerLaw members are bit-for-bit the same with or without the other schedule
    np.testing.assert_allclose(both.eg[1], alone.eg[0], rtol=1e-12, atol=1e-14)
    assert both.eg.shape == (2, 2, both.t.size) and np.all(np.isfinite(both.eg))
    np.testing.assert_allclose(both.lr[1], 0.5 / (1.0 + both.t))
    np.testing.assert_allclose(both.eg[:, :, 0], both.eg[0, :, 0][None].repeat(2, 0))  # shared init
    assert not np.allclose(both.eg[0, :, -1], both.eg[1, :, -1])


def test_invalid_config_raises():
    with pytest.raises(ValueError, match=r"TeacherStudentConfig.D: 0 is out of range; valid: >= 1"):
        TeacherStudentConfig(D=0)
    with pytest.raises(ValueError, match=r"TeacherStudentConfig.sigma: -1.0 is out of range; valid: >= 0"):
        TeacherStudentConfig(sigma=-1.0)


@pytest.mark.slow
def test_constant_then_decay_has_lowest_final_error():
    """Quick-scale figure F (about 5 s): plateau, then 1/t, beats the other schedules."""
    cfg = TeacherStudentConfig(D=100, t_max=100, n_seeds=3, sigma=0.3)
    scheds = [Constant(1.0), PowerLaw(1.0, 0.5), PowerLaw(1.0, 1.0), ConstantThenPowerLaw(1.0, 1.0, 40.0)]
    r = train_teacher_student(scheds, cfg)
    final = r.final()
    assert np.argmin(final) == 3, final
    i = np.argmin(abs(r.t - 20.0))
    assert r.eg[2, :, i].mean() > r.eg[0, :, i].mean()  # decaying from the start lengthens the plateau
