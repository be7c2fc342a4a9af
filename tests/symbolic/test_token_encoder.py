"""Token-sequence encoder input (Seq2SeqConfig.encoder_input="tokens", docs/symbolic_core.md §4) and the
unchanged point encoder (parameters, state_dict keys, trained checkpoints)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from paper_code.common.config import ConfigError
from paper_code.common.paths import REPO_ROOT
from paper_code.symbolic.candidates import DecodingSettings, decode_sequences
from paper_code.symbolic.embedder import TokenSequenceEmbedder, Vocabulary, tokenize_sequences
from paper_code.symbolic.model import CachedDecoder, PrefixDecoder, Seq2SeqConfig, Seq2SeqTransformer
from paper_code.symbolic.numbers import IntegerTokenizer

INTS = IntegerTokenizer(base=100)
IN_VOCAB = Vocabulary(INTS.vocabulary)
OUT_VOCAB = Vocabulary(INTS.vocabulary)
EOS, PAD = OUT_VOCAB.eos_id, OUT_VOCAB.pad_id
CFG = Seq2SeqConfig(d_model=32, n_heads=4, enc_layers=2, dec_layers=2, max_len=24, encoder_input="tokens",
                    max_src_len=40)


def _model(seed: int = 0, eos_bias: float = 0.0) -> Seq2SeqTransformer:
    torch.manual_seed(seed)
    model = Seq2SeqTransformer(CFG, len(IN_VOCAB), len(OUT_VOCAB)).eval()
    with torch.no_grad():
        model.out_bias[EOS] = eos_bias
    return model


def _sequences(seed: int = 0, lengths=(3, 6, 1, 4)) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [INTS.encode_sequence([int(v) for v in rng.integers(-10**6, 10**6, n)]) for n in lengths]


def test_config_validates_the_new_fields():
    with pytest.raises(ConfigError, match=r"Seq2SeqConfig\.encoder_input: 'rows' is not a valid choice; "
                                          r"valid: 'points', 'tokens'"):
        Seq2SeqConfig(encoder_input="rows")
    with pytest.raises(ConfigError, match=r"Seq2SeqConfig\.max_src_len: 0 is out of range"):
        Seq2SeqConfig(max_src_len=0)
    assert Seq2SeqConfig().encoder_input == "points"
    assert Seq2SeqConfig.from_dict(CFG.to_dict()) == CFG


def test_point_encoder_parameters_unchanged_and_token_encoder_has_its_own():
    cfg = Seq2SeqConfig(d_model=32, n_heads=4, token_dim=8)
    default = Seq2SeqTransformer(cfg, 20, 30)
    explicit = Seq2SeqTransformer(dataclasses.replace(cfg, encoder_input="points", max_src_len=7), 20, 30)
    shapes = {k: tuple(v.shape) for k, v in default.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in explicit.state_dict().items()}
    assert [k for k in shapes if k.startswith("embedder.")] == [
        "embedder.tokens.weight", "embedder.mlp.0.weight", "embedder.mlp.0.bias", "embedder.mlp.2.weight",
        "embedder.mlp.2.bias"]
    tokens = Seq2SeqTransformer(dataclasses.replace(cfg, encoder_input="tokens", max_src_len=7), 20, 30)
    tshapes = {k: tuple(v.shape) for k, v in tokens.state_dict().items()}
    assert {k: v for k, v in tshapes.items() if k.startswith("embedder.")} == {
        "embedder.tokens.weight": (20, 32), "embedder.positions.weight": (7, 32), "embedder.norm.weight": (32,),
        "embedder.norm.bias": (32,)}
    assert {k: v for k, v in tshapes.items() if not k.startswith("embedder.")} == {
        k: v for k, v in shapes.items() if not k.startswith("embedder.")}


def _checkpoint_weights(rel: str) -> dict:
    path = REPO_ROOT / rel
    if not path.exists():
        pytest.skip(f"{rel} not present (DVC output; run the training stage or pull it)")
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


def test_odeformer_checkpoint_loads_strictly():
    from paper_code.odeformer.config import PRESETS
    from paper_code.odeformer.train import build_model

    weights = _checkpoint_weights("models/odeformer/model.pt")
    build_model(PRESETS["quick"]).load_state_dict(weights, strict=True)


@pytest.mark.parametrize("name", ["noiseless", "noisy"])
def test_boolformer_checkpoints_load_strictly(name):
    from paper_code.boolformer.config import PRESETS
    from paper_code.boolformer.train import build_model

    weights = _checkpoint_weights(f"models/boolformer/{name}/model.pt")
    net, _ = build_model(PRESETS["quick"], name)
    net.load_state_dict(weights, strict=True)


def test_tokenize_sequences_and_embedder():
    seqs = _sequences()
    ids, mask = tokenize_sequences(seqs, IN_VOCAB)
    assert ids.shape == (4, max(map(len, seqs))) and torch.equal(mask, ids == IN_VOCAB.pad_id)
    assert [IN_VOCAB.decode(r.tolist()) for r in ids] == seqs
    emb = TokenSequenceEmbedder(len(IN_VOCAB), 16, max_len=30)
    out = emb(ids)
    assert out.shape == (4, ids.shape[1], 16) and (out[mask] == 0).all() and (out[~mask] != 0).any(-1).all()
    with pytest.raises(ValueError, match="input of 31 tokens exceeds max_src_len=30"):
        emb(torch.ones(1, 31, dtype=torch.long))
    with pytest.raises(ValueError, match=r"must be \(B, S\)"):
        emb(ids[..., None])
    with pytest.raises(ValueError, match="at least one token"):
        tokenize_sequences([["+", "1"], []], IN_VOCAB)
    with pytest.raises(KeyError, match="'N100'"):
        tokenize_sequences([["+", "N100"]], IN_VOCAB)


def test_padding_does_not_change_the_memory_of_real_positions():
    model = _model(1)
    seqs = _sequences(1, lengths=(2, 7, 4))
    ids, mask = tokenize_sequences(seqs, IN_VOCAB)
    with torch.no_grad():
        batch = model.encode(ids, mask)
        torch.testing.assert_close(model.encode(ids), batch, rtol=0, atol=0)  # mask defaults to the <PAD> tokens
        for b, seq in enumerate(seqs):
            solo_ids, _ = tokenize_sequences([seq], IN_VOCAB)
            torch.testing.assert_close(batch[b, : len(seq)], model.encode(solo_ids)[0], rtol=0, atol=1e-5)
    # the memory depends on the token order (learned positions), unlike the point encoder
    swapped = ids[1:2, [1, 0, *range(2, ids.shape[1])]]
    with torch.no_grad():
        assert not torch.allclose(model.encode(swapped)[0, 2:], batch[1, 2:], atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_cached_decoder_agrees_with_the_prefix_reference(seed):
    model = _model(seed)
    ids, mask = tokenize_sequences(_sequences(seed), IN_VOCAB)
    memory = model.encode(ids, mask)
    feed = torch.randint(2, len(OUT_VOCAB), (4, CFG.max_len), generator=torch.Generator().manual_seed(seed))
    feed[:, 0] = EOS
    cached, full = CachedDecoder(model, memory, mask), PrefixDecoder(model, memory, mask)
    with torch.no_grad():
        for t in range(CFG.max_len):
            torch.testing.assert_close(cached.step(feed[:, t]), full.step(feed[:, t]), rtol=0, atol=1e-5)


def test_greedy_sampling_beam_and_decode_sequences_with_token_inputs():
    model = _model(2, eos_bias=2.0)
    seqs = _sequences(2)
    ids, mask = tokenize_sequences(seqs, IN_VOCAB)
    assert torch.equal(model.greedy(ids, mask), model.greedy(ids, mask, use_cache=False))
    assert torch.equal(model.greedy(ids), model.greedy(ids, mask))
    kw = dict(temperature=0.8, n_samples=3, top_k=20)
    a = model.sample(ids, mask, generator=torch.Generator().manual_seed(0), **kw)
    b = model.sample(ids, mask, generator=torch.Generator().manual_seed(0), use_cache=False, **kw)
    assert torch.equal(a, b) and a.shape[0] == 12
    fast, slow = model.beam_search(ids, mask, beam_size=3), model.beam_search(ids, mask, beam_size=3, use_cache=False)
    assert [[h for _, h in r] for r in fast] == [[h for _, h in r] for r in slow]
    for settings in (DecodingSettings(temperature=0.0), DecodingSettings(n_candidates=4, temperature=0.7),
                     DecodingSettings(n_candidates=2, beam_size=3)):
        out = decode_sequences(model, ids, mask, settings)
        assert len(out) == 4 and all(1 <= len(c) <= settings.n_candidates for c in out)
        assert all(EOS not in s and PAD not in s for c in out for s in c)
    # a padded input decodes as the same input alone
    solo, solo_mask = tokenize_sequences([seqs[2]], IN_VOCAB)
    assert decode_sequences(model, solo, solo_mask, DecodingSettings(temperature=0.0))[0] == \
        decode_sequences(model, ids, mask, DecodingSettings(temperature=0.0))[2]


def test_token_encoder_learns_a_toy_copy_task():
    """Copy the input tokens: a few Adam steps lower the loss and the gradients reach the token embedder."""
    torch.manual_seed(0)
    model = Seq2SeqTransformer(CFG, len(IN_VOCAB), len(OUT_VOCAB))
    rng = np.random.default_rng(0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for step in range(40):
        seqs = [INTS.encode_sequence([int(v) for v in rng.integers(-99, 100, int(rng.integers(1, 4)))])
                for _ in range(16)]
        ids, mask = tokenize_sequences(seqs, IN_VOCAB)
        tgt = [[EOS, *OUT_VOCAB.encode(s), EOS] for s in seqs]
        seq = torch.full((16, max(map(len, tgt))), PAD)
        for i, t in enumerate(tgt):
            seq[i, : len(t)] = torch.tensor(t)
        opt.zero_grad()
        loss = model.loss(ids, mask, seq)
        loss.backward()
        if step == 0:
            assert model.embedder.tokens.weight.grad.abs().sum() > 0
            assert model.embedder.positions.weight.grad.abs().sum() > 0
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.75 * np.mean(losses[:5]), losses
