"""Binary classification data sets for the Boolformer's interpretable-classification comparison, built offline.

Paper: d'Ascoli et al., "Boolformer: symbolic regression of logic functions with transformers", arXiv 2309.12207
(v2 §4.2 and App. F): binary classification data sets of the PMLB benchmark (Romano et al., "PMLB v1.0", 2021),
features binarised (:func:`binarize_table`), the Boolformer compared with logistic regression and random forests
of 1 and 100 trees (scikit-learn defaults; :func:`classification_baselines`) by test F1.

PMLB is downloaded at run time, which this project cannot do, so the *logic* data sets of its suite are
regenerated here from their published definitions (each builder's docstring and ``description`` give the
definition, its source, and where the rows differ from PMLB's file), plus scikit-learn's bundled copy of the
Wisconsin diagnostic breast cancer data, binarised at the medians. Every builder is deterministic; those that
sample take a ``seed`` (:data:`DATASETS` uses :data:`DEFAULT_SEED`).

Label noise that a protocol applies to the *training rows only* (MONK-3's 5 %) is not in ``y``: the data set
records the rate in ``label_noise`` and the caller flips training labels with :func:`flip_labels` after
:func:`train_test_split`.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paper_code.boolformer.circuits import multiplexer
from paper_code.boolformer.formulas import all_inputs

__all__ = ["BinaryDataset", "Split", "DEFAULT_SEED", "mux6", "parity5", "parity5_plus5", "corral", "three_of_nine",
           "m_of_n", "xd6", "monk", "MONK_ATTRIBUTES", "tic_tac_toe", "breast_cancer", "binarize_table",
           "flip_labels", "DATASETS", "load", "train_test_split", "select_features", "mutual_information",
           "classification_baselines"]

#: Seed of the sampled data sets in :data:`DATASETS`.
DEFAULT_SEED = 0


@dataclass(frozen=True)
class BinaryDataset:
    """A binary classification data set with 0/1 features.

    ``X`` is (n, d) uint8, ``y`` (n,) uint8; ``feature_names[j]`` names column j; ``description`` says how the
    rows were built (definition and source); ``exact_rule`` is the generating rule in words (None when unknown,
    e.g. real data); ``label_noise`` is the fraction of *training* labels the protocol flips (module doc).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    description: str
    exact_rule: str | None
    label_noise: float = 0.0

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def class_counts(self) -> tuple[int, int]:
        """(number of rows with y = 0, number with y = 1)."""
        pos = int(self.y.sum())
        return len(self.y) - pos, pos


def _dataset(name, X, y, names, description, rule, label_noise=0.0) -> BinaryDataset:
    X, y = np.array(X, dtype=np.uint8), np.asarray(y).astype(np.uint8)
    if X.shape != (len(y), len(names)):
        raise AssertionError(f"{name}: X {X.shape}, y {y.shape} and {len(names)} names disagree")
    return BinaryDataset(name, X, y, tuple(names), description, rule, label_noise)


def _bit_names(n: int) -> tuple[str, ...]:
    return tuple(f"x{i}" for i in range(n))


def _check_count(what: str, n: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what}={n!r} is invalid: a positive integer is needed")


# ----------------------------------------------------------------------------- logic data sets
def mux6() -> BinaryDataset:
    """The 6-multiplexer: 2 address bits select one of 4 data bits; the 64 distinct rows of the truth table.

    PMLB's ``mux6`` has 128 rows: each of the 64 inputs appears twice, which adds no information; we keep the
    64 distinct rows (inputs ``s1, s0, d0 … d3``, as :func:`~paper_code.boolformer.circuits.multiplexer`).
    """
    c = multiplexer(2)
    return _dataset(
        "mux6", c.X, c.output(0), c.input_names,
        "6-multiplexer (Koza, Genetic Programming, 1992; PMLB mux6): all 64 inputs once; PMLB lists each twice "
        "(128 rows).", "y = d[2*s1 + s0]")


def parity5() -> BinaryDataset:
    """Even/odd parity of 5 bits: all 32 rows (PMLB ``parity5``, 32 rows); y = 1 iff an odd number of ones."""
    X = all_inputs(5)
    return _dataset("parity5", X, X.sum(axis=1) % 2, _bit_names(5),
                    "5-bit parity, full truth table (PMLB parity5, 32 rows).", "y = x0 xor x1 xor x2 xor x3 xor x4")


