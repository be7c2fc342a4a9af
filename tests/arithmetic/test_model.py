"""The arithmetic transformer: relative logits are Toeplitz, every encoding runs at unseen lengths, the slot loss
and exact match read the right positions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.arithmetic import data as D
from paper_code.arithmetic.model import (
    POSITIONS,
    RELATIVE,
    ArithmeticTransformer,
    ModelConfig,
    predict_slots,
    slot_loss,
)


def _model(position: str, **kw) -> ArithmeticTransformer:
    torch.manual_seed(0)
    return ArithmeticTransformer(ModelConfig(position=position, d_model=32, n_heads=4, clip=kw.pop("clip", 6), **kw))


@pytest.mark.parametrize("position", RELATIVE)
def test_relative_logits_on_constant_input_are_toeplitz(position):
    net = _model(position)
    with torch.no_grad():
        for p in net.blocks[0].attn.relative.parameters():
            p.normal_()  # random tables, so the test does not pass on a zero init
    ids = torch.full((1, 20), D.VOCAB.stoi["7"])
    logits = net.attention_logits(ids, layer=0)[0]  # (H, S, S)
    for h in range(logits.shape[0]):
        m = logits[h].detach().numpy()
        for off in range(-19, 20):
            diag = np.diagonal(m, off)
            np.testing.assert_allclose(diag, diag[0], rtol=1e-5, atol=1e-5)
        # and the offsets are told apart up to the clip, shared beyond it
        assert not np.isclose(np.diagonal(m, 1)[0], np.diagonal(m, 2)[0])
        np.testing.assert_allclose(np.diagonal(m, 7)[0], np.diagonal(m, 12)[0], rtol=1e-5, atol=1e-5)


def test_absolute_logits_on_constant_input_are_not_toeplitz():
    """The control: absolute embeddings make the same logits depend on the positions themselves."""
    m = _model("absolute").attention_logits(torch.full((1, 20), 9), layer=0)[0, 0].detach().numpy()
    assert np.ptp(np.diagonal(m, 1)) > 1e-3


@pytest.mark.parametrize("position", POSITIONS)
def test_every_encoding_evaluates_longer_than_training(position):
    """Trained (one step) on 1-3 digit sums, evaluated at 4..12 digits padded, and at 30 digits compact: shapes
    right, no error."""
    net = _model(position, max_positions=128)
    layout = D.Layout(width=12)
    x, y = D.tensorize(D.make_training_set(0, "+", range(1, 4), 64, layout=layout))
    loss = slot_loss(net, (x, y))
    loss.backward()
    assert torch.isfinite(loss)
    for L in (4, 8, 12):
        tx, ty = D.tensorize(D.make_test_set(0, "+", L, 16, layout=layout)[L])
        assert predict_slots(net, tx, ty).shape == (16,)
    cx, cy = D.tensorize(D.make_test_set(0, "*", 30, 8, m_digits=2, layout="compact")[30])
    assert net(cx).shape == (*cx.shape, len(D.VOCAB))
    assert predict_slots(net, cx, cy).dtype == torch.bool


def test_absolute_table_overflow_is_a_clear_error():
    net = _model("absolute", max_positions=10)
    with pytest.raises(ValueError, match="max_positions=10"):
        net(torch.full((1, 11), 3))


def test_predict_slots_is_exact_match():
    """A model that copies the targets scores 1; one wrong slot anywhere (a leading zero included) scores 0."""
    ex = D.make_test_set(0, "+", 3, 5, layout=D.Layout(width=4))[3]
    x, y = D.tensorize(ex)

    class Oracle(torch.nn.Module):
        def __init__(self, flip: int | None):
            super().__init__()
            self.flip = flip

        def forward(self, ids):
            t = y.clone()
            t[t == D.IGNORE] = 0
            if self.flip is not None:
                col = (y[0] != D.IGNORE).nonzero()[self.flip]
                t[:, col] = (t[:, col] + 1) % len(D.VOCAB)
            return torch.nn.functional.one_hot(t, len(D.VOCAB)).float()

    assert predict_slots(Oracle(None), x, y).all()
    assert not predict_slots(Oracle(-1), x, y).any()  # the most significant slot: a padding zero
    assert not predict_slots(Oracle(0), x, y).any()


def test_model_config_rejects_bad_values():
    with pytest.raises(ValueError, match="position"):
        ModelConfig(position="rotary")
    with pytest.raises(ValueError, match="n_heads"):
        ModelConfig(d_model=30, n_heads=4)
