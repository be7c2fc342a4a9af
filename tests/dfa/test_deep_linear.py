"""Deep linear networks under DFA: the factorised form and the BP signal through the alignment matrices."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.dfa.deep import MLPEnsemble, train_ensemble
from paper_code.dfa.deep_linear import (
    alignment_matrices,
    alpha_beta_covariance,
    bp_brackets,
    condition_number,
    predicted_gradient_alignment,
)
from paper_code.dfa.feedback import uniform_feedback

DT = torch.float64


def _trained_linear_net(n_layers: int = 4, epochs: float = 10.0):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, generator=g, dtype=DT)
    y = torch.randn(2, 96, 3, generator=g, dtype=DT)  # two members, c = 3 outputs
    sizes = [6] + [12] * (n_layers - 1) + [3]
    B = uniform_feedback(sizes[1:-1], 3, seed=1, dtype=DT)
    model = MLPEnsemble(sizes, torch.ones(2, dtype=torch.bool), B, activation="linear", init="zero", dtype=DT)
    run = train_ensemble(model, x, y, x, y, task="regression", lr=0.1, batch_size=16, epochs=epochs,
                         order_seeds=[0, 1], n_evals=5, align_batch=32)
    return model, B, x, y, run


@pytest.mark.parametrize("n_layers", [2, 3, 4])
def test_dfa_from_zero_keeps_the_factorised_form(n_layers):
    model, B, _, _, run = _trained_linear_net(n_layers)
    A, res = alignment_matrices(list(model.weights), B)
    assert max(float(r.max()) for r in res) < 1e-12
    assert all(float(w.detach().abs().max()) > 1e-3 for w in model.weights)  # it trained: W != 0
    c, d = 3, 6
    assert A[0].shape == (2, c, d) and all(a.shape == (2, c, c) for a in A[1:])
    assert np.isfinite(run.weight_alignment_total).all()


def test_a_random_network_is_not_factorised():
    B = uniform_feedback([12, 12], 3, seed=1, dtype=DT)
    W = [torch.randn(12, 6, dtype=DT), torch.randn(12, 12, dtype=DT), torch.randn(3, 12, dtype=DT)]
    _, res = alignment_matrices(W, B)
    assert all(float(r) > 0.5 for r in res)


def test_bp_signal_is_b_times_bracket_times_error():
    """For factorised weights the BP signal at hidden layer l equals B_l M_l e exactly."""
    model, B, x, y, _ = _trained_linear_net(4)
    A, _ = alignment_matrices(list(model.weights), B)
    M = bp_brackets(A, B)
    xe = x.expand(2, *x.shape)
    out, pre = model.run(xe, "bp")
    grads = torch.autograd.grad(0.5 * ((out - y) ** 2).sum(), pre)
    e = (out - y).detach()  # (2, n, c)
    for l, (g, Ml) in enumerate(zip(grads, M)):
        want = e @ Ml.transpose(-1, -2) @ B[l].T
        torch.testing.assert_close(g, want, rtol=1e-9, atol=1e-12)
    # and the predicted gradient alignment is the measured one
    pred = predicted_gradient_alignment(B[0], M[0], e)
    cos = ((grads[0] * (e @ B[0].T)).sum(-1) / (grads[0].norm(dim=-1) * (e @ B[0].T).norm(dim=-1))).mean(-1)
    torch.testing.assert_close(pred, cos, rtol=1e-9, atol=1e-12)


def test_identity_bracket_aligns_perfectly():
    B = uniform_feedback([20], 3, seed=0, dtype=DT)[0]
    e = torch.randn(50, 3, dtype=DT)
    assert float(predicted_gradient_alignment(B, 2.0 * torch.eye(3, dtype=DT), e)) == pytest.approx(1.0)
    bad = torch.diag(torch.tensor([1.0, 1e-3, 1e-3], dtype=DT))
    assert float(predicted_gradient_alignment(B, bad, e)) < 0.95


def test_alpha_beta_covariance_and_conditioning():
    np.testing.assert_allclose(alpha_beta_covariance(1.0, 1.0), np.eye(2))
    S = alpha_beta_covariance(0.5, 0.2)
    np.testing.assert_allclose(S, [[1.0, 0.4], [0.4, 0.25]])
    assert condition_number(np.eye(2)) == pytest.approx(1.0)
    assert condition_number(S) > condition_number(alpha_beta_covariance(0.5, 1.0)) > 1
    with pytest.raises(ValueError, match="need alpha > 0 and 0 < beta <= 1"):
        alpha_beta_covariance(0.5, 0.0)
    with pytest.raises(ValueError, match="feedback matrices"):
        alignment_matrices([torch.zeros(3, 2)] * 3, [torch.zeros(3, 1)])
