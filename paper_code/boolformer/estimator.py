"""Boolformer as an estimator on a user's binary table, in the project's symbolic-estimator pattern.

    est = Boolformer(model="noiseless").fit(X, y)   # X: (n, D) 0/1, y: (n,) or (n, K) 0/1
    est.equations_str_                             # ("y = x_0 & ~x_1",): one formula per output column
    est.predict(X_new)                             # (n,) or (n, K) uint8
    est.score(X, y)                                # fraction of rows (and outputs) predicted right
    est.fitting_error_                             # per output: fraction of the given rows the formula misses

Paper: arXiv 2309.12207 v2 §2.3 (sampled candidates ranked by fitting error; several outputs are predicted one
at a time, v1 code). ``model="noiseless"`` expects a whole truth table (or any rows of one) over at most
``noiseless_max_dim`` variables; ``model="noisy"`` reads noisy observations over at most ``noisy_max_inputs``
columns (select the informative ones first when a table is wider, e.g.
:func:`paper_code.boolformer.datasets.select_features`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from paper_code.boolformer.config import MODELS, NOISELESS, BoolformerConfig
from paper_code.boolformer.formulas import evaluate_rows
from paper_code.boolformer.inference import BoolformerMethod, decoding_settings
from paper_code.boolformer.train import MODEL_STAGES, load_model, n_inputs
from paper_code.common.config import resolve_config
from paper_code.symbolic.candidates import Candidate
from paper_code.symbolic.estimator import SymbolicEstimator, load_checkpoint

__all__ = ["Boolformer"]


class Boolformer(SymbolicEstimator):
    """Boolean formulas for the columns of a binary table (see the module docstring).

    Parameters: ``model`` ("noiseless" or "noisy"), ``checkpoint`` (default: the preset's), ``scale`` (the preset
    whose model sizes and decoding defaults apply), ``config`` (a full :class:`BoolformerConfig`, overrides
    ``scale``), and the decoding settings ``n_candidates``, ``temperature``, ``beam_size``, ``seed``, ``use_cache``
    (None: the preset's).
    """

    def __init__(self, model: str = NOISELESS, checkpoint: str | Path | None = None, scale: str = "quick",
                 config: BoolformerConfig | None = None, n_candidates: int | None = None,
                 temperature: float | None = None, beam_size: int | None = None, seed: int | None = None,
                 use_cache: bool | None = None) -> None:
        self.model = model
        self.checkpoint = checkpoint
        self.scale = scale
        self.config = config
        self.n_candidates = n_candidates
        self.temperature = temperature
        self.beam_size = beam_size
        self.seed = seed
        self.use_cache = use_cache

    def _config(self) -> BoolformerConfig:
        if self.model not in MODELS:
            raise ValueError(f"model={self.model!r} is invalid; valid: {', '.join(MODELS)}")
        return self.config if self.config is not None else resolve_config("boolformer", self.scale)  # type: ignore

    def _load(self) -> Any:
        cfg = self._config()
        path = self.checkpoint or getattr(cfg, f"{self.model}_checkpoint")
        return load_checkpoint(path, lambda p: load_model(p, cfg, self.model),
                               key=(self.model, json.dumps(cfg.training_settings(self.model), sort_keys=True)),
                               stage=MODEL_STAGES[self.model])

    def _method(self) -> BoolformerMethod:
        cfg = self._config()
        net, vocab = self._load()
        return BoolformerMethod(net, vocab, n_inputs(cfg, self.model), self._decoding_settings(decoding_settings(cfg)))

    @staticmethod
    def _check_X(X: Any, width: int | None = None) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or not len(X):
            raise ValueError(f"X must be a 2-D table with at least one row, got shape {X.shape}")
        if not np.isin(X, (0, 1)).all():
            raise ValueError("X must hold only 0/1 (or False/True) values")
        if width is not None and X.shape[1] != width:
            raise ValueError(f"X has {X.shape[1]} columns; the formulas were fitted on {width}")
        return X.astype(np.uint8)

    def fit(self, X: Any, y: Any) -> Boolformer:
        """One formula per column of ``y``: the best of the sampled candidates by fitting accuracy (then fewer
        gates)."""
        X = self._check_X(X)
        Y = np.asarray(y)
        if Y.ndim not in (1, 2) or len(Y) != len(X):
            raise ValueError(f"y must be (n,) or (n, K) with n = {len(X)} rows, got shape {Y.shape}")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("y must hold only 0/1 (or False/True) values")
        method = self._method()
        if X.shape[1] > method.n_inputs:
            raise ValueError(f"X has {X.shape[1]} columns but the {self.model} model reads at most "
                             f"{method.n_inputs}; select the informative columns first (e.g. "
                             "paper_code.boolformer.datasets.select_features) or use model='noisy' (wider)")
        columns = Y.reshape(len(Y), -1).astype(np.uint8).T
        per_output = method.candidates_many([(X, col) for col in columns])
        if any(not c for c in per_output):
            k = next(i for i, c in enumerate(per_output) if not c)
            raise RuntimeError(f"no valid formula among the decoded candidates for output {k}")
        self.n_features_in_ = X.shape[1]
        self.n_outputs_ = len(columns)
        self._single_output = Y.ndim == 1
        self.candidates_per_output_ = per_output
        self.fitting_error_ = tuple(1.0 - c[0].score for c in per_output)
        self._set_result([Candidate(tuple(c[0].prediction for c in per_output), 0,
                                    float(np.mean([c[0].score for c in per_output])))])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The fitted formulas on the rows of ``X``: (n,) for a single-column fit, else (n, K)."""
        self._check_fitted()
        X = self._check_X(X, self.n_features_in_)
        out = np.stack([evaluate_rows(t, X) for t in self.trees_], axis=1)
        return out[:, 0] if self._single_output else out

    def score(self, X: Any, y: Any) -> float:
        """Fraction of the entries of ``y`` the formulas predict right."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
