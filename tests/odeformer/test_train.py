"""ODEFormer training entry point: config checks, deterministic batches, learning, exact resume."""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import torch

from paper_code.common import training_runs
from paper_code.common.config import ConfigError
from paper_code.odeformer import train as T
from paper_code.odeformer.config import PRESETS, OdeformerConfig

TINY = dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8, batch_size=8, cache_size=16,
            cache_chunk=8, gen_workers=1, warmup_steps=2, lr=3e-3, log_every=1, checkpoint_every=0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("odeformer")
    cfg = PRESETS["quick"].replace({**TINY, "cache_dir": str(d / "cache"), "checkpoint_path": str(d / "m.pt")})
    systems, _ = T.build_cache(cfg)
    return cfg, systems


def test_presets_valid_and_paper_sizes():
    q, p = PRESETS["quick"], PRESETS["paper"]
    assert (p.d_model, p.n_heads, p.enc_layers, p.dec_layers, p.lr, p.warmup_steps) == (512, 16, 4, 12, 2e-4, 10_000)
    assert q.checkpoint_path == "models/odeformer/model.pt"
    n = sum(x.numel() for x in T.build_model(q).parameters())
    assert 0.8e6 < n < 2e6  # the quick scale's ≈1.2M parameters


@pytest.mark.parametrize("bad", [
    {"n_heads": 3},                      # does not divide d_model
    {"max_dim": 1},                      # quick generator draws D = 2
    {"generator": "full"},               # full draws D up to 6, max_dim 2
    {"warmup_init_lr": 1.0},             # above the peak lr
    {"cache_size": 10, "batch_size": 64},
    {"beam_size": 4, "n_candidates": 16},
    {"checkpoint_path": "models/odeformer/model.bin"},
    {"lr": -1.0},
    {"batch_size": 0},
    {"generator": "medium"},
])
def test_bad_config_raises(bad):
    with pytest.raises(ConfigError) as err:
        PRESETS["quick"].replace(bad)
    assert "\n" not in str(err.value) and str(err.value).startswith("odeformer.")


def test_unknown_key_raises():
    with pytest.raises(ConfigError, match="did you mean 'max_steps'"):
        PRESETS["quick"].replace({"max_step": 3})


def test_lr_schedule_warmup_then_cosine_restarts():
    cfg = OdeformerConfig(max_steps=1000, lr=1e-3, warmup_steps=100, warmup_init_lr=1e-7, cosine_period=200,
                          period_mult=1.5, peak_decay=0.5, min_lr_ratio=0.0)
    f = [T.lr_factor(t, cfg) for t in range(1000)]
    assert f[0] == pytest.approx(1e-4) and f[100] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(f[:100], f[1:101]))                       # linear warm-up
    assert f[299] < 1e-3 and f[300] == pytest.approx(0.5)                       # restart: peak x0.5
    assert f[600] == pytest.approx(0.25)                                        # next period is 300 steps


def test_batches_deterministic_and_ranks_partition(tiny):
    cfg, systems = tiny
    a, b = T.OdeBatches(cfg, systems), T.OdeBatches(cfg, systems)
    b.get(5)  # call order must not matter
    for step in (3, 0, 7):
        for x, y in zip(a.get(step), b.get(step)):
            assert torch.equal(x, y)
    full_rows, full_tg = a.examples(4)
    rows, tgs = [], []
    for r in range(2):
        rr, tt = a.examples(4, r, 2)
        rows += rr
        tgs += tt
    assert tgs == full_tg and all(np.array_equal(u, v) for u, v in zip(rows, full_rows))
    assert not all(np.array_equal(u, v) for u, v in zip(a.examples(0)[0], a.examples(a.steps_per_epoch)[0]))
    ids, mask, seq = a.get(0)
    assert ids.shape[0] == mask.shape[0] == seq.shape[0] == cfg.batch_size
    assert ids.shape[2] == 3 * (cfg.max_dim + 1)
    assert (seq[:, 0] == 1).all() and seq.shape[1] <= cfg.max_len
    with pytest.raises(ValueError, match="divisible"):
        a.get(0, 0, 3)


