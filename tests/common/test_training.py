"""Tests of the shared training loop: DDP equivalence, exact resume, schedules, data sharding."""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from paper_code.common.config import ConfigError
from paper_code.common.seeding import seed_everything
from paper_code.common.training import (
    BatchSource,
    CheckpointMismatchError,
    TensorBatches,
    TrainConfig,
    Trainer,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _load_worker():
    # By file path, so it works whatever pytest's import mode is.
    spec = importlib.util.spec_from_file_location("_ddp_worker", HERE / "_ddp_worker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- (1) DDP


def test_ddp_two_processes_match_one_process_on_the_global_batch(tmp_path):
    """torchrun, 2 CPU processes with gloo: train 4 steps, resume to 8, and compare with 1 process, 8 steps."""
    w = _load_worker()
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(HERE / "_ddp_worker.py"), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))

    # Reference: one process, whole global batch, no interruption; eval_fn snapshots θ_4.
    snapshots = {}

    def snapshot(model, step):
        snapshots[step] = {k: v.clone() for k, v in model.state_dict().items()}
        return {}

    model, opt, loss_fn, batches, lr_lambda = w.build_problem()
    ref = Trainer(model, opt, loss_fn, batches, w.config(w.TOTAL_STEPS, None), lr_lambda=lr_lambda,
                  eval_fn=snapshot, eval_every=w.PHASE1_STEPS, device="cpu").fit()

    for key, value in snapshots[w.TOTAL_STEPS].items():
        # DDP replicas stay bit-identical; against one process, float32 sums differ in order only.
        assert torch.equal(r0["final"][key], r1["final"][key]), key
        torch.testing.assert_close(r0["final"][key], value, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(r0["phase1"][key], snapshots[w.PHASE1_STEPS][key], rtol=1e-5, atol=1e-6)
    # Sanity: training moved the parameters well beyond the tolerance.
    assert (snapshots[w.TOTAL_STEPS]["0.weight"] - snapshots[0]["0.weight"]).abs().max() > 1e-2

    # Logged losses are global-batch means, identical on every rank, and equal the reference ones.
    steps, ddp_loss = _series(r0["records"], "loss")
    ref_steps, ref_loss = _series(ref.records, "loss")
    assert steps == ref_steps == list(range(w.TOTAL_STEPS))
    np.testing.assert_allclose(ddp_loss, ref_loss, rtol=1e-5)
    assert _series(r1["records"], "loss")[1] == ddp_loss
    assert r0["resumed_from"] == w.PHASE1_STEPS
    assert r0["mean_of_ranks"] == r1["mean_of_ranks"] == 0.5
    assert r0["is_main"] and not r1["is_main"]
    ckpt = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert ckpt["step"] == w.TOTAL_STEPS and len(ckpt["rng"]) == 2 and ckpt["world_size"] == 2


def _series(records, key):
    pairs = [(r["step"], r[key]) for r in records if key in r]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# --------------------------------------------------------------------------- (2) exact resume


class Crash(RuntimeError):
    pass


def _stochastic_run(ckpt: Path | None, max_steps: int, crash_at_call: int | None = None, **config):
    """Fresh 'process': reseed, rebuild everything, train. Dropout, Adam, a decaying lr, and
    noise drawn from torch, numpy and python RNGs, so every restored state matters."""
    seed_everything(123)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 4, generator=g), torch.randn(30, 1, generator=g)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    calls = []

    def loss_fn(m, batch):
        calls.append(1)
        if crash_at_call is not None and len(calls) == crash_at_call:
            raise Crash("simulated crash")
        xb, yb = batch
        # the legacy global np.random draw is the point: the checkpoint must restore numpy's global RNG state
        # (a Generator held by loss_fn is documented as not restored), so a default_rng here would test nothing
        target = yb + 0.1 * torch.randn_like(yb) + 0.01 * np.random.randn() + 0.01 * random.random()  # noqa: NPY002
        return nn.functional.mse_loss(m(xb), target)

    def eval_fn(m, step):  # consumes RNG too, like a Monte-Carlo estimate would
        with torch.no_grad():
            xv = torch.randn(16, 4)
            return {"val": m(xv).square().mean().item()}

    defaults = dict(max_steps=max_steps, log_every=2, checkpoint_path=ckpt, checkpoint_every=3 if ckpt else 0,
                    progress=False)
    trainer = Trainer(model, opt, loss_fn, TensorBatches(x, y, batch_size=4, seed=7, drop_last=False),
                      TrainConfig(**(defaults | config)), lr_lambda=lambda t: 0.9 ** t, eval_fn=eval_fn,
                      eval_every=4, device="cpu")
    return trainer, calls