def parity5_plus5(seed: int = DEFAULT_SEED, n: int = 1124) -> BinaryDataset:
    """Parity5+5 (John, Kohavi & Pfleger 1994): 10 uniform bits, y = parity of 5 of them; we make the relevant
    bits the first five (``x0 … x4``), the other five are irrelevant. ``n`` rows drawn uniformly with replacement
    from the 1024 inputs (PMLB ``parity5+5`` has 1124 rows)."""
    _check_count("n", n)
    X = np.random.default_rng(seed).integers(0, 2, size=(n, 10), dtype=np.uint8)
    return _dataset(
        "parity5+5", X, X[:, :5].sum(axis=1) % 2, _bit_names(10),
        f"Parity5+5 (John, Kohavi & Pfleger, ICML 1994; PMLB parity5+5, 1124 rows): {n} uniform rows of 10 bits "
        f"(seed {seed}), y = parity of x0..x4; x5..x9 irrelevant.", "y = x0 xor x1 xor x2 xor x3 xor x4")


def corral(seed: int = DEFAULT_SEED, n: int = 160) -> BinaryDataset:
    """CorrAL (John, Kohavi & Pfleger 1994): bits ``A0, A1, B0, B1, Irrelevant, Correlated``;
    y = (A0 and A1) or (B0 and B1); ``Irrelevant`` is uniform; ``Correlated`` equals y with probability 0.75
    (independently per row). ``n`` rows, the first five bits uniform (PMLB ``corral`` has 160 rows)."""
    _check_count("n", n)
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 6), dtype=np.uint8)
    y = (X[:, 0] & X[:, 1]) | (X[:, 2] & X[:, 3])
    X[:, 5] = np.where(rng.random(n) < 0.75, y, 1 - y)
    return _dataset(
        "corral", X, y, ("A0", "A1", "B0", "B1", "Irrelevant", "Correlated"),
        f"CorrAL (John, Kohavi & Pfleger, ICML 1994; PMLB corral, 160 rows): {n} rows (seed {seed}); A0, A1, B0, "
        "B1, Irrelevant uniform; Correlated agrees with y on each row with probability 0.75.",
        "y = (A0 and A1) or (B0 and B1)")


def three_of_nine() -> BinaryDataset:
    """threeOf9: all 512 inputs of 9 bits, y = 1 iff three consecutive bits ``x_i, x_{i+1}, x_{i+2}`` are 1.

    238 positives and 274 negatives (274 is the tribonacci number of 9-bit strings with no run of three ones),
    the class counts of PMLB's ``threeOf9`` (512 rows).
    """
    X = all_inputs(9)
    y = np.zeros(len(X), dtype=bool)
    for i in range(7):
        y |= (X[:, i] & X[:, i + 1] & X[:, i + 2]).astype(bool)
    return _dataset("threeOf9", X, y, _bit_names(9),
                    "threeOf9 (PMLB threeOf9, 512 rows): full truth table of 9 bits; y = 1 iff some 3 consecutive "
                    "bits are all 1 (238 positives).", "y = 1 iff x_i = x_{i+1} = x_{i+2} = 1 for some i in 0..6")


def m_of_n() -> BinaryDataset:
    """mofn-3-7-10: 10 bits, y = 1 iff at least 3 of the 7 bits ``x2 … x8`` are 1 (``x0, x1, x9`` irrelevant).

    PMLB's ``mofn_3_7_10`` has 1324 rows drawn from the 1024 inputs; we use each of the 1024 inputs once
    (792 positives = 1024 · 99/128).
    """
    X = all_inputs(10)
    return _dataset("mofn_3_7_10", X, X[:, 2:9].sum(axis=1) >= 3, _bit_names(10),
                    "M-of-N concept 3-of-7 over 10 bits (PMLB mofn_3_7_10, 1324 rows sampled from the cube): all "
                    "1024 inputs once; relevant bits x2..x8.", "y = 1 iff x2 + x3 + ... + x8 >= 3")


