"""The experiments of the recurrence paper at our scale: in-domain accuracy (§4, Fig. 3-4) and OEIS (§5, Table 3).

* :func:`run_in_domain` — held-out generator sequences (the training distribution, a disjoint seed stream); each
  method predicts the ``n_predict`` terms that follow the observed ones; per sequence, the largest relative error
  over the first ``h`` terms for every horizon ``h``. :func:`in_domain_metrics` turns it into accuracies by number of
  operators, by recurrence degree, by horizon and by tolerance, with bootstrap intervals for the claims' trends.
* :func:`run_oeis` — the first ``N_I`` terms of OEIS sequences in, exact match of the next 1 and next 10 terms, for
  the models and the classical baselines (:mod:`paper_code.recurrence.baselines`), each timed on the same sequences.
* :func:`oov_predictions` / :func:`run_oov` — the float models on functions outside their vocabulary, and
  :func:`run_oov_constants` — constants read from ``u_n = c·n`` (the protocol of the official code
  ``facebookresearch/recur``, ``notebooks/streamlit.py``).

Methods: ``symbolic_beam`` (beam search, hypotheses ranked by fit to the observed terms), ``symbolic_greedy`` and
``numeric`` (greedy; the paper's in-domain evaluation decodes greedily).
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sympy
from scipy import special

from paper_code.common.checkpoints import models_training_stats
from paper_code.common.stats import bootstrap_diff
from paper_code.recurrence import baselines as B
from paper_code.recurrence.classics import classic_sequences
from paper_code.recurrence.config import (
    FLOAT_NUMERIC,
    FLOAT_SYMBOLIC,
    INTEGER_MODELS,
    NUMERIC,
    SYMBOLIC,
    RecurrentSequencesConfig,
)
from paper_code.recurrence.data import effective_degree, held_out_sequences, input_tokens, input_vocabulary
from paper_code.recurrence.estimator import recurrence_str
from paper_code.recurrence.generator import Recurrence, lags_of
from paper_code.recurrence.inference import NumericMethod, SymbolicMethod
from paper_code.recurrence.oeis import OeisSequence, load_oeis
from paper_code.recurrence.scoring import TOLERANCES, max_relative_error, relative_error
from paper_code.recurrence.train import MODEL_STAGES, load_model
from paper_code.symbolic.candidates import DecodingSettings
from paper_code.symbolic.compile import extend_recurrence_float
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.sympy_bridge import symbol, to_sympy

__all__ = ["METHODS", "BASELINES", "load_methods", "training_stats", "held_out", "run_in_domain",
           "accuracy_table", "in_domain_metrics", "oeis_sample", "run_oeis", "oeis_metrics", "oeis_table",
           "famous_table", "prefixed", "OOV_FUNCTIONS", "OovPrediction", "oov_predictions", "oov_table", "run_oov",
           "OOV_CONSTANTS", "constant_sequence", "constant_value", "constant_formula", "run_oov_constants"]

METHODS = ("symbolic_beam", "symbolic_greedy", "numeric")
#: Classical baselines on OEIS: name -> ``f(observed, n_terms)``.
BASELINES: dict[str, Callable[[Sequence[int], int], tuple[int, ...] | None]] = {
    "linear_recurrence": B.linear_recurrence,
    "holonomic_recurrence": B.holonomic_recurrence,
}


# --------------------------------------------------------------------------- models
def load_methods(cfg: RecurrentSequencesConfig, kind: str = "int") -> dict[str, SymbolicMethod | NumericMethod]:
    """The trained integer (or float) models (checked: missing, corrupt, unfinished or other settings each raise
    with the fix) as the three methods."""
    symbolic, numeric = (SYMBOLIC, NUMERIC) if kind == "int" else (FLOAT_SYMBOLIC, FLOAT_NUMERIC)
    in_vocab = input_vocabulary(kind)
    sym, sym_vocab = load_model(getattr(cfg, f"{symbolic}_checkpoint"), cfg, symbolic)
    num, _ = load_model(getattr(cfg, f"{numeric}_checkpoint"), cfg, numeric)
    beam = DecodingSettings(n_candidates=cfg.beam_size, temperature=0.0, beam_size=cfg.beam_size)
    return {"symbolic_beam": SymbolicMethod(sym, in_vocab, sym_vocab, beam, chunk=32, kind=kind),
            "symbolic_greedy": SymbolicMethod(sym, in_vocab, sym_vocab, kind=kind),
            "numeric": NumericMethod(num, in_vocab, kind=kind)}


def training_stats(cfg: RecurrentSequencesConfig, models: Sequence[str] = INTEGER_MODELS) -> dict[str, Any]:
    """Each model's training figures from the stats file its stage wrote, keys prefixed ``<model>_``."""
    return models_training_stats(cfg, MODEL_STAGES, models)


