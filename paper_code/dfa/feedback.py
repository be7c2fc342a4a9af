"""Direct feedback alignment as an autograd node, and the alignment measures of the paper.

DFA (Nokland 2016) trains hidden layer l with the output error e projected by a fixed
random matrix B_l (docs/papers/dfa_alignment.md, section 3):

    Delta W_l = -eta (f'(a_l) * B_l e) h_{l-1}^T      (l < L),     Delta W_L = -eta e h_{L-1}^T,

with a_l = W_l h_{l-1}, h_l = f(a_l), e = dLoss/dy_hat. Backprop would use
W_{l+1}^T (...) e instead of B_l e.

We make ``loss.backward()`` produce exactly these updates, so the shared ``Trainer``
runs DFA unchanged:

* the input of layer l+1 is ``h_l.detach()``: no backprop signal crosses a layer;
* the network output goes through :class:`DirectFeedback`, an identity on y_hat whose
  backward also sends ``B_l e`` to every hidden activation h_l (the "feedback points"
  of the reference code's tinydfa, which injects after the activation too). Autograd
  then multiplies by f'(a_l) and by h_{l-1}, leaving the DFA update in ``W_l.grad``;
  the last layer sees its true gradient.

A BP network is the same graph without the detach and with zero feedback, which is how
the ensembles below train DFA and BP members side by side.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "DirectFeedback",
    "direct_feedback",
    "uniform_feedback",
    "cosine",
    "pairwise_cosine",
    "per_sample_cosine",
]


class DirectFeedback(torch.autograd.Function):
    """``y = DirectFeedback.apply(y_hat, feedback, *hidden)``: y = y_hat; backward sends e B_l^T to h_l.

    Shapes: y_hat (..., n, c); hidden[l] (..., n, *F_l) with prod(F_l) = F_l; feedback[l]
    (..., F_l, c), broadcast against y_hat's leading dims (a shared B is (F_l, c), one B
    per ensemble member (E, F_l, c)). The gradient reaching y_hat passes through
    unchanged; hidden[l] receives ``grad_y @ feedback[l]^T`` reshaped to its shape.
    """

    @staticmethod
    def forward(ctx, y_hat: Tensor, feedback: Sequence[Tensor], *hidden: Tensor) -> Tensor:  # type: ignore[override]
        if len(feedback) != len(hidden):
            raise ValueError(f"need one feedback matrix per hidden layer, got {len(feedback)} and {len(hidden)}")
        ctx.feedback = tuple(feedback)
        ctx.shapes = tuple(h.shape for h in hidden)
        return y_hat.clone()

    @staticmethod
    def backward(ctx, grad_y: Tensor):  # type: ignore[override]
        grads = []
        for B, shape in zip(ctx.feedback, ctx.shapes):
            signal = grad_y @ B.transpose(-1, -2).to(grad_y.dtype)  # (..., n, c) @ (..., c, F) -> (..., n, F)
            grads.append(signal.reshape(shape))
        return (grad_y, None, *grads)


def direct_feedback(y_hat: Tensor, feedback: Sequence[Tensor], hidden: Sequence[Tensor]) -> Tensor:
    """Functional form of :class:`DirectFeedback`; checks the shapes first."""
    for l, (B, h) in enumerate(zip(feedback, hidden)):
        F = int(np.prod(h.shape[y_hat.dim() - 1:]))
        if B.shape[-2:] != (F, y_hat.shape[-1]):
            raise ValueError(f"feedback[{l}] must end in ({F}, {y_hat.shape[-1]}) for hidden shape "
                             f"{tuple(h.shape)}, got {tuple(B.shape)}")
    return DirectFeedback.apply(y_hat, tuple(feedback), *hidden)


def uniform_feedback(sizes: Sequence[int], n_out: int, seed: int, dtype: torch.dtype = torch.float32) -> list[Tensor]:
    """Fixed feedback matrices B_l (F_l, c), uniform in [-1, 1] divided by sqrt(F_l).

    This is the reference code's UNIFORM feedback with tinydfa's normalisation of the
    random projection by sqrt(layer width). One seed for every run: the degeneracy-breaking
    comparison needs the same B for every initialisation.
    """
    g = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, 11]).generate_state(1)[0]))
    return [((2 * torch.rand(F, n_out, generator=g, dtype=torch.float64) - 1) / math.sqrt(F)).to(dtype) for F in sizes]


def cosine(a: Tensor, b: Tensor, eps: float = 1e-30) -> Tensor:
    """Cosine similarity over the last dimension; (...,)."""
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + eps)


def per_sample_cosine(a: Tensor, b: Tensor, feature_dims: int = 1) -> Tensor:
    """Mean over samples of the per-sample cosine between two signals; (...,).

    a, b: (..., n, *F) with ``feature_dims = len(F)`` trailing feature dimensions, flattened
    per sample. This is the gradient-alignment measure of the reference code
    (tinydfa's AlignmentMeasurement); a sample where both signals vanish counts as aligned.
    """
    if a.shape != b.shape or a.dim() < feature_dims + 1:
        raise ValueError(f"signals must have the same shape (..., n, *F), got {tuple(a.shape)} and {tuple(b.shape)}")
    a = a.flatten(start_dim=a.dim() - feature_dims)
    b = b.flatten(start_dim=b.dim() - feature_dims)
    na, nb = a.norm(dim=-1), b.norm(dim=-1)
    cos = (a * b).sum(-1) / (na * nb).clamp_min(1e-30)
    cos = torch.where((na == 0) & (nb == 0), torch.ones_like(cos), cos)
    return cos.mean(-1)


def pairwise_cosine(vectors: Tensor) -> float:
    """Mean cosine over all pairs of rows of ``vectors`` (S, P), S >= 2."""
    if vectors.dim() != 2 or vectors.shape[0] < 2:
        raise ValueError(f"need (S >= 2, P) vectors, got shape {tuple(vectors.shape)}")
    u = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-30)
    G = u @ u.T
    S = G.shape[0]
    return float((G.sum() - G.diagonal().sum()) / (S * (S - 1)))