def xd6(noise: float = 0.0, seed: int = DEFAULT_SEED) -> BinaryDataset:
    """xd6 (Buntine & Niblett 1992): 9 bits, y = (x0 and x1 and x2) or (x3 and x4 and x5) or (x6 and x7 and x8);
    all 512 inputs, clean (169 positives). The original (PMLB ``xd6``, 973 rows) has 10 % label noise: pass
    ``noise=0.1`` to flip that fraction of the labels (:func:`flip_labels`, seeded)."""
    X = all_inputs(9)
    y = (X[:, 0:3].all(axis=1) | X[:, 3:6].all(axis=1) | X[:, 6:9].all(axis=1)).astype(np.uint8)
    if noise:
        y = flip_labels(y, noise, np.random.default_rng(seed))
    return _dataset(
        "xd6", X, y, _bit_names(9),
        "xd6 (Buntine & Niblett, Machine Learning 8, 1992; PMLB xd6, 973 rows with 10% label noise): all 512 "
        f"inputs once, {'clean' if not noise else f'{noise:.0%} of labels flipped (seed {seed})'}.",
        "y = (x0 and x1 and x2) or (x3 and x4 and x5) or (x6 and x7 and x8)")


#: The six MONK attributes and their values (Thrun et al. 1991): 3·3·2·3·4·2 = 432 combinations.
MONK_ATTRIBUTES: dict[str, tuple[int, ...]] = {
    "a1": (1, 2, 3), "a2": (1, 2, 3), "a3": (1, 2), "a4": (1, 2, 3), "a5": (1, 2, 3, 4), "a6": (1, 2)}

_MONK_RULES = {
    1: ("(a1 == a2) or (a5 == 1)", lambda a: (a[:, 0] == a[:, 1]) | (a[:, 4] == 1)),
    2: ("exactly two of a1..a6 take their first value (1)", lambda a: (a == 1).sum(axis=1) == 2),
    3: ("(a5 == 3 and a4 == 1) or (a5 != 4 and a2 != 3)",
        lambda a: ((a[:, 4] == 3) & (a[:, 3] == 1)) | ((a[:, 4] != 4) & (a[:, 1] != 3))),
}


def monk(k: int) -> BinaryDataset:
    """MONK's problem ``k`` in {1, 2, 3} (Thrun et al., CMU-CS-91-197, 1991): all 432 attribute combinations
    (the original test set; itertools order over :data:`MONK_ATTRIBUTES`), clean labels, binarised with
    :func:`binarize_table`: ``a3`` and ``a6`` (2 values) become one 0/1 column each (``a3=2``, ``a6=2``), the
    others one column per value (``a1=1`` …): 15 features.

    monk1: (a1 == a2) or (a5 == 1); monk2: exactly two attributes equal 1; monk3: (a5 == 3 and a4 == 1) or
    (a5 != 4 and a2 != 3), whose original training set has 5 % of its labels flipped: ``label_noise = 0.05``,
    for the caller to apply to its training rows (:func:`flip_labels`).
    """
    if k not in _MONK_RULES:
        raise ValueError(f"MONK problem k={k!r} is unknown; valid: 1, 2, 3")
    raw = np.array(list(itertools.product(*MONK_ATTRIBUTES.values())), dtype=np.int64)
    rule, fn = _MONK_RULES[k]
    X, names = binarize_table(dict(zip(MONK_ATTRIBUTES, raw.T)))
    noise = 0.05 if k == 3 else 0.0
    return _dataset(
        f"monk{k}", X, fn(raw), names,
        f"MONK-{k} (Thrun et al., CMU-CS-91-197, 1991; PMLB monk{k} = training + test sets): all 432 combinations "
        "of a1..a6, clean labels, one-hot / 0-1 encoded" + (
            "; the original training set has 5% label noise (label_noise = 0.05, for training rows only)."
            if noise else "."), rule, noise)


_SQUARES = ("top-left", "top-middle", "top-right", "middle-left", "middle-middle", "middle-right",
            "bottom-left", "bottom-middle", "bottom-right")
_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def _winner(board: str) -> str | None:
    for i, j, l in _LINES:
        if board[i] != "b" and board[i] == board[j] == board[l]:
            return board[i]
    return None


def _end_boards() -> list[str]:
    """Every board where a game with x moving first has just ended (a win or a full board), each once."""
    ends, seen, stack = set(), {"b" * 9}, ["b" * 9]
    while stack:
        board = stack.pop()
        if _winner(board) or "b" not in board:
            ends.add(board)
            continue
        player = "x" if board.count("x") == board.count("o") else "o"
        for i in (i for i, s in enumerate(board) if s == "b"):
            nxt = board[:i] + player + board[i + 1:]
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return sorted(ends)


