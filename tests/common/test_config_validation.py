"""Every config dataclass is validated on construction by the one base, ``Validated``.

Three parts: the base's type handling (unions, Literal, fixed and nested tuples, nested configs,
required and derived fields, mutable subclasses); a bad value of each kind for every config class
of the project; and a scan proving that no ``*Config`` / ``*Settings`` / ``*Setup`` / ``*Grid``
dataclass under ``paper_code`` skips the base.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

import paper_code
from paper_code.common.config import REQUIRED, ConfigError, PaperConfig, Validated, param
from paper_code.common.training import TrainConfig
from paper_code.dfa.shallow import ShallowSetup
from paper_code.langevin.dmft import Mixture
from paper_code.langevin.network import TeacherStudentConfig
from paper_code.langevin.schedules import Constant, ConstantThenPowerLaw, PowerLaw, SwitchAtOverlap
from paper_code.odeformer.generator import ODEGeneratorConfig
from paper_code.odeformer.integrate import SolverSettings
from paper_code.odeformer.sindy import SINDyGrid, SINDySetting
from paper_code.random_features.model import StrongWeakData
from paper_code.symbolic.generator import GeneratorConfig
from paper_code.symbolic.model import Seq2SeqConfig
from paper_code.symbolic.numbers import FloatTokenizer

# --------------------------------------------------------------------------- the base


@dataclasses.dataclass(frozen=True)
class Inner(Validated):
    width: int = param(4, "a width", ge=1)


@dataclasses.dataclass(frozen=True)
class Outer(Validated):
    steps: int = param(REQUIRED, "required", ge=1)
    mode: Literal["a", "b"] = param("a", "a Literal gives the choices")
    pairs: tuple[tuple[str, float], ...] = param((("x", 1.0),), "fixed-length inner tuples", ge=0, min_len=1)
    windows: tuple[int | None, ...] = param((None, 5), "optional elements", ge=3)
    path: str | os.PathLike | None = param(None, "several types: the value's own type is kept")
    inner: Inner = param(Inner(), "a nested config")
    cache: dict = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "cache", {"steps": self.steps})

    def validate(self) -> None:
        if self.mode == "b" and self.steps < 2:
            self.fail("steps", "must be >= 2 in mode 'b'")


@dataclasses.dataclass
class Mutable(Validated):
    n: int = param(1, "a field of a mutable config", ge=0)


def test_coercion_keeps_types_and_derived_fields():
    cfg = Outer(steps=np.int64(3), pairs=[["y", 2]], windows=[7, None], path=Path("a.pt"))
    assert type(cfg.steps) is int and cfg.pairs == (("y", 2.0),) and type(cfg.pairs[0][1]) is float
    assert cfg.windows == (7, None) and isinstance(cfg.path, Path)
    assert cfg.cache == {"steps": 3}  # the subclass's own __post_init__ ran after validation
    assert cfg.to_dict() == {"steps": 3, "mode": "a", "pairs": [["y", 2.0]], "windows": [7, None],
                             "path": "a.pt", "inner": {"width": 4}}
    assert "cache" not in Outer.field_docs() and Outer.field_docs()["steps"] == "required"
    again = cfg.replace({"steps": 5}, mode="b")
    assert (again.steps, again.mode, again.cache) == (5, "b", {"steps": 5})
    assert Mutable(n=2.0).n == 2
    assert Outer(steps=1, inner={"width": 2}).inner == Inner(2)  # a nested config from its to_dict()


@pytest.mark.parametrize("make, fragments", [
    (lambda: Outer(), ["missing 1 required positional argument: 'steps'"]),
    (lambda: Outer(steps=0), ["Outer.steps: 0 is out of range; valid: >= 1"]),
    (lambda: Outer(steps=1.5), ["Outer.steps: expected an integer, got 1.5"]),
    (lambda: Outer(steps=True), ["Outer.steps: expected an integer, got True"]),
    (lambda: Outer(steps=1, mode="c"), ["Outer.mode: 'c' is not a valid choice; valid: 'a', 'b'"]),
    (lambda: Outer(steps=1, pairs=[("x", 1.0, 2.0)]), ["Outer.pairs[0]: expected 2 entries, got 3"]),
    (lambda: Outer(steps=1, pairs=[("x", -1.0)]), ["Outer.pairs[0][1]: -1.0 is out of range; valid: >= 0"]),
    (lambda: Outer(steps=1, pairs=[(3, 1.0)]), ["Outer.pairs[0][0]: expected a string, got 3"]),
    (lambda: Outer(steps=1, pairs=()), ["Outer.pairs: expected at least 1 entries, got 0"]),
    (lambda: Outer(steps=1, windows=(None, 2)), ["Outer.windows[1]: 2 is out of range; valid: >= 3"]),
    (lambda: Outer(steps=1, windows=5), ["Outer.windows: expected a list, got 5"]),
    (lambda: Outer(steps=1, path=3), ["Outer.path: expected str or PathLike or None, got 3"]),
    (lambda: Outer(steps=1, inner="wide"), ["Outer.inner: expected a Inner, got 'wide'"]),
    (lambda: Outer(steps=1, inner=Inner(0)), ["Inner.width: 0 is out of range"]),
    (lambda: Outer(steps=1, inner={"width": 0}), ["Inner.width: 0 is out of range"]),
    (lambda: Outer(steps=1, inner={"wdth": 2}), ["Inner: unknown key 'wdth' (did you mean 'width'?)"]),
    (lambda: Outer(steps=1, mode="b"), ["Outer.steps: must be >= 2 in mode 'b'"]),
    (lambda: Outer(steps=1).replace(stepz=2), ["Outer: unknown key 'stepz' (did you mean 'steps'?)", "valid keys:"]),
    (lambda: Outer(steps=1).replace(cache={}), ["Outer: unknown key 'cache'"]),  # derived, not settable
    (lambda: Outer(steps=1).replace([("steps", 2)]), ["Outer: overrides must be a mapping"]),
    (lambda: Mutable(n=-1), ["Mutable.n: -1 is out of range; valid: >= 0"]),
])
def test_bad_values_give_one_line_errors(make, fragments):
    error = TypeError if "required positional" in fragments[0] else ConfigError
    with pytest.raises(error) as info:
        make()
    msg = str(info.value)
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_paper_configs_name_the_paper():
    @dataclasses.dataclass(frozen=True)
    class ToyPaper(PaperConfig):
        PAPER = "toy_paper"
        n: int = param(1, "n", ge=1)

    with pytest.raises(ConfigError, match=r"^toy_paper\.n: 0 is out of range"):
        ToyPaper(n=0)
    with pytest.raises(ConfigError, match=r"^toy_paper: unknown key 'm'"):
        ToyPaper().replace({"m": 1})


# --------------------------------------------------------------------------- every config class


# (class, kwargs, fragment of the one-line message). Each class gets a value out of range, a value of the
# wrong type, a bad choice where it has choices, a cross-field violation where it has one, and an unknown
# key through replace (the last test below).
BAD_VALUES = [
    # the two examples
    (Seq2SeqConfig, dict(d_model=2, dropout=5.0), "Seq2SeqConfig.dropout: 5.0 is out of range; valid: >= 0 and < 1"),
    (GeneratorConfig, dict(prob_prefactor=7.0),
     "GeneratorConfig.prob_prefactor: 7.0 is out of range; valid: >= 0 and <= 1"),
    (Seq2SeqConfig, dict(d_model=0), "Seq2SeqConfig.d_model: 0 is out of range; valid: >= 1"),
    (Seq2SeqConfig, dict(d_model=2), "Seq2SeqConfig.d_model: must be a multiple of n_heads=4"),
    (Seq2SeqConfig, dict(n_heads="4"), "Seq2SeqConfig.n_heads: expected an integer, got '4'"),
    (Seq2SeqConfig, dict(max_len=1), "Seq2SeqConfig.max_len: 1 is out of range; valid: >= 2"),
    (GeneratorConfig, dict(constants="normal"),
     "GeneratorConfig.constants: 'normal' is not a valid choice; valid: 'loguniform', 'decimal'"),
    (GeneratorConfig, dict(max_unary=-1), "GeneratorConfig.max_unary: -1 is out of range; valid: >= 0"),
    (GeneratorConfig, dict(simplify="yes"), "GeneratorConfig.simplify: expected true or false"),
    (GeneratorConfig, dict(binary_ops=(("sin", 1.0),)),
     "GeneratorConfig.binary_ops: 'sin' is not binary; valid: add,"),
    (GeneratorConfig, dict(unary_ops=(("nope", 1.0),)), "GeneratorConfig.unary_ops: unknown operator 'nope'; valid:"),
    (GeneratorConfig, dict(unary_ops=(("sin", -1.0),)),
     "GeneratorConfig.unary_ops[0][1]: -1.0 is out of range; valid: >= 0"),
    (GeneratorConfig, dict(unary_ops=(("sin", 0.0),)),
     "GeneratorConfig.unary_ops: the operator weights must not all be zero"),
    (GeneratorConfig, dict(min_binary=6), "GeneratorConfig.min_binary: must be <= max_binary=5"),
    (FloatTokenizer, dict(precision=16), "FloatTokenizer.precision: 16 is out of range; valid: >= 1 and <= 15"),
    (FloatTokenizer, dict(max_exponent=-1), "FloatTokenizer.max_exponent: -1 is out of range; valid: >= 0"),
    (FloatTokenizer, dict(overflow="wrap"),
     "FloatTokenizer.overflow: 'wrap' is not a valid choice; valid: 'inf', 'clip'"),
    (FloatTokenizer, dict(precision=3.5), "FloatTokenizer.precision: expected an integer, got 3.5"),
    (TrainConfig, dict(max_steps=0), "TrainConfig.max_steps: 0 is out of range; valid: >= 1"),
    (TrainConfig, dict(max_steps=1, grad_clip="big"), "TrainConfig.grad_clip: expected a number, got 'big'"),
    (TrainConfig, dict(max_steps=1, checkpoint_every=5), "TrainConfig.checkpoint_every: 5 needs a checkpoint_path"),
    (ShallowSetup, dict(K=0), "ShallowSetup.K: 0 is out of range; valid: >= 1"),
    (ShallowSetup, dict(lr=-0.1), "ShallowSetup.lr: -0.1 is out of range; valid: > 0"),
    (ShallowSetup, dict(activation="relu"),
     "ShallowSetup.activation: 'relu' is not a valid choice; valid: 'erf', 'linear'"),
    (ShallowSetup, dict(N=500.5), "ShallowSetup.N: expected an integer, got 500.5"),
    (ShallowSetup, dict(t_max=0.1), "ShallowSetup.eval_dt: 0.25 must be <= t_max=0.1"),
    (TeacherStudentConfig, dict(K=0), "TeacherStudentConfig.K: 0 is out of range; valid: >= 1"),
    (TeacherStudentConfig, dict(lr=float("inf")), "TeacherStudentConfig.lr: expected a finite number"),
    (TeacherStudentConfig, dict(std0=0.0), "TeacherStudentConfig.std0: 0.0 is out of range; valid: > 0"),
    (Constant, dict(eta0=0), "Constant.eta0: 0.0 is out of range; valid: > 0"),
    (ConstantThenPowerLaw, dict(t_switch=-1), "ConstantThenPowerLaw.t_switch: -1.0 is out of range; valid: >= 0"),
    (PowerLaw, dict(beta=11.0), "PowerLaw.beta: 11.0 is out of range; valid: >= 0 and <= 10"),
    (SwitchAtOverlap, dict(threshold=1.0), "SwitchAtOverlap.threshold: 1.0 is out of range; valid: > 0 and < 1"),
    (Mixture, dict(coeffs=((1, 1.0),)), "Mixture.coeffs[0][0]: degree 1 is out of range; valid: >= 2"),
    (Mixture, dict(coeffs=((3, -1.0),)), "Mixture.coeffs[0][1]: -1.0 is out of range; valid: >= 0"),
    (Mixture, dict(coeffs=()), "Mixture.coeffs: expected at least 1 entries, got 0"),
    (StrongWeakData, dict(r_phi=0.5), "StrongWeakData.r_phi: 0.5 is out of range; valid: >= 1"),
    (StrongWeakData, dict(r_beta=None), "StrongWeakData.r_beta: expected a number, got None"),
    (SINDySetting, dict(functions=("tanh",)),
     "SINDySetting.functions[0]: 'tanh' is not a valid choice; valid: 'sin',"),
    (SINDySetting, dict(fd_order=5), "SINDySetting.fd_order: 5 is not a valid choice; valid: 1, 2, 3, 4"),
    (SINDySetting, dict(smoother_window=14), "SINDySetting.smoother_window: 14 is even"),
    (SINDySetting, dict(smoother_window=1), "SINDySetting.smoother_window: 1 is out of range; valid: >= 3"),
    (SINDySetting, dict(threshold=-0.1), "SINDySetting.threshold: -0.1 is out of range; valid: >= 0"),
    (SINDyGrid, dict(thresholds=()), "SINDyGrid.thresholds: expected at least 1 entries, got 0"),
    (SINDyGrid, dict(function_sets=((), ("sin", "tanh"))),
     "SINDyGrid.function_sets[1][1]: 'tanh' is not a valid choice"),
    (SINDyGrid, dict(smoother_windows=(None, 16)), "SINDyGrid.smoother_windows: 16 is even"),
    (SINDyGrid, dict(selection="bic"),
     "SINDyGrid.selection: 'bic' is not a valid choice; valid: 'derivative', 'trajectory'"),
    (SINDyGrid, dict(eval_fraction=1.0), "SINDyGrid.eval_fraction: 1.0 is out of range; valid: >= 0 and < 1"),
    (SolverSettings, dict(method="Euler"), "SolverSettings.method: 'Euler' is not a valid choice; valid: 'RK45',"),
    (SolverSettings, dict(rtol=0.0), "SolverSettings.rtol: 0.0 is out of range; valid: > 0"),
    (SolverSettings, dict(max_nfev=2.5), "SolverSettings.max_nfev: expected an integer, got 2.5"),
    (ODEGeneratorConfig, dict(min_dim=0), "ODEGeneratorConfig.min_dim: 0 is out of range; valid: >= 1"),
    (ODEGeneratorConfig, dict(p_reject_stationary=1.5),
     "ODEGeneratorConfig.p_reject_stationary: 1.5 is out of range; valid: >= 0 and <= 1"),
    (ODEGeneratorConfig, dict(max_dim=3, min_dim=4), "ODEGeneratorConfig.max_dim: 3 must be >= min_dim=4"),
    (ODEGeneratorConfig, dict(t_max=1.0), "ODEGeneratorConfig.t_max: 1.0 must be > t_min=1.0"),
    (ODEGeneratorConfig, dict(trees="quick"), "ODEGeneratorConfig.trees: expected a GeneratorConfig, got 'quick'"),
]


@pytest.mark.parametrize("cls, kwargs, fragment", BAD_VALUES,
                         ids=[f"{c.__name__}-{'-'.join(k)}" for c, k, _ in BAD_VALUES])
def test_every_config_rejects_bad_values(cls, kwargs, fragment):
    with pytest.raises(ConfigError) as info:
        cls(**kwargs)
    msg = str(info.value)
    assert fragment in msg, msg
    assert msg.startswith(cls.__name__ + ".") and "\n" not in msg, msg


WITH_DEFAULTS = sorted({c for c, _, _ in BAD_VALUES} - {TrainConfig, Mixture}, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", WITH_DEFAULTS, ids=lambda c: c.__name__)
def test_every_config_rejects_unknown_keys_and_round_trips(cls):
    cfg = cls()
    assert cfg.replace(cfg.to_dict()) == cfg  # the plain dict (nested configs too) is a valid set of overrides
    assert cls.from_dict(cfg.to_dict()) == cfg
    key = next(iter(cfg.to_dict()))
    expected = rf"^{cls.__name__}: unknown key '{key}x' \(did you mean '{key}'\?\); valid keys:"
    with pytest.raises(ConfigError, match=expected):
        cfg.replace({f"{key}x": 1})


# --------------------------------------------------------------------------- no config skips the base

CONFIG_NAME = re.compile(r"(Config|Settings|Setup|Grid)$")


def _paper_code_dataclasses():
    for info in pkgutil.walk_packages(paper_code.__path__, "paper_code."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == module.__name__ and dataclasses.is_dataclass(obj):
                yield obj


def test_every_config_dataclass_derives_from_the_base():
    found = [c for c in _paper_code_dataclasses() if CONFIG_NAME.search(c.__name__)]
    assert len(found) >= 10, [c.__name__ for c in found]  # the scan itself works
    skipping = [f"{c.__module__}.{c.__qualname__}" for c in found if not issubclass(c, Validated)]
    assert not skipping, f"config dataclasses that skip validation (derive them from Validated): {skipping}"
