"""End-to-end symbolic regression on your own data, as a scikit-learn regressor (like the official package's
``SymbolicTransformerRegressor``, ``facebookresearch/symbolicregression``).

.. code-block:: python

    from paper_code.e2e_sr.estimator import E2ERegressor

    est = E2ERegressor().fit(X, y)       # X: (n, d), y: (n,)
    est.equations_str_                    # ('y = 0.5*x_0*sin(x_1) + 1.2',): strings; est.equations_: SymPy
    est.expression_                       # the SymPy expression of the fitted function
    est.predict(X_new)                    # the function evaluated on new rows
    est.score(X, y)                       # R² (scikit-learn's regressor score)

It is a regular scikit-learn estimator (``get_params``/``set_params``/``clone``; works in a ``Pipeline``,
``cross_val_score``, ``GridSearchCV``). Inference is :class:`~paper_code.e2e_sr.inference.E2EMethod` (feature
selection beyond the model's dimension, standardisation, bagging, decoding, ranking by training R², BFGS from the
predicted constants; Kamienny et al., NeurIPS 2022, §3.3) on the trained end-to-end checkpoint of the ``scale``
preset, restored by ``dvc pull``. When no decoded sequence is a valid function of the inputs, the fit falls back to
the constant ``mean(y)`` and says so in a warning.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from sklearn.base import RegressorMixin
from sklearn.utils.validation import validate_data

from paper_code.common.config import resolve_config
from paper_code.e2e_sr.config import END_TO_END, SKELETON, E2EConfig
from paper_code.e2e_sr.inference import E2EMethod
from paper_code.e2e_sr.train import MODEL_STAGES, load_model
from paper_code.symbolic.candidates import Candidate
from paper_code.symbolic.estimator import SymbolicEstimator, load_checkpoint
from paper_code.symbolic.expressions import const

__all__ = ["E2ERegressor"]

log = logging.getLogger(__name__)


class E2ERegressor(RegressorMixin, SymbolicEstimator):
    """A function ``y = f(x)`` with its constants, from points (see the module docstring).

    Parameters: ``model`` (``"end_to_end"``, or ``"skeleton"``: the ablation's two-step model, BFGS from random
    starts), ``checkpoint`` (default: the preset's checkpoint of that model), ``scale`` (the preset whose sizes and
    inference defaults apply), ``config`` (a full :class:`E2EConfig`, overrides ``scale``), and the inference
    settings ``n_candidates``, ``beam`` (False: temperature sampling), ``temperature``, ``max_bag``, ``n_bags``,
    ``refine_top``, ``refine_seconds``, ``seed`` (``None``: the preset's value).

    Fitted attributes: ``trees_`` (the expression tree, in a 1-tuple), ``equations_`` / ``expression_`` (SymPy),
    ``equations_str_`` (``"y = ..."``), ``candidates_`` (every distinct candidate, best training R² first),
    ``n_features_in_``.
    """

    def __init__(self, model: str = END_TO_END, checkpoint: str | Path | None = None, scale: str = "quick",
                 config: E2EConfig | None = None, n_candidates: int | None = None, beam: bool | None = None,
                 temperature: float | None = None, max_bag: int | None = None, n_bags: int | None = None,
                 refine_top: int | None = None, refine_seconds: float | None = None, seed: int | None = None) -> None:
        self.model = model
        self.checkpoint = checkpoint
        self.scale = scale
        self.config = config
        self.n_candidates = n_candidates
        self.beam = beam
        self.temperature = temperature
        self.max_bag = max_bag
        self.n_bags = n_bags
        self.refine_top = refine_top
        self.refine_seconds = refine_seconds
        self.seed = seed

    # ---------------------------------------------------------------- model
    def _config(self) -> E2EConfig:
        if self.config is not None:
            if not isinstance(self.config, E2EConfig):
                raise ValueError("config must be an E2EConfig (e.g. resolve_config('e2e_symbolic_regression', "
                                 f"'quick')), got {type(self.config).__name__}")
            return self.config
        return resolve_config("e2e_symbolic_regression", self.scale)  # type: ignore[return-value]

    def _load(self) -> Any:
        if self.model not in (END_TO_END, SKELETON):
            raise ValueError(f"model={self.model!r} is invalid; valid: {END_TO_END}, {SKELETON}")
        cfg = self._config()
        key = (self.model, self.scale if self.config is None else repr(cfg.training_settings(self.model)))
        return load_checkpoint(self.checkpoint or getattr(cfg, f"{self.model}_checkpoint"),
                               lambda path: load_model(path, cfg, self.model), key=key,
                               stage=MODEL_STAGES[self.model])

    def _method(self) -> E2EMethod:
        cfg = self._config()
        net, out_vocab = self._load()

        def pick(name: str, default: Any) -> Any:
            value = getattr(self, name)
            return default if value is None else value

        return E2EMethod(net, out_vocab, cfg.floats(), skeleton=self.model == SKELETON,
                         max_bag=pick("max_bag", cfg.max_bag), n_bags=pick("n_bags", cfg.n_bags),
                         n_candidates=pick("n_candidates", cfg.n_candidates),
                         beam=pick("beam", cfg.decoding == "beam"), temperature=pick("temperature", cfg.temperature),
                         refine_top=pick("refine_top", cfg.refine_top),
                         refine_seconds=pick("refine_seconds", cfg.refine_seconds), refine_points=cfg.refine_points,
                         seed=pick("seed", cfg.eval_seed))

    # ---------------------------------------------------------------- scikit-learn API
    def fit(self, X: Any, y: Any) -> E2ERegressor:
        """Find ``f`` with ``y ≈ f(X)`` (``X`` ``(n, d)``, ``y`` ``(n,)``; at least 2 finite rows)."""
        X, y = validate_data(self, X, y, y_numeric=True, ensure_min_samples=2)
        candidates = self._method().search(X, y)
        if not candidates:
            warnings.warn("none of the decoded sequences is a valid function of the inputs; fitted the constant "
                          "mean(y) instead (decode more candidates: n_candidates, beam=False)", RuntimeWarning,
                          stacklevel=2)
            candidates = [Candidate(const(float(np.mean(y))), 0, 0.0)]
        self._set_result([Candidate((c.prediction,), c.order, c.score, c.refined) for c in candidates])
        self.expression_ = self.equations_[0]
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The fitted function on rows ``X`` ``(n, n_features_in_)``; NaN where it is undefined."""
        self._check_fitted()
        X = validate_data(self, X, reset=False)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self.trees_[0].evaluate(X), dtype=float), (len(X),)).copy()

    @property
    def expression(self) -> sympy.Expr:
        """The fitted function in SymPy (same as ``expression_``)."""
        self._check_fitted()
        return self.expression_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
