"""Gene-regulatory-network (GRN) inference with Boolean rules: data, protocol, scores and baselines.

Paper: d'Ascoli et al., "Boolformer: symbolic regression of logic functions with transformers", arXiv
2309.12207 (v2 §4.3 and App. G), which evaluates on the Boolean GRN benchmark of Pušnik et al. 2022 ("Review
and assessment of Boolean approaches for inference of gene regulatory networks", Heliyon e10222).

**Data** (:func:`load_ecoli`): the benchmark's 30 E. coli subnetworks (10 each of 16, 32 and 64 genes),
``<root>/grn/ecoli_N/Ecoli-K_binarised.tsv`` (tab-separated, header ``experiment time <genes…>``, 560 rows
= 10 perturbation experiments x 56 time points, 0/1 values) and ``Ecoli-K_goldstandard.tsv`` (DREAM format:
``regulator target 1/0`` for every ordered pair of distinct genes, no header). The roots are those of
:func:`paper_code.data.paths.candidate_dirs` (``$PAPER_DATA_DIR``). Without the files,
:func:`simulate_network` draws a random Boolean network with the same layout.

**Protocol** (Pušnik et al. 2022; Boolformer v2 §4.3, App. G):

* leave one experiment out (:func:`fold`): train on the other 9 experiments' table, the transitions
  ``x(t) → x(t+1)`` between consecutive rows, experiment boundaries included (503 pairs for 504 rows);
* one rule per gene, ``x_i(t+1) = f_i(x(t))`` (a :class:`~paper_code.symbolic.expressions.Node` over
  ``x_0 … x_{n-1}``, or ``None`` for no rule, simulated as 0);
* dynamic accuracy (:func:`dynamic_accuracy`): simulate the inferred network synchronously from the held-out
  experiment's first state for 55 steps; ``DA = 1 - Hamming errors / (55 n)``;
* structure (:func:`structure_scores`): edge ``j → i`` when ``x_j`` appears in ``f_i``; predicted and gold
  adjacency are both symmetrised (direction ignored) and the upper triangle *including the diagonal*
  (n(n+1)/2 cells) is scored: accuracy, precision, recall, F1, MCC and bookmaker informedness
  BM = TPR + TNR - 1.

**Baselines**: the fixed point ``f_i = x_i``; Best-Fit (Lähdesmäki et al. 2003; exhaustive search over
regulator sets with the majority lookup table); REVEAL (Liang, Fuhrman, Somogyi 1998; the smallest
regulator set that determines the output). A learned model such as Boolformer enters through
:func:`infer_with` (one fit per gene, the gene's own column dropped as in v2 App. G).
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paper_code.boolformer.formulas import FormulaConfig, evaluate_rows, random_formula, simplify
from paper_code.data.paths import candidate_dirs, env_note
from paper_code.symbolic.expressions import Node, op, var, variable_index

__all__ = ["ECOLI_SIZES", "ECOLI_INDICES", "N_EXPERIMENTS", "N_TIME_POINTS", "ECOLI_SOURCE", "SIMULATED_SOURCE",
           "GeneNetwork", "grn_folder", "available_networks", "load_ecoli", "simulate_network",
           "fold", "step", "simulate", "dynamic_accuracy", "adjacency", "structure_scores",
           "formula_from_table", "infer_fixed_point", "infer_best_fit", "infer_reveal", "infer_with", "infer_with_many",
           "BASELINES", "evaluate_network", "Rules", "Inference"]

#: Gene counts of the benchmark's E. coli subnetworks, and the network indices K of each size.
ECOLI_SIZES: tuple[int, ...] = (16, 32, 64)
ECOLI_INDICES: tuple[int, ...] = tuple(range(1, 11))
#: Perturbation experiments per network and time points per experiment (t = 0, 20, …, 1100).
N_EXPERIMENTS = 10
N_TIME_POINTS = 56
ECOLI_SOURCE = "E. coli (Pušnik et al. 2022)"
SIMULATED_SOURCE = "simulated"

#: One rule per gene (``None``: no rule, simulated as 0).
Rules = Sequence[Node | None]
#: An inference method: training pairs ``(X, Y)`` (rows x(t), x(t+1)) to one rule per gene.
Inference = Callable[[np.ndarray, np.ndarray], list[Node | None]]


# ----------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class GeneNetwork:
    """A binarised time-series data set with its gold-standard network.

    ``series[r]`` is the 0/1 state of the ``n`` genes at row ``r``; ``experiment[r]`` the experiment it belongs
    to (each experiment's rows are consecutive, in time order). ``gold[j, i]`` is True for an edge ``j → i``
    (no self loops). ``rules`` are the true rules of a simulated network (None for real data).
    """

    name: str
    genes: tuple[str, ...]
    series: np.ndarray
    experiment: np.ndarray
    gold: np.ndarray
    source: str
    rules: tuple[Node, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.genes)
        if self.series.ndim != 2 or self.series.shape[1] != n:
            raise ValueError(f"{self.name}: series must be (rows, {n}), got {self.series.shape}")
        if self.experiment.shape != (self.series.shape[0],):
            raise ValueError(f"{self.name}: experiment must be ({self.series.shape[0]},), got {self.experiment.shape}")
        if self.gold.shape != (n, n) or self.gold.dtype != bool:
            raise ValueError(f"{self.name}: gold must be a bool ({n}, {n}) array")
        if self.gold.diagonal().any():
            raise ValueError(f"{self.name}: gold has self loops; the benchmark never scores them")
        if self.rules is not None and len(self.rules) != n:
            raise ValueError(f"{self.name}: {len(self.rules)} rules for {n} genes")
        for a in (self.series, self.experiment, self.gold):
            a.setflags(write=False)

    @property
    def n_genes(self) -> int:
        return len(self.genes)

    @property
    def experiments(self) -> tuple[int, ...]:
        """The experiment ids, in the order of their rows."""
        ids, first = np.unique(self.experiment, return_index=True)
        return tuple(int(i) for i in ids[np.argsort(first)])


# ----------------------------------------------------------------------------- loading
def grn_folder() -> Path | None:
    """The first ``<root>/grn`` holding ``ecoli_*`` folders over the reference-data roots, or None."""
    for d in candidate_dirs("grn"):
        if d.is_dir() and any(p.is_dir() for p in d.glob("ecoli_*")):
            return d.resolve()
    return None


def _check_size(n_genes: int) -> None:
    if n_genes not in ECOLI_SIZES:
        raise ValueError(f"n_genes={n_genes} is invalid; the benchmark's E. coli networks have {ECOLI_SIZES} genes")


def _paths(folder: Path, n_genes: int, index: int) -> tuple[Path, Path]:
    d = folder / f"ecoli_{n_genes}"
    return d / f"Ecoli-{index}_binarised.tsv", d / f"Ecoli-{index}_goldstandard.tsv"


def available_networks(n_genes: int) -> list[int]:
    """Indices K of the ``n_genes``-gene networks whose two files are present (empty without the data)."""
    _check_size(n_genes)
    folder = grn_folder()
    if folder is None:
        return []
    return [k for k in ECOLI_INDICES if all(p.is_file() for p in _paths(folder, n_genes, k))]


def _missing(relative: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"GRN benchmark file {relative!r} not found under any of {[str(d) for d in candidate_dirs('grn')]} "
        f"{env_note()}. The data are the E. coli subnetworks of the Pušnik et al. 2022 benchmark as stored in the "
        "public GitHub repository zigapusnik/SAILoR, folder data/EcoliExtractedNetworks: for each network, the full "
        "binarised table (columns experiment, time, one 0/1 column per gene; 10 experiments x 56 time points, "
        "rebuilt from the repository's cross-validation training files) and the DREAM gold standard. Place them as "
        "grn/ecoli_N/Ecoli-K_binarised.tsv and grn/ecoli_N/Ecoli-K_goldstandard.tsv and point $PAPER_DATA_DIR at the "
        "folder holding grn/")


def _read_series(path: Path, n_genes: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    lines = [ln.rstrip("\r\n") for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: empty file")
    header = lines[0].split("\t")
    if header[:2] != ["experiment", "time"]:
        raise ValueError(f"{path}: the header must start with 'experiment<TAB>time', got {header[:2]}")
    genes = tuple(header[2:])
    if len(genes) != n_genes or len(set(genes)) != n_genes:
        raise ValueError(f"{path}: expected {n_genes} distinct gene columns, got {len(genes)} "
                         f"({len(set(genes))} distinct)")
    rows = [ln.split("\t") for ln in lines[1:]]
    want = N_EXPERIMENTS * N_TIME_POINTS
    if len(rows) != want:
        raise ValueError(f"{path}: expected {want} rows ({N_EXPERIMENTS} experiments x {N_TIME_POINTS} time points), "
                         f"got {len(rows)}")
    bad = next((r for r, row in enumerate(rows) if len(row) != n_genes + 2), None)
    if bad is not None:
        raise ValueError(f"{path}: data row {bad + 1} has {len(rows[bad])} fields, expected {n_genes + 2}")
    values = np.array([row[2:] for row in rows])
    if not np.isin(values, ["0", "1"]).all():
        r, c = np.argwhere(~np.isin(values, ["0", "1"]))[0]
        raise ValueError(f"{path}: data row {r + 1}, gene {genes[c]!r} has value {values[r, c]!r}; expected 0 or 1")
    try:
        experiment = np.array([int(row[0]) for row in rows])
    except ValueError as e:
        raise ValueError(f"{path}: the experiment column must hold integers ({e})") from None
    ids, first, counts = np.unique(experiment, return_index=True, return_counts=True)
    contiguous = all((experiment[f:f + c] == i).all() for i, f, c in zip(ids, first, counts))
    if len(ids) != N_EXPERIMENTS or not (counts == N_TIME_POINTS).all() or not contiguous:
        raise ValueError(f"{path}: expected {N_EXPERIMENTS} experiments of {N_TIME_POINTS} consecutive rows each, "
                         f"got ids {ids.tolist()} with {counts.tolist()} rows")
    return genes, (values == "1").astype(np.uint8), experiment


def _read_gold(path: Path, genes: tuple[str, ...]) -> np.ndarray:
    index = {g: k for k, g in enumerate(genes)}
    n = len(genes)
    gold = np.zeros((n, n), dtype=bool)
    seen = np.zeros((n, n), dtype=bool)
    for r, ln in enumerate(ln for ln in path.read_text().splitlines() if ln.strip()):
        fields = ln.split("\t")
        if len(fields) != 3 or fields[2] not in ("0", "1"):
            raise ValueError(f"{path}: line {r + 1} must be 'regulator<TAB>target<TAB>0|1', got {ln!r}")
        if fields[0] not in index or fields[1] not in index:
            raise ValueError(f"{path}: line {r + 1} names a gene that is not a column of the series: {ln!r}")
        j, i = index[fields[0]], index[fields[1]]
        if i == j or seen[j, i]:
            raise ValueError(f"{path}: line {r + 1} is a self pair or a repeated pair: {ln!r}")
        seen[j, i] = True
        gold[j, i] = fields[2] == "1"
    if seen.sum() != n * (n - 1):
        raise ValueError(f"{path}: expected every ordered pair of distinct genes ({n * (n - 1)} lines), "
                         f"got {int(seen.sum())}")
    return gold


def load_ecoli(n_genes: int, index: int) -> GeneNetwork:
    """The benchmark's E. coli network ``Ecoli-<index>`` of ``n_genes`` genes (validated; module doc).

    Raises ``FileNotFoundError`` saying where it searched and how to obtain the files when they are absent,
    ``ValueError`` naming the file when a file is malformed.
    """
    _check_size(n_genes)
    if index not in ECOLI_INDICES:
        raise ValueError(f"index={index} is invalid; the networks are numbered {ECOLI_INDICES[0]}..{ECOLI_INDICES[-1]}")
    folder = grn_folder()
    series_rel = f"ecoli_{n_genes}/Ecoli-{index}_binarised.tsv"
    if folder is None:
        raise _missing(series_rel)
    series_path, gold_path = _paths(folder, n_genes, index)
    for p in (series_path, gold_path):
        if not p.is_file():
            raise _missing(str(p.relative_to(folder)))
    genes, series, experiment = _read_series(series_path, n_genes)
    gold = _read_gold(gold_path, genes)
    return GeneNetwork(f"ecoli_{n_genes}/Ecoli-{index}", genes, series, experiment, gold, ECOLI_SOURCE)


# ----------------------------------------------------------------------------- rules and dynamics
def _check_rules(rules: Rules, n: int) -> list[Node | None]:
    rules = list(rules)
    if len(rules) != n:
        raise ValueError(f"expected one rule per gene ({n}), got {len(rules)}")
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        if not isinstance(rule, Node):
            raise TypeError(f"rule {i} is a {type(rule).__name__}; expected a Node or None")
        used = [variable_index(v) for v in rule.variables()]
        if used and max(used) >= n:
            raise ValueError(f"rule {i} uses x_{max(used)} but the network has {n} genes")
    return rules


def _states(x: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.size and not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 values")
    return a.astype(np.uint8)


def step(rules: Rules, states: np.ndarray) -> np.ndarray:
    """One synchronous update of a batch of states: (m, n) → (m, n) uint8; a gene without a rule becomes 0."""
    X = _states(states, "states")
    if X.ndim != 2:
        raise ValueError(f"states must be (m, n), got shape {X.shape}")
    rules = _check_rules(rules, X.shape[1])
    out = np.zeros_like(X)
    for i, rule in enumerate(rules):
        if rule is not None:
            out[:, i] = evaluate_rows(rule, X)
    return out


def simulate(rules: Rules, x0: np.ndarray, steps: int) -> np.ndarray:
    """(steps + 1, n) uint8 trajectory of synchronous updates from ``x0`` (row 0 is ``x0``)."""
    x = _states(x0, "x0")
    if x.ndim != 1:
        raise ValueError(f"x0 must be one state (n,), got shape {x.shape}")
    if steps < 0:
        raise ValueError(f"steps={steps} must be >= 0")
    rules = _check_rules(rules, len(x))
    out = np.zeros((steps + 1, len(x)), dtype=np.uint8)
    out[0] = x
    for t in range(steps):
        out[t + 1] = step(rules, out[t:t + 1])[0]
    return out


def dynamic_accuracy(rules: Rules, series: np.ndarray) -> float:
    """``1 - Hamming errors / ((T - 1) n)`` of the free simulation from ``series[0]`` against the (T, n) series
    (T = 56: 55 steps, the benchmark's protocol)."""
    S = _states(series, "series")
    if S.ndim != 2 or len(S) < 2:
        raise ValueError(f"series must be (T >= 2, n), got shape {S.shape}")
    sim = simulate(rules, S[0], len(S) - 1)
    return 1.0 - float(np.count_nonzero(sim[1:] != S[1:])) / S[1:].size


def adjacency(rules: Rules, n: int) -> np.ndarray:
    """(n, n) bool: ``[j, i]`` is True when ``x_j`` appears in rule ``i`` (self loops included)."""
    rules = _check_rules(rules, n)
    A = np.zeros((n, n), dtype=bool)
    for i, rule in enumerate(rules):
        if rule is not None:
            for v in rule.variables():
                A[variable_index(v), i] = True
    return A


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def structure_scores(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall, F1, MCC and BM of a predicted adjacency against the gold one.

    Both (n, n) matrices are symmetrised (``A | A.T``: direction ignored) and the n(n+1)/2 cells of the upper
    triangle, diagonal included, are scored (the benchmark's convention; a predicted self loop is a false
    positive, as gold has none). An undefined ratio (zero denominator) is 0: precision without predicted
    edges, recall and TPR without gold edges, TNR without gold non-edges, F1 when precision + recall = 0, MCC
    when a margin is empty; BM = TPR + TNR - 1 is 0 when TPR or TNR is undefined.
    """
    P, G = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape != G.shape:
        raise ValueError(f"pred and gold must be square and of one shape, got {P.shape} and {G.shape}")
    cells = np.triu(np.ones(P.shape, dtype=bool))
    p, g = (P | P.T)[cells], (G | G.T)[cells]
    tp, fp = int(np.sum(p & g)), int(np.sum(p & ~g))
    fn, tn = int(np.sum(~p & g)), int(np.sum(~p & ~g))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    tnr = _ratio(tn, tn + fp)
    denom = float(tp + fp) * float(tp + fn) * float(tn + fp) * float(tn + fn)
    return {
        "accuracy": _ratio(tp + tn, p.size),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall),
        "mcc": _ratio(tp * tn - fp * fn, np.sqrt(denom)),
        "bm": recall + tnr - 1.0 if (tp + fn) and (tn + fp) else 0.0,
    }


# ----------------------------------------------------------------------------- simulated networks
def _depends_on_all(table: np.ndarray, k: int) -> bool:
    codes = np.arange(2**k)
    return all((table != table[codes ^ (1 << j)]).any() for j in range(k))


def simulate_network(rng: np.random.Generator, n_genes: int = 16, max_regulators: int = 3,
                     n_experiments: int = N_EXPERIMENTS, length: int = N_TIME_POINTS, p_flip: float = 0.02,
                     name: str = "simulated") -> GeneNetwork:
    """A random Boolean network and its noisy time series, in the benchmark's layout (the stand-in when the
    E. coli files are absent).

    Gene ``i`` gets ``k ~ U{1..max_regulators}`` regulators among the *other* genes (no self loops) and a
    random non-constant rule that depends on all ``k`` (:func:`~paper_code.boolformer.formulas.random_formula`
    over ``k`` variables, all active, then ``x_j`` renamed ``x_{regulator j}``; redrawn until it depends on
    every regulator). Each experiment starts from a uniform random state and runs synchronous updates; each
    bit of each new state is flipped with probability ``p_flip`` (noise that keeps the dynamics from freezing at
    a fixed point). Deterministic in ``rng``.
    """
    if n_genes < 2:
        raise ValueError(f"n_genes={n_genes} must be >= 2 (regulators are other genes)")
    if max_regulators < 1:
        raise ValueError(f"max_regulators={max_regulators} must be >= 1")
    if n_experiments < 1 or length < 1:
        raise ValueError(f"n_experiments={n_experiments} and length={length} must be >= 1")
    if not 0 <= p_flip <= 1:
        raise ValueError(f"p_flip={p_flip} must lie in [0, 1]")
    top = min(max_regulators, n_genes - 1)
    rules: list[Node] = []
    for i in range(n_genes):
        k = int(rng.integers(1, top + 1))
        others = np.array([j for j in range(n_genes) if j != i])
        regulators = sorted(int(j) for j in rng.choice(others, size=k, replace=False))
        cfg = FormulaConfig(min_dim=k, max_dim=k, max_active=k, all_active=True, max_binary=2 * k)
        for _ in range(100):
            f = random_formula(rng, cfg)
            if _depends_on_all(f.table, k):
                break
        else:
            raise RuntimeError(f"no rule depending on all {k} regulators in 100 draws")
        rules.append(f.tree.relabel({f"x_{j}": f"x_{r}" for j, r in enumerate(regulators)}))
    states = np.zeros((n_experiments, length, n_genes), dtype=np.uint8)
    states[:, 0] = rng.random((n_experiments, n_genes)) < 0.5
    for t in range(1, length):
        flips = (rng.random((n_experiments, n_genes)) < p_flip).astype(np.uint8)
        states[:, t] = step(rules, states[:, t - 1]) ^ flips
    series = states.reshape(n_experiments * length, n_genes)
    experiment = np.repeat(np.arange(n_experiments), length)
    genes = tuple(f"g{i}" for i in range(n_genes))
    return GeneNetwork(name, genes, series, experiment, adjacency(rules, n_genes), SIMULATED_SOURCE, tuple(rules))


# ----------------------------------------------------------------------------- folds
def fold(network: GeneNetwork, held_out_experiment: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, test_series)`` of the leave-one-experiment-out fold: ``X``/``Y`` are rows t and t+1 of the table
    of the other experiments (in order, transitions across experiment boundaries included: m - 1 pairs for m
    rows), ``test_series`` the held-out experiment's rows."""
    if held_out_experiment not in network.experiments:
        raise ValueError(f"{network.name}: no experiment {held_out_experiment}; experiments: {network.experiments}")
    held = network.experiment == held_out_experiment
    train = network.series[~held]
    if len(train) < 2:
        raise ValueError(f"{network.name}: fewer than 2 training rows without experiment {held_out_experiment}")
    return train[:-1].copy(), train[1:].copy(), network.series[held].copy()


# ----------------------------------------------------------------------------- baselines
def _pairs(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, Y = _states(X, "X"), _states(Y, "Y")
    if X.ndim != 2 or X.shape != Y.shape or len(X) == 0:
        raise ValueError(f"X and Y must be non-empty (m, n) arrays of one shape, got {X.shape} and {Y.shape}")
    return X, Y


def formula_from_table(regulators: Sequence[int], table: np.ndarray) -> Node:
    """The formula of a lookup table over ``regulators``: ``table[c]`` is the output when regulator ``j`` has
    value bit ``j`` of ``c`` (the layout of :func:`~paper_code.boolformer.formulas.all_inputs`). Written as the
    OR of one AND term per configuration of output 1, then simplified; a constant table gives the leaf 0 or 1."""
    regs = [int(r) for r in regulators]
    t = _states(table, "table").ravel()
    if len(t) != 2 ** len(regs):
        raise ValueError(f"a table over {len(regs)} regulators has {2 ** len(regs)} entries, got {len(t)}")
    if len(set(regs)) != len(regs) or any(r < 0 for r in regs):
        raise ValueError(f"regulators must be distinct non-negative indices, got {regs}")
    if t.min() == t.max():
        return Node(int(t[0]))
    terms = []
    for c in np.flatnonzero(t):
        lits = [var(r) if (c >> j) & 1 else op("not", var(r)) for j, r in enumerate(regs)]
        terms.append(lits[0] if len(lits) == 1 else _chain("and", lits))
    return simplify(terms[0] if len(terms) == 1 else _chain("or", terms))


def _chain(name: str, children: list[Node]) -> Node:
    out = children[-1]
    for c in reversed(children[:-1]):
        out = op(name, c, out)
    return out


def _subset_counts(X: np.ndarray, y: np.ndarray, combos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of output 0 and 1 per input configuration for every regulator set: two (C, 2^k) arrays for the
    (C, k) sets ``combos``, configuration codes as in :func:`formula_from_table`."""
    C, k = combos.shape
    width = 2**k
    zeros, ones = np.empty((C, width), dtype=np.int64), np.empty((C, width), dtype=np.int64)
    block = max(1, 2_000_000 // max(1, len(X)))  # bounds the (m, block) code array
    weights = (1 << np.arange(k)).astype(np.int64)
    for s in range(0, C, block):
        sub = combos[s:s + block]
        codes = X[:, sub].astype(np.int64) @ weights + (np.arange(len(sub)) * width)[None, :]  # (m, b)
        total = np.bincount(codes.ravel(), minlength=len(sub) * width)
        one = np.bincount(codes[y == 1].ravel(), minlength=len(sub) * width)
        ones[s:s + len(sub)] = one.reshape(len(sub), width)
        zeros[s:s + len(sub)] = (total - one).reshape(len(sub), width)
    return zeros, ones


def _combos(n: int, i: int, k: int) -> np.ndarray:
    others = [j for j in range(n) if j != i]
    return np.array(list(itertools.combinations(others, k)), dtype=np.int64).reshape(-1, k)


def _check_k(max_regulators: int) -> None:
    if max_regulators < 1:
        raise ValueError(f"max_regulators={max_regulators} must be >= 1")


def infer_fixed_point(n: int) -> list[Node | None]:
    """The fixed-point baseline: every gene keeps its value, ``f_i = x_i``."""
    if n < 1:
        raise ValueError(f"n={n} must be >= 1")
    return [var(i) for i in range(n)]


def infer_best_fit(X: np.ndarray, Y: np.ndarray, max_regulators: int = 2) -> list[Node | None]:
    """Best-Fit extension (Lähdesmäki, Shmulevich, Yli-Harja 2003), as run in Pušnik et al. 2022.

    For each gene, every set of 1..``max_regulators`` *other* genes with its majority lookup table (per observed
    configuration, the more frequent next value; ties and unobserved configurations → 0); the set with the
    fewest training errors wins (ties: the smaller set, then the first in lexicographic order). The rule is
    :func:`formula_from_table` of its table. Vectorised: one ``np.bincount`` per block of sets.
    """
    X, Y = _pairs(X, Y)
    _check_k(max_regulators)
    n = X.shape[1]
    rules: list[Node | None] = []
    for i in range(n):
        y = Y[:, i]
        best: tuple[int, np.ndarray, np.ndarray] | None = None  # (errors, regulators, table)
        for k in range(1, min(max_regulators, n - 1) + 1):
            combos = _combos(n, i, k)
            zeros, ones = _subset_counts(X, y, combos)
            errors = np.minimum(zeros, ones).sum(axis=1)
            c = int(np.argmin(errors))
            if best is None or errors[c] < best[0]:
                best = (int(errors[c]), combos[c], (ones[c] > zeros[c]).astype(np.uint8))
        if best is None:  # a single gene: no other gene to regulate it
            rules.append(Node(int(2 * y.sum() > len(y))))
        else:
            rules.append(formula_from_table(best[1], best[2]))
    return rules


def infer_reveal(X: np.ndarray, Y: np.ndarray, max_regulators: int = 3) -> list[Node | None]:
    """REVEAL (Liang, Fuhrman, Somogyi 1998), as run in Pušnik et al. 2022.

    For k = 1..``max_regulators``, the sets of k *other* genes whose inputs determine the output on the training
    rows (H(y | X_S) = 0: every observed configuration has one next value); the first k with such a set is kept
    and, among its sets, the one of largest mutual information I(y; X_S) = H(y) - H(y | X_S). For a determining
    set that is H(y) for every set, so the choice is the first set in lexicographic order. The rule is its
    lookup table (unobserved configurations → 0). A constant output gives the constant rule; a gene that no set
    up to ``max_regulators`` determines gets no rule (None), as in the original method.
    """
    X, Y = _pairs(X, Y)
    _check_k(max_regulators)
    n = X.shape[1]
    rules: list[Node | None] = []
    for i in range(n):
        y = Y[:, i]
        if y.min() == y.max():
            rules.append(Node(int(y[0])))
            continue
        rule = None
        for k in range(1, min(max_regulators, n - 1) + 1):
            combos = _combos(n, i, k)
            zeros, ones = _subset_counts(X, y, combos)
            determined = np.flatnonzero((np.minimum(zeros, ones) == 0).all(axis=1))
            if len(determined):
                c = int(determined[0])
                rule = formula_from_table(combos[c], (ones[c] > 0).astype(np.uint8))
                break
        rules.append(rule)
    return rules


#: The baselines as :data:`Inference` callables (their default settings: Best-Fit K = 2, REVEAL K = 3).
BASELINES: dict[str, Inference] = {
    "fixed_point": lambda X, Y: infer_fixed_point(np.shape(X)[1]),
    "best_fit": infer_best_fit,
    "reveal": infer_reveal,
}


# ----------------------------------------------------------------------------- learned models
def infer_with(fit: Callable[[np.ndarray, np.ndarray], Node], X: np.ndarray, Y: np.ndarray, drop_self: bool = True,
               max_points: int | None = None, rng: np.random.Generator | None = None) -> list[Node | None]:
    """One rule per gene from a learned single-function fitter (e.g. Boolformer, v2 App. G).

    ``fit(X_in, y)`` gets (m, d) uint8 inputs and (m,) outputs and returns a formula over ``x_0 … x_{d-1}``.
    For gene ``i`` the inputs drop column ``i`` when ``drop_self`` (v2 App. G: it rules out the trivial
    ``f_i = x_i``) and the returned ``x_k`` is mapped back to gene ``k`` if ``k < i`` else ``k + 1``. With
    ``max_points``, one set of at most that many rows (drawn by ``rng``, kept in time order) is used for every
    gene. A constant output is answered with the constant leaf, without calling ``fit``.
    """
    return infer_with_many(lambda problems: [fit(X_in, y) for X_in, y in problems], X, Y, drop_self, max_points,
                           rng)


def infer_with_many(fit_many: Callable[[list[tuple[np.ndarray, np.ndarray]]], Sequence[Node]], X: np.ndarray,
                    Y: np.ndarray, drop_self: bool = True, max_points: int | None = None,
                    rng: np.random.Generator | None = None) -> list[Node | None]:
    """:func:`infer_with` with one call for all genes: ``fit_many`` gets the list of ``(X_in, y)`` problems of the
    non-constant genes (in gene order) and returns their formulas (e.g. a batched decoding)."""
    X, Y = _pairs(X, Y)
    n = X.shape[1]
    rows = np.arange(len(X))
    if max_points is not None:
        if max_points < 1:
            raise ValueError(f"max_points={max_points} must be >= 1")
        if len(X) > max_points:
            if rng is None:
                raise ValueError("subsampling to max_points rows needs an rng")
            rows = np.sort(rng.choice(len(X), size=max_points, replace=False))
    Xs, Ys = X[rows], Y[rows]
    rules: list[Node | None] = [None] * n
    asked: list[int] = []
    problems: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(n):
        y = Ys[:, i]
        if y.min() == y.max():
            rules[i] = Node(int(y[0]))
            continue
        asked.append(i)
        problems.append((np.delete(Xs, i, axis=1) if drop_self else Xs, y.copy()))
    trees = list(fit_many(problems)) if problems else []
    if len(trees) != len(problems):
        raise ValueError(f"fit_many returned {len(trees)} formulas for {len(problems)} problems")
    for i, (X_in, _), tree in zip(asked, problems, trees):
        if not isinstance(tree, Node):
            raise TypeError(f"fit returned a {type(tree).__name__} for gene {i}; expected a Node")
        used = [variable_index(v) for v in tree.variables()]
        if used and max(used) >= X_in.shape[1]:
            raise ValueError(f"fit returned a formula using x_{max(used)} for {X_in.shape[1]} input columns (gene {i})")
        if drop_self:
            tree = tree.relabel({f"x_{k}": f"x_{k + 1}" for k in range(i, n - 1)})
        rules[i] = tree
    return rules


# ----------------------------------------------------------------------------- evaluation
_STRUCTURE = ("accuracy", "precision", "recall", "f1", "mcc", "bm")


def evaluate_network(network: GeneNetwork, infer: Inference, folds: Sequence[int] | None = None,
                     keep_rules: bool = False) -> dict:
    """Leave-one-experiment-out evaluation of ``infer`` on ``network`` (module doc).

    Returns ``{"network", "source", "n_genes", "folds": [per-fold records], "dynamic_accuracy", <structure
    scores>, "seconds"}``: the means over the folds (structure scored per fold, then averaged; ``seconds`` is the
    wall time of ``infer`` per fold). A record holds ``held_out``, ``dynamic_accuracy``, ``seconds``, the
    structure scores and, with ``keep_rules``, the ``rules``.
    """
    chosen = network.experiments if folds is None else tuple(folds)
    if not chosen:
        raise ValueError("no folds to evaluate")
    records = []
    for e in chosen:
        X, Y, test = fold(network, e)
        start = time.perf_counter()
        rules = infer(X, Y)
        seconds = time.perf_counter() - start
        rules = _check_rules(rules, network.n_genes)
        rec: dict = {"held_out": int(e), "dynamic_accuracy": dynamic_accuracy(rules, test), "seconds": seconds}
        rec.update(structure_scores(adjacency(rules, network.n_genes), network.gold))
        if keep_rules:
            rec["rules"] = rules
        records.append(rec)
    summary: dict = {"network": network.name, "source": network.source, "n_genes": network.n_genes,
                     "folds": records}
    for key in ("dynamic_accuracy", *_STRUCTURE, "seconds"):
        summary[key] = float(np.mean([r[key] for r in records]))
    return summary
