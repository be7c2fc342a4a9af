"""Training the two tiny models: same budget, checked loading, the other model's checkpoint refused, config
errors."""
from __future__ import annotations

import pytest

from paper_code.common.checkpoints import CheckpointError
from paper_code.common.config import ConfigError
from paper_code.recurrence import train as T
from paper_code.recurrence.config import INTEGER_MODELS, NUMERIC, PRESETS, SYMBOLIC


def test_both_models_trained_with_the_same_budget(trained):
    cfg, stats = trained
    assert {stats[m]["steps"] for m in INTEGER_MODELS} == {cfg.steps}
    assert T.batches(cfg, SYMBOLIC).get(7)[0].tolist() == T.batches(cfg, NUMERIC).get(7)[0].tolist()
    for m in INTEGER_MODELS:
        net, vocab = T.load_model(getattr(cfg, f"{m}_checkpoint"), cfg, m)
        assert not net.training and net.cfg.encoder_input == "tokens"
        assert net.tok.num_embeddings == len(vocab)


def test_the_other_models_checkpoint_is_refused_with_the_fix(trained):
    cfg, _ = trained
    with pytest.raises(CheckpointError, match="train_recurrence_numeric|does not fit"):
        T.load_model(cfg.symbolic_checkpoint, cfg, NUMERIC)


def test_missing_checkpoint_names_the_stage(tmp_path):
    cfg = PRESETS["quick"]
    with pytest.raises(CheckpointError, match="dvc pull train_recurrence_symbolic"):
        T.load_model(tmp_path / "none.pt", cfg, SYMBOLIC)


def test_bad_config_values_are_named():
    with pytest.raises(ConfigError, match="n_heads"):
        PRESETS["quick"].replace({"n_heads": 3})
    with pytest.raises(ConfigError, match="min_terms"):
        PRESETS["quick"].replace({"min_terms": 30})
    with pytest.raises(ConfigError, match="oeis_inputs"):
        PRESETS["quick"].replace({"oeis_inputs": ()})
    with pytest.raises(ValueError, match="valid: symbolic, numeric"):
        T.build_model(PRESETS["quick"], "float")
