"""Presets for deep symbolic regression of recurrent sequences (d'Ascoli, Kamienny, Lample, Charton, ICML 2022,
arXiv 2201.04600): two integer models trained with the same budget, and their evaluation.

The paper trains a **symbolic** model (reads the observed terms, writes the recurrence ``u_n = f(n, u_{n-1}, ...)``
in prefix notation, which is then rolled forward) and a **numeric** model (reads the same terms, writes the next
``n_predict`` terms directly) on the same generator (§3-4). Here each is trained by its own DVC stage
(``train_recurrence_symbolic``, ``train_recurrence_numeric``) on exactly the same sequences: batches are pure
functions of ``(seed, step, rank)`` and both models read the same draws, only the target differs. A training field
tagged ``model=`` is read by that model's stage only; untagged training fields by both.

``quick`` is our CPU scale: degree d <= 3, at most 5 operators, 10-25 observed terms, at most 200 input tokens;
2 + 2 layers of width 128 with 4 heads, AdamW 1e-3 with warm-up then cosine decay, batches of 64. ``paper`` follows
the official code's launch scripts: d <= 6, o <= 10, 5-30 observed terms, 8 + 8 layers of width 1024 with 8 heads,
Adam 1e-4 with 10k warm-up steps, batches of 32 per GPU on 16 GPUs (512) [official code ``facebookresearch/recur``;
the paper's §4]. Values in brackets are the paper's or its code's.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param
from paper_code.recurrence.generator import RecurrenceConfig

__all__ = ["RecurrentSequencesConfig", "PRESETS", "MODELS", "SYMBOLIC", "NUMERIC", "FLOAT_SYMBOLIC", "FLOAT_NUMERIC",
           "INTEGER_MODELS", "FLOAT_MODELS", "kind_of", "target_of", "EXECUTION_FIELDS"]

#: The trained models (the ``--model`` of the training command): the integer models of the quick scale, and the
#: float models (float sequences, float operators; trained at paper scale, ``float_*``).
MODELS = ("symbolic", "numeric", "float_symbolic", "float_numeric")
SYMBOLIC, NUMERIC, FLOAT_SYMBOLIC, FLOAT_NUMERIC = MODELS
INTEGER_MODELS, FLOAT_MODELS = MODELS[:2], MODELS[2:]


def kind_of(model: str) -> str:
    """``"float"`` for the float models, ``"int"`` for the integer ones."""
    if model not in MODELS:
        raise ValueError(f"model={model!r} is invalid; valid: {', '.join(MODELS)}")
    return "float" if model in FLOAT_MODELS else "int"


def target_of(model: str) -> str:
    """What ``model`` writes: ``"symbolic"`` (the recurrence) or ``"numeric"`` (the next terms)."""
    kind_of(model)
    return model.removeprefix("float_")

#: Training fields that change how a run executes, not the model it trains.
EXECUTION_FIELDS = ("loader_workers", "log_every", "checkpoint_every")


@dataclasses.dataclass(frozen=True)
class RecurrentSequencesConfig(StagedConfig):
    PAPER = "recurrent_sequences"

    seed: int = param(0, "master seed: training sequences, initial weights, held-out sequences", ge=0, stage=TRAIN)

    # -- the generator (paper_code/recurrence/generator.py), both models
    max_degree: int = param(3, "largest recurrence degree d [6]", ge=1, le=6, stage=TRAIN)
    max_ops: int = param(5, "largest number of operators o [10]", ge=1, stage=TRAIN)
    min_terms: int = param(10, "fewest observed terms N_in [5]", ge=1, stage=TRAIN)
    max_terms: int = param(25, "most observed terms N_in [30]", ge=1, stage=TRAIN)
    n_predict: int = param(10, "terms the numeric model writes and every evaluation checks [10]", ge=1, stage=TRAIN)
    max_input_tokens: int = param(200, "sequences whose observed terms take more tokens are redrawn [200]", ge=4,
                                  stage=TRAIN)
    max_output_tokens: int = param(200, "sequences whose target (recurrence or next terms) takes more tokens are "
                                   "redrawn, for both models [200]", ge=4, stage=TRAIN)

    # -- model (paper_code/symbolic/model.py Seq2SeqConfig, encoder_input="tokens"), both models
    d_model: int = param(128, "model width [1024]", ge=8, stage=TRAIN)
    n_heads: int = param(4, "attention heads [8]", ge=1, stage=TRAIN)
    enc_layers: int = param(2, "encoder layers [8]", ge=1, stage=TRAIN)
    dec_layers: int = param(2, "decoder layers [8]", ge=1, stage=TRAIN)

    # -- optimisation (AdamW, linear warm-up then cosine decay), both models
    batch_size: int = param(64, "sequences per batch [32 per GPU x 16]", ge=1, stage=TRAIN)
    steps: int = param(2500, "optimizer updates of each model (the same budget for both)", ge=1, stage=TRAIN)
    lr: float = param(1e-3, "peak learning rate [1e-4]", gt=0, le=1, stage=TRAIN)
    warmup_steps: int = param(300, "linear warm-up steps from warmup_init_lr [10000]", ge=0, stage=TRAIN)
    warmup_init_lr: float = param(1e-7, "learning rate at step 0 [1e-7]", ge=0, stage=TRAIN)
    min_lr_ratio: float = param(0.05, "floor of the cosine decay as a fraction of lr [inverse sqrt in the code]",
                                ge=0, lt=1, stage=TRAIN)
    weight_decay: float = param(0.01, "AdamW weight decay [0: Adam]", ge=0, stage=TRAIN)
    grad_clip: float = param(1.0, "global gradient-norm clip [5 in the code's launches: UNVERIFIED]", gt=0,
                             stage=TRAIN)
    loader_workers: int = param(1, "processes generating batches ahead of the trainer (same batches; 0 = inline)",
                                ge=0, stage=TRAIN)
    log_every: int = param(50, "log loss and throughput every this many steps", ge=1, stage=TRAIN)
    checkpoint_every: int = param(250, "save a resumable checkpoint every this many steps", ge=1, stage=TRAIN)

    # -- the trained models the evaluation reads
    symbolic_checkpoint: str = param("models/recurrence/symbolic/model.pt", "checkpoint of the symbolic model",
                                     stage=EVALUATE)
    numeric_checkpoint: str = param("models/recurrence/numeric/model.pt", "checkpoint of the numeric model",
                                    stage=EVALUATE)
    float_symbolic_checkpoint: str = param("models/recurrence/float_symbolic/model.pt",
                                           "checkpoint of the float symbolic model", stage=EVALUATE)
    float_numeric_checkpoint: str = param("models/recurrence/float_numeric/model.pt",
                                          "checkpoint of the float numeric model", stage=EVALUATE)

    # -- decoding
    beam_size: int = param(10, "beam width; every hypothesis is ranked by its fit to the observed terms [10, the "
                           "OEIS analysis]", ge=1, stage=EVALUATE)

    # -- evaluation
    eval_per_cell: int = param(100, "held-out sequences per number of operators (and per degree)", ge=1,
                               stage=EVALUATE)
    oeis_sequences: int = param(1000, "OEIS sequences evaluated (a seeded sample of the 10,000; all when larger)",
                                ge=1, stage=EVALUATE)
    oeis_inputs: tuple[int, ...] = param((15, 25), "numbers of first terms N_I the models read on OEIS [15, 25]",
                                         stage=EVALUATE)
    eval_seed: int = param(0, "seed of the held-out sequences and of the OEIS sample", ge=0, stage=EVALUATE)

    @classmethod
    def models(cls) -> tuple[str, ...]:
        """Every model reads every training field (the same budget, the same distribution apart from the number
        type its name implies); what differs is what it reads and writes, so a checkpoint of another model fails to
        load on its vocabulary's size, with the fix."""
        return MODELS

    def generator(self, kind: str = "int", **changes: int) -> RecurrenceConfig:
        """The generator's distribution of integer or float sequences (``changes``: fields of
        :class:`RecurrenceConfig` to fix, e.g. for a sweep over the number of operators)."""
        fields: dict = dict(max_degree=self.max_degree, max_ops=self.max_ops, min_terms=self.min_terms,
                            max_terms=self.max_terms, n_predict=self.n_predict, kind=kind)
        fields.update(changes)
        return RecurrenceConfig(**fields)

    def validate(self) -> None:
        if self.d_model % self.n_heads:
            self.fail("n_heads", f"must divide d_model={self.d_model}")
        if self.min_terms > self.max_terms:
            self.fail("min_terms", f"must be <= max_terms={self.max_terms}")
        if self.warmup_init_lr > self.lr:
            self.fail("warmup_init_lr", f"must be <= lr={self.lr}")
        if not self.oeis_inputs or any(n < 2 for n in self.oeis_inputs):
            self.fail("oeis_inputs", f"must be a non-empty list of term counts >= 2, got {self.oeis_inputs}")
        for key in (f"{m}_checkpoint" for m in MODELS):
            if not getattr(self, key).endswith(".pt"):
                self.fail(key, f"must be a .pt file, got {getattr(self, key)!r}")


PRESETS = {
    "quick": RecurrentSequencesConfig(),
    # About 180M parameters per model, for GPUs (the official launches: 16 GPUs, about 100 epochs of 9.4k steps).
    "paper": RecurrentSequencesConfig(
        max_degree=6, max_ops=10, min_terms=5, max_terms=30, d_model=1024, n_heads=8, enc_layers=8, dec_layers=8,
        batch_size=512, steps=300_000, lr=1e-4, warmup_steps=10_000, min_lr_ratio=0.0, weight_decay=0.0,
        loader_workers=8, log_every=200, checkpoint_every=2000, eval_per_cell=1000, oeis_sequences=10_000,
    ),
}
