"""Shallow teacher-student: DFA update rule, exact linear statement, ODEs vs SGD."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from paper_code.common.teacher_student import order_parameters
from paper_code.dfa.shallow import (
    ShallowEnsemble,
    ShallowSetup,
    alignment_cosine,
    draw_teacher_student,
    integrate_ode,
    ode_rates,
    train_shallow,
)

DT = torch.float64


def test_one_sgd_step_is_the_dfa_update():
    """w_k += (eta/sqrt N) b_k g'(lambda_k) e x (DFA) or v_k ... (BP); v_k += (eta/N) g(lambda_k) e."""
    N, K, lr = 30, 3, 0.7
    g = torch.Generator().manual_seed(2)
    W0 = torch.randn(K, N, generator=g, dtype=DT)
    v0 = torch.randn(K, generator=g, dtype=DT)
    b = torch.randn(K, generator=g, dtype=DT)
    model = ShallowEnsemble(W0.expand(2, K, N), v0.expand(2, K), b, torch.tensor([True, False]))
    opt = torch.optim.SGD(model.param_groups(lr), lr=lr)
    x = torch.randn(N, generator=g, dtype=DT)
    y = torch.tensor(0.3, dtype=DT)
    pred = model(x.expand(2, 1, N))[:, 0]
    (0.5 * ((pred - y) ** 2).sum()).backward()
    opt.step()
    lam = W0 @ x / math.sqrt(N)
    gl = torch.erf(lam / math.sqrt(2))
    dg = math.sqrt(2 / math.pi) * torch.exp(-(lam**2) / 2)
    e = y - (v0 * gl).sum()
    for m, fb in ((0, b), (1, v0)):
        torch.testing.assert_close(model.W.detach()[m], W0 + lr / math.sqrt(N) * (fb * dg * e)[:, None] * x,
                                   rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(model.v.detach()[m], v0 + lr / N * gl * e, rtol=1e-13, atol=1e-13)


def test_linear_dfa_from_zero_keeps_v_exactly_parallel_to_b():
    """The paper's exact linear statement (docs section 1.2): W = b a(t)^T and v = c(t) b with c > 0.

    BP from zero never moves.
    """
    setup = ShallowSetup(N=60, K=4, M=2, activation="linear", w0_std=0.0, v0_std=0.0, t_max=4.0, eval_dt=0.2, n_seeds=2)
    run = train_shallow(setup)
    cos = run.alignment[run.dfa, 1:]
    assert (1 - cos).max() < 1e-12, (1 - cos).max()
    assert (np.linalg.norm(run.v[run.dfa, -1], axis=-1) > 0.1).all()  # it did learn (c > 0, not just 0)
    # Q = W W^T / N = |a|^2 b b^T / N: rank one along b
    b = run.b / np.linalg.norm(run.b)
    Q = run.Q[run.dfa, -1]
    np.testing.assert_allclose(Q, np.einsum("s,i,j->sij", np.trace(Q, axis1=1, axis2=2), b, b), rtol=1e-10, atol=1e-14)
    assert np.abs(run.v[~run.dfa]).max() == 0.0 and np.abs(run.Q[~run.dfa]).max() == 0.0
    assert run.eg[run.dfa, -1].max() < 0.2 * run.eg[run.dfa, 0].min()


@pytest.mark.parametrize("activation", ["erf", "linear"])
def test_perfect_student_is_a_fixed_point_of_the_odes(activation):
    """K = M student equal to the teacher, no noise: e = 0 for every input, so every rate vanishes (DFA and BP)."""
    rng = np.random.default_rng(0)
    Wt = rng.normal(size=(3, 80))
    T = Wt @ Wt.T / 80
    A = np.array([1.0, -0.5, 2.0])
    for fb in (rng.normal(size=3), A):
        dQ, dR, dv = ode_rates(T, T, A, T, A, fb, lr=0.3, activation=activation)
        for d in (dQ, dR, dv):
            assert np.abs(d).max() < 1e-12


def test_ode_rates_match_a_monte_carlo_sgd_average():
    """The first-order ODE terms are expectations of the SGD update over Gaussian inputs."""
    rng = np.random.default_rng(1)
    K, M, N, n = 2, 2, 40, 400_000
    W, Wt = rng.normal(size=(K, N)) * 0.8, rng.normal(size=(M, N))
    v, A, b = rng.normal(size=K), np.ones(M), rng.normal(size=K)
    Q, R, T = (np.asarray(a) for a in order_parameters(W, Wt))
    dQ, dR, dv = ode_rates(Q, R, v, T, A, b, lr=1.0)
    x = rng.normal(size=(n, N))
    lam, rho = x @ W.T / math.sqrt(N), x @ Wt.T / math.sqrt(N)
    from scipy.special import erf

    g = lambda u: erf(u / math.sqrt(2))  # noqa: E731
    dg = lambda u: math.sqrt(2 / math.pi) * np.exp(-(u**2) / 2)  # noqa: E731
    e = g(rho) @ A - g(lam) @ v
    samples = b[None, :, None] * (dg(lam) * e[:, None])[:, :, None] * rho[:, None, :]  # (n, K, M): rate of R
    mean, se = samples.mean(0), samples.std(0) / math.sqrt(n)
    assert np.all(np.abs(mean - dR) < 4.5 * se), (mean, dR, se)
    sv = g(lam) * e[:, None]
    assert np.all(np.abs(sv.mean(0) - dv) < 4.5 * sv.std(0) / math.sqrt(n))


def test_ode_and_sgd_agree_at_moderate_n():
    """N = 300, DFA and BP students from O(1) weights: seed-mean e_g and cos(v, b) within 3/sqrt(N) of the ODE."""
    setup = ShallowSetup(N=300, K=3, M=2, w0_std=0.5, v0_std=0.5, t_max=8.0, eval_dt=0.5, n_seeds=3)
    run = train_shallow(setup)
    ode = integrate_ode(run.Q[:, 0], run.R[:, 0], run.v[:, 0], run.T, run.A, run.b, run.dfa, lr=setup.lr,
                        t_max=setup.t_max, dt=0.01, record_every=setup.eval_dt)
    tol = 3 / math.sqrt(setup.N)
    for sel in (run.dfa, ~run.dfa):
        eg_sim, eg_ode = run.eg[sel].mean(0), ode.eg[sel].mean(0)
        assert np.abs(eg_sim - eg_ode).max() / eg_sim[0] < tol
        a_sim, a_ode = run.alignment[sel].mean(0), ode.alignment(run.b)[sel].mean(0)
        assert np.abs(a_sim - a_ode).max() < tol
    # the dynamics did something: DFA's alignment rose and its error fell
    a_dfa = ode.alignment(run.b)[run.dfa].mean(0)
    assert a_dfa[-1] > a_dfa[0] + 0.2 and ode.eg[run.dfa, -1].mean() < 0.8 * ode.eg[run.dfa, 0].mean()


def test_ode_euler_step_converges():
    s = ShallowSetup(N=100, K=3, M=2, w0_std=0.1, v0_std=0.1, t_max=1.0, eval_dt=0.5, n_seeds=2)
    d = draw_teacher_student(s)
    Q0, R0, T = (a.numpy() for a in order_parameters(d["W0"], d["W_t"].expand(2, -1, -1)))
    kw = dict(lr=0.2, t_max=6.0, record_every=0.5)
    args = (Q0, R0, d["v0"].numpy(), T[0], d["A"].numpy(), d["b"].numpy(), np.array([True, False]))
    coarse = integrate_ode(*args, dt=0.02, **kw)
    fine = integrate_ode(*args, dt=0.01, **kw)
    finer = integrate_ode(*args, dt=0.005, **kw)
    e1, e2 = np.abs(coarse.eg - fine.eg).max(), np.abs(fine.eg - finer.eg).max()
    assert e2 < 1e-3 and e2 < 0.7 * e1  # first-order convergence: halving dt roughly halves the change


def test_alignment_cosine_and_bad_inputs():
    assert alignment_cosine(np.array([2.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"ShallowSetup.N: 0 is out of range; valid: >= 1"):
        ShallowSetup(N=0)
    with pytest.raises(ValueError,
                       match=r"ShallowSetup.activation: 'tanh' is not a valid choice; valid: 'erf', 'linear'"):
        ShallowSetup(activation="tanh")
    with pytest.raises(ValueError, match=r"ShallowSetup.eval_dt: 10.0 must be <= t_max=1.0"):
        ShallowSetup(eval_dt=10.0, t_max=1.0)
    z = np.zeros((1, 2, 2))
    args = (z, np.zeros((1, 2, 1)), np.zeros((1, 2)), np.eye(1), np.ones(1), np.ones(2), np.array([True]))
    with pytest.raises(ValueError, match="record_every=0.1 must be a multiple of dt=0.03"):
        integrate_ode(*args, lr=0.1, t_max=0.9, dt=0.03, record_every=0.1)
    with pytest.raises(ValueError, match="t_max=1.0 must be a multiple of dt=0.03"):
        integrate_ode(*args, lr=0.1, t_max=1.0, dt=0.03, record_every=0.09)
    with pytest.raises(ValueError, match="exactly one of record_every and record_steps"):
        integrate_ode(*args, lr=0.1, t_max=1.0, dt=0.01)
    with pytest.raises(ValueError, match=r"record_steps must lie in \[0, 100\]"):
        integrate_ode(*args, lr=0.1, t_max=1.0, dt=0.01, record_steps=[0, 101])
    with pytest.raises(ValueError, match="need W0"):
        ShallowEnsemble(torch.zeros(2, 3, 4), torch.zeros(2, 2), torch.zeros(3), torch.ones(2, dtype=torch.bool))
