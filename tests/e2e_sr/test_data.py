import numpy as np
import pytest
import torch

from paper_code.e2e_sr.config import PRESETS
from paper_code.e2e_sr.data import FunctionBatches, held_out_examples, target_tokens
from paper_code.symbolic.encoding import decode

CFG = PRESETS["quick"]


def _batches(target):
    return FunctionBatches(CFG.generator_config(), CFG.floats(), 8, target=target, seed=3)


def test_both_models_read_the_same_points():
    a, b = _batches("end_to_end").get(4), _batches("skeleton").get(4)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[2][:, : b[2].shape[1]], b[2])


def test_batches_are_pure_functions_of_the_step():
    src = _batches("end_to_end")
    for x, y in zip(src.get(2), src.get(2)):
        assert torch.equal(x, y)
    assert not torch.equal(src.get(2)[0], src.get(3)[0])


def test_targets_decode_to_the_function_and_its_skeleton():
    floats = CFG.floats()
    for ex in held_out_examples(20, CFG.generator_config(), floats):
        full = decode(target_tokens(ex, "end_to_end", floats), floats)
        np.testing.assert_allclose(full.constants(), ex.tree.constants(), rtol=1e-9)  # 3-digit constants: exact
        assert decode(target_tokens(ex, "skeleton", floats), floats).prefix() == ex.skeleton().prefix()


def test_held_out_examples_differ_from_training_batches():
    ex = held_out_examples(3, CFG.generator_config(), CFG.floats())
    again = held_out_examples(3, CFG.generator_config(), CFG.floats())
    assert [e.tree.prefix() for e in ex] == [e.tree.prefix() for e in again]
    assert held_out_examples(2, CFG.generator_config(), CFG.floats(), dim=2)[0].dim == 2


def test_unknown_target_is_named():
    with pytest.raises(ValueError, match="end_to_end, skeleton"):
        _batches("constants")
