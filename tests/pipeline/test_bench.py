"""The benchmark report (``make bench``): FLOP counting on known shapes, training capture and measurement,
the module driver, the pipeline rows and the report format."""
from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from paper_code.common.flops import Gemm, count_flops, gemm_seconds
from paper_code.common.paths import REPO_ROOT
from paper_code.common.training import TensorBatches, TrainConfig, Trainer
from paper_code.pipeline import bench
from paper_code.pipeline.bench_rows import (
    InferenceRow,
    MeasureRow,
    PipelineRow,
    ScalingRow,
    ThreadRow,
    TrainingRow,
    fit_exponent,
    render_section,
)
from paper_code.pipeline.bench_tools import BenchContext, capture_trainer, captured_trainer, measure_training, timed_fit

# --------------------------------------------------------------------------- FLOP counting


def test_linear_forward_is_2mkn():
    lin = nn.Linear(100, 50)
    assert count_flops(lambda: lin(torch.randn(32, 100))).total == 2 * 32 * 100 * 50


def test_backward_counts_the_gradients_autograd_computes():
    lin = nn.Linear(100, 50)
    fwd = 2 * 32 * 100 * 50
    frozen_input = count_flops(lambda: lin(torch.randn(32, 100)).sum().backward())
    assert frozen_input.total == 2 * fwd  # forward + weight gradient; no gradient for an input that needs none
    x = torch.randn(32, 100, requires_grad=True)
    assert count_flops(lambda: lin(x).sum().backward()).total == 3 * fwd  # + input gradient


def test_batched_products_and_einsum():
    a, b = torch.randn(4, 30, 7), torch.randn(4, 7, 5)
    assert count_flops(lambda: torch.bmm(a, b)).total == 2 * 4 * 30 * 7 * 5
    assert count_flops(lambda: torch.einsum("nd,ewd->enw", torch.randn(30, 7), torch.randn(4, 5, 7))).total \
        == 2 * 4 * 30 * 7 * 5


@pytest.mark.parametrize("groups", [1, 3])
def test_convolution_is_its_im2col_product(groups):
    x = torch.randn(2, 6, 10, 10)
    w = torch.randn(9, 6 // groups, 3, 3, requires_grad=True)
    fwd = 2 * 2 * 9 * 10 * 10 * (6 // groups) * 3 * 3  # output elements x C_in/groups x kernel
    assert count_flops(lambda: F.conv2d(x, w, padding=1, groups=groups)).total == fwd
    step = count_flops(lambda: F.conv2d(x, w, padding=1, groups=groups).sum().backward())
    assert step.total == 2 * fwd  # weight gradient only (x needs no gradient)


def test_fused_attention_counts_qk_and_pv():
    d, heads, n, L = 64, 4, 8, 20
    mha = nn.MultiheadAttention(d, heads, batch_first=True)
    q = torch.randn(n, L, d)
    projections = 2 * n * L * d * (3 * d) + 2 * n * L * d * d
    attention = 2 * n * L * L * d * 2  # QKᵀ and PV over all heads
    fused = count_flops(lambda: mha(q, q, q, need_weights=False))
    unfused = count_flops(lambda: mha(q, q, q, need_weights=True))  # the explicit bmm path
    assert fused.total == unfused.total == projections + attention


def test_dominant_shape_and_reference_timing():
    lin_big, lin_small = nn.Linear(64, 256), nn.Linear(8, 4)
    x = torch.randn(16, 64)
    count = count_flops(lambda: lin_small(torch.randn(16, 8)) + lin_big(x)[:, :4])
    assert count.dominant() == Gemm(1, 16, 64, 256, torch.float32)
    assert "(16×64)·(64×256) float32" in count.dominant().describe()
    assert count_flops(lambda: torch.relu(x)).dominant() is None  # nothing counted: no reference
    s = gemm_seconds(Gemm(2, 16, 16, 16), min_time_s=0.01, rounds=1)
    assert 0 < s < 1


# --------------------------------------------------------------------------- training capture


def _toy_trainer_fn(record: dict) -> None:
    """A stand-in for a paper's training function: builds everything, then calls fit."""
    torch.manual_seed(0)
    x, y = torch.randn(256, 20), torch.randint(0, 3, (256,))
    model = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 3))
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), lambda m, b: F.cross_entropy(m(b[0]), b[1]),
                      TensorBatches(x, y, batch_size=16, seed=0),
                      TrainConfig(max_steps=10_000, progress=False), eval_fn=lambda m, s: {"acc": 0.0}, eval_every=5)
    record["history"] = trainer.fit()


