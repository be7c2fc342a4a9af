"""The DFA tests run tiny ensembles: one torch thread is fastest (and kind to a shared CPU)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