def tic_tac_toe() -> BinaryDataset:
    """Tic-tac-toe endgame (Aha 1991; UCI, PMLB ``tic_tac_toe``): every legal board where the game has ended
    (x moved first; a win or a full board), enumerated by play: 958 boards, 626 where x has three in a row
    (y = 1). Each square (``top-left`` … ``bottom-right``) in {b, o, x} is one-hot encoded: 27 features named
    ``square=state``; rows in lexicographic order of the boards."""
    boards = _end_boards()
    cells = np.array([list(b) for b in boards])
    X, names = binarize_table({sq: cells[:, i] for i, sq in enumerate(_SQUARES)})
    y = [_winner(b) == "x" for b in boards]
    return _dataset(
        "tic_tac_toe", X, y, names,
        "Tic-Tac-Toe Endgame (D. Aha, UCI repository, 1991; PMLB tic_tac_toe): all 958 end positions of legal "
        "games with x first, enumerated here; squares one-hot encoded (b = blank).",
        "y = 1 iff x occupies a whole row, column or diagonal")


def breast_cancer() -> BinaryDataset:
    """Wisconsin diagnostic breast cancer (Street, Wolberg & Mangasarian 1993; UCI WDBC; the copy bundled with
    scikit-learn, ``load_breast_cancer``): 569 rows, 30 real features, each binarised as ``x > median`` (feature
    names ``"<name> > <median>"``). y = 1 for **malignant** (212 rows), 0 for benign (357): the complement of
    scikit-learn's target, whose 1 is benign."""
    from sklearn.datasets import load_breast_cancer
    raw = load_breast_cancer()
    med = np.median(raw.data, axis=0)
    names = [f"{n} > {m:.4g}" for n, m in zip(raw.feature_names, med)]
    return _dataset(
        "breast_cancer_wisconsin", raw.data > med, 1 - raw.target, names,
        "Wisconsin diagnostic breast cancer (UCI WDBC, Street, Wolberg & Mangasarian 1993), scikit-learn's "
        "bundled copy; each feature binarised at its median (x > median -> 1); y = 1 malignant.", None)


# ----------------------------------------------------------------------------- preprocessing
def binarize_table(columns: Mapping[str, Sequence], max_values: int = 5) -> tuple[np.ndarray, tuple[str, ...]]:
    """The paper's feature binarisation (App. F): ``(X, feature_names)`` from named columns (a dict or DataFrame).

    A column with 2 distinct values becomes one 0/1 column (1 = the larger value; named ``col`` if its values
    are already 0 and 1, else ``col=<larger value>``); a column with 3 to ``max_values`` distinct values becomes
    one indicator column per value, in sorted order (``col=<value>``); constant columns and columns with more
    than ``max_values`` values are dropped. Columns keep their order.
    """
    blocks, names = [], []
    for name, values in columns.items():
        values = np.asarray(values)
        if values.ndim != 1:
            raise ValueError(f"column {name!r} must be 1-D, got shape {values.shape}")
        levels = np.unique(values)
        if len(levels) == 2:
            blocks.append(values == levels[1])
            names.append(str(name) if set(levels.tolist()) == {0, 1} else f"{name}={levels[1]}")
        elif 3 <= len(levels) <= max_values:
            for v in levels:
                blocks.append(values == v)
                names.append(f"{name}={v}")
    n = len(np.asarray(next(iter(columns.values())))) if len(columns) else 0
    X = np.stack(blocks, axis=1).astype(np.uint8) if blocks else np.zeros((n, 0), dtype=np.uint8)
    return X, tuple(names)


def flip_labels(y: np.ndarray, rate: float, rng: np.random.Generator,
                rows: Sequence[int] | None = None) -> np.ndarray:
    """A copy of ``y`` with exactly ``round(rate · m)`` labels flipped, chosen uniformly without replacement among
    ``rows`` (all m rows by default; m = len(rows) otherwise)."""
    if not 0 <= rate <= 1:
        raise ValueError(f"rate={rate} is invalid: a fraction in [0, 1] is needed")
    out = np.array(y, dtype=np.uint8)
    pool = np.arange(len(out)) if rows is None else np.asarray(rows, dtype=np.int64)
    chosen = rng.choice(pool, size=int(round(rate * len(pool))), replace=False)
    out[chosen] ^= 1
    return out


