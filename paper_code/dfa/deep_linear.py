"""Deep linear networks trained by DFA: the alignment matrices (docs/papers/dfa_alignment.md, section 2).

Network h_0 = x, h_l = W_l h_{l-1}, y_hat = W_L h_{L-1} in R^c, e = y_hat - y, DFA with
fixed B_l (n_l, c):  Delta W_l = -eta (B_l e) h_{l-1}^T (l < L),  Delta W_L = -eta e h_{L-1}^T.

From W_l(0) = 0 every update of W_l has the form B_l (...) for l < L, and h_{l-1} = W_{l-1}
... x lies in the column space of B_{l-1}; by induction

    W_1 = B_1 A_1,   W_l = B_l A_l B_{l-1}^T  (1 < l < L),   W_L = A_L B_{L-1}^T,

with A_1 (c, d) and the other A_l (c, c): the alignment matrices. The BP signal at hidden
layer l is then B_l M_l e with

    M_l = A_{l+1}^T (B_{l+1}^T B_{l+1}) A_{l+2}^T ... (B_{L-1}^T B_{L-1}) A_L^T      (c, c),

while DFA sends B_l e: the gradient alignment of layer l is perfect iff M_l is a positive
multiple of the identity, and it degrades with the conditioning of M_l.

The "alpha-beta" data probe (reference: ``deep/submit_alphabeta.py``): c = 2 outputs
independent of the input, y ~ N(0, Sigma) with Sigma = [[1, a(1-b)], [a(1-b), a^2]];
alpha = beta = 1 gives Sigma = I, small alpha an imbalanced and small beta a correlated
target.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "alpha_beta_covariance",
    "condition_number",
    "alignment_matrices",
    "bp_brackets",
    "predicted_gradient_alignment",
]


def alpha_beta_covariance(alpha: float, beta: float) -> np.ndarray:
    """Target covariance [[1, a(1-b)], [a(1-b), a^2]] of the alpha-beta probe; needs a > 0, 0 < b <= 1."""
    if not (alpha > 0 and 0 < beta <= 1):
        raise ValueError(f"need alpha > 0 and 0 < beta <= 1, got alpha={alpha}, beta={beta}")
    r = alpha * (1 - beta)
    return np.array([[1.0, r], [r, alpha**2]])


def condition_number(M: np.ndarray) -> np.ndarray:
    """sigma_max / sigma_min of (..., c, c) matrices (inf when singular)."""
    s = np.linalg.svd(np.asarray(M, dtype=float), compute_uv=False)
    with np.errstate(divide="ignore"):
        return s[..., 0] / s[..., -1]


def alignment_matrices(weights: Sequence[Tensor], feedback: Sequence[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
    """Least-squares alignment matrices A_l and the relative residuals of the factorised form.

    Args:
        weights: W_l (..., n_l, n_{l-1}), l = 1..L (leading ensemble dims allowed).
        feedback: B_l (n_l, c), l = 1..L-1, full column rank.
    Returns:
        A: [A_1 (..., c, d), A_2 (..., c, c), ..., A_L (..., c, c)]; residual: per layer
        |W_l - factorised form| / |W_l| (...,) (0 where W_l = 0). The residual is ~1e-15 in
        float64 for a net trained by DFA from zero weights.
    """
    L = len(weights)
    if len(feedback) != L - 1:
        raise ValueError(f"need L-1 = {L - 1} feedback matrices for {L} layers, got {len(feedback)}")
    weights = [W.detach() for W in weights]
    P = [torch.linalg.pinv(B.to(weights[0].dtype)) for B in feedback]  # (c, n_l): P B = I
    A, res = [], []
    for l, W in enumerate(weights):
        if l == 0:
            a = P[0] @ W
            rec = feedback[0].to(W.dtype) @ a
        elif l < L - 1:
            a = P[l] @ W @ P[l - 1].T
            rec = feedback[l].to(W.dtype) @ a @ feedback[l - 1].to(W.dtype).T
        else:
            a = W @ P[l - 1].T
            rec = a @ feedback[l - 1].to(W.dtype).T
        A.append(a)
        norm = W.flatten(-2).norm(dim=-1)
        res.append(torch.where(norm > 0, (W - rec).flatten(-2).norm(dim=-1) / norm.clamp_min(1e-300), 0 * norm))
    return A, res


def bp_brackets(A: Sequence[Tensor], feedback: Sequence[Tensor]) -> list[Tensor]:
    """M_l = A_{l+1}^T (B_{l+1}^T B_{l+1}) A_{l+2}^T ... (B_{L-1}^T B_{L-1}) A_L^T for hidden layers l = 1..L-1.

    The BP signal at h_l is B_l M_l e when the weights have the factorised form.
    """
    L = len(A)
    G = [B.T @ B for B in feedback]  # (c, c)
    out = []
    for l in range(1, L):  # 1-based hidden layer l -> product over layers l+1..L
        M = A[l].transpose(-1, -2)
        for k in range(l + 1, L):
            M = M @ G[k - 1].to(M.dtype) @ A[k].transpose(-1, -2)
        out.append(M)
    return out


def predicted_gradient_alignment(B: Tensor, M: Tensor, errors: Tensor) -> Tensor:
    """Mean over errors e of cos(B M e, B e); B (n, c), M (..., c, c), errors (..., n_samples, c) -> (...,)."""
    bp = errors @ M.transpose(-1, -2) @ B.T.to(M.dtype)  # (..., s, n)
    dfa = errors @ B.T.to(errors.dtype)
    cos = (bp * dfa).sum(-1) / (bp.norm(dim=-1) * dfa.norm(dim=-1)).clamp_min(1e-300)
    return cos.mean(-1)
