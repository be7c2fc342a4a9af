"""Forked workers: order, closures, the single-process fallback, thread limits, and torch after a fork."""
from __future__ import annotations

import os

import pytest
import torch

from paper_code.common import parallel as P


def test_fork_map_keeps_order_and_runs_closures_in_workers():
    offset = 100  # a closure: the workers inherit it through the fork, nothing is pickled
    seen = []
    out = P.fork_map(lambda j: (j + offset, os.getpid()), range(12), workers=2,
                     on_result=lambda i, r: seen.append(i))
    assert [v for v, _ in out] == list(range(100, 112))
    assert seen == list(range(12))
    assert os.getpid() not in {pid for _, pid in out}  # the work ran in the workers


def test_one_worker_or_one_job_runs_in_this_process():
    assert P.fork_map(lambda j: os.getpid(), range(3), workers=1) == [os.getpid()] * 3
    assert P.fork_map(lambda j: os.getpid(), [0], workers=2) == [os.getpid()]
    assert P.fork_map(lambda j: j, [], workers=2) == []


def test_refused_pool_falls_back_to_this_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(P, "get_context", lambda method: type("Ctx", (), {"Pool": refuse})())
    assert P.fork_map(lambda j: (j, os.getpid()), range(3), workers=2) == [(j, os.getpid()) for j in range(3)]


def test_worker_errors_reach_the_caller():
    def boom(j):
        if j == 2:
            raise ValueError("job 2 failed")
        return j

    with pytest.raises(ValueError, match="job 2 failed"):
        P.fork_map(boom, range(4), workers=2)


def test_workers_run_one_thread_and_torch_works_after_the_parent_used_its_pool():
    torch.set_num_threads(2)
    a = torch.randn(256, 256)
    (a @ a).sum()  # the parent's OpenMP pool is up before the fork

    def job(_):
        from threadpoolctl import threadpool_info
        x = torch.randn(128, 128)
        return torch.get_num_threads(), max(p["num_threads"] for p in threadpool_info()
                                            if p["user_api"] == "blas"), float((x @ x).sum())

    out = P.fork_map(job, range(4), workers=2)
    assert [(n, b) for n, b, _ in out] == [(1, 1)] * 4


def test_resolve_workers():
    assert P.resolve_workers(0) == P.available_cpus()
    assert P.resolve_workers(8, n_jobs=3) == 3
    assert P.resolve_workers(2, n_jobs=0) == 1
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="workers must be an integer >= 0"):
            P.resolve_workers(bad)
