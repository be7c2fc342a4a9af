"""E2E inference: points ``(X, y)`` → a ranked set of candidate functions (Kamienny et al., NeurIPS 2022, §3.3).

1. **Feature selection**: with more inputs than the model reads, keep the ``max_dim`` columns of largest
   ``|corr(x_j, y)|`` (the paper keeps 10).
2. **Standardisation** (:class:`Standardizer`): every input column is mapped to zero mean and unit variance
   (``y`` is left as it is, as in training); a predicted ``g(z)`` is mapped back exactly by substituting
   ``z_j = (x_j - μ_j) / σ_j``.
3. **Bagging**: the points are shuffled and split into bags of at most ``max_bag`` (at most ``n_bags`` bags); every
   bag is decoded on its own, all bags in one batch.
4. **Decoding**: beam search or temperature sampling of ``n_candidates`` per bag; unparsable sequences, and trees
   reading a variable the data does not have, are dropped; duplicates merged.
5. **Ranking and refinement**: the candidates are ranked by R² on all the training points; the constants of the
   best ``refine_top`` are refined by BFGS (the core's :func:`~paper_code.symbolic.refine.refine_constants`), and
   refined and unrefined candidates are ranked together. The paper's ablation (§4.1) is the choice of
   :class:`Variant`: the end-to-end model without refinement, or with BFGS from its predicted constants; and the
   random starts, which never read a predicted constant: the first ``refine_top`` distinct trees in decoding order
   get ``N(0, 1)`` constants and BFGS (the skeleton model's ``C`` placeholders; the end-to-end model's constants
   in the random-init ablation), the same number of BFGS runs as with predicted starts.

Steps 4-5 run on the symbolic core's candidate loop (:mod:`paper_code.symbolic.candidates`) with the training R² as
the paper's data-fit score.
"""
from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import torch

from paper_code.e2e_sr.data import point_rows
from paper_code.symbolic.candidates import Candidate, CandidateProblem, DecodingSettings, decode_sequences
from paper_code.symbolic.embedder import Vocabulary, tokenize_points
from paper_code.symbolic.encoding import decode
from paper_code.symbolic.expressions import PLACEHOLDER, Node, const, op, substitute, var
from paper_code.symbolic.metrics import r2_score
from paper_code.symbolic.numbers import FloatTokenizer
from paper_code.symbolic.refine import refine_constants

__all__ = ["Variant", "E2E_VARIANTS", "VariantFit", "Standardizer", "select_features", "E2EMethod"]


class Variant(enum.StrEnum):
    """The four rows of the paper's ablation (§4.1, Table 1)."""

    SKELETON_BFGS = "skeleton + BFGS"
    E2E = "E2E (no refinement)"
    E2E_BFGS = "E2E + BFGS (predicted init)"
    E2E_BFGS_RANDOM = "E2E + BFGS (random init)"


#: The variants computed from one decoding of the end-to-end model.
E2E_VARIANTS = (Variant.E2E, Variant.E2E_BFGS, Variant.E2E_BFGS_RANDOM)


class VariantFit(NamedTuple):
    """One variant's winner (``None``: no valid candidate), its wall time in seconds and the number of distinct
    decoded trees it was chosen from."""

    tree: Node | None
    seconds: float
    candidates: int


