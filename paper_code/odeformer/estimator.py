"""ODEFormer on your own data, in the scikit-learn style (like the official package's
``SymbolicTransformerRegressor``, github.com/sdascoli/odeformer).

.. code-block:: python

    from paper_code.odeformer.estimator import ODEFormer

    est = ODEFormer().fit(t, x)           # t: (T,) increasing, x: (T, D); or lists of (t_i, x_i) of one system
    est.equations_str_                     # ('dx_0/dt = -0.49*x_0',): strings; est.equations_: SymPy
    x_hat = est.predict(t_new, x0)         # the found system integrated from x0 at t_new[0]
    est.score(t, x)                        # R² of that integration against x (variance-weighted, clipped at 0)

Inference is :class:`~paper_code.odeformer.inference.OdeformerMethod` (rescaling, bagging, sampling,
ranking by trajectory fit, optional BFGS refinement) on the trained checkpoint of the ``scale`` preset,
restored by ``dvc pull``. Decoding parameters left at ``None`` take the preset's values.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paper_code.common.config import resolve_config
from paper_code.odeformer.config import OdeformerConfig
from paper_code.odeformer.inference import OdeformerMethod, Trajectories
from paper_code.odeformer.integrate import integrate
from paper_code.odeformer.scoring import SCORING_SOLVER, trajectory_r2
from paper_code.symbolic.candidates import DecodingSettings
from paper_code.symbolic.estimator import SymbolicEstimator, load_checkpoint

__all__ = ["ODEFormer"]

log = logging.getLogger(__name__)


def _trajectory(t: Any, x: Any, which: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``(t (T,), x (T, D))`` as float arrays, or a one-line ``ValueError`` saying what is wrong."""
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    if t.ndim != 1 or len(t) < 2:
        raise ValueError(f"t{which} must be a 1-D array of at least 2 times, got shape {t.shape}")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) != len(t):
        raise ValueError(f"x{which} must have shape (T, D) or (T,) with T = len(t{which}) = {len(t)}, "
                         f"got {x.shape}")
    if not (np.isfinite(t).all() and np.isfinite(x).all()):
        raise ValueError(f"t{which} and x{which} must be finite (found NaN or inf)")
    if not np.all(np.diff(t) > 0):
        raise ValueError(f"t{which} must be strictly increasing")
    return t, x


