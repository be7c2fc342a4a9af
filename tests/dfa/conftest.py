"""The DFA tests run tiny ensembles: one thread is fastest (and kind to a shared CPU)."""
import pytest

from paper_code.common.threads import limit_threads


@pytest.fixture(autouse=True)
def _one_thread():
    with limit_threads(1):
        yield
