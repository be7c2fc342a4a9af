"""Shared fixtures of the vision tests: both bundles trained once per session at a tiny size (seconds).

The tiny runs barely learn; what the tests check is the plumbing: bundles, records, resumption, the checks before
loading, and the notebook's computations on real bundles.
"""
from __future__ import annotations

import pytest

from paper_code.vision import train as T
from paper_code.vision.config import MODELS, PRESETS, ConvitConfig

TINY = dict(dataset="digits", size="nano_digits", steps=12, warmup_steps=2, eval_every=6, fractions=(0.5, 1.0),
            seeds=2, batch_size=32, probe_images=32, checkpoint_every=4, tcnn_dataset="mnist5k", tcnn_train_size=200,
            cnn_widths=(4, 8, 8), cnn_blocks=1, cnn_steps=6, finetune_steps=4, tcnn_batch_size=32, tcnn_eval_every=2,
            test_images=40, severities=(1, 5), bootstrap_resamples=200, ablation_steps=4, ablation_seeds=2,
            ablation_batch_size=16)


@pytest.fixture(scope="session")
def tiny_cfg(tmp_path_factory) -> ConvitConfig:
    """The tiny config; its bundles live in a session folder (not yet trained)."""
    d = tmp_path_factory.mktemp("convit_models")
    return PRESETS["quick"].replace({**TINY, **{f"{m}_checkpoint": str(d / f"{m}.pt") for m in MODELS}})


@pytest.fixture(scope="session")
def trained(tiny_cfg):
    """``(cfg, {model: stats})`` after training both tiny bundles (never modified by tests)."""
    return tiny_cfg, {m: T.train(tiny_cfg, m, progress=False) for m in MODELS}