# ----------------------------------------------------------------------------- registry
#: Name -> builder with no arguments (sampled data sets use :data:`DEFAULT_SEED`), in the report's order.
DATASETS: dict[str, Callable[[], BinaryDataset]] = {
    "mux6": mux6,
    "parity5": parity5,
    "parity5+5": parity5_plus5,
    "corral": corral,
    "threeOf9": three_of_nine,
    "mofn_3_7_10": m_of_n,
    "xd6": xd6,
    "monk1": lambda: monk(1),
    "monk2": lambda: monk(2),
    "monk3": lambda: monk(3),
    "tic_tac_toe": tic_tac_toe,
    "breast_cancer_wisconsin": breast_cancer,
}


def load(name: str) -> BinaryDataset:
    """The data set ``name`` of :data:`DATASETS`."""
    if name not in DATASETS:
        raise ValueError(f"data set {name!r} is unknown; valid: {', '.join(DATASETS)}")
    return DATASETS[name]()


@dataclass(frozen=True)
class Split:
    """A train/test split: the rows and their indices in the data set."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray


def train_test_split(ds: BinaryDataset, test_size: float = 0.25, seed: int = DEFAULT_SEED) -> Split:
    """Stratified split of ``ds`` (scikit-learn's ``train_test_split`` with ``stratify=y``)."""
    from sklearn.model_selection import train_test_split as sk_split
    if not 0 < test_size < 1:
        raise ValueError(f"test_size={test_size} is invalid: a fraction in (0, 1) is needed")
    tr, te = sk_split(np.arange(ds.n_rows), test_size=test_size, random_state=seed, stratify=ds.y)
    return Split(ds.X[tr], ds.X[te], ds.y[tr], ds.y[te], tr, te)


def mutual_information(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(d,) empirical mutual information (nats) between each 0/1 column of ``X`` and the 0/1 labels ``y``."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),) or len(X) == 0:
        raise ValueError(f"X must be (n, d) and y (n,) with n >= 1, got {X.shape} and {y.shape}")
    if not (np.isin(X, (0, 1)).all() and np.isin(y, (0, 1)).all()):
        raise ValueError("X and y must be 0/1")
    n, x1, y1 = len(X), X.astype(bool), y.astype(bool)
    mi = np.zeros(X.shape[1])
    for a in (False, True):
        px = (x1 == a).mean(axis=0)
        for b in (False, True):
            pxy = ((x1 == a) & (y1 == b)[:, None]).sum(axis=0) / n
            py = (y1 == b).mean()
            with np.errstate(divide="ignore", invalid="ignore"):
                term = pxy * np.log(pxy / (px * py))
            mi += np.where(pxy > 0, term, 0.0)
    return np.maximum(mi, 0.0)


def select_features(X: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Indices (ascending) of the ``k`` columns of ``X`` with the largest :func:`mutual_information` with ``y``
    on the given rows; ties (to 1e-12) go to the smaller column index; all columns when k >= d.

    Single-column information misses features that matter only jointly (parity's bits carry none alone)."""
    _check_count("k", k)
    mi = np.round(mutual_information(X, y), 12)
    order = np.lexsort((np.arange(len(mi)), -mi))  # by -MI, then by index
    return np.sort(order[:k])


# ----------------------------------------------------------------------------- baselines
def _model_size(model) -> int:
    if hasattr(model, "estimators_"):
        return int(sum(t.tree_.node_count for t in model.estimators_))
    return int(np.count_nonzero(model.coef_))


def classification_baselines(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                             seed: int = 0) -> dict[str, dict]:
    """The paper's baselines (§4.2, App. F) with scikit-learn defaults: logistic regression (``max_iter`` raised to
    10 000 so that lbfgs converges; otherwise default L2, C = 1), random forests of 1 and 100 trees
    (``random_state=seed``).

    Returns model name -> ``{"f1", "accuracy", "fit_seconds", "size"}``: test F1 of class 1 (0 when nothing is
    predicted positive), test accuracy, wall-clock fit time, and the size (total tree nodes over the forest's
    trees; nonzero coefficients for logistic regression, intercept excluded).
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    models = {
        "logistic_regression": LogisticRegression(max_iter=10_000),
        "random_forest_1": RandomForestClassifier(n_estimators=1, random_state=seed),
        "random_forest_100": RandomForestClassifier(n_estimators=100, random_state=seed),
    }
    out = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        pred = model.predict(X_test)
        out[name] = {"f1": float(f1_score(y_test, pred, pos_label=1, zero_division=0)),
                     "accuracy": float(accuracy_score(y_test, pred)), "fit_seconds": seconds,
                     "size": _model_size(model)}
    return out
