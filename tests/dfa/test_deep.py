"""Deep ensembles: data helpers, alignment measures, the training driver."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.dfa.deep import (
    MemberBatches,
    MLPEnsemble,
    cross_seed_cosine,
    downsample_images,
    gradient_alignment,
    noisy_labels,
    train_ensemble,
    weight_alignment,
)
from paper_code.dfa.feedback import uniform_feedback


def _model(E=3, sizes=(8, 6, 5, 4), dfa=None, seeds=None):
    B = uniform_feedback(sizes[1:-1], sizes[-1], seed=0, dtype=torch.float64)
    dfa = torch.ones(E, dtype=torch.bool) if dfa is None else torch.tensor(dfa)
    return MLPEnsemble(sizes, dfa, B, activation="tanh", member_seeds=seeds, dtype=torch.float64), B


def test_weight_alignment_is_one_on_the_feedback_products():
    model, B = _model(E=2)
    with torch.no_grad():
        model.weights[1][0] = 3.0 * B[1] @ B[0].T
        model.weights[2][0] = 3.0 * B[1].T  # the total needs one common scale: it is the cosine of the concatenation
        model.weights[1][1] = 3.0 * B[1] @ B[0].T
        model.weights[2][1] = 0.5 * B[1].T
    per_layer, total = weight_alignment(model)
    torch.testing.assert_close(per_layer, torch.ones(2, 2, dtype=torch.float64))
    assert float(total[0]) == pytest.approx(1.0)
    assert float(total[1]) < 0.99
    fresh, _ = _model(E=1)
    assert abs(float(weight_alignment(fresh)[1][0])) < 0.9  # a random init is not aligned


def test_gradient_alignment_of_an_aligned_top_layer():
    """W_L = c B_{L-1}^T makes the BP signal of the last hidden layer parallel to B_{L-1} e."""
    model, B = _model(E=1)
    with torch.no_grad():
        model.weights[2][0] = 2.0 * B[1].T
    x = torch.randn(1, 10, 8, dtype=torch.float64)
    y = torch.randint(0, 4, (1, 10))
    loss = lambda out, yy: torch.nn.functional.cross_entropy(out.flatten(0, 1), yy.flatten(), reduction="sum")  # noqa: E731
    per_layer, total = gradient_alignment(model, x, y, loss)
    assert float(per_layer[0, 1]) == pytest.approx(1.0, abs=1e-9)
    assert -1 <= float(total[0]) <= 1 and float(per_layer[0, 0]) < 0.999


def test_member_batches_and_common_random_numbers():
    x = torch.arange(20.0)[:, None]
    y = torch.stack([torch.arange(20), torch.arange(20) + 100, torch.arange(20)])
    mb = MemberBatches(x, y, batch_size=5, order_seeds=[0, 0, 1])
    xb, yb = mb.get(3)
    assert xb.shape == (3, 5, 1) and yb.shape == (3, 5)
    assert torch.equal(xb[0], xb[1]) and not torch.equal(xb[0], xb[2])
    torch.testing.assert_close(yb[1] - 100, xb[1, :, 0].long())  # targets follow their own samples
    assert torch.equal(mb.get(3)[0], xb)  # pure function of the step
    with pytest.raises(ValueError, match="need y"):
        MemberBatches(x, y[:, :10], 5, [0, 0, 1])


def test_noisy_labels_and_downsampling():
    labels = np.repeat(np.arange(10), 1000)
    assert np.array_equal(noisy_labels(labels, 0.0, 10, seed=0), labels)
    changed = (noisy_labels(labels, 0.5, 10, seed=0) != labels).mean()
    assert changed == pytest.approx(0.5 * 0.9, abs=0.02)  # a redrawn label keeps its class with prob 1/10
    with pytest.raises(ValueError, match=r"label noise p must be in \[0, 1\]"):
        noisy_labels(labels, 1.5, 10, seed=0)
    img = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_allclose(downsample_images(img, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match="must divide"):
        downsample_images(img, 3)


def test_train_ensemble_smoke_and_degeneracy_measure():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=g)
    y = torch.randint(0, 4, (64,), generator=g)
    sizes = (8, 6, 5, 4)
    B = uniform_feedback(sizes[1:-1], 4, seed=0)
    model = MLPEnsemble(sizes, torch.tensor([True, True, False]), B, member_seeds=[0, 1, 0])
    run = train_ensemble(model, x, y.expand(3, 64), x, y, task="classification", lr=0.1, batch_size=16, epochs=2,
                         order_seeds=[0, 1, 0], n_evals=4, align_batch=16, cross_seed_groups={"dfa": [0, 1]})
    n = run.epochs.size
    assert run.epochs[0] == 0 and run.epochs[-1] == 2
    assert run.train_error.shape == (3, n) and run.grad_alignment.shape == (3, n, 2)
    assert run.weight_alignment.shape == (3, n, 2) and run.cross_seed["dfa"].shape == (n,)
    assert np.isfinite(run.grad_alignment_total).all()
    assert cross_seed_cosine(model, [0, 2], [0]) == pytest.approx(cross_seed_cosine(model, [2, 0], [0]))
    with pytest.raises(ValueError, match="task must be"):
        train_ensemble(model, x, y.expand(3, 64), x, y, task="ranking", lr=0.1, batch_size=16, epochs=1,
                       order_seeds=[0, 1, 0])


def test_bad_model_inputs():
    B = uniform_feedback([6, 5], 4, seed=0)
    with pytest.raises(ValueError, match="feedback must be matrices of shapes"):
        MLPEnsemble((8, 6, 5, 4), torch.ones(2, dtype=torch.bool), B[:1])
    with pytest.raises(ValueError, match="activation must be one of"):
        MLPEnsemble((8, 6, 5, 4), torch.ones(2, dtype=torch.bool), B, activation="gelu")
    with pytest.raises(ValueError, match="init must be"):
        MLPEnsemble((8, 6, 5, 4), torch.ones(2, dtype=torch.bool), B, init="normal")