def test_on_the_fly_batches_deterministic(tiny):
    cfg, _ = tiny
    cfg = cfg.replace({"batch_size": 2})
    a = T.OdeBatches(cfg, None)
    for x, y in zip(a.get(1), T.OdeBatches(cfg, None).get(1)):
        assert torch.equal(x, y)


def test_tiny_model_learns_fixed_batch(tiny):
    cfg, systems = tiny
    torch.manual_seed(0)
    batch = T.OdeBatches(cfg, systems).get(0)
    model = T.build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = T.loss_fn(model, batch)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
    assert losses[0] < 1.5 * np.log(len(T.make_vocabs(cfg).out))  # sane init: ≈ ln V


def test_train_writes_stats_and_resume_matches(tiny, tmp_path):
    cfg, systems = tiny
    cfg = cfg.replace({"max_steps": 6})
    full = T.train(cfg, tmp_path / "full.pt", progress=False, systems=systems)
    stats = json.loads((tmp_path / "full_stats.json").read_text())
    assert stats["steps"] == 6 and stats["samples_per_s"] > 0 and np.isfinite(stats["final_loss"])
    assert full["final_loss"] < full["first_loss"]

    # Interrupt the same run after the step-3 checkpoint (a crash at step 4), then rerun it.
    crash = cfg.replace({"checkpoint_every": 3})
    real_get = T.OdeBatches.get

    def get(self, step, rank=0, world_size=1):
        if step == 4:
            raise KeyboardInterrupt
        return real_get(self, step, rank, world_size)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(T.OdeBatches, "get", get)
        with pytest.raises(KeyboardInterrupt):
            T.train(crash, tmp_path / "part.pt", progress=False, systems=systems)
    resumed = T.train(crash, tmp_path / "part.pt", progress=False, systems=systems)
    assert resumed["resumed_from"] == 3
    m1, _ = T.load_model(tmp_path / "full.pt", cfg)
    m2, _ = T.load_model(tmp_path / "part.pt", cfg)
    for (k, p1), p2 in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.allclose(p1, p2, atol=1e-6), k
    assert resumed["final_loss"] == pytest.approx(full["final_loss"], rel=1e-5)


def test_extending_a_one_period_schedule_is_refused(tiny, tmp_path):
    """cosine_period=0 ties the schedule to max_steps: a longer rerun is a different run, not a resume."""
    cfg, systems = tiny
    T.train(cfg.replace({"max_steps": 4}), tmp_path / "m.pt", progress=False, systems=systems)
    with pytest.raises(T.CheckpointMismatchError):
        T.train(cfg.replace({"max_steps": 8}), tmp_path / "m.pt", progress=False, systems=systems)


