"""Shared fixtures of the E2E tests: both models trained once per session at a tiny size (a few seconds).

The tiny models only need to exist and decode (their predictions are mostly wrong); what the tests check is the
plumbing around them: bagging, ranking, refinement, the estimator's contract.
"""
from __future__ import annotations

import pytest

from paper_code.e2e_sr import train as T
from paper_code.e2e_sr.config import MODELS, PRESETS, E2EConfig

TINY = dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8, batch_size=16, steps=120, lr=3e-3,
            warmup_steps=10, checkpoint_every=60, log_every=60, loader_workers=0, max_output_tokens=80,
            n_candidates=4, refine_top=2, refine_seconds=0.05, eval_per_cell=3)


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory) -> E2EConfig:
    """The tiny config; its checkpoints live in a session folder (not yet trained)."""
    d = tmp_path_factory.mktemp("e2e_models")
    return PRESETS["quick"].replace({**TINY, **{f"{m}_checkpoint": str(d / m / "model.pt") for m in MODELS}})


@pytest.fixture(scope="session")
def trained(tiny_cfg):
    """``(cfg, {model: stats})`` after training both tiny models (never modified by tests)."""
    return tiny_cfg, {m: T.train(tiny_cfg, m, progress=False) for m in MODELS}