def test_capture_stops_at_fit_and_restores_it():
    record: dict = {}
    trainer = captured_trainer(_toy_trainer_fn, record)
    assert isinstance(trainer, Trainer) and trainer.step == 0 and "history" not in record
    with capture_trainer():
        pass
    trainer.config = TrainConfig(max_steps=2, progress=False)
    assert trainer.fit().records  # the real fit is back after the context
    with pytest.raises(RuntimeError, match="without calling Trainer.fit"):
        captured_trainer(lambda: None)


def test_measure_training_row_is_consistent():
    trainer = captured_trainer(_toy_trainer_fn, {})
    row = measure_training(trainer, BenchContext(REPO_ROOT, quick=True, min_time_s=0.05), paper="toy", model="mlp",
                           sample="one example", samples_per_step=16)
    fwd = 2 * 16 * 20 * 32 + 2 * 16 * 32 * 3
    assert row.forward_flops == fwd
    assert row.step_flops == fwd + fwd + 2 * 16 * 32 * 3  # forward, both weight gradients, one hidden-input gradient
    assert row.reference == Gemm(1, 16, 20, 32).describe()
    assert row.samples_per_s == pytest.approx(16 / (row.step_ms / 1e3))
    assert row.achieved_gflops == pytest.approx(row.step_flops / (row.step_ms / 1e3) / 1e9)
    assert row.threads == torch.get_num_threads() and 0 < row.fraction
    assert trainer.eval_fn is None and trainer.config.checkpoint_path is None  # evaluations and files switched off


# --------------------------------------------------------------------------- rows and report


def test_fit_exponent_recovers_a_power_law():
    sizes = [100, 200, 400, 800]
    assert fit_exponent(sizes, [3e-6 * s**2.5 for s in sizes]) == pytest.approx(2.5)
    assert math.isnan(fit_exponent([100], [1.0])) and math.isnan(fit_exponent([1, 2], [0.0, 0.0]))


def _rows():
    return [
        TrainingRow("p", "m", 1, 100.0, "s", 2.0, 10, 30, 0.015, "(2×3)·(3×4) float32", 0.03),
        InferenceRow("p", "t", 3, "torch 1, BLAS 1", "M", 0.5, 0.67, "B", 2.0, 1.0, "R² > 0.9"),
        ScalingRow("p", "integrator", "n", [1, 2, 4], [1.0, 4.0, 16.0], 1, [1.0, 2.0, 4.0]),
        ThreadRow("w", "before", "torch 2, BLAS 2", 9.0, 9.0),
        MeasureRow("Decoding", "greedy", 380.0, "tokens/s", 2),
    ]


def test_rows_render_and_serialise():
    rows = _rows()
    assert rows[0].fraction == pytest.approx(0.5)
    table = render_section("numerics", [rows[2]])
    assert "| 2 |" in table[-1] or " 2 |" in table[-1]  # time ∝ n^2
    assert rows[2].to_dict()["memory_exponent"] == pytest.approx(1.0)
    for r in rows:
        json.dumps(r.to_dict())
        assert render_section(r.section, [r])
    with pytest.raises(ValueError, match="unknown report section 'x'"):
        render_section("x", rows)


