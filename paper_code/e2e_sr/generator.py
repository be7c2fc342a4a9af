"""Training functions and their input points for end-to-end symbolic regression.

Kamienny, d'Ascoli, Lample, Charton, "End-to-end symbolic regression with transformers", NeurIPS 2022 (arXiv
2204.10532), §2 and Appendix A; the defaults of the official code (``facebookresearch/symbolicregression``,
``symbolicregression/envs/generators.py``). An example is a function ``y = f(x_0..x_{D-1})`` and ``N`` points:

* the expression comes from the core generator (:func:`paper_code.symbolic.generator.generate`, preset
  :data:`~paper_code.symbolic.generator.E2E`): ``D ~ U{1..max_dim}``, ``b ~ U{0..D+3}`` binary operators
  (add/sub/mul), every variable used, up to 4 unaries on small sub-trees, a factor on each term of a sum,
  ``a + b·arg`` inside unaries, an additive constant at the root, constants ``±m·10^e``
  (``m ∈ 1..999``, ``e ∈ {-3, -2, -1}``);
* the inputs come from a mixture of ``k ~ U{1..max_clusters}`` clusters (means ``N(0, 1)^D``, per-axis variances
  ``U(0, 1)``, a Haar-random rotation each, Gaussian or uniform shape for the whole example, weights ``U(0, 1)``
  normalised), then every coordinate is standardised (:class:`InputMixture`);
* points where ``f`` is not finite or exceeds ``max_abs_y`` are dropped, and the example is redrawn when fewer than
  ``min_points`` remain or ``y`` is constant.

The *skeleton* of an example replaces its constants by the placeholder ``C`` (the target of the skeleton model, the
two-step baseline of the paper's ablation, §4.1).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from paper_code.common.config import Validated, param
from paper_code.symbolic.expressions import Node, safe_evaluate
from paper_code.symbolic.generator import E2E, GeneratorConfig, generate

__all__ = ["FunctionGeneratorConfig", "QUICK", "FULL", "PRESETS", "InputMixture", "Example", "sample_example",
           "random_rotation", "QUICK_UNARY_OPS"]

#: The unaries of our quick scale, with the official code's weights for them (sqrt 5, inv 3, pow2 3, sin 1, exp 1).
QUICK_UNARY_OPS = (("sqrt", 5.0), ("inv", 3.0), ("pow2", 3.0), ("sin", 1.0), ("exp", 1.0))


@dataclasses.dataclass(frozen=True)
class FunctionGeneratorConfig(Validated):
    """The distribution of training examples (validated on construction)."""

    min_dim: int = param(1, "smallest input dimension D", ge=1)
    max_dim: int = param(10, "largest input dimension D [10]", ge=1, le=10)
    min_points: int = param(10, "fewest points of an example (after dropping invalid ones)", ge=2)
    max_points: int = param(200, "most points; N ~ U{max(5D, min_points)..max_points} [5D..200]", ge=2)
    max_clusters: int = param(9, "largest number of mixture clusters [9]", ge=1)
    max_abs_y: float = param(1e100, "points with |f| above this are dropped [1e103 in the code]", gt=0)
    trees: GeneratorConfig = param(E2E, "expression generator (core preset E2E)")
    max_tries: int = param(1000, "rejected draws before RuntimeError", ge=1)

    def validate(self) -> None:
        if self.max_dim < self.min_dim:
            self.fail("max_dim", f"{self.max_dim} must be >= min_dim={self.min_dim}")
        if self.max_points < self.min_points:
            self.fail("max_points", f"{self.max_points} must be >= min_points={self.min_points}")

    def point_range(self, dim: int) -> tuple[int, int]:
        """Bounds of ``N`` for dimension ``dim``."""
        return min(max(5 * dim, self.min_points), self.max_points), self.max_points


#: The paper's distribution (official defaults).
FULL = FunctionGeneratorConfig()
#: Our CPU scale: D ∈ {1, 2, 3}, at most D + 2 binary operators and 2 unaries among sqrt/inv/pow2/sin/exp, 16-64
#: points; values beyond 1e9 dropped (the quick tokens' exponents stop at ±10).
QUICK = FunctionGeneratorConfig(
    max_dim=3, min_points=16, max_points=64, max_abs_y=1e9,
    trees=dataclasses.replace(E2E, max_binary_extra=2, max_unary=2, unary_ops=QUICK_UNARY_OPS))

PRESETS = {"quick": QUICK, "full": FULL}


def random_rotation(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A Haar-distributed rotation of ``R^dim`` (QR of a Gaussian matrix with the signs fixed, det = +1)."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


@dataclasses.dataclass(frozen=True)
class InputMixture:
    """A random mixture of rotated clusters in ``R^D`` and the standardisation of its first draw (§A of the paper).

    :meth:`sample` draws raw points; :meth:`standardised` maps them with the mean and standard deviation of the
    points the example was fitted on, so points drawn later (the extrapolation sets) share the fit points' frame.
    """

    means: np.ndarray        # (k, D)
    scales: np.ndarray       # (k, D) per-axis standard deviations
    rotations: np.ndarray    # (k, D, D)
    weights: np.ndarray      # (k,)
    uniform: bool

    @classmethod
    def draw(cls, rng: np.random.Generator, dim: int, max_clusters: int) -> InputMixture:
        k = int(rng.integers(1, max_clusters + 1))
        w = rng.uniform(0, 1, size=k)
        return cls(means=rng.standard_normal((k, dim)), scales=np.sqrt(rng.uniform(0, 1, size=(k, dim))),
                   rotations=np.stack([random_rotation(rng, dim) for _ in range(k)]),
                   weights=w / w.sum(), uniform=bool(rng.random() < 0.5))

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` raw points ``(n, D)``; the unit-variance shape is ``N(0, 1)`` or ``U(-√3, √3)`` per axis."""
        counts = rng.multinomial(n, self.weights)
        parts = []
        for i, c in enumerate(counts):
            z = (rng.uniform(-np.sqrt(3), np.sqrt(3), size=(c, self.dim)) if self.uniform
                 else rng.standard_normal((c, self.dim)))
            parts.append(self.means[i] + (z * self.scales[i]) @ self.rotations[i].T)
        return rng.permutation(np.concatenate(parts))