# --------------------------------------------------------------------------- in-domain (§4)
def held_out(cfg: RecurrentSequencesConfig, kind: str = "int") -> list[Recurrence]:
    """``eval_per_cell x max_ops`` held-out sequences of the training distribution (integer or float)."""
    return held_out_sequences(cfg.eval_per_cell * cfg.max_ops, cfg.generator(kind),
                              max_input_tokens=cfg.max_input_tokens, max_output_tokens=cfg.max_output_tokens,
                              seed=cfg.seed + cfg.eval_seed)


def _predict(method: SymbolicMethod | NumericMethod, observed: Sequence[Sequence[int]], n_terms: int
             ) -> list[tuple[int, ...] | None]:
    if isinstance(method, SymbolicMethod):
        return method.predict_many(observed, n_terms)[0]
    return method.predict_many(observed, n_terms)


def run_in_domain(methods: dict[str, SymbolicMethod | NumericMethod], recs: Sequence[Recurrence],
                  n_predict: int) -> pd.DataFrame:
    """One row per (sequence, method): ``n_ops``, ``degree`` (largest lag used), ``n_observed``, ``seconds`` (the
    method's time per sequence) and ``err_<h>``, the largest relative error over the first ``h`` predicted terms."""
    observed = [r.observed for r in recs]
    rows = []
    for name, method in methods.items():
        t0 = time.perf_counter()
        preds = _predict(method, observed, n_predict)
        per_seq = (time.perf_counter() - t0) / max(len(recs), 1)
        for i, (rec, pred) in enumerate(zip(recs, preds)):
            row = {"seq": i, "method": name, "n_ops": rec.n_ops, "degree": effective_degree(rec),
                   "n_observed": rec.n_observed, "seconds": per_seq}
            row.update({f"err_{h}": max_relative_error(pred, rec.future, h) for h in range(1, n_predict + 1)})
            rows.append(row)
    return pd.DataFrame(rows)


def _correct(res: pd.DataFrame, horizon: int, tol: float) -> pd.Series:
    err = res[f"err_{horizon}"]
    return (err == 0.0) if tol == 0 else (err < tol)


def accuracy_table(res: pd.DataFrame, by: str, horizon: int, tol: float = 0.0) -> pd.DataFrame:
    """Accuracy (rows: values of ``by``; columns: methods) at ``horizon`` and ``tol``."""
    ok = res.assign(ok=_correct(res, horizon, tol))
    return ok.pivot_table(index=by, columns="method", values="ok", aggfunc="mean")


def _paired(res: pd.DataFrame, a: str, b: str, horizon: int, tol: float) -> tuple[np.ndarray, np.ndarray]:
    ca = _correct(res[res.method == a].sort_values("seq"), horizon, tol).to_numpy(float)
    cb = _correct(res[res.method == b].sort_values("seq"), horizon, tol).to_numpy(float)
    return ca, cb


