"""CPU threads: one limiter for torch and the BLAS libraries, and the project's default policy.

    with limit_threads(cfg.threads):      # 1 thread inside the block, previous settings after
        run_small_ensembles()

On a few shared cores, multi-threaded kernels on small matrices lose more to contention
than they gain (measured for the random-features curves: 8 s with 1 thread, 30-80 s with
2). ``n = 0`` leaves every library at its default, so a config can opt out.

Default policy (``make bench``, section "Thread behaviour", measures it). Two thread pools
live in every process: torch's OpenMP pool (GNU libgomp) and the OpenBLAS pool that numpy
and scipy call. Both keep their idle threads *spinning* for a while after each parallel
region. On a loaded machine a spinning worker takes the core from the very thread it is
waiting for, so every synchronisation costs a scheduler time slice. Measured on 2 cores
at load 10: ODEFormer decoding with 2 torch threads 35-60x slower than with 1, numpy
``solve`` of a 400 x 400 system with 2 BLAS threads 17x slower. Hence:

1. ``OMP_WAIT_POLICY=PASSIVE`` (idle OpenMP threads sleep instead of spinning) is put in the
   environment when ``paper_code`` is imported (:func:`set_environment_defaults`), unless
   the user set it. libgomp reads it once, when torch loads it, so it takes effect when
   ``paper_code`` is imported before torch; the Makefile exports it too, and child processes
   (notebook kernels, workers) inherit it. With it, extra torch threads cost nothing on a
   busy machine and help on an idle one, so torch keeps its default thread count.
2. OpenBLAS has no such switch (its spin time is fixed at build time), so numpy/scipy get
   one BLAS thread. The heavy numerics of the papers already run single-threaded through
   their configs (``limit_threads(cfg.threads)``).
3. When torch was loaded before ``paper_code`` without a wait policy, the spinning pool is
   in place and torch gets one thread.

:func:`apply_defaults` applies this to the running process (the notebook session calls it).
``PAPER_THREADS=n`` overrides it: ``n`` threads for torch and BLAS alike (``0``: every
library's own default). ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS``
set by the user are respected too.
"""
from __future__ import annotations

import contextlib
import logging
import numbers
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["limit_threads", "set_environment_defaults", "ThreadPolicy", "default_policy", "apply_defaults",
           "thread_state", "THREADS_ENV", "WAIT_POLICY_ENV"]

log = logging.getLogger(__name__)

#: User override of the default policy: threads for torch and BLAS (0 = library defaults).
THREADS_ENV = "PAPER_THREADS"
#: libgomp's wait policy (read once, when torch loads its OpenMP runtime).
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
#: Environment variables through which a user already chose BLAS thread counts.
_BLAS_ENVS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: The wait policy torch's OpenMP runtime started with, as far as this module can tell
#: (``None``: libgomp's default, which spins). Set by :func:`set_environment_defaults`.
_policy_at_torch_load: str | None = None
_torch_loaded_first: bool = False


@contextlib.contextmanager
def limit_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads and ``n`` BLAS/OpenMP threads; restore both after.

    ``n = 0`` changes nothing (library defaults); ``n < 0`` raises ``ValueError``.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"limit_threads: n must be an integer >= 0 (0 = library defaults), got {n!r}")
    if n == 0:
        yield
        return
    import torch  # imported here: `import paper_code.common.threads` stays cheap
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        with threadpool_limits(limits=int(n)):
            yield
    finally:
        torch.set_num_threads(before)


def set_environment_defaults() -> None:
    """Put ``OMP_WAIT_POLICY=PASSIVE`` in the environment unless set (called on ``import paper_code``).

    Remembers whether torch was already loaded, i.e. whether the setting came too late for this process.
    """
    global _policy_at_torch_load, _torch_loaded_first
    user = os.environ.get(WAIT_POLICY_ENV)
    if user is None:
        os.environ[WAIT_POLICY_ENV] = "PASSIVE"
    _torch_loaded_first = "torch" in sys.modules
    _policy_at_torch_load = user if _torch_loaded_first else os.environ[WAIT_POLICY_ENV]


def _effective_wait_policy() -> str | None:
    """The policy torch's OpenMP pool runs with (upper case), ``None`` = libgomp's spinning default."""
    if _torch_loaded_first or "torch" in sys.modules:
        policy = _policy_at_torch_load
    else:  # torch not loaded yet: it will read the environment as it is now
        policy = os.environ.get(WAIT_POLICY_ENV)
    return policy.strip().upper() if policy else None


@dataclass(frozen=True)
class ThreadPolicy:
    """Thread counts to apply (``0`` = leave that library alone) and why."""

    torch_threads: int
    blas_threads: int
    reason: str


def _parse_override(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(f"{THREADS_ENV}={value!r} is not valid: use an integer >= 0 (threads for torch and "
                         f"BLAS; 0 = every library's default), or unset it for the project's policy")
    return n


def default_policy() -> ThreadPolicy:
    """The policy for this process (module doc): ``PAPER_THREADS``, else passive torch + one BLAS thread."""
    override = os.environ.get(THREADS_ENV)
    if override is not None and override.strip():
        n = _parse_override(override.strip())
        return ThreadPolicy(n, n, f"{THREADS_ENV}={n}")
    passive = _effective_wait_policy() == "PASSIVE"
    if "OMP_NUM_THREADS" in os.environ:
        torch_n, why = 0, "torch: OMP_NUM_THREADS set by the user"
    elif passive:
        torch_n, why = 0, "torch: default threads (OMP_WAIT_POLICY=PASSIVE)"
    else:
        torch_n, why = 1, "torch: 1 thread (its OpenMP pool spins: torch was imported before paper_code)"
    if any(k in os.environ for k in _BLAS_ENVS):
        blas_n, why_blas = 0, "BLAS: thread count set by the user"
    else:
        blas_n, why_blas = 1, "BLAS: 1 thread (OpenBLAS spins while idle)"
    return ThreadPolicy(torch_n, blas_n, f"{why}; {why_blas}")


def apply_defaults(policy: ThreadPolicy | None = None) -> ThreadPolicy:
    """Apply ``policy`` (default: :func:`default_policy`) to this process, for good; returns it."""
    policy = policy or default_policy()
    if policy.torch_threads:
        import torch

        torch.set_num_threads(policy.torch_threads)
    if policy.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=policy.blas_threads, user_api="blas")
    log.debug("threads: %s", policy.reason)
    return policy


def thread_state() -> dict[str, Any]:
    """Threads in effect now: torch (if loaded), each BLAS library, and the OpenMP wait policy."""
    state: dict[str, Any] = {"omp_wait_policy": _effective_wait_policy() or "default (spin)"}
    torch = sys.modules.get("torch")
    if torch is not None:
        state["torch_threads"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info

        blas = sorted({int(lib["num_threads"]) for lib in threadpool_info() if lib.get("user_api") == "blas"})
    except Exception:  # noqa: BLE001 - informational only
        blas = []
    if blas:
        state["blas_threads"] = blas[0] if len(blas) == 1 else blas
    return state