def test_write_report(tmp_path):
    res = bench.ModuleResult("toy", rows=_rows(), seconds=1.0, load_before=[1.0, 1.0, 1.0], load_after=[2.0, 1, 1])
    failed = bench.ModuleResult("broken", error="ValueError: boom")
    meta = {"generated": "now", "machine": {"processor": "cpu", "cpu_count": 2, "platform": "linux", "python": "3",
                                            "torch": "t", "numpy": "n"},
            "load_start": [1.0, 1.0, 1.0], "load_end": [2.0, 2.0, 2.0], "quick": False, "threads": {},
            "threads_text": "torch 2, BLAS 1", "args": "", "wall_s": 60.0}
    md, js = bench.write_report(tmp_path / "benchmarks", meta, [res, failed],
                                [PipelineRow("no-op `dvc repro`", 1.2, "measured now")], ["helper"])
    text = md.read_text()
    for title in ("## Pipeline", "## Training", "## Inference", "## Numerics", "## Thread behaviour",
                  "## Other measurements", "## Modules", "FAILED: ValueError: boom", "`benchmarks/helper.py`"):
        assert title in text
    data = json.loads(js.read_text())
    assert set(data["rows"]) == {"pipeline", "training", "inference", "numerics", "threads", "other"}
    assert data["rows"]["training"][0]["module"] == "toy" and data["modules"][1]["error"] == "ValueError: boom"


# --------------------------------------------------------------------------- the driver


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    (tmp_path / "benchmarks" / "good.py").write_text(textwrap.dedent("""
        from helper import twice
        from paper_code.pipeline.bench_rows import MeasureRow

        def bench(ctx):
            return [MeasureRow("g", "twice", twice(ctx.pick(2, 1)), "x", 1)]
    """))
    (tmp_path / "benchmarks" / "bad.py").write_text("def bench(ctx):\n    raise ValueError('boom')\n")
    (tmp_path / "benchmarks" / "wrong.py").write_text("def bench(ctx):\n    return [1]\n")
    (tmp_path / "benchmarks" / "partial.py").write_text(textwrap.dedent("""
        from paper_code.pipeline.bench_rows import MeasureRow

        def bench(ctx):
            yield MeasureRow("g", "first", 1.0, "x", 1)
            raise RuntimeError("second part needs a checkpoint")
    """))
    return tmp_path


def test_modules_run_in_isolation(tmp_path):
    ctx = BenchContext(_repo(tmp_path), quick=True)
    results, helpers = bench.run_modules(ctx)
    by = {r.name: r for r in results}
    assert helpers == ["helper"] and set(by) == {"bad", "good", "partial", "wrong"}
    assert by["good"].rows[0].value == 2 and by["good"].error is None  # quick: ctx.pick chose 1, doubled
    assert by["bad"].error == "ValueError: boom"
    assert "non-row object (int)" in by["wrong"].error
    assert [r.name for r in by["partial"].rows] == ["first"]  # rows yielded before the error are kept
    assert by["partial"].error == "RuntimeError: second part needs a checkpoint"
    only, _ = bench.run_modules(ctx, ["good"])
    assert [r.name for r in only] == ["good"]
    valid = "valid: pipeline, bad, good, helper, partial, wrong"
    with pytest.raises(SystemExit, match=f"unknown benchmark module.*nope.*{valid}"):
        bench.run_modules(ctx, ["nope"])


def test_unknown_module_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(SystemExit, match="unknown benchmark module.*nope; valid: pipeline, .*odeformer"):
        bench.main(["--only", "nope", "--out", str(tmp_path / "b")])
    assert not list(tmp_path.iterdir())


def test_every_benchmark_script_is_a_module_or_a_helper_of_one():
    files = bench.discover(REPO_ROOT)
    sources = {p.stem: p.read_text() for p in files}
    modules = {name for name, src in sources.items() if "\ndef bench(" in src}
    assert modules, "no benchmark module found"
    for name in set(sources) - modules:
        assert any(f"from {name} import" in sources[m] or f"import {name}" in sources[m] for m in modules), \
            f"benchmarks/{name}.py has no bench() and no module uses it: `make bench` would never run it"