@dataclasses.dataclass
class Example:
    """A function and its points: ``x`` standardised ``(N, D)``, ``y = f(x)``; ``mixture`` and ``center``/``scale``
    (the standardisation) let :func:`extrapolation_points` draw more points in the same frame."""

    tree: Node
    x: np.ndarray
    y: np.ndarray
    mixture: InputMixture
    center: np.ndarray
    scale: np.ndarray

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def skeleton(self) -> Node:
        """The tree with every constant replaced by the placeholder ``C``."""
        return self.tree.skeleton()[0]

    def more_points(self, rng: np.random.Generator, n: int, sigma: float = 1.0, max_abs_y: float = np.inf
                    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` new points from the example's mixture in its standardised frame, scaled by ``sigma`` (the paper's
        extrapolation sets, σ > 1 reaching outside the training support); invalid points dropped, so fewer than
        ``n`` may come back."""
        x = sigma * (self.mixture.sample(rng, n) - self.center) / self.scale
        res = safe_evaluate(self.tree, x)
        keep = res.valid & (np.abs(np.where(res.valid, res.values, 0.0)) <= max_abs_y)
        return x[keep], res.values[keep]


def sample_example(rng: np.random.Generator, cfg: FunctionGeneratorConfig = QUICK, dim: int | None = None,
                   n_points: int | None = None) -> Example:
    """One accepted example (``dim`` / ``n_points`` fix D / N, e.g. for the evaluation sweeps); ``RuntimeError``
    after ``cfg.max_tries`` rejected draws."""
    if dim is not None and not cfg.min_dim <= dim <= cfg.max_dim:
        raise ValueError(f"dim={dim} is outside the generator's range {cfg.min_dim}..{cfg.max_dim}")
    for _ in range(cfg.max_tries):
        d = int(rng.integers(cfg.min_dim, cfg.max_dim + 1)) if dim is None else dim
        tree = generate(rng, d, cfg.trees)
        lo, hi = cfg.point_range(d)
        n = int(rng.integers(lo, hi + 1)) if n_points is None else n_points
        mixture = InputMixture.draw(rng, d, cfg.max_clusters)
        raw = mixture.sample(rng, n)
        center, scale = raw.mean(0), raw.std(0)
        if not (scale > 0).all():
            continue
        x = (raw - center) / scale
        res = safe_evaluate(tree, x)
        keep = res.valid & (np.abs(np.where(res.valid, res.values, 0.0)) <= cfg.max_abs_y)
        if keep.sum() < min(lo, n):
            continue
        y = res.values[keep]
        if np.ptp(y) <= 1e-9 * (1.0 + np.abs(y).max()):
            continue  # constant on the points: nothing to regress
        return Example(tree, x[keep], y, mixture, center, scale)
    raise RuntimeError(f"no accepted example after {cfg.max_tries} draws (cfg={cfg})")
