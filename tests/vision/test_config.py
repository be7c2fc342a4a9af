"""The ConViT / T-CNN presets: validation, the training settings of each bundle, the recording steps."""
from __future__ import annotations

import pytest

from paper_code.common.config import ConfigError
from paper_code.vision.config import PRESETS, TCNN, VITS, run_name


def test_presets_validate_and_split_their_training_fields():
    cfg = PRESETS["quick"]
    vits, tcnn = set(cfg.training_settings(VITS)), set(cfg.training_settings(TCNN))
    assert {"fractions", "steps", "size", "seed"} <= vits and "cnn_steps" not in vits
    assert {"cnn_steps", "finetune_steps", "tcnn_alpha", "seed"} <= tcnn and "fractions" not in tcnn
    assert "test_images" not in vits | tcnn  # evaluation fields never retrain
    assert PRESETS["paper"].dataset == "fashion_mnist"


def test_eval_steps_include_the_early_ones_and_the_end():
    cfg = PRESETS["quick"].replace({"steps": 250, "eval_every": 100})
    assert cfg.eval_steps() == (0, 10, 25, 50, 100, 200, 250)


def test_run_names_cover_every_cell():
    cfg = PRESETS["quick"].replace({"fractions": (0.1, 1.0), "seeds": 2})
    assert cfg.run_names() == ("convit_f0.1_s0", "convit_f0.1_s1", "convit_f1_s0", "convit_f1_s1",
                               "deit_f0.1_s0", "deit_f0.1_s1", "deit_f1_s0", "deit_f1_s1")
    assert run_name("deit", 0.05, 3) == "deit_f0.05_s3"


@pytest.mark.parametrize("changes, match", [
    ({"fractions": (0.5, 0.2, 1.0)}, "fractions.*increase and end at 1"),
    ({"fractions": (0.1, 0.5)}, "fractions.*end at 1"),
    ({"size": "nano_digits"}, r"size.*reads 8 x 8 images.*28 x 28.*valid: nano_mnist"),
    ({"dataset": "digits"}, r"size.*'nano_mnist' reads 28 x 28.*valid: nano_digits"),
    ({"tcnn_dataset": "digits"}, "tcnn_dataset.*digits"),
    ({"warmup_steps": 900}, "warmup_steps.*< steps"),
    ({"vits_checkpoint": "x.pth"}, r"vits_checkpoint.*\.pt"),
    ({"dataset": "cifar"}, "dataset"),
])
def test_bad_settings_are_refused(changes, match):
    with pytest.raises(ConfigError, match=match):
        PRESETS["quick"].replace(changes)
