"""Feedback matrices a convolution can align with ("aligned" feedback for CNNs).

The paper's explanation of why DFA fails on CNNs (docs/papers/dfa_alignment.md, section 4):
DFA drives a layer towards W_l = B_l A_l B_{l-1}^T, and a convolution (local, with
shared weights) cannot take that form for dense random B's. The companion repository
GitHub ``sdascoli/dfa-conv`` (``main.py``, feedback ``ALIGNED_SVD``) tests the converse:
choose the B's so that the convolutions already have that form. Its recipe, which we
implement here in our own code:

1. write conv layer l (l >= 2, 1-based) as the dense matrix D_l (F_l x F_{l-1}) of its linear map;
2. keep its top c singular triplets, D_l ~ U S V^T, and set B_l = U S^(1/2) and
   B_{l-1} = V S^(1/2) (averaged when layer l-1 also gets one from its own SVD), so that
   D_l ~ B_l B_{l-1}^T: A_l = identity from the start;
3. start the dense output layer at W_L = B_{L-1}^T, the form DFA drives it to;
4. normalise each feedback column (one per output class).

We differ in scale only: the reference normalises the columns to unit norm; we give them
the mean column norm of the random feedback they replace, so that the two DFA variants
take steps of the same size and differ only in direction. The singular vectors come from
ARPACK on the convolution as a linear operator (conv2d forward, conv_transpose2d
backward): no F_l x F_{l-1} matrix is ever formed.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from paper_code.dfa.deep import CNNEnsemble

__all__ = ["conv_dense_matrix", "conv_top_singular", "aligned_conv_feedback", "align_member"]


def _check(weight: Tensor, in_shape: Sequence[int]) -> tuple[int, int, int]:
    if weight.dim() != 4:
        raise ValueError(f"need a conv weight (C_out, C_in, k, k), got shape {tuple(weight.shape)}")
    C, H, W = (int(s) for s in in_shape)
    if weight.shape[1] != C:
        raise ValueError(f"conv weight expects {weight.shape[1]} input channels, in_shape has {C}")
    return C, H, W


def conv_dense_matrix(weight: Tensor, in_shape: Sequence[int], padding: int) -> Tensor:
    """The (C_out H' W', C_in H W) matrix of ``conv2d(., weight, padding)`` (float64; small layers only)."""
    C, H, W = _check(weight, in_shape)
    eye = torch.eye(C * H * W, dtype=torch.float64).reshape(-1, C, H, W)
    out = F.conv2d(eye, weight.detach().double(), padding=padding)
    return out.reshape(C * H * W, -1).T


def conv_top_singular(weight: Tensor, in_shape: Sequence[int], padding: int, k: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top ``k`` singular triplets of the convolution's matrix: U (F_out, k), S (k,) descending, V (F_in, k).

    Signs are fixed (the largest-magnitude entry of each column of U is positive), so the
    result does not depend on the solver's start vector.
    """
    from scipy.sparse.linalg import LinearOperator, svds

    C, H, W = _check(weight, in_shape)
    w = weight.detach().double()
    out_shape = F.conv2d(torch.zeros(1, C, H, W, dtype=torch.float64), w, padding=padding).shape[1:]
    n_in, n_out = C * H * W, int(np.prod(out_shape))
    if not 0 < k < min(n_in, n_out):
        raise ValueError(f"need 0 < k < {min(n_in, n_out)} singular vectors, got k={k}")

    def matvec(x: np.ndarray) -> np.ndarray:  # x (n_in,) or (n_in, m): columns are vectors
        cols = torch.from_numpy(np.asarray(x, dtype=np.float64).reshape(n_in, -1).T.copy())
        return F.conv2d(cols.reshape(-1, C, H, W), w, padding=padding).reshape(cols.shape[0], -1).T.numpy()

    def rmatvec(y: np.ndarray) -> np.ndarray:
        cols = torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(n_out, -1).T.copy())
        return F.conv_transpose2d(cols.reshape(-1, *out_shape), w, padding=padding).reshape(cols.shape[0], -1).T.numpy()

    op = LinearOperator((n_out, n_in), matvec=matvec, rmatvec=rmatvec, matmat=matvec, rmatmat=rmatvec,
                        dtype=np.float64)
    v0 = np.full(min(n_in, n_out), 1.0 / np.sqrt(min(n_in, n_out)))
    U, S, Vt = svds(op, k=k, v0=v0, solver="arpack")
    order = np.argsort(S)[::-1]
    U, S, V = U[:, order], S[order], Vt[order].T
    flip = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(k)])
    return U * flip, S, V * flip


def aligned_conv_feedback(conv_weights: Sequence[Tensor], in_shapes: Sequence[Sequence[int]], n_out: int,
                          padding: int, column_norms: Sequence[float]) -> list[Tensor]:
    """Feedback B_l (F_l, c) for every conv layer, built from the layers' own top singular vectors.

    Args:
        conv_weights: the conv kernels of one network, (C_l, C_{l-1}, k, k) for l = 1..n_conv.
        in_shapes: the (C, H, W) input of each conv layer.
        n_out: c, the number of outputs (singular triplets kept per layer).
        column_norms: the norm each layer's feedback columns get.
    Returns B_1..B_n (float32), with D_l ~ B_l B_{l-1}^T up to the column normalisation.
    """
    n = len(conv_weights)
    if n < 2:
        raise ValueError("aligned feedback needs at least 2 conv layers: B_l comes from the layer above l")
    if len(in_shapes) != n or len(column_norms) != n:
        raise ValueError(f"need one input shape and one column norm per conv layer ({n})")
    parts: list[list[np.ndarray]] = [[] for _ in range(n)]
    for l in range(1, n):
        U, S, V = conv_top_singular(conv_weights[l], in_shapes[l], padding, n_out)
        root = np.sqrt(S)[None, :]
        parts[l].append(U * root)
        parts[l - 1].append(V * root)
    out = []
    for B_parts, norm in zip(parts, column_norms):
        B = np.mean(B_parts, axis=0)
        B = B / np.linalg.norm(B, axis=0, keepdims=True) * float(norm)
        out.append(torch.from_numpy(B).float())
    return out


def align_member(model: CNNEnsemble, member: int, column_norms: Sequence[float]) -> list[Tensor]:
    """Give ``member`` of a CNN ensemble (with per-member feedback) aligned feedback and an aligned output layer.

    The feedback comes from the member's current (initial) convolutions; the output layer
    becomes B_{L-1}^T scaled to its current mean row norm. Returns the new feedback matrices.
    """
    if any(B.dim() != 3 for B in model.feedback):
        raise ValueError("align_member needs per-member feedback matrices (E, F, c)")
    n_conv = model.n_hidden
    C, H, W = model.in_shape
    conv = [model.weights[l][member] for l in range(n_conv)]
    in_shapes = [(C, H, W)] + [(model.channels, H, W)] * (n_conv - 1)
    c = model.weights[-1].shape[1]
    B_aligned = aligned_conv_feedback(conv, in_shapes, c, model.kernel // 2, column_norms)
    with torch.no_grad():
        for l, B in enumerate(B_aligned):
            model.feedback[l][member] = B
        W_out = model.weights[-1]
        target = B_aligned[-1].T  # (c, F): the output layer starts in the form DFA drives it to
        W_out[member] = target * (W_out[member].norm(dim=1).mean() / target.norm(dim=1).mean())
    return B_aligned
