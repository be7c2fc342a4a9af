"""Validated configuration dataclasses, and the ``quick`` / ``paper`` presets of every paper.

Every config-like dataclass of the project (model and generator settings, training
loops, teacher-student and solver set-ups, the paper presets) derives from
:class:`Validated` and declares its fields with :func:`param` (default, one-line
doc, valid range or choices). Construction coerces and checks every field, then
runs the class's cross-field :meth:`Validated.validate`; a bad value raises a
one-line :class:`ConfigError` naming ``<ClassName>.<key>`` and what is valid::

    >>> Seq2SeqConfig(dropout=5.0)
    ConfigError: Seq2SeqConfig.dropout: 5.0 is out of range; valid: >= 0 and < 1

Each paper package defines a frozen dataclass deriving from :class:`PaperConfig`
(errors name ``<paper>.<key>``) plus a ``PRESETS = {"quick": ..., "paper": ...}``
table. ``params.yaml`` picks a preset per paper (``scale:``) and may override
single fields; anything unknown or out of range fails at once.

    >>> cfg = resolve_config("lr_schedule_langevin", "quick", {"seed": 3})
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import math
import numbers
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml

from paper_code.common import paths

__all__ = [
    "ConfigError",
    "Validated",
    "PaperConfig",
    "StagedConfig",
    "TRAIN",
    "EVALUATE",
    "param",
    "REQUIRED",
    "resolve_config",
    "load_params_section",
    "config_from_params",
    "presets_for",
    "PAPER_PACKAGES",
]

#: Paper folder name (docs/adding_a_paper.md) -> module holding its ``PRESETS``.
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

#: ``param(REQUIRED, ...)`` declares a field without a default (it must be given on construction).
REQUIRED: Any = dataclasses.MISSING

_V = TypeVar("_V", bound="Validated")


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
    **extra: Any,
) -> Any:
    """Declare a config field with its documentation and valid range.

    Bounds and ``choices`` apply to the value, or to every scalar element of a tuple-valued field
    (nested tuples included; numeric bounds skip non-numeric elements); ``min_len`` applies to the
    outermost tuple. ``default=REQUIRED`` makes the field mandatory. ``extra`` keywords are stored
    in the field's metadata as they are (e.g. ``stage="train"``: which pipeline stage reads the field).
    """
    meta = {"doc": doc, "ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices, "min_len": min_len, **extra}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for sequence-valued config fields (configs are frozen)")
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _describe_bounds(meta: Mapping[str, Any]) -> str:
    parts = []
    for key, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if meta.get(key) is not None:
            parts.append(f"{sym} {meta[key]:g}" if isinstance(meta[key], float) else f"{sym} {meta[key]}")
    return " and ".join(parts)


def _type_name(annotation: Any) -> str:
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", None) or str(annotation)


def _coerce_scalar(where: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if kind is int:
        # numpy integers count; a float is accepted only when it is whole (YAML writes 1e3 as a float)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not float(value).is_integer()
        ):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(kind, type):  # a nested config, a Path, ...: taken as it is if it has the right type
        if isinstance(value, kind):
            return value
        if issubclass(kind, Validated) and isinstance(value, Mapping):  # e.g. read back from to_dict()
            return kind.from_dict(value)
        raise ConfigError(f"{where}: expected a {kind.__name__}, got {value!r}")
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


def _matches(value: Any, annotation: Any) -> bool:
    """Whether ``value`` already has the type ``annotation`` names (to pick a member of a union)."""
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return isinstance(value, (list, tuple)) and not isinstance(value, (str, bytes))
    if annotation is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return isinstance(annotation, type) and isinstance(value, annotation)


def _coerce(where: str, value: Any, annotation: Any, meta: Mapping[str, Any]) -> Any:
    """Check ``value`` against the field type ``annotation`` and the bounds in ``meta``; return it coerced."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not a valid choice; valid: {', '.join(map(repr, args))}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _coerce(where, value, inner[0], meta)
        for member in inner:
            if _matches(value, member):
                return _coerce(where, value, member, meta)
        names = " or ".join(_type_name(a) for a in args)
        raise ConfigError(f"{where}: expected {names}, got {value!r}")
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        elem_meta = {k: v for k, v in meta.items() if k != "min_len"}
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            elem = args[0] if args else Any
            out = tuple(_coerce(f"{where}[{i}]", v, elem, elem_meta) for i, v in enumerate(value))
        else:  # fixed length, one type per position: tuple[str, float]
            if len(value) != len(args):
                raise ConfigError(f"{where}: expected {len(args)} entries, got {len(value)} in {value!r}")
            out = tuple(_coerce(f"{where}[{i}]", v, a, elem_meta) for i, (v, a) in enumerate(zip(value, args)))
        if meta.get("min_len") is not None and len(out) < meta["min_len"]:
            raise ConfigError(f"{where}: expected at least {meta['min_len']} entries, got {len(out)}")
        return out
    value = _coerce_scalar(where, value, annotation)
    _check_bounds(where, value, meta)
    return value


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class Validated:
    """Base of every config dataclass: fields are coerced and checked on construction.

    Subclasses are dataclasses (frozen or not) whose fields are declared with :func:`param`.
    Construction coerces each field to its annotated type (``int``, ``float``, ``bool``, ``str``,
    ``Literal``, ``Optional``/unions, ``tuple[...]``, nested configs or any other class by
    ``isinstance``), checks its bounds and choices, then calls :meth:`validate` for cross-field
    rules. Every failure is a one-line :class:`ConfigError` starting ``<ClassName>.<key>:``.
    A subclass that needs its own ``__post_init__`` (derived caches) calls ``super().__post_init__()``
    first. Fields with ``init=False`` are derived state: they are not checked, listed or replaced.
    """

    def __post_init__(self) -> None:
        types_ = _field_types(type(self))
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.init:
                value = _coerce(self._where(f.name), getattr(self, f.name), types_[f.name], f.metadata)
                object.__setattr__(self, f.name, value)
        self.validate()

    @classmethod
    def config_name(cls) -> str:
        """The prefix of error messages: the class name (a paper's folder name for :class:`PaperConfig`)."""
        return cls.__name__

    def _where(self, key: str) -> str:
        return f"{self.config_name()}.{key}"

    def validate(self) -> None:
        """Cross-field checks; subclasses call :meth:`fail` with a one-line message."""

    def fail(self, key: str, message: str) -> typing.NoReturn:
        raise ConfigError(f"{self._where(key)}: {message}")

    @classmethod
    def _keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Plain values (tuples as lists, nested configs as dicts, paths as strings), e.g. for JSON."""
        return {key: _plain(getattr(self, key)) for key in self._keys()}

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[_V], data: Mapping[str, Any]) -> _V:
        """The config built from ``data`` (e.g. :meth:`to_dict`'s output); unknown keys raise."""
        cls._check_keys(data)
        return cls(**data)

    @classmethod
    def _check_keys(cls, data: Mapping[str, Any]) -> None:
        valid = cls._keys()
        for key in data:
            if key not in valid:
                hint = difflib.get_close_matches(str(key), valid, n=1)
                did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(
                    f"{cls.config_name()}: unknown key {key!r}{did_you_mean}; valid keys: {', '.join(valid)}"
                )

    def replace(self: _V, overrides: Mapping[str, Any] | None = None, /, **changes: Any) -> _V:
        """A validated copy with ``overrides`` (a mapping) and ``changes`` applied; unknown keys raise."""
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ConfigError(f"{self.config_name()}: overrides must be a mapping of key: value, got {overrides!r}")
        changes = {**(overrides or {}), **changes}
        self._check_keys(changes)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _plain(value: Any) -> Any:
    if isinstance(value, Validated):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


@dataclasses.dataclass(frozen=True)
class PaperConfig(Validated):
    """Base class of every paper's config; errors name ``<paper>.<key>``."""

    #: Set by subclasses: the paper folder name, used in error messages.
    PAPER: ClassVar[str] = "paper"

    seed: int = param(0, "master random seed; every stochastic piece derives from it", ge=0)

    @classmethod
    def config_name(cls) -> str:
        return cls.PAPER


#: The pipeline stages a field of a :class:`StagedConfig` can belong to: training a model, evaluating it.
TRAIN, EVALUATE = "train", "evaluate"


@dataclasses.dataclass(frozen=True)
class StagedConfig(PaperConfig):
    """A paper config whose fields are tagged with the pipeline stage that reads them: ``param(..., stage="train")``
    or ``stage="evaluate"``. A paper that trains several models tags a training field that only one of them reads
    with ``model="<name>"`` as well (untagged training fields are read by every model).

    A DVC training stage sees only :meth:`training_settings` (written to a JSON file by a small upstream stage), so
    changing a decoding or evaluation setting never retrains.
    """

    @classmethod
    def stage_fields(cls, stage: str, model: str | None = None) -> tuple[str, ...]:
        """Names of the fields read by ``stage`` (for ``model``: the untagged ones and that model's), in order."""
        if stage not in (TRAIN, EVALUATE):
            raise ValueError(f"unknown stage {stage!r}; valid: {TRAIN}, {EVALUATE}")
        models = cls.models()
        if model is not None and model not in models:
            raise ValueError(f"unknown model {model!r}; valid: {', '.join(models) or '(none: untagged fields only)'}")
        return tuple(f.name for f in dataclasses.fields(cls)
                     if f.metadata.get("stage") == stage and f.metadata.get("model") in (None, model))

    @classmethod
    def models(cls) -> tuple[str, ...]:
        """The model names that tag fields (empty: the paper trains one model)."""
        names = (f.metadata.get("model") for f in dataclasses.fields(cls))
        return tuple(dict.fromkeys(n for n in names if n is not None))

    def training_settings(self, model: str | None = None) -> dict[str, Any]:
        """The training fields (of ``model``) and their values, tuples as lists, sorted by name."""
        plain = self.to_dict()
        return {name: plain[name] for name in sorted(self.stage_fields(TRAIN, model))}

    @classmethod
    def from_training_settings(cls, settings: Mapping[str, Any], source: str = "training settings",
                               model: str | None = None) -> StagedConfig:
        """A config holding ``settings`` (exactly the training fields of ``model``); the other fields keep their
        defaults, which that training never reads."""
        expected = set(cls.stage_fields(TRAIN, model))
        missing, extra = sorted(expected - set(settings)), sorted(set(settings) - expected)
        if missing or extra:
            what = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                               f"not training fields: {', '.join(extra)}" if extra else "") if part)
            raise ConfigError(f"{source}: {what}")
        return cls().replace(dict(settings))


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