def test_parse_nbval_junit():
    xml = """<testsuites><testsuite>
      <testcase classname="notebooks.a.01_x.ipynb" name="Cell 0" time="1.5"/>
      <testcase classname="notebooks.a.01_x.ipynb" name="Cell 1" time="2.0"><failure message="x"/></testcase>
      <testcase classname="notebooks.b.01_y.ipynb" name="Cell 0" time="0.25"/>
      <testcase classname="tests.other" name="t" time="9"/>
    </testsuite></testsuites>"""
    per = bench.parse_nbval_junit(xml, ["notebooks/a/01_x.ipynb", "notebooks/b/01_y.ipynb"])
    assert per["notebooks/a/01_x.ipynb"] == {"seconds": 3.5, "failed": 1}
    assert per["notebooks/b/01_y.ipynb"] == {"seconds": 0.25, "failed": 0}
    assert bench.parse_nbval_junit("", ["n.ipynb"]) == {"n.ipynb": {"seconds": 0.0, "failed": 0}}


def test_recorded_stage_rows(tmp_path):
    (tmp_path / "dvc.yaml").write_text(textwrap.dedent("""
        stages:
          alpha:
            cmd: python -m paper_code.pipeline.run_notebook alpha notebooks/alpha/01_a.ipynb
          beta:
            cmd: python -m paper_code.pipeline.run_notebook beta notebooks/beta/01_b.ipynb
          train_beta:
            cmd: python train.py
            outs:
              - models/beta/model_stats.json:
                  cache: false
    """))
    (tmp_path / "build" / "timings").mkdir(parents=True)
    (tmp_path / "build" / "timings" / "alpha.json").write_text(json.dumps(
        {"stage_wall_s": 12.5, "kernel_cpu_s": 10.0, "finished_utc": "2026-01-02T03:04:05Z",
         "load_avg_at_end": [1.0, 2.0, 3.0], "machine": {"threads": {"torch_threads": 2}}}))
    (tmp_path / "models" / "beta").mkdir(parents=True)
    (tmp_path / "models" / "beta" / "model_stats.json").write_text(json.dumps({"wall_time_s": 99.0, "steps": 5}))
    rows = {r.item: r for r in bench.recorded_stage_rows(tmp_path)}
    assert rows["stage alpha"].seconds == 12.5
    assert rows["stage alpha"].source == "recorded 2026-01-02T03:04:05Z, load 1.0/2.0/3.0"
    assert rows["stage alpha"].threads == "torch 2"
    assert rows["stage beta"].seconds is None and "paper-code run beta" in rows["stage beta"].note
    assert rows["stage train_beta"].seconds == 99.0
    assert rows["stage train_beta"].source.startswith("recorded in models/beta/model_stats.json")
    # a fresh clone: no runner record for beta, so its row is this run's nbval time of its notebook
    nbval = ({"notebooks": {"notebooks/beta/01_b.ipynb": {"seconds": 41.0, "failed": 0}}}, "measured now")
    rows = {r.item: r for r in bench.recorded_stage_rows(tmp_path, nbval)}
    assert rows["stage beta"].seconds == 41.0 and rows["stage beta"].source == "nbval of its notebook: measured now"
    assert rows["stage alpha"].seconds == 12.5  # a runner record wins
    failing = ({"notebooks": {"notebooks/beta/01_b.ipynb": {"seconds": 41.0, "failed": 2}}}, "measured now")
    assert {r.item: r for r in bench.recorded_stage_rows(tmp_path, failing)}["stage beta"].seconds is None


def test_timed_fit_splits_decoding_and_restores_the_method():
    import time

    class Slow:
        def decode_bags(self, bags):
            time.sleep(0.05)
            return bags

        def fit(self, t, y):
            self.decode_bags([t])
            time.sleep(0.03)
            if y is None:
                raise RuntimeError("no valid candidate")

    m = Slow()
    original = m.decode_bags
    fit_s, decode_s = timed_fit(m, 0, 1)
    assert 0.05 <= decode_s < fit_s and fit_s >= 0.08
    assert m.decode_bags == original  # restored
    fit_s, decode_s = timed_fit(m, 0, None)  # a fit without a valid candidate still counts
    assert decode_s >= 0.05 and fit_s >= 0.08 and m.decode_bags == original
