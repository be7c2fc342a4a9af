"""Scikit-learn style estimators on a trained symbolic model: what every paper's estimator shares.

The official packages of these papers (``odeformer``, ``symbolicregression``, ``boolformer``) each offer a
regressor a user calls on their own data; here every paper follows one pattern on this base class:

.. code-block:: python

    class ODEFormer(SymbolicEstimator):
        def __init__(self, checkpoint=None, scale="quick", n_candidates=None, ...):  # stores params only
            ...
        def _load(self):                 # the paper's model and vocabularies: load_checkpoint(path, build)
        def fit(self, t, x):             # the paper's inputs → the candidate loop → self._set_result(...)
        def predict(self, ...):          # the paper's use of a prediction (integrate, evaluate, roll out)
        def score(self, ...):            # the paper's data-fit score
        def _lhs(self, i, n):            # left-hand side of equation i, e.g. "dx_0/dt"

The base gives: checkpoint loading, cached per file, with a one-line error that says ``dvc pull`` when the
file is missing (:func:`load_checkpoint`); the decoding settings as constructor parameters
(:meth:`SymbolicEstimator._decoding_settings`); the fitted attributes ``trees_`` (expression trees),
``equations_`` (SymPy expressions), ``equations_str_`` (``"lhs = rhs"`` strings) and ``candidates_``
(every distinct candidate, best first); ``get_params``/``set_params``/``clone`` from
:class:`sklearn.base.BaseEstimator` (constructors store their arguments unchanged; values are checked in
``fit``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from paper_code.common.paths import REPO_ROOT
from paper_code.symbolic.candidates import Candidate, DecodingSettings
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.sympy_bridge import to_sympy

__all__ = ["CheckpointMissingError", "resolve_path", "load_checkpoint", "SymbolicEstimator"]

log = logging.getLogger(__name__)


class CheckpointMissingError(FileNotFoundError):
    """The trained model is not on disk."""


_CACHE: dict[Hashable, Any] = {}
_CACHE_SIZE = 4


def resolve_path(path: str | Path) -> Path:
    """``path`` as is when absolute, else relative to the repository root."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def load_checkpoint(path: str | Path, build: Callable[[Path], Any], key: Hashable = None,
                    restore: str | None = None, train_hint: str = "", stage: Any = None) -> Any:
    """``build(path)`` (the paper's checked loading: model and vocabularies), cached per file (path, size,
    modification time) and ``key`` (what else ``build`` depends on, e.g. the scale).

    A missing file raises :class:`CheckpointMissingError` naming the command that restores it: ``restore``
    (e.g. ``dvc pull train_odeformer``), by default ``dvc pull <path>``; ``train_hint`` adds the alternative.
    Errors of ``build`` (corrupt file, other model size) pass through unchanged. ``stage`` (the
    :class:`~paper_code.common.checkpoints.ModelStage` that trains the model) supplies both: its ``dvc pull`` and
    its retraining command with their cost.
    """
    if stage is not None:
        restore = restore or stage.pull
        train_hint = train_hint or f"train it with `{stage.retrain}` ({stage.cost})"
    full = resolve_path(path)
    if not full.is_file():
        inside = full.is_relative_to(REPO_ROOT)
        pull = restore or (f"dvc pull {full.relative_to(REPO_ROOT).as_posix()}" if inside else "dvc pull")
        how = (f"restore it with `{pull}` (offline, from the in-repo DVC store)" if inside else
               f"check the path (the project's own checkpoint is restored with `{pull}`)")
        raise CheckpointMissingError(f"no trained model at {full}: {how}{train_hint and ', or ' + train_hint}")
    stat = full.stat()
    cache_key = (str(full), stat.st_size, stat.st_mtime_ns, key)
    if cache_key not in _CACHE:
        built = build(full)
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[cache_key] = built
        log.info("loaded %s", full)
    return _CACHE[cache_key]


class SymbolicEstimator(BaseEstimator):
    """Base of the papers' estimators (see the module docstring for the pattern).

    Subclasses define ``__init__`` with explicit keyword parameters (scikit-learn reads them from its
    signature), among them the decoding settings ``n_candidates``, ``temperature``, ``beam_size``, ``seed``
    and ``use_cache``, and implement ``_load``, ``fit``, ``predict``, ``score`` and ``_lhs``.
    """

    def _load(self) -> Any:
        """The paper's trained model (and vocabularies), through :func:`load_checkpoint`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _load")

    def fit(self, *data: Any) -> SymbolicEstimator:
        """Run the candidate loop on the paper's kind of data, then :meth:`_set_result`; returns ``self``."""
        raise NotImplementedError(f"{type(self).__name__} must implement fit")

    def predict(self, *data: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement predict")

    def score(self, *data: Any) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement score")

    def _lhs(self, i: int, n: int) -> str:
        """Left-hand side of output ``i`` of ``n``."""
        return "y" if n == 1 else f"y_{i}"

    def _decoding_settings(self, defaults: DecodingSettings) -> DecodingSettings:
        """The constructor's decoding parameters; ``None`` takes the value of ``defaults`` (the preset)."""
        def pick(name: str) -> Any:
            value = getattr(self, name, None)
            return getattr(defaults, name) if value is None else value
        return DecodingSettings(pick("n_candidates"), pick("temperature"), pick("beam_size"), pick("seed"),
                                pick("use_cache"))

    def _set_result(self, candidates: Sequence[Candidate[Sequence[Node]]]) -> None:
        """Fitted attributes from ranked candidates whose predictions are sequences of trees (one per output)."""
        self.candidates_ = list(candidates)
        self.trees_ = tuple(candidates[0].prediction)
        self.equations_ = tuple(to_sympy(tree) for tree in self.trees_)
        n = len(self.trees_)
        self.equations_str_ = tuple(f"{self._lhs(i, n)} = {eq}" for i, eq in enumerate(self.equations_))

    def _check_fitted(self) -> None:
        check_is_fitted(self, "trees_")

    def __str__(self) -> str:
        if not hasattr(self, "trees_"):
            return repr(self)
        return "\n".join(self.equations_str_)
