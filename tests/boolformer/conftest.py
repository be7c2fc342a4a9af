"""Shared fixtures of the Boolformer tests: both models trained once per session at a tiny size (a few seconds).

The noiseless model gets enough steps to emit valid formulas for small truth tables (the estimator and the
invariance tests need some); the noisy model only needs to exist (its evaluations fall back to ``0`` when nothing
parses), with 16 input columns so that the 16-gene networks fit.
"""
from __future__ import annotations

import pytest

from paper_code.boolformer import experiments as E
from paper_code.boolformer import train as T
from paper_code.boolformer.config import MODELS, PRESETS, BoolformerConfig

TINY = dict(
    d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=4, batch_size=16, lr=5e-3, warmup_steps=1,
    checkpoint_every=50, log_every=25, loader_workers=0,
    noiseless_steps=100, noiseless_max_dim=3, noiseless_max_binary=6, noiseless_max_tokens=30, held_out=20,
    noisy_steps=4, noisy_max_inputs=16, noisy_max_binary=4, noisy_max_tokens=20, noisy_min_points=8,
    noisy_max_points=16,
    n_candidates=8, eval_held_out=10, eval_noisy_tasks=2, circuit_beam=4, timing_functions=3,
    class_subsets=2, class_points=16, grn_networks=0, grn_simulated=1, grn_points=16, eval_workers=1,
)


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory) -> BoolformerConfig:
    """The tiny config; its checkpoints live in a session folder (not yet trained)."""
    d = tmp_path_factory.mktemp("boolformer_models")
    return PRESETS["quick"].replace({**TINY, "noiseless_checkpoint": str(d / "noiseless" / "model.pt"),
                                     "noisy_checkpoint": str(d / "noisy" / "model.pt")})


@pytest.fixture(scope="session")
def trained(tiny_cfg):
    """``(cfg, {model: stats})`` after training both tiny models to their checkpoints (never modified by tests)."""
    stats = {m: T.train(tiny_cfg, m, progress=False) for m in MODELS}
    return tiny_cfg, stats


@pytest.fixture(scope="session")
def methods(trained):
    """The trained models as BoolformerMethods: sampled and greedy noiseless, sampled noisy."""
    cfg, _ = trained
    return {"noiseless": E.load_method(cfg, "noiseless"),
            "greedy": E.load_method(cfg, "noiseless", temperature=0.0),
            "noisy": E.load_method(cfg, "noisy")}
