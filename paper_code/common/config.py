"""Typed, validated configuration presets: one ``quick`` and one ``paper`` per paper.

Each paper package defines a frozen dataclass deriving from :class:`PaperConfig`
whose fields are declared with :func:`param` (default, one-line doc, and the
valid range or choices), plus a ``PRESETS = {"quick": ..., "paper": ...}``
table. ``params.yaml`` picks a preset per paper (``scale:``) and may override
single fields; anything unknown or out of range fails at once with a one-line
:class:`ConfigError` naming the key and what would be valid.

    >>> cfg = resolve_config("lr_schedule_langevin", "quick", {"seed": 3})
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import yaml

from paper_code.common import paths

__all__ = [
    "ConfigError",
    "PaperConfig",
    "param",
    "resolve_config",
    "load_params_section",
    "config_from_params",
    "presets_for",
    "PAPER_PACKAGES",
]

#: Paper folder name (DESIGN.md) -> module holding its ``PRESETS``.
PAPER_PACKAGES: dict[str, str] = {
    "odeformer": "paper_code.odeformer.config",
    "e2e_symbolic_regression": "paper_code.e2e_sr.config",
    "recurrent_sequences": "paper_code.recurrence.config",
    "boolformer": "paper_code.boolformer.config",
    "arithmetic_length_generalization": "paper_code.arithmetic.config",
    "lr_schedule_langevin": "paper_code.langevin.config",
    "random_features_phase_space": "paper_code.random_features.config",
    "dfa_alignment": "paper_code.dfa.config",
    "convit_tcnn": "paper_code.vision.config",
}

SCALE_KEY = "scale"


class ConfigError(ValueError):
    """A bad configuration key or value; the message is one line and says what is valid."""


def param(
    default: Any,
    doc: str,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    min_len: int | None = None,
) -> Any:
    """Declare a config field with its documentation and valid range.

    Bounds apply to the value, or to every element of a tuple-valued field.
    """
    meta = {"doc": doc, "ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices, "min_len": min_len}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for sequence-valued config fields (configs are frozen)")
    return dataclasses.field(default=default, metadata=meta)


def _describe_bounds(meta: Mapping[str, Any]) -> str:
    parts = []
    for key, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if meta.get(key) is not None:
            parts.append(f"{sym} {meta[key]}")
    return " and ".join(parts)


def _coerce_scalar(where: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()
        ):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise TypeError(f"{where}: unsupported config field type {kind!r}")


def _check_bounds(where: str, value: Any, meta: Mapping[str, Any]) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{where}: {value!r} is not a valid choice; valid: {valid}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ok = (
            (meta.get("gt") is None or value > meta["gt"])
            and (meta.get("ge") is None or value >= meta["ge"])
            and (meta.get("lt") is None or value < meta["lt"])
            and (meta.get("le") is None or value <= meta["le"])
        )
        if not ok:
            raise ConfigError(f"{where}: {value!r} is out of range; valid: {_describe_bounds(meta)}")


def _coerce(where: str, value: Any, annotation: Any, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"{where}: unsupported union annotation {annotation!r}")
        return _coerce(where, value, inner[0], meta)
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        elem = args[0] if args else Any
        out = tuple(_coerce(f"{where}[{i}]", v, elem, meta) for i, v in enumerate(value))
        if meta.get("min_len") is not None and len(out) < meta["min_len"]:
            raise ConfigError(f"{where}: expected at least {meta['min_len']} entries, got {len(out)}")
        return out
    if annotation is Any:
        return value
    value = _coerce_scalar(where, value, annotation)
    _check_bounds(where, value, meta)
    return value


@dataclasses.dataclass(frozen=True)
class PaperConfig:
    """Base class of every paper's config. Fields are validated on construction."""

    #: Set by subclasses: the paper folder name, used in error messages.
    PAPER: ClassVar[str] = "paper"

    seed: int = param(0, "master random seed; every stochastic piece derives from it", ge=0)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            where = f"{self.PAPER}.{f.name}"
            value = _coerce(where, getattr(self, f.name), hints[f.name], f.metadata)
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; subclasses raise :class:`ConfigError` with a one-line message."""

    def fail(self, key: str, message: str) -> None:
        raise ConfigError(f"{self.PAPER}.{key}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}

    def replace(self, overrides: Mapping[str, Any]) -> PaperConfig:
        """A copy with ``overrides`` applied; unknown keys raise :class:`ConfigError`."""
        valid = [f.name for f in dataclasses.fields(self)]
        for key in overrides:
            if key not in valid:
                hint = difflib.get_close_matches(str(key), valid, n=1)
                did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(
                    f"{self.PAPER}: unknown key {key!r}{did_you_mean}; valid keys: {', '.join(valid)}"
                )
        return dataclasses.replace(self, **dict(overrides))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def presets_for(paper: str) -> Mapping[str, PaperConfig]:
    """The ``PRESETS`` table of a paper (imports its config module)."""
    if paper not in PAPER_PACKAGES:
        valid = ", ".join(sorted(PAPER_PACKAGES))
        raise ConfigError(f"unknown paper {paper!r}; valid: {valid}")
    try:
        module = importlib.import_module(PAPER_PACKAGES[paper])
    except ModuleNotFoundError as exc:
        raise ConfigError(f"paper {paper!r} has no implementation yet ({PAPER_PACKAGES[paper]} is missing)") from exc
    return module.PRESETS


def resolve_config(paper: str, scale: str = "quick", overrides: Mapping[str, Any] | None = None) -> PaperConfig:
    """The validated config of ``paper`` at ``scale`` with ``overrides`` applied."""
    presets = presets_for(paper)
    if not isinstance(scale, str) or scale not in presets:
        raise ConfigError(f"{paper}.{SCALE_KEY}: {scale!r} is not a preset; valid: {', '.join(presets)}")
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{paper}: overrides must be a mapping of key: value, got {overrides!r}")
    return presets[scale].replace(overrides)


def load_params_section(paper: str, params_file: Path | None = None) -> tuple[str, dict[str, Any]]:
    """Read ``params.yaml`` and return ``(scale, overrides)`` of one paper's section."""
    params_file = params_file or paths.params_path()
    if not params_file.exists():
        raise ConfigError(f"{params_file}: file not found; it must hold one section per paper")
    data = yaml.safe_load(params_file.read_text()) or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{params_file}: expected a mapping of paper sections at the top level")
    if paper not in data:
        raise ConfigError(f"{params_file}: no section {paper!r}; sections present: {', '.join(map(str, data))}")
    section = data[paper] or {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"{params_file}: section {paper!r} must be a mapping, got {section!r}")
    section = dict(section)
    if SCALE_KEY not in section:
        raise ConfigError(f"{params_file}: section {paper!r} needs a '{SCALE_KEY}:' key (quick or paper)")
    scale = section.pop(SCALE_KEY)
    return scale, section


def config_from_params(paper: str, params_file: Path | None = None) -> PaperConfig:
    """Validated config for ``paper`` as ``params.yaml`` selects it."""
    scale, overrides = load_params_section(paper, params_file)
    return resolve_config(paper, scale, overrides)