def in_domain_metrics(res: pd.DataFrame, cfg: RecurrentSequencesConfig, n_boot: int = 2000,
                      exact_tol: float = 0.0) -> dict[str, Any]:
    """Accuracies and the trends the claims test (exact match of all ``n_predict`` terms unless named; "exact" is
    ``exact_tol``: 0 for integers, the paper's 1e-10 for floats)."""
    H = cfg.n_predict
    tolerances = [exact_tol if t == 0 else t for t in TOLERANCES]
    out: dict[str, Any] = {"in_domain_sequences": int(res.seq.nunique())}
    for m in res.method.unique():
        mine = res[res.method == m]
        out[f"acc_{m}"] = float(_correct(mine, H, exact_tol).mean())
        out[f"acc_{m}_next1"] = float(_correct(mine, 1, exact_tol).mean())
        out[f"acc_{m}_tol1e-1"] = float(_correct(mine, H, 0.1).mean())
        out[f"seconds_per_sequence_{m}"] = float(mine.seconds.iloc[0])
    by_ops, by_deg = accuracy_table(res, "n_ops", H, exact_tol), accuracy_table(res, "degree", H, exact_tol)
    for m in by_ops.columns:
        out[f"acc_by_ops_{m}"] = {int(k): float(v) for k, v in by_ops[m].items()}
        out[f"acc_by_degree_{m}"] = {int(k): float(v) for k, v in by_deg[m].items()}
    out["horizon_acc"] = {m: [float(_correct(res[res.method == m], h, exact_tol).mean()) for h in range(1, H + 1)]
                          for m in res.method.unique()}
    out["tolerance_acc"] = {m: [float(_correct(res[res.method == m], H, t).mean()) for t in tolerances]
                            for m in res.method.unique()}
    # Trends: smallest vs largest number of operators / degree, per model (greedy decoding, the paper's protocol).
    for m in ("symbolic_greedy", "numeric"):
        mine = res[res.method == m]
        for key, col in (("ops", "n_ops"), ("degree", "degree")):
            lo, hi = mine[col].min(), mine[col].max()
            d = bootstrap_diff(_correct(mine[mine[col] == lo], H, exact_tol),
                               _correct(mine[mine[col] == hi], H, exact_tol), n_boot, cfg.eval_seed + 1)
            out[f"{key}_drop_{m}"], out[f"{key}_drop_{m}_ci_low"], out[f"{key}_drop_{m}_ci_high"] = d
            out[f"{key}_range"] = [int(lo), int(hi)]
    for key in ("ops", "degree"):
        out[f"{key}_drop_ci_low_min"] = min(out[f"{key}_drop_symbolic_greedy_ci_low"],
                                            out[f"{key}_drop_numeric_ci_low"])
    # Symbolic vs numeric at exact match over the whole horizon, and how the gap changes for the next term.
    s_h, n_h = _paired(res, "symbolic_greedy", "numeric", H, exact_tol)
    s_1, n_1 = _paired(res, "symbolic_greedy", "numeric", 1, exact_tol)
    d = bootstrap_diff(s_h, n_h, n_boot, cfg.eval_seed + 2, paired=True)
    out["symbolic_minus_numeric"], out["symbolic_minus_numeric_ci_low"], out["symbolic_minus_numeric_ci_high"] = d
    out["symbolic_minus_numeric_next1"] = float(s_1.mean() - n_1.mean())
    s_t, n_t = _paired(res, "symbolic_greedy", "numeric", H, 0.1)
    out["symbolic_minus_numeric_tol1e-1"] = float(s_t.mean() - n_t.mean())
    d = bootstrap_diff(*_paired(res, "symbolic_greedy", "numeric", H, 1e-3), n_boot, cfg.eval_seed + 5, paired=True)
    out["symbolic_minus_numeric_tol1e-3"], out["symbolic_minus_numeric_tol1e-3_ci_low"] = d[0], d[1]
    out["symbolic_minus_numeric_tol1e-3_ci_high"] = d[2]
    d = bootstrap_diff(s_h - n_h, s_1 - n_1, n_boot, cfg.eval_seed + 3, paired=True)
    out["gap_shrink_next1"], out["gap_shrink_next1_ci_low"], out["gap_shrink_next1_ci_high"] = d
    # Beam search ranked by fit vs greedy (symbolic model).
    b_h, g_h = _paired(res, "symbolic_beam", "symbolic_greedy", H, exact_tol)
    d = bootstrap_diff(b_h, g_h, n_boot, cfg.eval_seed + 4, paired=True)
    out["beam_minus_greedy"], out["beam_minus_greedy_ci_low"], out["beam_minus_greedy_ci_high"] = d
    return out