def test_cli_config_resolution(monkeypatch, tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("odeformer:\n  scale: quick\n  batch_size: 32\n")
    monkeypatch.setattr(training_runs, "params_path", lambda: p)
    cfg = T.resolve_cli_config(None, 10, str(tmp_path / "x.pt"))
    assert (cfg.batch_size, cfg.max_steps, cfg.checkpoint_path) == (32, 10, str(tmp_path / "x.pt"))
    assert T.resolve_cli_config("paper", None, None).d_model == 512
    p.write_text("other: {scale: quick}\n")
    assert T.resolve_cli_config(None, None, None) == PRESETS["quick"]


def test_prefetched_batches_are_the_plain_ones(tiny):
    cfg, systems = tiny
    plain = T.OdeBatches(cfg, systems)
    pre = T.PrefetchedBatches(T.OdeBatches(cfg, systems), workers=2, depth=3)
    try:
        for step in (0, 1, 2, 5, 6, 1):  # in sequence, then jumps (a resume) in both directions
            for x, y in zip(pre.get(step), plain.get(step)):
                assert torch.equal(x, y)
        assert pre.fingerprint() == plain.fingerprint()
    finally:
        pre.close()


def test_time_budget_stops_at_a_checkpoint_and_the_rerun_resumes_exactly(tiny, tmp_path):
    cfg, systems = tiny
    cfg = cfg.replace({"max_steps": 6, "checkpoint_every": 2})
    full = T.train(cfg, tmp_path / "full.pt", progress=False, systems=systems)
    real_get = T.OdeBatches.get

    def slow_get(self, step, rank=0, world_size=1):
        time.sleep(1.0)  # 1 s per step: the first 2 steps give the pace, the next 2 would end past 2.5 s
        return real_get(self, step, rank, world_size)

    with pytest.MonkeyPatch.context() as mp, pytest.raises(T.TimeBudgetExhausted) as stop:
        mp.setattr(T.OdeBatches, "get", slow_get)
        T.train(cfg, tmp_path / "part.pt", progress=False, systems=systems, time_budget_s=2.5)
    assert stop.value.step == 2
    assert not (tmp_path / "part_stats.json").exists()  # unfinished: no stats, the evaluation refuses it
    assert json.loads(T.runs_path(tmp_path / "part.pt").read_text())[0]["to"] == 2
    resumed = T.train(cfg, tmp_path / "part.pt", progress=False, systems=systems, loader_workers=2)
    assert resumed["resumed_from"] == 2 and [(r["from"], r["to"]) for r in resumed["runs"]] == [(0, 2), (2, 6)]
    assert resumed["total_wall_time_s"] > 0 and not T.runs_path(tmp_path / "part.pt").exists()
    m1, _ = T.load_model(tmp_path / "full.pt", cfg)
    m2, _ = T.load_model(tmp_path / "part.pt", cfg)
    for (k, p1), p2 in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(p1, p2), k  # bit-identical on one device
    assert resumed["final_loss"] == full["final_loss"]


def test_a_budget_spent_before_the_first_step_stops_at_once(tiny, tmp_path):
    cfg, systems = tiny
    with pytest.raises(T.TimeBudgetExhausted) as stop:
        T.train(cfg.replace({"max_steps": 6, "checkpoint_every": 2}), tmp_path / "m.pt", progress=False,
                systems=systems, time_budget_s=1e-9)
    assert stop.value.step == 0 and not (tmp_path / "m.pt").exists()


def test_cli_time_budget_exits_unfinished(tiny, tmp_path, capsys):
    cfg, _ = tiny
    settings = tmp_path / "train_config.json"
    T.write_training_config(cfg.replace({"max_steps": 6, "checkpoint_every": 2}), settings)
    with pytest.raises(SystemExit) as exit_:
        T.main(["--config", str(settings), "--out", str(tmp_path / "m.pt"), "--no-progress", "--time-budget", "1e-6"])
    assert exit_.value.code == T.EXIT_UNFINISHED
    assert "unfinished: stopped at step 0" in capsys.readouterr().err
    for bad in (["--loader-workers", "-1"], ["--time-budget", "0"]):
        with pytest.raises(SystemExit) as exit_:
            T.main(["--config", str(settings), *bad])
        assert exit_.value.code == 2


def test_determinism_is_requested_on_cuda_only(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    T.request_determinism(torch.device("cpu"))
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ and not torch.are_deterministic_algorithms_enabled()
    try:
        T.request_determinism(torch.device("cuda", 0))  # sets flags only; needs no GPU
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_without_worker_processes_the_work_stays_in_this_process(tiny, monkeypatch, caplog):
    """Where the OS refuses a process pool, generation and prefetching fall back to this process (same data)."""
    cfg, systems = tiny

    def refuse(*args, **kwargs):
        raise OSError("no /dev/shm")

    from paper_code.common import parallel

    monkeypatch.setattr(parallel, "get_context", lambda method: type("Ctx", (), {"Pool": staticmethod(refuse)})())
    assert T.fork_pool(2) is None and "working in this process instead" in caplog.text
    pre = T.PrefetchedBatches(T.OdeBatches(cfg, systems), workers=2)
    for x, y in zip(pre.get(3), T.OdeBatches(cfg, systems).get(3)):
        assert torch.equal(x, y)
    pre.close()
