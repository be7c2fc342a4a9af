"""Config presets: bad keys and values fail at once with a one-line error naming key and valid choices."""
from __future__ import annotations

import dataclasses
import textwrap

import pytest

from paper_code.common import config as C
from paper_code.common.config import ConfigError, PaperConfig, param


@dataclasses.dataclass(frozen=True)
class ToyConfig(PaperConfig):
    PAPER = "toy"
    n_steps: int = param(100, "number of steps", ge=1)
    lr: float = param(0.1, "learning rate", gt=0, le=10)
    activation: str = param("relu", "activation", choices=("relu", "tanh", "sign"))
    betas: tuple[float, ...] = param((0.0, 0.5), "schedule exponents", ge=0, le=3, min_len=1)
    use_bias: bool = param(True, "bias or not")
    dataset: str | None = param(None, "optional dataset name", choices=(None, "mnist"))

    def validate(self) -> None:
        if self.n_steps < len(self.betas):
            self.fail("n_steps", f"must be at least len(betas)={len(self.betas)}")


PRESETS = {"quick": ToyConfig(), "paper": ToyConfig(n_steps=10_000)}


@pytest.fixture(autouse=True)
def toy_paper(monkeypatch):
    import sys
    import types

    mod = types.ModuleType("toy_config_module")
    mod.PRESETS = PRESETS
    monkeypatch.setitem(sys.modules, "toy_config_module", mod)
    monkeypatch.setitem(C.PAPER_PACKAGES, "toy", "toy_config_module")


def test_presets_resolve_and_override():
    assert C.resolve_config("toy", "quick").n_steps == 100
    assert C.resolve_config("toy", "paper").n_steps == 10_000
    cfg = C.resolve_config("toy", "quick", {"lr": 1, "betas": [0.1, 1], "activation": "tanh"})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)
    assert cfg.betas == (0.1, 1.0)
    assert cfg.activation == "tanh"
    assert cfg.to_dict()["betas"] == [0.1, 1.0]


BAD_INPUTS = [
    # (scale, overrides, fragments the one-line message must contain)
    ("huge", {}, ["toy.scale", "'huge'", "quick, paper"]),
    ("quick", {"n_step": 5}, ["unknown key 'n_step'", "did you mean 'n_steps'", "valid keys"]),
    ("quick", {"learning_rate": 0.1}, ["unknown key 'learning_rate'", "valid keys: seed, n_steps, lr"]),
    ("quick", {"n_steps": 0}, ["toy.n_steps", "out of range", ">= 1"]),
    ("quick", {"n_steps": 2.5}, ["toy.n_steps", "expected an integer"]),
    ("quick", {"lr": -0.1}, ["toy.lr", "> 0"]),
    ("quick", {"lr": "fast"}, ["toy.lr", "expected a number"]),
    ("quick", {"lr": float("nan")}, ["toy.lr", "finite"]),
    ("quick", {"activation": "gelu"}, ["toy.activation", "'gelu'", "'relu', 'tanh', 'sign'"]),
    ("quick", {"betas": 0.5}, ["toy.betas", "expected a list"]),
    ("quick", {"betas": [0.5, 7]}, ["toy.betas[1]", "<= 3"]),
    ("quick", {"betas": []}, ["toy.betas", "at least 1"]),
    ("quick", {"use_bias": "yes"}, ["toy.use_bias", "true or false"]),
    ("quick", {"seed": -1}, ["toy.seed", ">= 0"]),
    ("quick", {"dataset": "cifar"}, ["toy.dataset", "None, 'mnist'"]),
    ("quick", {"n_steps": 1, "betas": [0, 1]}, ["toy.n_steps", "len(betas)=2"]),
    ("quick", ["lr", 1], ["overrides must be a mapping"]),
]


@pytest.mark.parametrize("scale, overrides, fragments", BAD_INPUTS)
def test_bad_inputs_give_one_line_errors(scale, overrides, fragments):
    with pytest.raises(ConfigError) as info:
        C.resolve_config("toy", scale, overrides)
    msg = str(info.value)
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg, (frag, msg)


def test_unknown_and_unimplemented_papers(monkeypatch):
    with pytest.raises(ConfigError, match="unknown paper 'toyy'.*valid:.*lr_schedule_langevin"):
        C.resolve_config("toyy")
    monkeypatch.setitem(C.PAPER_PACKAGES, "ghost", "paper_code.ghost.config")
    with pytest.raises(ConfigError, match="'ghost' has no implementation yet"):
        C.resolve_config("ghost")


def test_params_yaml_sections(tmp_path):
    f = tmp_path / "params.yaml"
    f.write_text(textwrap.dedent("""
        toy:
          scale: paper
          lr: 0.5
        other: {scale: quick}
    """))
    scale, overrides = C.load_params_section("toy", f)
    assert (scale, overrides) == ("paper", {"lr": 0.5})
    cfg = C.config_from_params("toy", f)
    assert cfg.n_steps == 10_000 and cfg.lr == 0.5

    with pytest.raises(ConfigError, match="no section 'missing'; sections present: toy, other"):
        C.load_params_section("missing", f)
    f.write_text("toy:\n  lr: 0.5\n")
    with pytest.raises(ConfigError, match="needs a 'scale:' key"):
        C.load_params_section("toy", f)
    f.write_text("toy:\n  scale: quick\n  lrr: 0.5\n")
    with pytest.raises(ConfigError, match="unknown key 'lrr'"):
        C.config_from_params("toy", f)
    with pytest.raises(ConfigError, match="file not found"):
        C.load_params_section("toy", tmp_path / "nope.yaml")


def test_frozen_and_sequence_defaults():
    cfg = C.resolve_config("toy")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="use a tuple"):
        param([1, 2], "a list default")


def test_repository_params_yaml_is_valid():
    """Every section of the committed params.yaml resolves (keys and values valid)."""
    import yaml

    data = yaml.safe_load(C.paths.params_path().read_text())
    assert data, "params.yaml is empty"
    for paper in data:
        assert paper in C.PAPER_PACKAGES, f"params.yaml section {paper!r} is not a paper folder name"
        C.config_from_params(paper)