def test_crash_and_resume_is_bit_identical_to_uninterrupted_run(tmp_path):
    ref, _ = _stochastic_run(None, 10)
    ref_history = ref.fit()

    ckpt = tmp_path / "run" / "ckpt.pt"
    crashed, _ = _stochastic_run(ckpt, 10, crash_at_call=8)  # dies in step 7, after the step-6 checkpoint
    with pytest.raises(Crash):
        crashed.fit()
    assert torch.load(ckpt, weights_only=True)["step"] == 6
    assert not list(ckpt.parent.glob("*.tmp")), "temporary checkpoint files left behind"

    resumed, calls = _stochastic_run(ckpt, 10)
    history = resumed.fit()
    assert len(calls) == 4  # steps 6..9 only
    assert history.resumed_from == 6
    for a, b in zip(ref.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)
    assert history.records == ref_history.records
    assert resumed.optimizer.param_groups[0]["lr"] == ref.optimizer.param_groups[0]["lr"] == 1e-2 * 0.9 ** 10

    # A finished run resumes to a no-op with the same final state.
    again, calls = _stochastic_run(ckpt, 10)
    again.fit()
    assert not calls and all(torch.equal(a, b) for a, b in zip(ref.model.parameters(), again.model.parameters()))


def test_extending_a_finished_run_matches_a_longer_run(tmp_path):
    ref, _ = _stochastic_run(None, 10)
    ref.fit()
    ckpt = tmp_path / "ckpt.pt"
    short, _ = _stochastic_run(ckpt, 6, checkpoint_every=0)  # saves only at its end, before the final eval
    short.fit()
    longer, calls = _stochastic_run(ckpt, 10, checkpoint_every=0)
    longer.fit()
    assert len(calls) == 4
    for a, b in zip(ref.model.parameters(), longer.model.parameters()):
        assert torch.equal(a, b)


# --------------------------------------------------------------------------- (3) mismatched checkpoint


def _tiny_run(ckpt, *, width=8, lr=0.1, grad_clip=None, lr_lambda=None, data_seed=0, max_steps=3):
    torch.manual_seed(0)
    x, y = torch.randn(12, 3), torch.randn(12, 1)
    model = nn.Sequential(nn.Linear(3, width), nn.Tanh(), nn.Linear(width, 1))
    calls = []

    def loss_fn(m, batch):
        calls.append(1)
        return nn.functional.mse_loss(m(batch[0]), batch[1])

    cfg = TrainConfig(max_steps=max_steps, log_every=1, checkpoint_path=ckpt, grad_clip=grad_clip, progress=False)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=lr), loss_fn,
                      TensorBatches(x, y, batch_size=4, seed=data_seed), cfg, lr_lambda=lr_lambda, device="cpu")
    return trainer, calls


@pytest.mark.parametrize("change, message", [
    (dict(width=9), "tensors"),
    (dict(lr=0.2), "param_groups"),
    (dict(grad_clip=1.0), "grad_clip"),
    (dict(data_seed=1), "data"),
    (dict(lr_lambda=lambda t: 0.5 ** t), "lr_lambdas"),
])
def test_checkpoint_of_another_config_raises_and_is_left_untouched(tmp_path, change, message):
    ckpt = tmp_path / "ckpt.pt"
    _tiny_run(ckpt)[0].fit()
    before = ckpt.read_bytes()
    trainer, calls = _tiny_run(ckpt, max_steps=6, **change)
    with pytest.raises(CheckpointMismatchError, match=message):
        trainer.fit()
    assert not calls and ckpt.read_bytes() == before


