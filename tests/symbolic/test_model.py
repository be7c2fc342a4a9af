"""Point embedder + seq2seq transformer: shapes, gradients, beam(1) == greedy, sampling, learning."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.symbolic.embedder import PointEmbedder, Vocabulary, input_vocabulary, output_vocabulary, tokenize_points
from paper_code.symbolic.encoding import encode
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.model import Seq2SeqConfig, Seq2SeqTransformer, sequence_loss
from paper_code.symbolic.numbers import FloatTokenizer

FLOATS = FloatTokenizer(precision=3, max_exponent=10)
IN_VOCAB = input_vocabulary(FLOATS)
OUT_VOCAB = output_vocabulary(FLOATS, max_dim=2)
CFG = Seq2SeqConfig(d_model=32, n_heads=4, enc_layers=1, dec_layers=2, token_dim=8, max_width=3, max_len=16)


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    pts = [rng.normal(size=(n, w)) for n, w in [(10, 2), (7, 3), (12, 3)]]
    return tokenize_points(pts, FLOATS, IN_VOCAB, max_width=3)


def _model(seed=0):
    torch.manual_seed(seed)
    return Seq2SeqTransformer(CFG, len(IN_VOCAB), len(OUT_VOCAB)).eval()


def test_tokenize_points_and_vocab():
    ids, mask = _batch()
    assert ids.shape == (3, 12, 9) and mask.shape == (3, 12)
    assert mask[0, 10:].all() and not mask[0, :10].any()
    assert (ids[0, :10, 6:] == IN_VOCAB.pad_id).all() and (ids[1, :7, 6:] != IN_VOCAB.pad_id).all()
    toks = encode(op("add", const(1.5), var(1)), FLOATS)
    assert OUT_VOCAB.decode(OUT_VOCAB.encode(toks) + [OUT_VOCAB.eos_id, 5]) == toks
    with pytest.raises(KeyError):
        Vocabulary(["a"]).encode(["b"])
    emb = PointEmbedder(len(IN_VOCAB), 3, 16, token_dim=4)
    assert emb(ids).shape == (3, 12, 16)
    with pytest.raises(ValueError, match="rows of 8 tokens; this embedder reads 9"):
        emb(ids[..., :8])


def test_single_token_values_embed_one_token_per_number():
    """Rows of bits (Boolformer): one token per value, so a row of D + 1 values is D + 1 tokens."""
    cfg = Seq2SeqConfig(d_model=16, n_heads=2, enc_layers=1, dec_layers=1, token_dim=4, max_width=6,
                        tokens_per_value=1, max_len=8)
    model = Seq2SeqTransformer(cfg, in_vocab=4, out_vocab=10)
    ids = torch.randint(0, 4, (2, 5, 6))
    assert model.encode(ids).shape == (2, 5, 16)
    assert model.embedder.mlp[0].in_features == 6 * 4


def test_forward_shapes_and_finite_grads():
    model = _model().train()
    ids, mask = _batch()
    tgt = torch.randint(2, len(OUT_VOCAB), (3, 9))
    tgt[:, 0] = OUT_VOCAB.eos_id
    assert model(ids, mask, tgt).shape == (3, 9, len(OUT_VOCAB))
    loss = model.loss(ids, mask, tgt)
    loss.backward()
    assert torch.isfinite(loss)
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_sequence_loss_projects_only_target_positions_and_equals_the_full_loss():
    model = _model(2).train()
    ids, mask = _batch(1)
    seq = torch.randint(2, len(OUT_VOCAB), (3, 10))
    seq[:, 0] = OUT_VOCAB.eos_id
    seq[0, 6:] = OUT_VOCAB.pad_id  # ragged targets: padding is ignored either way
    seq[1, 3:] = OUT_VOCAB.pad_id
    keep = seq[:, 1:] != OUT_VOCAB.pad_id
    assert model(ids, mask, seq[:, :-1], keep).shape == (int(keep.sum()), len(OUT_VOCAB))
    torch.testing.assert_close(model(ids, mask, seq[:, :-1], keep), model(ids, mask, seq[:, :-1])[keep])
    fast, full = sequence_loss(model, (ids, mask, seq)), model.loss(ids, mask, seq)
    torch.testing.assert_close(fast, full)
    g_fast = torch.autograd.grad(fast, list(model.parameters()), allow_unused=True)
    g_full = torch.autograd.grad(model.loss(ids, mask, seq), list(model.parameters()), allow_unused=True)
    for a, b in zip(g_fast, g_full):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b)


def test_beam_one_equals_greedy_and_sampling():
    model = _model(1)
    ids, mask = _batch(1)
    greedy = model.greedy(ids, mask)
    beams = model.beam_search(ids, mask, beam_size=1)
    for b in range(3):
        g = OUT_VOCAB.decode(greedy[b].tolist())
        assert OUT_VOCAB.itos and [OUT_VOCAB.itos[i] for i in beams[b][0][1]] == g
    wide = model.beam_search(ids[:1], mask[:1], beam_size=3)[0]
    assert 1 <= len(wide) <= 3 and all(wide[i][0] >= wide[i + 1][0] for i in range(len(wide) - 1))
    gen = torch.Generator().manual_seed(0)
    s = model.sample(ids, mask, temperature=0.5, n_samples=4, top_k=5, generator=gen)
    assert s.shape[0] == 12 and s.shape[1] <= CFG.max_len - 1
    # an input with padded points decodes the same as the unpadded input alone
    rng = np.random.default_rng(1)
    rng.normal(size=(10, 2))
    solo, solo_mask = tokenize_points([rng.normal(size=(7, 3))], FLOATS, IN_VOCAB, 3)
    assert OUT_VOCAB.decode(model.greedy(solo, solo_mask)[0].tolist()) == OUT_VOCAB.decode(greedy[1].tolist())


def test_learns_a_fixed_target():
    torch.manual_seed(0)
    model = Seq2SeqTransformer(CFG, len(IN_VOCAB), len(OUT_VOCAB))
    ids, mask = _batch()
    toks = encode(op("sin", op("mul", const(2.0), var(0))), FLOATS)
    seq = torch.tensor([[OUT_VOCAB.eos_id, *OUT_VOCAB.encode(toks), OUT_VOCAB.eos_id]] * 3)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    first = None
    for _ in range(40):
        opt.zero_grad()
        loss = model.loss(ids, mask, seq)
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.05 * first
    model.eval()
    assert OUT_VOCAB.decode(model.greedy(ids, mask)[0].tolist()) == toks


#: The commit whose model.py trained the cached checkpoint models/odeformer/model.pt.
CHECKPOINT_COMMIT = "6a778c3a54b6c223b27f0134878acda8022481f9"


def _committed_model_module():
    """paper_code/symbolic/model.py as of CHECKPOINT_COMMIT (skips where the git history is absent)."""
    import importlib.util
    import subprocess
    import sys

    from paper_code.common.paths import REPO_ROOT

    try:
        src = subprocess.run(["git", "show", f"{CHECKPOINT_COMMIT}:paper_code/symbolic/model.py"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history with commit {CHECKPOINT_COMMIT[:7]} not available (shallow clone?)")
    name = "_committed_symbolic_model"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    try:
        exec(compile(src, f"{CHECKPOINT_COMMIT[:7]}:model.py", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def test_training_path_is_bit_identical_to_the_checkpoint_commit():
    """Fast decoding left the training forward alone: same parameters, and the same loss to the last bit
    as the code that trained the cached checkpoint (so the checkpoint stays valid)."""
    old_mod = _committed_model_module()
    cfg = Seq2SeqConfig(d_model=32, n_heads=4, enc_layers=2, dec_layers=2, token_dim=8, max_width=3, max_len=16)
    torch.manual_seed(0)
    new = Seq2SeqTransformer(cfg, len(IN_VOCAB), len(OUT_VOCAB))
    old = old_mod.Seq2SeqTransformer(cfg, len(IN_VOCAB), len(OUT_VOCAB))
    assert {k: v.shape for k, v in old.state_dict().items()} == {k: v.shape for k, v in new.state_dict().items()}
    old.load_state_dict(new.state_dict())
    ids, mask = _batch(2)
    gen = torch.Generator().manual_seed(0)
    seq = torch.randint(2, len(OUT_VOCAB), (3, 12), generator=gen)
    seq[:, 0] = OUT_VOCAB.eos_id
    seq[1, 7], seq[1, 8:] = OUT_VOCAB.eos_id, OUT_VOCAB.pad_id
    for mode in ("train", "eval"):
        getattr(new, mode)(), getattr(old, mode)()
        a, b = new.loss(ids, mask, seq), old.loss(ids, mask, seq)
        assert a.item().hex() == b.item().hex(), mode
    a.backward()
    assert all(p.grad is not None for p in new.parameters())
