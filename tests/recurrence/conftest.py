"""Shared fixtures of the recurrence tests: both models trained once per session at a tiny size (a few seconds).

The tiny models only need to exist and decode (their predictions are mostly wrong); what the tests check is the
plumbing around them: ranking, rolling forward, scoring, metrics, the estimator's contract.
"""
from __future__ import annotations

import pytest

from paper_code.recurrence import experiments as E
from paper_code.recurrence import train as T
from paper_code.recurrence.config import FLOAT_MODELS, INTEGER_MODELS, MODELS, PRESETS, RecurrentSequencesConfig

TINY = dict(
    max_degree=2, max_ops=3, min_terms=8, max_terms=12, max_input_tokens=60, max_output_tokens=60,
    d_model=32, n_heads=2, enc_layers=1, dec_layers=1, batch_size=16, steps=150, lr=3e-3, warmup_steps=10,
    checkpoint_every=50, log_every=50, loader_workers=0,
    beam_size=3, eval_per_cell=4, oeis_sequences=12, oeis_inputs=(10, 15),
)


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory) -> RecurrentSequencesConfig:
    """The tiny config; its checkpoints live in a session folder (not yet trained)."""
    d = tmp_path_factory.mktemp("recurrence_models")
    return PRESETS["quick"].replace({**TINY, **{f"{m}_checkpoint": str(d / m / "model.pt") for m in MODELS}})


@pytest.fixture(scope="session")
def trained(tiny_cfg):
    """``(cfg, {model: stats})`` after training both tiny models (never modified by tests)."""
    stats = {m: T.train(tiny_cfg, m, progress=False) for m in INTEGER_MODELS}
    return tiny_cfg, stats


@pytest.fixture(scope="session")
def methods(trained):
    return E.load_methods(trained[0])


@pytest.fixture(scope="session")
def trained_float(trained):
    """The tiny config after training both float models too."""
    cfg = trained[0]
    return cfg, {m: T.train(cfg, m, progress=False) for m in FLOAT_MODELS}
