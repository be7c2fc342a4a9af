"""limit_threads sets torch's and the BLAS libraries' thread counts inside the block and restores both; the
default policy (passive OpenMP waits, one BLAS thread, user settings respected)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from paper_code.common import threads as T
from paper_code.common.threads import limit_threads


def _blas_threads() -> set[int]:
    np.ones((2, 2)) @ np.ones((2, 2))  # make sure numpy's BLAS is loaded
    counts = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    assert counts, "no BLAS library found: the test cannot observe the limit"
    return counts


@pytest.fixture
def two_threads():
    """A known starting point different from 1: two torch threads and two BLAS threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        yield
    torch.set_num_threads(before)


def test_sets_and_restores_torch_and_blas(two_threads):
    with limit_threads(1):
        assert torch.get_num_threads() == 1
        assert _blas_threads() == {1}
    assert torch.get_num_threads() == 2
    assert _blas_threads() == {2}


def test_restores_after_an_exception(two_threads):
    with pytest.raises(RuntimeError, match="boom"):
        with limit_threads(1):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 2 and _blas_threads() == {2}


def test_zero_leaves_the_defaults(two_threads):
    with limit_threads(0):
        assert torch.get_num_threads() == 2 and _blas_threads() == {2}


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_bad_counts_raise(bad):
    with pytest.raises(ValueError, match=r"limit_threads: n must be an integer >= 0 \(0 = library defaults\)"):
        with limit_threads(bad):
            pass


# --------------------------------------------------------------------------- the default policy


_THREAD_VARS = (T.THREADS_ENV, T.WAIT_POLICY_ENV, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture
def clean_env(monkeypatch):
    """No thread variables set; torch counted as loaded after paper_code set PASSIVE (the normal import order)."""
    for key in _THREAD_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(T, "_torch_loaded_first", False)
    monkeypatch.setattr(T, "_policy_at_torch_load", "PASSIVE")
    monkeypatch.setenv(T.WAIT_POLICY_ENV, "PASSIVE")


def test_passive_runtime_keeps_torch_threads_and_one_blas_thread(clean_env):
    p = T.default_policy()
    assert (p.torch_threads, p.blas_threads) == (0, 1)


def test_spinning_runtime_gets_one_torch_thread(clean_env, monkeypatch):
    monkeypatch.setattr(T, "_torch_loaded_first", True)  # torch loaded before paper_code set the policy
    monkeypatch.setattr(T, "_policy_at_torch_load", None)
    assert T.default_policy().torch_threads == 1


def test_user_settings_win(clean_env, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    p = T.default_policy()
    assert (p.torch_threads, p.blas_threads) == (0, 0)  # left to the libraries, which read OMP_NUM_THREADS
    monkeypatch.setenv(T.THREADS_ENV, "4")
    p = T.default_policy()
    assert (p.torch_threads, p.blas_threads) == (4, 4) and "PAPER_THREADS=4" in p.reason


@pytest.mark.parametrize("bad", ["-1", "two", "1.5"])
def test_bad_override_is_one_clear_line(clean_env, monkeypatch, bad):
    monkeypatch.setenv(T.THREADS_ENV, bad)
    with pytest.raises(ValueError, match=rf"PAPER_THREADS='{bad}' is not valid: use an integer >= 0"):
        T.default_policy()


def test_apply_defaults_sets_one_blas_thread(clean_env, two_threads):
    T.apply_defaults()
    assert _blas_threads() == {1} and torch.get_num_threads() == 2  # torch left at its count (passive runtime)
    T.apply_defaults(T.ThreadPolicy(1, 2, "test"))
    assert _blas_threads() == {2} and torch.get_num_threads() == 1
    st = T.thread_state()
    assert st["torch_threads"] == 1 and st["blas_threads"] == 2 and st["omp_wait_policy"] == "PASSIVE"


def _import_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS}
    return {**env, **extra}


def test_importing_paper_code_sets_passive_unless_the_user_chose():
    code = "import paper_code, os; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_import_env({}), check=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_import_env({T.WAIT_POLICY_ENV: "ACTIVE"}), check=True)
    assert out.stdout.strip() == "ACTIVE"
    late = ("import torch, paper_code; from paper_code.common.threads import default_policy; "
            "print(default_policy().torch_threads)")  # too late for this process: torch already spins
    out = subprocess.run([sys.executable, "-c", late], capture_output=True, text=True, env=_import_env({}), check=True)
    assert out.stdout.strip() == "1"
