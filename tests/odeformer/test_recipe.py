"""The recipe study's target statistics: skeletons, duplicate rates, canonical forms."""
import pytest

from paper_code.odeformer.recipe import cache_systems, skeleton, target_statistics
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.numbers import FloatTokenizer

FLOATS = FloatTokenizer(precision=3, max_exponent=10)


def test_skeleton_masks_floats_and_integers():
    assert skeleton(["mul", "-", "N171", "E-3", "x_0", "|", "add", "INT+", "1", "2", "x_1"]) == \
        "mul C x_0 | add C x_1"


def test_writing_variants_are_one_canonical_skeleton():
    # c1·x + c2·x and c·x are one function family; the raw skeletons differ, the canonical ones do not
    split = [op("add", op("mul", const(-0.171), var(0)), op("mul", const(-0.373), var(0)))]
    merged = [op("mul", const(0.5), var(0))]
    stats = target_statistics([split, merged], FLOATS)
    assert stats["distinct_raw_skeletons"] == 2 and stats["distinct_canonical_skeletons"] == 1
    assert stats["duplicates_raw_skeleton"] == 0 and stats["duplicates_canonical_skeleton"] == pytest.approx(0.5)
    assert stats["length_canonical"] < stats["length_raw"]
    assert stats["already_canonical"] == pytest.approx(0.5)


def test_cache_systems_names_the_folder_it_needs(tmp_path):
    with pytest.raises(FileNotFoundError, match="no chunk_"):
        cache_systems(tmp_path, FLOATS, vocab=None)
