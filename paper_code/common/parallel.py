"""Forked worker processes for independent jobs (benchmark fits, data generation).

    results = fork_map(fit_one, jobs, workers=0)   # 0 = one process per core; same order as ``jobs``

Workers are forked, so they inherit the caller's objects (a loaded model, the tasks) without
pickling them: only the job and its result cross the pipe. Each worker runs one torch thread and
one BLAS thread (:func:`quiet_worker`), so W workers keep W cores busy without oversubscribing
them (see :mod:`paper_code.common.threads`). Forking is safe after torch has run: with one intra-op
thread in the child, torch executes its kernels inline and never enters the parent's OpenMP pool.
Where the OS refuses a pool (no ``/dev/shm`` for its semaphores, not Linux), the jobs run in this
process instead: slower, same results.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from multiprocessing import get_context
from typing import Any, TypeVar

__all__ = ["available_cpus", "resolve_workers", "fork_pool", "quiet_worker", "fork_map"]

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

#: The function :func:`fork_map` runs in its workers (set in the parent before forking).
_JOB_FN: Callable[[Any], Any] | None = None


def available_cpus() -> int:
    """CPU cores this process may run on (its affinity mask where the OS reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int, n_jobs: int | None = None) -> int:
    """``workers`` processes, ``0`` meaning one per available core, never more than ``n_jobs``."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be an integer >= 0 (0 = one per CPU core), got {workers!r}")
    w = workers or available_cpus()
    return max(1, min(w, n_jobs)) if n_jobs is not None else w


def quiet_worker() -> None:
    """Worker initialiser: one torch intra-op thread and one BLAS thread."""
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a project dependency
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
    threadpool_limits(limits=1)


def fork_pool(workers: int, initializer: Callable[[], None] | None = quiet_worker) -> Any:
    """A pool of ``workers`` forked processes, or None (with a warning) where the OS refuses one: the caller
    then does the work in this process, slower but the same."""
    try:
        return get_context("fork").Pool(workers, initializer=initializer)
    except (OSError, ValueError) as err:  # ValueError: no "fork" start method on this platform
        log.warning("cannot start %d worker processes (%s): working in this process instead", workers, err)
        return None


def _run_job(job: Any) -> Any:
    assert _JOB_FN is not None
    return _JOB_FN(job)


def fork_map(fn: Callable[[J], R], jobs: Iterable[J], workers: int = 0,
             on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(job) for job in jobs]``, computed by ``workers`` forked processes (0 = one per core).

    ``fn`` may be a closure or a bound method: the workers inherit it through the fork. Results come back in
    the order of ``jobs``; ``on_result(i, result)`` is called as each one arrives (in order), e.g. to advance a
    progress bar. One worker (or one job) runs in this process, without a pool.
    """
    global _JOB_FN
    jobs = list(jobs)
    w = resolve_workers(workers, len(jobs)) if jobs else 1
    previous, _JOB_FN = _JOB_FN, fn  # before the fork: the workers inherit it
    try:
        pool = fork_pool(w) if w > 1 else None
        results = map(fn, jobs) if pool is None else pool.imap(_run_job, jobs, chunksize=1)
        out: list[R] = []
        try:
            for i, res in enumerate(results):
                out.append(res)
                if on_result is not None:
                    on_result(i, res)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        return out
    finally:
        _JOB_FN = previous