def test_changed_lr_schedule_is_detected_on_logged_steps(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    _tiny_run(ckpt, lr_lambda=lambda t: 1.0 / (1 + t))[0].fit()
    trainer, calls = _tiny_run(ckpt, max_steps=6, lr_lambda=lambda t: 1.0 / (1 + 2 * t))
    with pytest.raises(CheckpointMismatchError, match="lr at step 1"):
        trainer.fit()
    assert not calls
    # The same schedule resumes fine, and so does a change of max_steps alone.
    trainer, calls = _tiny_run(ckpt, max_steps=6, lr_lambda=lambda t: 1.0 / (1 + t))
    assert trainer.fit().resumed_from == 3 and len(calls) == 3


@pytest.mark.parametrize("content", [b"not a checkpoint", "weights"])
def test_foreign_file_at_checkpoint_path_raises_and_is_left_untouched(tmp_path, content):
    ckpt = tmp_path / "ckpt.pt"
    if content == "weights":
        torch.save(nn.Linear(3, 1).state_dict(), ckpt)
    else:
        ckpt.write_bytes(content)
    before = ckpt.read_bytes()
    trainer, calls = _tiny_run(ckpt)
    with pytest.raises(CheckpointMismatchError, match="Trainer checkpoint"):
        trainer.fit()
    assert not calls and ckpt.read_bytes() == before


def test_checkpoint_past_max_steps_raises(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    _tiny_run(ckpt, max_steps=5)[0].fit()
    with pytest.raises(CheckpointMismatchError, match="past max_steps=3"):
        _tiny_run(ckpt, max_steps=3)[0].fit()


# --------------------------------------------------------------------------- (4) lr schedule per group


class StepAsBatch:
    """A BatchSource whose batch is the step itself (the test checks what it receives)."""

    def get(self, step: int, rank: int = 0, world_size: int = 1):
        return step


def test_lr_lambda_list_applies_one_schedule_per_param_group():
    class TwoParams(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.zeros(3, dtype=torch.float64))
            self.b = nn.Parameter(torch.zeros(2, dtype=torch.float64))

    model = TwoParams()
    ca = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    cb = torch.tensor([0.5, 4.0], dtype=torch.float64)
    seen = []

    def loss_fn(m, step):  # linear loss: constant gradients ca, cb, so w_T = -c * sum_t lr(t)
        seen.append(step)
        return (m.a * ca).sum() + (m.b * cb).sum()

    lam_a, lam_b = (lambda t: 1.0 / (t + 1)), (lambda t: 0.5 ** t)
    opt = torch.optim.SGD([{"params": [model.a], "lr": 0.1}, {"params": [model.b], "lr": 0.3}])
    assert isinstance(StepAsBatch(), BatchSource)
    n = 7
    history = Trainer(model, opt, loss_fn, StepAsBatch(), TrainConfig(max_steps=n, log_every=1, progress=False),
                      lr_lambda=[lam_a, lam_b], device="cpu").fit()

    assert seen == list(range(n))
    sum_a = sum(0.1 * lam_a(t) for t in range(n))
    sum_b = sum(0.3 * lam_b(t) for t in range(n))
    torch.testing.assert_close(model.a.detach(), -ca * sum_a, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.b.detach(), -cb * sum_b, rtol=1e-12, atol=1e-12)
    steps, lrs = history.series("lr")
    assert steps == list(range(n)) and lrs == pytest.approx([0.1 * lam_a(t) for t in range(n)], rel=1e-12)
    # As LambdaLR leaves them: the rates of the next step.
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1 * lam_a(n), 0.3 * lam_b(n)])


def test_lr_lambda_list_of_wrong_length_raises():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1)
    with pytest.raises(ValueError, match="1 function.*2 param group"):
        Trainer(model, opt, lambda m, b: m.weight.sum(), StepAsBatch(), TrainConfig(max_steps=1, progress=False),
                lr_lambda=[lambda t: 1.0], device="cpu")


def test_records_at_a_step_describe_the_same_parameters():
    """loss at step t (training) equals eval_fn's loss at step t: both use θ_t and batch t."""
    torch.manual_seed(0)
    x, y = torch.randn(20, 3), torch.randn(20, 1)
    model = nn.Linear(3, 1)
    batches = TensorBatches(x, y, batch_size=5, seed=3)

    def loss_fn(m, batch):
        return nn.functional.mse_loss(m(batch[0]), batch[1])

    def eval_fn(m, step):
        with torch.no_grad():
            return {"same_batch": loss_fn(m, batches.get(step)).item() if step < 9 else float("nan")}

    history = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, batches,
                      TrainConfig(max_steps=9, log_every=3, progress=False), eval_fn=eval_fn, eval_every=3,
                      device="cpu").fit()
    assert [r["step"] for r in history.records] == [0, 3, 6, 8, 9]
    for r in history.records[:3]:
        assert r["loss"] == pytest.approx(r["same_batch"], rel=1e-6)
    assert set(history.records[-1]) == {"step", "same_batch"}  # the final eval, on θ_9
    assert history.last("loss") == history.records[3]["loss"]