def prefixed(metrics: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``metrics`` with every key prefixed (the float models' metrics beside the integer ones)."""
    return {f"{prefix}{k}": v for k, v in metrics.items()}


# --------------------------------------------------------------------------- out-of-vocabulary functions (§4.3)
#: Functions outside the float model's vocabulary: name -> (label, f(n) on n = 1, 2, ...).
OOV_FUNCTIONS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "bessel0": ("Bessel J0(n)", special.j0),
    "bessel1": ("Bessel J1(n)", special.j1),
    "digamma": ("digamma ψ(n)", special.psi),
    "log_gamma": ("ln Γ(n)", special.gammaln),
    "erf": ("erf(n / 10)", lambda n: special.erf(n / 10)),
    "dawson": ("Dawson F(n / 5)", lambda n: special.dawsn(n / 5)),
}


@dataclasses.dataclass(frozen=True)
class OovPrediction:
    """One out-of-vocabulary function: its label, its true terms (observed, then future), how many are observed,
    the recurrence the symbolic model wrote, and each model's predicted future terms (None: no prediction)."""

    label: str
    terms: tuple[float, ...]
    n_observed: int
    recurrence: str
    symbolic: tuple[float, ...] | None
    numeric: tuple[float, ...] | None

    @property
    def future(self) -> tuple[float, ...]:
        return self.terms[self.n_observed:]


def oov_predictions(methods: dict[str, SymbolicMethod | NumericMethod], n_observed: int, n_predict: int
                    ) -> list[OovPrediction]:
    """The float models on ``u_n = f(n)``, ``n = 1..n_observed``, for :data:`OOV_FUNCTIONS`: the recurrence the
    symbolic model writes (beam, ranked by fit) and the next ``n_predict`` terms of each model."""
    sym = methods["symbolic_beam"]
    if not isinstance(sym, SymbolicMethod):
        raise TypeError(f"methods['symbolic_beam'] must be a SymbolicMethod, got {type(sym).__name__}")
    n = np.arange(1, n_observed + n_predict + 1, dtype=float)
    series = [tuple(float(v) for v in f(n)) for _, f in OOV_FUNCTIONS.values()]
    observed = [s[:n_observed] for s in series]
    sym_pred, trees = sym.predict_many(observed, n_predict)
    num_pred = _predict(methods["numeric"], observed, n_predict)
    return [OovPrediction(label, s, n_observed, recurrence_str(tree) if tree else "-", sp, npred)
            for (label, _), s, sp, tree, npred in zip(OOV_FUNCTIONS.values(), series, sym_pred, trees, num_pred)]


def oov_table(preds: Sequence[OovPrediction]) -> pd.DataFrame:
    """Per function: the symbolic recurrence and each model's largest relative error over the predicted terms."""
    rows = [{"function": p.label, "symbolic recurrence": p.recurrence,
             "symbolic error": max_relative_error(p.symbolic, p.future, len(p.future)),
             "numeric error": max_relative_error(p.numeric, p.future, len(p.future))} for p in preds]
    return pd.DataFrame(rows).set_index("function")


def run_oov(methods: dict[str, SymbolicMethod | NumericMethod], n_observed: int, n_predict: int) -> pd.DataFrame:
    """The float models on ``u_n = f(n)``, ``n = 1..n_observed``, for the out-of-vocabulary functions: the
    recurrence the symbolic model writes (beam, ranked by fit) and the largest relative error of each method over
    the next ``n_predict`` terms (the paper's examples: ``J0(n) ≈ (sin n + cos n) / sqrt(π n)``); the terms
    themselves: :func:`oov_predictions`."""
    return oov_table(oov_predictions(methods, n_observed, n_predict))


# --------------------------------------------------------------------------- out-of-vocabulary constants
#: Constants read by the float model: name -> (label, value). ζ(2) is the paper's example (1.644934 ≈ π²/6); the
#: vocabulary can write √2, ln 2, φ, 1/π and e^γ exactly, Apéry's ζ(3) and Catalan's G have no known closed form.
OOV_CONSTANTS: dict[str, tuple[str, float]] = {
    name: (label, float(expr)) for name, label, expr in (
        ("zeta2", "ζ(2) = π²/6", sympy.pi**2 / 6),
        ("sqrt2", "√2", sympy.sqrt(2)),
        ("ln2", "ln 2", sympy.log(2)),
        ("golden_ratio", "golden ratio φ", sympy.GoldenRatio),
        ("apery", "Apéry's ζ(3)", sympy.zeta(3)),
        ("catalan", "Catalan's G", sympy.Catalan),
        ("inv_pi", "1/π", 1 / sympy.pi),
        ("exp_gamma", "e^γ", sympy.exp(sympy.EulerGamma)),
    )
}


def constant_sequence(c: float, n_terms: int = 24) -> tuple[float, ...]:
    """``u_n = c·n`` for ``n = 1..n_terms``, the input of the constant protocol (official code
    ``facebookresearch/recur``, ``notebooks/streamlit.py``: ``c·n``, ``n = 1..24``); our models also give the first
    term ``n = 1``."""
    if isinstance(n_terms, bool) or not isinstance(n_terms, int) or n_terms < 2:
        raise ValueError(f"n_terms must be an integer >= 2, got {n_terms!r}")
    if not math.isfinite(c) or c == 0:
        raise ValueError(f"the constant must be finite and non-zero (its relative error is undefined), got {c!r}")
    return tuple(c * n for n in range(1, n_terms + 1))


def constant_value(tree: Node, observed: Sequence[float]) -> float:
    """The constant a recurrence approximates: ``u_N / N``, ``N = len(observed)``, the recurrence rolled forward
    from its ``d`` initial terms (the first observed ones, ``d`` its largest lag) to index ``N`` (official code:
    the last predicted term over its index); NaN when a term is not finite."""
    d = max(lags_of(tree), default=0)
    if d >= len(observed):
        raise ValueError(f"the recurrence reads {d} terms back but only {len(observed)} are observed")
    last = float(extend_recurrence_float(tree, observed[:d], len(observed) - d)[-1])
    return last / len(observed) if math.isfinite(last) else math.nan


def constant_formula(tree: Node) -> tuple[str, float]:
    """The approximation as a formula, and its value: for a tree without lags, its closed form with ``n = 1``
    (SymPy; official code: ``n`` replaced by 1); a recurrence (it reads ``u_{n-k}``) has no closed form: its string
    prefixed ``recurrence:``, and NaN."""
    if lags_of(tree):
        return f"recurrence: {recurrence_str(tree)}", math.nan
    expr = to_sympy(tree).subs(symbol("n"), 1)
    value = expr.evalf()
    return str(expr), float(value) if value.is_real else math.nan


def run_oov_constants(method: SymbolicMethod, constants: Mapping[str, tuple[str, float]] | None = None,
                      n_terms: int = 24, beam: int | None = None) -> pd.DataFrame:
    """The float symbolic model on ``u_n = c·n``, ``n = 1..n_terms``, for each constant (default
    :data:`OOV_CONSTANTS`): its best recurrence by fit (decoded with a beam of ``beam``; None: the method's own
    decoding), as a formula (:func:`constant_formula`), the value it gives, ``u_N / N``
    (:func:`constant_value`), and that value's relative error (official code ``facebookresearch/recur``,
    ``notebooks/streamlit.py``, ``approx_const``). One row per constant, indexed by its label."""
    if not isinstance(method, SymbolicMethod) or method.kind != "float":
        raise TypeError(f"method must be the float SymbolicMethod, got {type(method).__name__} "
                        f"(kind={getattr(method, 'kind', None)!r})")
    constants = OOV_CONSTANTS if constants is None else constants
    seqs = [constant_sequence(c, n_terms) for _, c in constants.values()]
    n_tokens, max_src = len(input_tokens(seqs[0], "float")), method.model.cfg.max_src_len
    if n_tokens > max_src:
        raise ValueError(f"n_terms={n_terms} takes {n_tokens} tokens but the model reads at most {max_src}: "
                         f"pass n_terms <= {n_terms * max_src // n_tokens}")
    if beam is not None:
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ValueError(f"beam must be a positive integer, got {beam!r}")
        method = dataclasses.replace(method, settings=DecodingSettings(n_candidates=beam, temperature=0.0,
                                                                       beam_size=beam))
    rows = []
    for (label, c), seq, cands in zip(constants.values(), seqs, method.candidates_many(seqs)):
        row = {"constant": label, "true value": c, "formula": "-", "formula value": math.nan, "u_N/N": math.nan,
               "relative error": math.inf}
        if cands:
            tree = cands[0].prediction
            row["formula"], row["formula value"] = constant_formula(tree)
            row["u_N/N"] = constant_value(tree, seq)
            row["relative error"] = relative_error(row["u_N/N"], c)
        rows.append(row)
    return pd.DataFrame(rows).set_index("constant")


# --------------------------------------------------------------------------- OEIS (§5)
def oeis_sample(cfg: RecurrentSequencesConfig) -> tuple[list[OeisSequence], str]:
    """The OEIS sequences evaluated and where they come from: a seeded sample of ``oeis_sequences`` of the
    reference file's 10,000 (all of them when ``oeis_sequences`` is larger), or the built-in classic sequences when
    the file is absent."""
    try:
        seqs = load_oeis()
        source = "OEIS_clean.txt"
    except FileNotFoundError:
        return classic_sequences(max(cfg.oeis_inputs) + 10), "built-in classics (OEIS_clean.txt not found)"
    if cfg.oeis_sequences < len(seqs):
        rng = np.random.default_rng([cfg.eval_seed, 0x0E15])
        idx = np.sort(rng.choice(len(seqs), cfg.oeis_sequences, replace=False))
        seqs = [seqs[i] for i in idx]
    return seqs, source


def run_oeis(methods: dict[str, SymbolicMethod | NumericMethod], seqs: Sequence[OeisSequence],
             n_inputs: Sequence[int], n_predict: int = 10,
             baselines: dict[str, Callable[[Sequence[int], int], tuple[int, ...] | None]] | None = None
             ) -> pd.DataFrame:
    """One row per (sequence, N_I, method): ``next1`` / ``next10`` exact, ``readable`` (a model could read the
    input), and ``seconds`` (the method's wall time per sequence on this run). Sequences with fewer than
    ``N_I + n_predict`` terms are skipped for that ``N_I``."""
    baselines = BASELINES if baselines is None else baselines
    rows = []
    for n_in in n_inputs:
        chosen = [s for s in seqs if len(s.terms) >= n_in + n_predict]
        observed = [s.terms[:n_in] for s in chosen]
        truth = [s.terms[n_in:n_in + n_predict] for s in chosen]
        max_src = {name: m.model.cfg.max_src_len for name, m in methods.items()}
        for name in [*methods, *baselines]:
            t0 = time.perf_counter()
            if name in methods:
                preds = _predict(methods[name], observed, n_predict)
            else:
                preds = [baselines[name](o, n_predict) for o in observed]
            per_seq = (time.perf_counter() - t0) / max(len(chosen), 1)
            for s, o, p, y in zip(chosen, observed, preds, truth):
                readable = name not in max_src or len(input_tokens(o)) <= max_src[name]
                rows.append({"id": s.id, "n_inputs": n_in, "method": name, "seconds": per_seq,
                             "readable": readable, "next1": p is not None and p[:1] == y[:1],
                             f"next{n_predict}": p is not None and tuple(p[:n_predict]) == tuple(y)})
    return pd.DataFrame(rows)


def oeis_metrics(res: pd.DataFrame, n_predict: int = 10) -> dict[str, Any]:
    """Per N_I and method: accuracy on the next term and on the next ``n_predict`` terms, seconds per sequence; the
    number of sequences and the fraction a model can read."""
    out: dict[str, Any] = {}
    for (n_in, m), g in res.groupby(["n_inputs", "method"]):
        out[f"oeis{n_in}_{m}_next1"] = float(g.next1.mean())
        out[f"oeis{n_in}_{m}_next{n_predict}"] = float(g[f"next{n_predict}"].mean())
        out[f"oeis{n_in}_{m}_seconds"] = float(g.seconds.iloc[0])
        out[f"oeis{n_in}_sequences"] = int(len(g))
        if m == "symbolic_beam":
            out[f"oeis{n_in}_readable"] = float(g.readable.mean())
    for n_in in sorted(res.n_inputs.unique()):
        if f"oeis{n_in}_symbolic_beam_next1" in out and f"oeis{n_in}_linear_recurrence_next1" in out:
            out[f"oeis{n_in}_symbolic_minus_linear_next1"] = (out[f"oeis{n_in}_symbolic_beam_next1"]
                                                              - out[f"oeis{n_in}_linear_recurrence_next1"])
    return out


def famous_table(estimator: Any, ids: Sequence[str], n_observed: int = 20, n_predict: int = 5) -> pd.DataFrame:
    """The estimator on classic sequences (:data:`~paper_code.recurrence.classics.CLASSICS`): the recurrence it finds
    from the first ``n_observed`` terms, its fit to them, and whether its next ``n_predict`` terms are right (a
    sequence it cannot read or fit is reported with the reason)."""
    from paper_code.recurrence.classics import CLASSICS

    rows = []
    for aid in ids:
        name, terms = CLASSICS[aid]
        seq = terms(n_observed + n_predict)
        row = {"OEIS": aid, "sequence": name}
        try:
            estimator.fit(seq[:n_observed])
            row.update({"recurrence found": estimator.equations_str_[0], "fit": estimator.fit_})
            row[f"next {n_predict} right"] = estimator.predict(n_predict) == tuple(seq[n_observed:])
        except (ValueError, RuntimeError) as err:
            row.setdefault("recurrence found", f"({err})")
            row[f"next {n_predict} right"] = False
        rows.append(row)
    return pd.DataFrame(rows).set_index("OEIS")


def oeis_table(res: pd.DataFrame) -> pd.DataFrame:
    """Per method and N_I: accuracy on the next term and the next 10, and seconds per sequence."""
    cols = [c for c in res.columns if c.startswith("next")]
    agg = {c: (c, "mean") for c in cols}
    agg["seconds"] = ("seconds", "first")
    agg["sequences"] = ("id", "size")
    return res.groupby(["method", "n_inputs"], sort=False).agg(**agg).reset_index()
