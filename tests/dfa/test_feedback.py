"""DFA as an autograd node: loss.backward() must leave exactly the DFA updates in .grad."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from paper_code.dfa.deep import CNNEnsemble, MLPEnsemble
from paper_code.dfa.feedback import direct_feedback, pairwise_cosine, per_sample_cosine, uniform_feedback

DT = torch.float64


def _tiny_mlp(activation: str = "tanh"):
    sizes = [5, 4, 3, 2]  # two hidden layers, c = 2 outputs
    B = uniform_feedback(sizes[1:-1], 2, seed=3, dtype=DT)
    model = MLPEnsemble(sizes, torch.tensor([True, False]), B, activation=activation, member_seeds=[7, 7], dtype=DT)
    return model, B


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_dfa_update_matches_its_analytic_form(activation):
    """Member 0 (DFA): dW_l = (f'(a_l) * B_l e) h_{l-1}^T, dW_L = e h_{L-1}^T; member 1 (BP): plain autograd."""
    model, B = _tiny_mlp(activation)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 5, generator=g, dtype=DT)
    y = torch.randn(6, 2, generator=g, dtype=DT)
    out = model(x.expand(2, 6, 5))
    (0.5 * ((out - y) ** 2).sum()).backward()

    W = [w.detach()[0] for w in model.weights]  # both members start from the same weights
    f = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}[activation]
    a1 = x @ W[0].T
    h1 = f(a1)
    a2 = h1 @ W[1].T
    h2 = f(a2)
    e = h2 @ W[2].T - y  # (n, c): dLoss / dy_hat
    fprime = lambda a, h: {"tanh": 1 - h**2, "relu": (a > 0).to(DT), "linear": torch.ones_like(a)}[activation]  # noqa: E731
    d1 = fprime(a1, h1) * (e @ B[0].T)
    d2 = fprime(a2, h2) * (e @ B[1].T)
    torch.testing.assert_close(model.weights[0].grad[0], d1.T @ x, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.weights[1].grad[0], d2.T @ h1, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.weights[2].grad[0], e.T @ h2, rtol=1e-12, atol=1e-12)

    # the BP member gets the true gradient of an ordinary network with the same weights
    Wr = [w.clone().requires_grad_(True) for w in W]
    yr = f(f(x @ Wr[0].T) @ Wr[1].T) @ Wr[2].T
    grads = torch.autograd.grad(0.5 * ((yr - y) ** 2).sum(), Wr)
    for l in range(3):
        torch.testing.assert_close(model.weights[l].grad[1], grads[l], rtol=1e-12, atol=1e-12)
    if activation != "linear":  # and DFA is not BP
        assert not torch.allclose(model.weights[0].grad[0], model.weights[0].grad[1])


def test_dfa_and_bp_modes_give_the_two_signals():
    model, B = _tiny_mlp()
    x = torch.randn(2, 4, 5, dtype=DT)
    y = torch.randn(2, 4, 2, dtype=DT)
    out_d, pre_d = model.run(x, "dfa")
    out_b, pre_b = model.run(x, "bp")
    torch.testing.assert_close(out_d, out_b)  # same forward
    sd = torch.autograd.grad(0.5 * ((out_d - y) ** 2).sum(), pre_d)
    sb = torch.autograd.grad(0.5 * ((out_b - y) ** 2).sum(), pre_b)
    e = out_b.detach() - y
    torch.testing.assert_close(sd[1], (1 - torch.tanh(pre_b[1].detach()) ** 2) * (e @ B[1].T))
    assert not torch.allclose(sd[0], sb[0])
    with pytest.raises(ValueError, match="mode must be one of"):
        model.run(x, "fa")


def test_cnn_dfa_gradient_matches_an_explicit_injection():
    """Grouped-conv ensemble: the DFA member's conv grads equal the conv backward of f'(a) * reshape(B e)."""
    torch.manual_seed(0)
    B = uniform_feedback([3 * 6 * 6, 3 * 6 * 6], 4, seed=1)
    model = CNNEnsemble((2, 6, 6), 3, 2, 4, torch.tensor([True, False]), B, activation="tanh", member_seeds=[0, 1])
    x = torch.randn(5, 2, 6, 6)
    y = torch.randint(0, 4, (5,))
    out = model(x.expand(2, *x.shape))
    F.cross_entropy(out.flatten(0, 1), y.repeat(2), reduction="sum").backward()
    W0, W1, W2 = (w.detach()[0] for w in model.weights)
    a1 = F.conv2d(x, W0, padding=1)
    h1 = torch.tanh(a1)
    a2 = F.conv2d(h1, W1, padding=1)
    h2 = torch.tanh(a2)
    logits = h2.flatten(1) @ W2.T
    e = torch.softmax(logits, -1) - F.one_hot(y, 4)
    for W, a, h, Bl, xin, grad in ((W0, a1, h1, B[0], x, model.weights[0].grad[0]),
                                   (W1, a2, h2, B[1], h1, model.weights[1].grad[0])):
        delta = (1 - h**2) * (e @ Bl.T).reshape(a.shape)
        Wr = W.clone().requires_grad_(True)
        (want,) = torch.autograd.grad(F.conv2d(xin, Wr, padding=1), Wr, grad_outputs=delta)
        torch.testing.assert_close(grad, want, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.weights[2].grad[0], e.T @ h2.flatten(1), rtol=1e-4, atol=1e-5)
    # member 1 (BP) = an ordinary CNN with its own weights
    V = [w.detach()[1].clone().requires_grad_(True) for w in model.weights]
    lb = torch.tanh(F.conv2d(torch.tanh(F.conv2d(x, V[0], padding=1)), V[1], padding=1)).flatten(1) @ V[2].T
    gb = torch.autograd.grad(F.cross_entropy(lb, y, reduction="sum"), V)
    for l in range(3):
        torch.testing.assert_close(model.weights[l].grad[1], gb[l], rtol=1e-4, atol=1e-5)


def test_direct_feedback_checks_shapes():
    y = torch.zeros(3, 2, requires_grad=True)
    h = torch.zeros(3, 4, requires_grad=True)
    with pytest.raises(ValueError, match=r"feedback\[0\] must end in \(4, 2\)"):
        direct_feedback(y, [torch.zeros(5, 2)], [h])


def test_cosines():
    a = torch.tensor([[[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]])  # (1, 3 samples, 2)
    b = torch.tensor([[[2.0, 0.0], [0.0, 0.0], [-1.0, -1.0]]])
    # samples: cos 1, both zero -> 1 (aligned by convention), cos -1
    assert per_sample_cosine(a, b).item() == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="same shape"):
        per_sample_cosine(a, b[..., :1])
    v = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    s = 1 / math.sqrt(2)
    assert pairwise_cosine(v) == pytest.approx((s + 0 + s) / 3)
    with pytest.raises(ValueError, match="S >= 2"):
        pairwise_cosine(v[:1])


def test_uniform_feedback_is_seeded_and_scaled():
    a = uniform_feedback([100, 50], 10, seed=0)
    b = uniform_feedback([100, 50], 10, seed=0)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert a[0].shape == (100, 10) and a[0].abs().max() <= 1 / math.sqrt(100)
    assert not torch.equal(uniform_feedback([100], 10, seed=1)[0], a[0])