def test_eval_fn_may_not_overwrite_training_keys():
    model = nn.Linear(1, 1)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), lambda m, b: m.weight.sum(), StepAsBatch(),
                      TrainConfig(max_steps=2, progress=False), eval_fn=lambda m, s: {"loss": 0.0}, device="cpu")
    with pytest.raises(ValueError, match="reserved key.*'loss'.*val_loss"):
        trainer.fit()


def test_non_finite_loss_raises_on_a_log_step():
    model = nn.Linear(1, 1)

    def loss_fn(m, step):
        return m.weight.sum() * (float("nan") if step == 4 else 1.0)

    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, StepAsBatch(),
                      TrainConfig(max_steps=10, log_every=2, progress=False), device="cpu")
    with pytest.raises(FloatingPointError, match="step 4"):
        trainer.fit()


def test_grad_clip_bounds_the_update():
    model = nn.Linear(4, 1, bias=False)
    nn.init.zeros_(model.weight)
    loss_fn = lambda m, step: (m.weight * 100.0).sum()  # noqa: E731 (gradient norm 200)
    Trainer(model, torch.optim.SGD(model.parameters(), lr=1.0), loss_fn, StepAsBatch(),
            TrainConfig(max_steps=1, grad_clip=0.5, progress=False), device="cpu").fit()
    assert model.weight.norm().item() == pytest.approx(0.5, rel=1e-5)


# --------------------------------------------------------------------------- (5) TensorBatches


def test_tensor_batches_are_a_pure_function_of_step_and_seed():
    x = torch.arange(50.0).unsqueeze(1)
    a, b = TensorBatches(x, batch_size=6, seed=4), TensorBatches(x, batch_size=6, seed=4)
    order = [17, 0, 3, 9, 3, 25, 1]  # out of order and across epochs: no hidden state
    first = {s: a.get(s) for s in order}
    for s in sorted(set(order)):
        assert torch.equal(b.get(s), first[s])
    assert not torch.equal(TensorBatches(x, batch_size=6, seed=5).get(0), first[0])
    assert not torch.equal(a.order(0), a.order(1))  # a new permutation every epoch
    ordered = TensorBatches(x, batch_size=6, shuffle=False)
    assert torch.equal(ordered.get(1), x[6:12]) and torch.equal(ordered.get(9), x[6:12])


@pytest.mark.parametrize("drop_last", [True, False])
def test_tensor_batches_epoch_covers_samples_once(drop_last):
    n, bs = 23, 5
    x, y = torch.arange(n), torch.arange(n) * 10
    tb = TensorBatches(x, y, batch_size=bs, seed=0, drop_last=drop_last)
    assert len(tb) == (4 if drop_last else 5)
    for epoch in range(2):
        parts = [tb.get(epoch * len(tb) + k) for k in range(len(tb))]
        assert all(torch.equal(yb, xb * 10) for xb, yb in parts)  # rows stay aligned
        seen = torch.cat([xb for xb, _ in parts])
        assert len(set(seen.tolist())) == len(seen) == (20 if drop_last else 23)
        assert [len(xb) for xb, _ in parts][-1] == (5 if drop_last else 3)


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_rank_shards_partition_the_global_batch(world_size):
    x = torch.randn(64, 3)
    tb = TensorBatches(x, batch_size=8, seed=1)
    for step in (0, 5, 8, 13):
        shards = [tb.get(step, r, world_size) for r in range(world_size)]
        assert all(len(s) == 8 // world_size for s in shards)
        assert torch.equal(torch.cat(shards), tb.get(step))


def test_tensor_batches_bad_arguments_raise():
    x = torch.zeros(10, 2)
    with pytest.raises(ValueError, match="divisible by world_size=3"):
        TensorBatches(x, batch_size=4).get(0, 0, 3)
    with pytest.raises(ValueError, match=r"last of epoch.*world_size=2"):
        TensorBatches(torch.zeros(9, 2), batch_size=4, drop_last=False).get(0, 0, 2)  # last batch: 1 sample
    with pytest.raises(ValueError, match="batch_size must be an int in \\[1, 10\\]"):
        TensorBatches(x, batch_size=11)
    with pytest.raises(ValueError, match="share their first dimension"):
        TensorBatches(x, torch.zeros(9), batch_size=2)


def test_tensor_batches_return_copies():
    x = torch.arange(8.0)
    batch = TensorBatches(x, batch_size=4, shuffle=False).get(0)
    batch.zero_()
    assert torch.equal(x, torch.arange(8.0))


# --------------------------------------------------------------------------- (6) config validation


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(max_steps=0), "max_steps: 0 is out of range; valid: >= 1"),
    (dict(max_steps=2.5), "max_steps: expected an integer"),
    (dict(max_steps=True), "max_steps: expected an integer"),
    (dict(max_steps=5, log_every=0), "log_every: 0 is out of range; valid: >= 1"),
    (dict(max_steps=5, checkpoint_every=-1), "checkpoint_every: -1 is out of range; valid: >= 0"),
    (dict(max_steps=5, checkpoint_every=2), "checkpoint_every: 2 needs a checkpoint_path"),
    (dict(max_steps=5, checkpoint_path=""), "checkpoint_path: must be a file path or None"),
    (dict(max_steps=5, checkpoint_path=3), "checkpoint_path: expected str or PathLike or None, got 3"),
    (dict(max_steps=5, grad_clip=0.0), "grad_clip: 0.0 is out of range; valid: > 0"),
    (dict(max_steps=5, grad_clip=float("inf")), "grad_clip: expected a finite number"),
    (dict(max_steps=5, progress="yes"), "progress: expected true or false"),
    (dict(max_steps=5, desc=7), "desc: expected a string"),
])
def test_bad_train_config_raises_naming_the_field(kwargs, fragment):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**kwargs)
    assert str(info.value).startswith("TrainConfig." + fragment), str(info.value)
    assert "\n" not in str(info.value)


