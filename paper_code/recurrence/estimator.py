"""The symbolic recurrence model as an estimator, in the project's symbolic-estimator pattern.

    est = RecurrenceRegressor().fit([0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
    est.equations_str_          # ("u_n = u_{n-1} + u_{n-2}",) when the model finds it
    est.predict(5)              # the next 5 terms, exact integers: (144, 233, 377, 610, 987)
    est.score(sequence)         # fraction of the terms of `sequence` the recurrence reproduces one step ahead
    est.candidates_             # every distinct valid recurrence decoded, best fit first

    RecurrenceRegressor(kind="float").fit(values)   # the float model: float64 terms, fit = minus the mean error

Paper: d'Ascoli et al., ICML 2022, §3-4 (beam search, hypotheses ranked by their fit to the observed terms; the
recurrence is rolled forward from the last observed terms). The first term has index ``n = 1``.
"""
from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sympy

from paper_code.common.config import resolve_config
from paper_code.recurrence.config import FLOAT_SYMBOLIC, SYMBOLIC, RecurrentSequencesConfig
from paper_code.recurrence.data import KINDS, input_tokens, input_vocabulary
from paper_code.recurrence.inference import SymbolicMethod, fit_to_observed, roll_forward
from paper_code.recurrence.train import MODEL_STAGES, load_model
from paper_code.symbolic.candidates import DecodingSettings
from paper_code.symbolic.estimator import SymbolicEstimator, load_checkpoint
from paper_code.symbolic.sympy_bridge import to_sympy

__all__ = ["RecurrenceRegressor", "recurrence_str"]


def recurrence_str(tree: Any) -> str:
    """``u_n = ...`` with ``x_0_k`` written ``u_{n-k}``."""
    expr = to_sympy(tree)
    names = {s: sympy.Symbol(f"u_{{n-{s.name.split('_')[2]}}}") for s in expr.free_symbols
             if s.name.startswith("x_0_")}
    return f"u_n = {expr.subs(names)}"


class RecurrenceRegressor(SymbolicEstimator):
    """The recurrence of an integer (or float) sequence (see the module docstring).

    Parameters: ``kind`` (``"int"``: the integer symbolic model, exact; ``"float"``: the float one), ``checkpoint``
    (default: the preset's symbolic model of that kind), ``scale`` (the preset whose model sizes and
    decoding defaults apply), ``config`` (a full :class:`RecurrentSequencesConfig`, overrides ``scale``), and the
    decoding settings ``n_candidates``, ``temperature``, ``beam_size``, ``seed``, ``use_cache`` (None: beam search
    of the preset's width, every hypothesis kept).
    """

    def __init__(self, kind: str = "int", checkpoint: str | Path | None = None, scale: str = "quick",
                 config: RecurrentSequencesConfig | None = None, n_candidates: int | None = None,
                 temperature: float | None = None, beam_size: int | None = None, seed: int | None = None,
                 use_cache: bool | None = None) -> None:
        self.kind = kind
        self.checkpoint = checkpoint
        self.scale = scale
        self.config = config
        self.n_candidates = n_candidates
        self.temperature = temperature
        self.beam_size = beam_size
        self.seed = seed
        self.use_cache = use_cache

    def _config(self) -> RecurrentSequencesConfig:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is invalid; valid: {', '.join(KINDS)}")
        return self.config if self.config is not None else resolve_config("recurrent_sequences", self.scale)  # type: ignore

    def _model(self) -> str:
        return SYMBOLIC if self.kind == "int" else FLOAT_SYMBOLIC

    def _load(self) -> Any:
        cfg, model = self._config(), self._model()
        path = self.checkpoint or getattr(cfg, f"{model}_checkpoint")
        return load_checkpoint(path, lambda p: load_model(p, cfg, model),
                               key=(model, json.dumps(cfg.training_settings(model), sort_keys=True)),
                               stage=MODEL_STAGES[model])

    def _check_sequence(self, sequence: Any, what: str = "sequence") -> tuple:
        number = "integers" if self.kind == "int" else "real numbers"
        if isinstance(sequence, (str, bytes)) or not hasattr(sequence, "__iter__"):
            raise TypeError(f"{what} must be a sequence of {number}, got {type(sequence).__name__}")
        terms = tuple(sequence)
        allowed = numbers.Integral if self.kind == "int" else numbers.Real
        bad = [t for t in terms if isinstance(t, bool) or not isinstance(t, allowed)]
        if bad:
            raise TypeError(f"{what} must hold {number} only (Python or NumPy), got {bad[0]!r}")
        if self.kind == "int":
            return tuple(int(t) for t in terms)
        values = tuple(float(t) for t in terms)
        if not all(map(math.isfinite, values)):
            raise ValueError(f"{what} must hold finite numbers (no NaN or infinity)")
        return values

    def fit(self, sequence: Sequence[int] | Sequence[float]) -> RecurrenceRegressor:
        """The recurrence of ``sequence`` (its first term has index ``n = 1``): the decoded hypothesis that fits the
        observed terms best, then the beam's order."""
        cfg = self._config()
        terms = self._check_sequence(sequence)
        if len(terms) < 3:
            raise ValueError(f"sequence needs at least 3 terms to infer a recurrence, got {len(terms)}")
        n_tokens = len(input_tokens(terms, self.kind))
        if n_tokens > cfg.max_input_tokens:
            per_term = "base-10,000 digits plus a sign" if self.kind == "int" else "3 tokens"
            raise ValueError(f"sequence takes {n_tokens} tokens but the model reads at most {cfg.max_input_tokens} "
                             f"({per_term} per term): pass fewer or smaller terms")
        net, out_vocab = self._load()
        width = cfg.beam_size
        settings = self._decoding_settings(DecodingSettings(n_candidates=width, temperature=0.0, beam_size=width))
        method = SymbolicMethod(net, input_vocabulary(self.kind), out_vocab, settings, kind=self.kind)
        ranked = method.candidates_many([terms])[0]
        if not ranked:
            raise RuntimeError("no valid recurrence among the decoded candidates: try a wider beam (beam_size) or "
                               "sampling (temperature > 0, n_candidates > 1)")
        self.sequence_ = terms
        self.fit_ = ranked[0].score
        self._set_result([type(ranked[0])((c.prediction,), c.order, c.score) for c in ranked])
        self.equations_str_ = (recurrence_str(self.trees_[0]),)
        return self

    def predict(self, n_terms: int = 10) -> tuple:
        """The ``n_terms`` terms after the fitted sequence, exact integers (float model: float64); ``ValueError``
        when the recurrence has no value there (a division by zero, a term of more than 1,000 digits, NaN)."""
        self._check_fitted()
        if isinstance(n_terms, bool) or not isinstance(n_terms, numbers.Integral) or n_terms < 1:
            raise ValueError(f"n_terms must be a positive integer, got {n_terms!r}")
        out = roll_forward(self.trees_[0], self.sequence_, int(n_terms), self.kind)
        if out is None:
            raise ValueError(f"{self.equations_str_[0]} has no {'exact integer' if self.kind == 'int' else 'finite'} "
                             f"value within the next {n_terms} terms")
        return out

    def score(self, sequence: Sequence[int] | Sequence[float] | None = None) -> float:
        """The recurrence's fit to ``sequence`` (default: the fitted one) one step ahead from the true preceding
        terms: the fraction of terms given exactly (integers), minus the mean relative error (floats)."""
        self._check_fitted()
        terms = self.sequence_ if sequence is None else self._check_sequence(sequence)
        return fit_to_observed(self.trees_[0], terms, self.kind)

    def _lhs(self, i: int, n: int) -> str:
        return "u_n"
