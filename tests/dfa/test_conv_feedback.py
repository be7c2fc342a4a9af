"""Feedback aligned to a CNN's convolutions (the ALIGNED_SVD recipe of sdascoli/dfa-conv)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from paper_code.dfa.conv_feedback import align_member, aligned_conv_feedback, conv_dense_matrix, conv_top_singular
from paper_code.dfa.deep import CNNEnsemble, gradient_alignment
from paper_code.dfa.feedback import uniform_feedback


def test_dense_matrix_is_the_convolution():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64)
    x = torch.randn(2, 5, 5, generator=g, dtype=torch.float64)
    D = conv_dense_matrix(w, (2, 5, 5), padding=1)
    torch.testing.assert_close(D @ x.flatten(), F.conv2d(x[None], w, padding=1).flatten())


def test_top_singular_triplets_match_a_dense_svd():
    w = torch.randn(3, 2, 3, 3, generator=torch.Generator().manual_seed(1))
    D = conv_dense_matrix(w, (2, 5, 5), padding=1).numpy()
    U, S, V = conv_top_singular(w, (2, 5, 5), 1, 4)
    Ud, Sd, Vdt = np.linalg.svd(D)
    np.testing.assert_allclose(S, Sd[:4], rtol=1e-10)
    np.testing.assert_allclose(U @ np.diag(S) @ V.T, Ud[:, :4] * Sd[:4] @ Vdt[:4], atol=1e-10)
    assert (U[np.argmax(np.abs(U), axis=0), np.arange(4)] > 0).all()  # the sign convention
    with pytest.raises(ValueError, match="need 0 < k <"):
        conv_top_singular(w, (2, 5, 5), 1, 0)


def test_aligned_feedback_spans_the_top_singular_spaces():
    g = torch.Generator().manual_seed(2)
    convs = [torch.randn(4, 1, 3, 3, generator=g), torch.randn(4, 4, 3, 3, generator=g)]
    B0, B1 = aligned_conv_feedback(convs, [(1, 6, 6), (4, 6, 6)], 3, 1, [0.5, 2.0])
    U, _, V = conv_top_singular(convs[1], (4, 6, 6), 1, 3)
    np.testing.assert_allclose(np.linalg.norm(B0.numpy(), axis=0), 0.5, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(B1.numpy(), axis=0), 2.0, rtol=1e-5)
    for B, basis in ((B1, U), (B0, V)):  # B's columns lie in the layer's top singular space
        Bn = B.double().numpy()
        np.testing.assert_allclose(basis @ (basis.T @ Bn), Bn, atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 conv layers"):
        aligned_conv_feedback(convs[:1], [(1, 6, 6)], 3, 1, [1.0])


def test_aligned_member_starts_with_aligned_gradients_and_random_feedback_does_not():
    """With W_out = B_2^T the top conv layer's BP signal is exactly the DFA signal; dense random B is at chance."""
    B = uniform_feedback([4 * 36] * 2, 3, seed=0)
    model = CNNEnsemble((1, 6, 6), 4, 2, 3, torch.tensor([True, True]), [b[None].expand(2, -1, -1).clone() for b in B],
                        activation="tanh", member_seeds=[0, 0])
    align_member(model, 1, [float(b.norm(dim=0).mean()) for b in B])
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 64, 1, 6, 6, generator=g)
    y = torch.randint(0, 3, (2, 64), generator=g)
    per_layer, _ = gradient_alignment(model, x, y, lambda out, t: F.cross_entropy(out.flatten(0, 1), t.flatten(),
                                                                                   reduction="sum"))
    assert float(per_layer[1, 1]) == pytest.approx(1.0, abs=1e-5)  # aligned member, top conv layer
    assert float(per_layer[1, 0]) > 0.5  # the layer below: through the convolution's top singular directions
    assert abs(float(per_layer[0, 1])) < 0.3 and abs(float(per_layer[0, 0])) < 0.3  # random feedback: chance
    with pytest.raises(ValueError, match="per-member feedback"):
        align_member(CNNEnsemble((1, 6, 6), 4, 2, 3, torch.tensor([True]), B), 0, [1.0, 1.0])
