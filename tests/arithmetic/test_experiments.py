"""Config bounds, the run grids, a whole (tiny) training group bundled and evaluated, and the priming-law fits."""
from __future__ import annotations

import math

import numpy as np
import pytest

from paper_code.arithmetic import experiments as X
from paper_code.arithmetic import train as T
from paper_code.arithmetic.config import GROUPS, PRESETS, ArithmeticConfig
from paper_code.common.checkpoints import CheckpointMissingError, CheckpointSettingsError
from paper_code.common.config import ConfigError

TINY = PRESETS["quick"].replace(dict(
    d_model=16, n_heads=2, mul_steps=12, law_steps=12, add_steps=12, mul_train_size=400, add_train_size=400,
    law_train_sizes=(200, 400), law_primes=(0, 5), test_size=20, log_every=4, checkpoint_every=4,
    add_positions=("absolute", "relative_k"), add_extra_seeds=1, add_compact_positions=("relative_k",)))


@pytest.mark.parametrize("change, key", [
    ({"n_heads": 5}, "n_heads"), ({"add_positions": ("rotary",)}, "add_positions"),
    ({"add_train_digits": 20}, "add_train_digits"), ({"mul_prime_length": 3}, "mul_prime_length"),
    ({"mul_multi_lengths": (30,)}, "mul_multi_lengths"), ({"law_primes": ()}, "law_primes"),
    ({"law_train_sizes": (10,)}, "law_train_sizes"), ({"add_test_lengths": (25,)}, "add_test_lengths"),
    ({"multiplication_checkpoint": "x.json"}, "multiplication_checkpoint"), ({"zzz": 1}, "zzz"),
])
def test_config_rejects_bad_values(change, key):
    with pytest.raises(ConfigError, match=key):
        PRESETS["quick"].replace(change)


def test_presets_validate_and_split_training_fields():
    for cfg in PRESETS.values():
        assert isinstance(cfg, ArithmeticConfig)
    quick = PRESETS["quick"]
    assert "law_train_sizes" in quick.training_settings("priming_law")
    assert "law_train_sizes" not in quick.training_settings("addition")
    assert "law_threshold" not in quick.training_settings("priming_law")  # evaluation only
    assert quick.replace({"law_threshold": 0.5}).training_settings("priming_law") == \
        quick.training_settings("priming_law")


def test_run_grids():
    cfg = PRESETS["quick"]
    add = T.runs(cfg, "addition")
    assert len({r.name for r in add}) == len(add)
    padded = [r for r in add if r.layout == "padded"]
    assert {r.position for r in padded} == set(cfg.add_positions)
    assert sum(r.position == "relative_k" for r in padded) == cfg.add_seeds + cfg.add_extra_seeds
    mul = T.runs(cfg, "multiplication")
    assert sorted(r.n_primed for r in mul if len(r.prime_lengths) <= 1) == sorted(cfg.mul_primes)
    law = T.runs(cfg, "priming_law")
    assert len(law) == len(cfg.law_train_sizes) * len(cfg.law_primes)
    with pytest.raises(ValueError, match="group"):
        T.runs(cfg, "division")


def test_training_sets_are_disjoint_from_the_held_out_problems_and_primed_exactly():
    spec = next(r for r in T.runs(TINY, "multiplication") if r.n_primed == 50)
    tests = T.held_out(TINY, spec)
    train = T.training_set(TINY, spec, tests)
    keys = {e.key for e in train}
    assert len(keys) == len(train) == TINY.mul_train_size + 50
    assert not keys & {e.key for ex in tests.values() for e in ex}
    assert sum(e.n_digits == TINY.mul_prime_length for e in train) == 50
    assert min(tests) == TINY.mul_train_digits and max(tests) == TINY.mul_width


def test_group_trains_bundles_resumes_and_is_checked(tmp_path):
    out = tmp_path / "mul.pt"
    stats = T.train_group(TINY, "multiplication", out=out, progress=False, work_dir=tmp_path / "runs")
    assert set(stats["runs"]) == {r.name for r in T.runs(TINY, "multiplication")}
    assert stats["steps"] == 12 * len(stats["runs"])
    cfg = TINY.replace({"multiplication_checkpoint": str(out)})
    models = T.load_group(cfg, "multiplication")
    res = X.evaluate_group(cfg, "multiplication", [5, TINY.mul_width], models)
    assert res.acc.shape == (len(models), 2) and np.all((res.acc >= 0) & (res.acc <= 1))
    # finished runs are kept: a second call trains nothing and writes the same weights
    again = T.train_group(TINY, "multiplication", out=tmp_path / "mul2.pt", progress=False,
                          work_dir=tmp_path / "runs")
    assert again["runs"] == stats["runs"]
    with pytest.raises(CheckpointSettingsError, match="other settings"):
        T.load_group(cfg.replace({"mul_steps": 13}), "multiplication")
    with pytest.raises(CheckpointMissingError, match="dvc pull train_arithmetic_multiplication"):
        T.load_group(cfg.replace({"multiplication_checkpoint": str(tmp_path / "none.pt")}), "multiplication")
    with pytest.raises(ValueError, match="outside the held-out range"):
        X.evaluate_group(cfg, "multiplication", [2], models)


def test_priming_needed_and_fits():
    names, specs, acc = [], {}, []
    base = T.runs(TINY, "priming_law")[0]
    for size, hits in ((1000, [0.1, 0.5, 0.9, 0.95]), (10_000, [0.0, 0.2, 0.85, 0.9]),
                       (100_000, [0.0, 0.1, 0.3, 0.85])):
        for count, a in zip((0, 10, 20, 40), hits):
            name = f"n{size}_p{count}"
            names.append(name)
            specs[name] = base.__class__(**{**base.to_dict(), "name": name, "train_size": size, "n_primed": count,
                                            "prime_lengths": (20,) if count else ()})
            acc.append([a])
    res = X.GroupAccuracy("priming_law", names, [20], np.array(acc), 100, specs)
    assert X.priming_needed(res, 20, 0.8) == {1000: 20.0, 10_000: 20.0, 100_000: 40.0}
    assert X.priming_needed(res, 20, 0.99) == {1000: math.inf, 10_000: math.inf, 100_000: math.inf}
    n = np.array([1e3, 1e4, 1e5, 1e6])
    log = X.fit_laws(n, 5 + 3 * np.log(n))
    assert log["log_b"] == pytest.approx(3) and log["log_r2"] == pytest.approx(1) and log["power_r2"] < 1
    power = X.fit_laws(n, 0.1 * n**0.5)
    assert power["power_p"] == pytest.approx(0.5) and power["power_r2"] == pytest.approx(1)
    assert power["log_r2"] < power["power_r2"]
    assert math.isnan(X.fit_laws([1e3, 1e4], [1, 2])["log_r2"])


def test_groups_are_the_training_stages():
    assert set(T.MODEL_STAGES) == set(GROUPS)
    assert all(s.stage == f"train_arithmetic_{g}" for g, s in T.MODEL_STAGES.items())