def test_train_config_is_frozen_and_coerces():
    cfg = TrainConfig(max_steps=np.int64(5), checkpoint_path=Path("run.pt"), grad_clip=1)
    assert type(cfg.max_steps) is int and type(cfg.grad_clip) is float
    assert isinstance(cfg.checkpoint_path, Path)  # kept as given
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.max_steps = 0  # type: ignore[misc]
    with pytest.raises(ConfigError, match="TrainConfig: unknown key 'max_step'.*did you mean 'max_steps'"):
        cfg.replace(max_step=3)


def test_bad_trainer_arguments_raise():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    cfg = TrainConfig(max_steps=1, progress=False)
    with pytest.raises(ValueError, match="eval_every=5 but no eval_fn"):
        Trainer(model, opt, lambda m, b: m.weight.sum(), StepAsBatch(), cfg, eval_every=5)
    with pytest.raises(ValueError, match="eval_every must be an int >= 0"):
        Trainer(model, opt, lambda m, b: m.weight.sum(), StepAsBatch(), cfg, eval_fn=lambda m, s: {}, eval_every=-1)
    other = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="not the model's"):
        Trainer(model, torch.optim.SGD(other.parameters(), lr=0.1), lambda m, b: m.weight.sum(), StepAsBatch(), cfg)
    with pytest.raises(ValueError, match="get\\(step, rank, world_size\\)"):
        Trainer(model, opt, lambda m, b: m.weight.sum(), [1, 2], cfg)


def test_warmup_cosine_schedule():
    from paper_code.common.training import warmup_cosine

    kw = dict(lr=1e-3, max_steps=1000, warmup_steps=100, warmup_init_lr=1e-7)
    f = [warmup_cosine(t, **kw) for t in range(1001)]
    assert f[0] == pytest.approx(1e-4) and f[50] == pytest.approx(1e-4 + (1 - 1e-4) / 2) and f[100] == 1.0
    assert f[550] == pytest.approx(0.5) and f[999] < 1e-4  # one cosine period from the peak to 0 at max_steps
    floor = [warmup_cosine(t, **kw, min_lr_ratio=0.1) for t in (100, 550, 999)]
    assert floor[0] == 1.0 and floor[1] == pytest.approx(0.55) and floor[2] == pytest.approx(0.1, abs=1e-4)
    r = [warmup_cosine(t, lr=1.0, max_steps=10_000, cosine_period=100, period_mult=2.0, peak_decay=0.5)
         for t in (0, 100, 300, 700)]
    assert r == pytest.approx([1.0, 0.5, 0.25, 0.125])  # restarts at 100, 100 + 200, 300 + 400