@dataclass(frozen=True)
class Standardizer:
    """``z = (x - mean) / scale`` per column (constant columns keep scale 1)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        X = np.asarray(X, dtype=float)
        std = X.std(0)
        return cls(X.mean(0), np.where(std > 0, std, 1.0))

    def apply(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=float) - self.mean) / self.scale

    def unscale(self, tree: Node, columns: Sequence[int] | None = None) -> Node:
        """``g(z)`` → ``f(x) = g((x - mean) / scale)``; ``columns[j]`` renames ``z_j`` to the original column
        ``x_{columns[j]}`` (feature selection)."""
        cols = range(len(self.mean)) if columns is None else columns
        mapping = {}
        for j, c in enumerate(cols):
            a, b = 1.0 / self.scale[j], -self.mean[j] / self.scale[j]
            x = var(int(c))
            z = x if a == 1.0 else op("mul", const(float(a)), x)
            mapping[f"x_{j}"] = z if b == 0.0 else op("add", z, const(float(b)))
        return substitute(tree, mapping)


def select_features(X: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Indices (increasing) of the ``k`` columns of largest ``|Pearson corr(x_j, y)|`` (all columns if ``<= k``)."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] <= k:
        return np.arange(X.shape[1])
    xc, yc = X - X.mean(0), np.asarray(y, float) - np.mean(y)
    denom = np.sqrt((xc**2).sum(0) * (yc**2).sum())
    corr = np.abs(xc.T @ yc) / np.where(denom > 0, denom, np.inf)
    return np.sort(np.argsort(-corr, kind="stable")[:k])


def _reads_only(tree: Node, dim: int) -> bool:
    return all(v.startswith("x_") and v[2:].isdigit() and int(v[2:]) < dim for v in tree.variables())


def _has_placeholder(tree: Node) -> bool:
    return any(n.value == PLACEHOLDER for n in tree.nodes())


def _refinable(tree: Node) -> Node:
    """``tree`` with its placeholders (if any) turned into float constants BFGS can move."""
    n = sum(n.value == PLACEHOLDER for n in tree.nodes())
    return tree.fill_skeleton(np.zeros(n)) if n else tree


def _train_r2(tree: Node, X: np.ndarray, y: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return r2_score(y, tree.evaluate(X), clip=None)


@dataclass
class E2EMethod:
    """A trained model (end-to-end or skeleton) with the inference of §3.3 (steps 1-5 above).

    ``model``/``out_vocab`` from :func:`paper_code.e2e_sr.train.load_model`; ``floats`` the config's float tokens.
    :meth:`fit` returns the best function in the user's coordinates; :meth:`fit_variants` the winners of the
    ablation's variants from a single decoding.
    """

    model: torch.nn.Module
    out_vocab: Vocabulary
    floats: FloatTokenizer
    skeleton: bool = False
    max_bag: int = 64
    n_bags: int = 4
    n_candidates: int = 16
    beam: bool = True
    temperature: float = 0.5
    refine_top: int = 5
    refine_seconds: float = 0.2
    refine_points: int = 1024
    seed: int = 0
    in_vocab: Vocabulary = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for key in ("max_bag", "n_bags", "n_candidates", "refine_top", "refine_points"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")
        if not self.refine_seconds > 0:
            raise ValueError(f"refine_seconds must be > 0, got {self.refine_seconds}")
        self.in_vocab = Vocabulary(self.floats.vocabulary)
        self.max_dim = self.model.cfg.max_width - 1

    @property
    def decoding(self) -> DecodingSettings:
        if self.beam:
            return DecodingSettings(self.n_candidates, 0.0, max(self.n_candidates, 2), self.seed)
        return DecodingSettings(self.n_candidates, self.temperature, 1, self.seed)

    # ---------------------------------------------------------------- decoding
    def bags(self, Z: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Rows ``(z, y)`` shuffled into at most ``n_bags`` bags of at most ``max_bag`` points."""
        rows = point_rows(Z, y)
        if len(rows) <= self.max_bag:
            return [rows]
        perm = rng.permutation(len(rows))[: self.max_bag * self.n_bags]
        return [rows[chunk] for chunk in np.array_split(perm, -(-len(perm) // self.max_bag))]

    def _parse(self, ids: list[int]) -> Node | None:
        try:
            return decode(self.out_vocab.decode(ids), self.floats)
        except (ValueError, KeyError):
            return None

    def decode(self, Z: np.ndarray, y: np.ndarray) -> list[Node]:
        """Distinct parsable trees reading only ``x_0..x_{D-1}``, pooled over the bags in decoding order (the
        bags' first candidates, then their second ones, ...)."""
        rng = np.random.default_rng(self.seed)
        bags = self.bags(Z, y, rng)
        ids, mask = tokenize_points(bags, self.floats, self.in_vocab, self.model.cfg.max_width)
        per_bag = decode_sequences(self.model, ids, mask, self.decoding)
        seen: dict[str, Node] = {}
        for rank in range(max(map(len, per_bag))):  # interleaved: every bag's best, then every bag's second...
            for s in (seqs[rank] for seqs in per_bag if rank < len(seqs)):
                tree = self._parse(s)
                if tree is None or not _reads_only(tree, Z.shape[1]):
                    continue
                if self.skeleton and tree.constants() or not self.skeleton and _has_placeholder(tree):
                    continue  # a skeleton with float constants, or an end-to-end tree with C
                seen.setdefault(tree.infix(), tree)
        return list(seen.values())

    # ---------------------------------------------------------------- ranking and refinement
    def _refine(self, tree: Node, Z: np.ndarray, y: np.ndarray, random_init: bool, rng: np.random.Generator
                ) -> Node:
        n = len(tree.constants())
        init = rng.standard_normal(n) if random_init else None
        return refine_constants(tree, Z, y, max_points=self.refine_points, time_limit=self.refine_seconds,
                                init=init, rng=rng).tree

    def rank(self, trees: Sequence[Node], Z: np.ndarray, y: np.ndarray, variant: Variant) -> list[Candidate[Node]]:
        """The candidate loop for one ``variant`` on already decoded trees (standardised coordinates), best first.

        Random starts (the skeleton model, and the end-to-end model's random-init ablation) never read the
        predicted constants: the first ``refine_top`` distinct trees in decoding order get ``N(0, 1)`` constants,
        then BFGS, and only those are ranked."""
        rng = np.random.default_rng([self.seed, list(Variant).index(variant)])
        score = lambda t: _train_r2(t, Z, y)  # noqa: E731
        if variant in (Variant.SKELETON_BFGS, Variant.E2E_BFGS_RANDOM):
            raw = [self._refine(_refinable(t), Z, y, True, rng) for t in trees[: self.refine_top]]
            return CandidateProblem(key=lambda t: t.infix(), score=score).rank(raw)
        refine = None
        if variant is not Variant.E2E:
            def refine(c: Candidate[Node]) -> Candidate[Node]:
                new = self._refine(c.prediction, Z, y, False, rng)
                return dataclasses.replace(c, prediction=new, score=score(new), refined=True)

        problem = CandidateProblem(key=lambda t: t.infix(), score=score, refine=refine, n_refine=self.refine_top,
                                   keep_unrefined=True)
        return problem.rank(list(trees))

    # ---------------------------------------------------------------- user-facing
    def prepare(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, Standardizer]:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (n_points, n_features) and y (n_points,), got {X.shape} and {y.shape}")
        if len(y) < 2 or not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("X and y need at least 2 points, all finite")
        cols = select_features(X, y, self.max_dim)
        scaler = Standardizer.fit(X[:, cols])
        return scaler.apply(X[:, cols]), y, cols, scaler

    def timed_variants(self, X: np.ndarray, y: np.ndarray, variants: Sequence[Variant] | None = None
                       ) -> dict[Variant, VariantFit]:
        """The winner of each variant (default: this model's variants) in the user's coordinates, with its wall
        time (the one decoding every variant shares, plus the variant's own ranking and refinement) and the number
        of distinct decoded trees."""
        variants = list(variants or ((Variant.SKELETON_BFGS,) if self.skeleton else E2E_VARIANTS))
        bad = [v for v in variants if (v is Variant.SKELETON_BFGS) != self.skeleton]
        if bad:
            other = "end-to-end" if self.skeleton else "skeleton"
            raise ValueError(f"variants {[v.value for v in bad]} need the {other} model")
        t0 = time.perf_counter()
        Z, y, cols, scaler = self.prepare(X, y)
        trees = self.decode(Z, y)
        decode_s = time.perf_counter() - t0
        out: dict[Variant, VariantFit] = {}
        for v in variants:
            t1 = time.perf_counter()
            ranked = self.rank(trees, Z, y, v)
            tree = scaler.unscale(ranked[0].prediction, cols) if ranked else None
            out[v] = VariantFit(tree, decode_s + time.perf_counter() - t1, len(trees))
        return out

    def fit_variants(self, X: np.ndarray, y: np.ndarray, variants: Sequence[Variant] | None = None
                     ) -> dict[Variant, Node | None]:
        """The winner of each variant (``None`` when no candidate is valid), in the user's coordinates; one
        decoding serves every variant of this model."""
        return {v: fit.tree for v, fit in self.timed_variants(X, y, variants).items()}

    @property
    def default_variant(self) -> Variant:
        """BFGS from the predicted constants (end-to-end model) or from random ones (skeleton model)."""
        return Variant.SKELETON_BFGS if self.skeleton else Variant.E2E_BFGS

    def search(self, X: np.ndarray, y: np.ndarray, variant: Variant | None = None) -> list[Candidate[Node]]:
        """Every distinct candidate of ``variant`` (default :attr:`default_variant`), best training R² first, in
        the user's coordinates."""
        Z, y, cols, scaler = self.prepare(X, y)
        ranked = self.rank(self.decode(Z, y), Z, y, variant or self.default_variant)
        return [dataclasses.replace(c, prediction=scaler.unscale(c.prediction, cols)) for c in ranked]

    def fit(self, X: np.ndarray, y: np.ndarray) -> Node:
        """The best function of :attr:`default_variant`."""
        ranked = self.search(X, y)
        if not ranked:
            raise RuntimeError("none of the decoded sequences is a valid function of the given inputs")
        return ranked[0].prediction
