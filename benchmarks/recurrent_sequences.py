"""Benchmark rows of recurrent_sequences: training the symbolic and the numeric model (training), and inference on
OEIS sequences against the classical baselines on the same sequences (inference).

    python -m paper_code.pipeline.bench --only recurrent_sequences

Needs the trained quick checkpoints for the inference rows (``dvc pull train_recurrence_symbolic
train_recurrence_numeric``) and the OEIS reference file (else the built-in classic sequences are used).
"""
from __future__ import annotations

from paper_code.common.config import resolve_config
from paper_code.pipeline.bench_rows import InferenceRow, TrainingRow
from paper_code.pipeline.bench_tools import BenchContext, symbolic_training, threads_label
from paper_code.recurrence import experiments as X
from paper_code.recurrence.config import MODELS, kind_of, target_of
from paper_code.recurrence.train import train

PAPER = "recurrent_sequences"


def training(ctx: BenchContext, model: str) -> TrainingRow:
    """The quick preset's ``model`` and batch, sequences generated in the loop (no prefetching process)."""
    kind, target = kind_of(model), target_of(model)
    terms = "integer terms (base 10,000)" if kind == "int" else "float terms (sign, 4-digit mantissa, exponent)"
    writes = "a recurrence (prefix tokens)" if target == "symbolic" else "the next 10 terms"

    def sample(cfg) -> str:
        return f"{cfg.min_terms}-{cfg.max_terms} {terms}, ≤ {cfg.max_input_tokens} tokens → {writes}"
    return symbolic_training(ctx, paper=PAPER, train=train, model=model, name="recurrence", sample=sample,
                             drawn="sequences drawn")


def inference(ctx: BenchContext) -> list[InferenceRow]:
    """OEIS sequences, first 15 terms in, next term exact: the symbolic model (beam + fit ranking) and the numeric
    one against SymPy's linear recurrence and the holonomic guess."""
    cfg = resolve_config(PAPER, "quick").replace(oeis_sequences=ctx.pick(300, 40))
    methods = X.load_methods(cfg)
    seqs, source = X.oeis_sample(cfg)
    res = X.run_oeis({m: methods[m] for m in ("symbolic_beam", "numeric")}, seqs, (15,), cfg.n_predict)
    table = X.oeis_table(res).set_index("method")
    rows = []
    for model, label in (("symbolic_beam", f"symbolic model, beam {cfg.beam_size} ranked by fit"),
                         ("numeric", "numeric model, greedy")):
        for base, base_label in (("linear_recurrence", "SymPy find_linear_recurrence"),
                                 ("holonomic_recurrence", "holonomic guess (exact, r ≤ 3, deg ≤ 3)")):
            rows.append(InferenceRow(
                paper=PAPER, task=f"OEIS ({source}), 15 terms in", n_problems=int(table.loc[model, "sequences"]),
                threads=threads_label(), model=label, model_s=float(table.loc[model, "seconds"]),
                model_accuracy=float(table.loc[model, "next1"]), baseline=base_label,
                baseline_s=float(table.loc[base, "seconds"]), baseline_accuracy=float(table.loc[base, "next1"]),
                accuracy="next term exact", note="mean seconds per sequence; the models decode in batches"))
    return rows


def bench(ctx: BenchContext):
    for model in MODELS:
        yield training(ctx, model)
    yield from inference(ctx)