def _observations(t: Any, x: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """One trajectory or lists of them → ``[(t_i, x_i)]``."""
    many = isinstance(t, (list, tuple)) and len(t) > 0 and np.ndim(t[0]) == 1
    if not many:
        return [_trajectory(t, x)]
    if not isinstance(x, (list, tuple)) or len(x) != len(t):
        raise ValueError(f"with a list of {len(t)} time arrays, x must be a list of as many trajectories")
    obs = [_trajectory(ti, xi, f"[{i}]") for i, (ti, xi) in enumerate(zip(t, x))]
    dims = {xi.shape[1] for _, xi in obs}
    if len(dims) > 1:
        raise ValueError(f"every trajectory must have the same dimension D, got {sorted(dims)}")
    return obs


class ODEFormer(SymbolicEstimator):
    """Symbolic ODE system ``dx/dt = f(x)`` from observed trajectories (ODEFormer, d'Ascoli et al., ICLR 2024).

    Parameters: ``checkpoint`` (``None``: the preset's ``models/odeformer/model.pt``), ``scale`` (the preset
    the checkpoint was trained with), ``config`` (a resolved :class:`OdeformerConfig`, e.g. a notebook session's
    with its overrides, used instead of the ``scale`` preset), decoding ``n_candidates``, ``temperature`` (0 = greedy),
    ``beam_size`` (> 1 = beam search), ``max_bag`` (points per decoded bag) (``None`` = the preset's value),
    ``refine_s`` (BFGS refinement budget in seconds, 0 = off), ``rescale`` (time → [1, 10], state ÷ initial
    value), ``seed``, ``use_cache`` (key/value-cached decoding).

    Fitted attributes: ``trees_``, ``equations_`` (SymPy right-hand sides), ``equations_str_``
    (``"dx_i/dt = ..."``), ``candidates_`` (every distinct valid candidate, best first, with its score: the
    mean R² of its integration against the observations), ``n_features_in_`` (the dimension D).
    """

    def __init__(self, checkpoint: str | None = None, scale: str = "quick", n_candidates: int | None = None,
                 temperature: float | None = None, beam_size: int | None = None, max_bag: int | None = None,
                 refine_s: float = 0.0, rescale: bool = True, seed: int | None = None,
                 use_cache: bool = True, config: OdeformerConfig | None = None) -> None:
        self.checkpoint = checkpoint
        self.scale = scale
        self.config = config
        self.n_candidates = n_candidates
        self.temperature = temperature
        self.beam_size = beam_size
        self.max_bag = max_bag
        self.refine_s = refine_s
        self.rescale = rescale
        self.seed = seed
        self.use_cache = use_cache

    # ---------------------------------------------------------------- model
    def _config(self) -> OdeformerConfig:
        if self.config is not None:
            if not isinstance(self.config, OdeformerConfig):
                raise ValueError(f"config must be an OdeformerConfig (e.g. resolve_config('odeformer', 'quick')), got "
                                 f"{type(self.config).__name__}")
            return self.config
        return resolve_config("odeformer", self.scale)  # type: ignore[return-value]

    def _load(self) -> tuple[Any, Any]:
        """Model and vocabularies, through the evaluation's checked loading (missing, corrupt, unfinished or
        differently trained checkpoints each raise their own error with the fix)."""
        from paper_code.odeformer import checkpoint as C
        from paper_code.odeformer.experiments import load_method

        cfg = self._config()

        def build(path: Path) -> tuple[Any, Any]:
            method = load_method(cfg, path)
            return method.model, method.vocabs

        key = self.scale if self.config is None else repr(cfg.training_settings())
        return load_checkpoint(self.checkpoint or cfg.checkpoint_path, build, key=key, restore=C.PULL,
                               train_hint=f"train it with `{C.RETRAIN}` ({self.scale} scale)")

    def _method(self) -> OdeformerMethod:
        cfg = self._config()
        model, vocabs = self._load()
        settings = self._decoding_settings(DecodingSettings(cfg.n_candidates, cfg.temperature, cfg.beam_size,
                                                            cfg.seed))
        return OdeformerMethod(model, vocabs, n_candidates=settings.n_candidates, temperature=settings.temperature,
                               beam_size=settings.beam_size, seed=settings.seed, use_cache=settings.use_cache,
                               max_bag=cfg.max_bag if self.max_bag is None else self.max_bag,
                               refine_s=self.refine_s, rescale=self.rescale)

    def _lhs(self, i: int, n: int) -> str:
        return f"dx_{i}/dt"

    # ---------------------------------------------------------------- scikit-learn API
    def fit(self, t: np.ndarray | Sequence[np.ndarray], x: np.ndarray | Sequence[np.ndarray]) -> ODEFormer:
        """Find ``f`` from one trajectory (``t`` ``(T,)``, ``x`` ``(T, D)`` or ``(T,)``) or several of the same
        system (lists of them, e.g. from different initial conditions)."""
        obs = _observations(t, x)
        method = self._method()
        dim = obs[0][1].shape[1]
        if dim > method.max_dim:
            raise ValueError(f"x has D={dim} components; the {self.scale} model handles systems of up to "
                             f"D={method.max_dim}")
        candidates = method.search(obs)
        if not candidates:
            raise RuntimeError(f"none of the decoded sequences is a valid {dim}-D system; decode more candidates "
                               "(n_candidates, temperature > 0) or more bags (smaller max_bag)")
        self.n_features_in_ = dim
        self._set_result(candidates)
        return self

    def predict(self, t: np.ndarray, x0: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """The fitted system integrated from ``x0`` at ``t[0]``: ``(len(t), D)``. A rejected integration
        (divergence, stiffness, evaluation cap) gives NaN rows and a logged warning."""
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        x0 = np.atleast_1d(np.asarray(x0, dtype=float))
        if x0.shape != (self.n_features_in_,):
            raise ValueError(f"x0 must have the fitted dimension D={self.n_features_in_}, got shape {x0.shape}")
        _trajectory(t, np.zeros((len(t), 1)))
        traj = integrate(self.trees_, x0, t, SCORING_SOLVER, compiled=True)
        if not traj.ok:
            log.warning("integration of %s from x0=%s failed: %s", "; ".join(self.equations_str_), x0.tolist(),
                        traj.reason)
            return np.full((len(t), self.n_features_in_), np.nan)
        return traj.y

    def score(self, t: np.ndarray | Sequence[np.ndarray], x: np.ndarray | Sequence[np.ndarray]) -> float:
        """R² (variance-weighted over components, clipped at 0, as ODEBench scores) of the fitted system
        integrated from each trajectory's first state; the mean over several trajectories."""
        self._check_fitted()
        obs: Trajectories = _observations(t, x)
        if obs[0][1].shape[1] != self.n_features_in_:
            raise ValueError(f"x must have the fitted dimension D={self.n_features_in_}, got D={obs[0][1].shape[1]}")
        return float(np.mean([trajectory_r2(xi, self.predict(ti, xi[0])) for ti, xi in obs]))
