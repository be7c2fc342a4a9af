"""Mini ImageNet-C: shape, dtype, range and input preserved; seeded determinism; severity monotonicity; each
corruption against its formula on images where the answer is known; the accuracy summary; bad input."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from paper_code.vision.corruptions import (
    CORRUPTIONS,
    FAMILIES,
    PARAMETERS,
    SEVERITIES,
    corrupt,
    corruption_suite,
    mean_corruption_accuracy,
)

RANDOM = ("gaussian_noise", "shot_noise", "impulse_noise", "fog")
STRICT = ("gaussian_noise", "shot_noise", "impulse_noise", "gaussian_blur", "contrast")


def _structured(n: int = 32, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(n, 1, 28, 28)`` digit-like images: smooth random blobs, thresholded into strokes on a black background."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 1, 7, 7, generator=g, dtype=torch.float64)
    smooth = F.interpolate(low, size=(28, 28), mode="bilinear", align_corners=False)
    return ((smooth - 0.55) * 4).clamp(0, 1).to(dtype)


def _constant(values: tuple[float, ...] = (0.0, 0.3, 0.77, 1.0), dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype).view(-1, 1, 1, 1).expand(-1, 2, 28, 28).contiguous()


def _change(name: str, x: torch.Tensor) -> list[float]:
    return [(corrupt(x, name, s) - x).abs().mean().item() for s in SEVERITIES]


def test_tables_cover_every_corruption():
    assert SEVERITIES == (1, 2, 3, 4, 5)
    assert set(PARAMETERS) == set(CORRUPTIONS) and len(CORRUPTIONS) == 8
    assert all(len(PARAMETERS[n]) == 5 for n in CORRUPTIONS)
    grouped = [n for names in FAMILIES.values() for n in names]
    assert sorted(grouped) == sorted(CORRUPTIONS)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
@pytest.mark.parametrize("name", CORRUPTIONS)
def test_shape_dtype_range_and_input_preserved(name, dtype):
    x = _structured(4, dtype=dtype)
    x[0] = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(1)).to(dtype)
    before = x.clone()
    for s in SEVERITIES:
        y = corrupt(x, name, s)
        assert y.shape == x.shape and y.dtype == dtype
        assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
        assert y.data_ptr() != x.data_ptr()
    assert torch.equal(x, before)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_deterministic_given_seed(name):
    x = _structured(8)
    assert torch.equal(corrupt(x, name, 3, seed=5), corrupt(x, name, 3, seed=5))
    other = corrupt(x, name, 3, seed=6)
    assert torch.equal(corrupt(x, name, 3, seed=5), other) == (name not in RANDOM)


@pytest.mark.parametrize("name", RANDOM)
def test_random_corruptions_differ_across_images_of_a_batch(name):
    x = torch.full((2, 1, 28, 28), 0.5)
    x[:, :, 10:18, 10:18] = 0.9
    y = corrupt(x, name, 3)
    assert not torch.equal(y[0], y[1])


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_change_grows_with_severity(name):
    for x in (_structured(32), torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(2))):
        change = _change(name, x)
        assert all(b >= a for a, b in zip(change, change[1:])), change
        if name in STRICT:
            assert all(b > a for a, b in zip(change, change[1:])), change
        assert change[0] > 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_blur_and_pixelate_keep_a_constant_image(dtype):
    x = _constant(dtype=dtype)
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    for name in ("gaussian_blur", "pixelate"):
        for s in SEVERITIES:
            y = corrupt(x, name, s)
            torch.testing.assert_close(y, x, atol=tol, rtol=0)
            torch.testing.assert_close(y.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)), atol=tol, rtol=0)


def test_blur_matches_a_direct_convolution_away_from_the_border():
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    sigma, r = PARAMETERS["gaussian_blur"][2], 3
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k2 = torch.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma ** 2))
    ref = F.conv2d(x, (k2 / k2.sum()).view(1, 1, 2 * r + 1, 2 * r + 1))  # valid part only: rows/cols r..27-r
    torch.testing.assert_close(corrupt(x, "gaussian_blur", 3)[..., r:-r, r:-r], ref.clamp(0, 1))


def test_contrast_keeps_each_image_mean_and_follows_its_formula():
    x = torch.cat([_structured(6), torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(4))])
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    for s, c in zip(SEVERITIES, PARAMETERS["contrast"]):
        y = corrupt(x, "contrast", s)
        torch.testing.assert_close(y.mean(dim=(1, 2, 3), keepdim=True), m, atol=1e-6, rtol=0)
        torch.testing.assert_close(y, (x - m) * c + m)


def test_pixelate_blocks_are_constant_means():
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    y = corrupt(x, "pixelate", 3)  # 4 x 4 blocks, 7 x 7 of them
    torch.testing.assert_close(y[..., ::4, ::4], F.avg_pool2d(x, 4))
    assert torch.unique(y[0]).numel() <= 49
    y5 = corrupt(x, "pixelate", 5)  # 6 x 6 blocks; the last row and column of blocks are 4 px wide
    torch.testing.assert_close(y5[0, 0, 27, 27], x[0, 0, 24:, 24:].mean())


def test_brightness_and_impulse_noise_follow_their_formulas():
    x = _structured(4)
    for s, b in zip(SEVERITIES, PARAMETERS["brightness"]):
        torch.testing.assert_close(corrupt(x, "brightness", s), (x + b).clamp(0, 1))
    grey = torch.full((50, 1, 28, 28), 0.5)
    for s, a in zip(SEVERITIES, PARAMETERS["impulse_noise"]):
        y = corrupt(grey, "impulse_noise", s)
        hit = y != 0.5
        assert set(y[hit].unique().tolist()) <= {0.0, 1.0}
        assert abs(hit.float().mean().item() - a) < 0.01
        assert abs((y[hit] == 1).float().mean().item() - 0.5) < 0.05


def test_noise_statistics():
    grey = torch.full((100, 1, 28, 28), 0.5, dtype=torch.float64)
    y = corrupt(grey, "gaussian_noise", 1)  # std 0.08: clipping at 6 std is negligible
    assert abs((y - 0.5).mean().item()) < 0.003 and abs((y - 0.5).std().item() / 0.08 - 1) < 0.02
    p = PARAMETERS["shot_noise"][0]
    y = corrupt(grey, "shot_noise", 1)  # Poisson(0.5 p) / p: mean 0.5, variance 0.5 / p, multiples of 1 / p
    assert abs(y.mean().item() - 0.5) < 0.003 and abs(y.var().item() * p / 0.5 - 1) < 0.05
    torch.testing.assert_close(y * p, (y * p).round())


def test_fog_on_a_white_image_is_a_smooth_field_in_its_documented_range():
    x = torch.ones(4, 1, 28, 28)
    for s, a in zip(SEVERITIES, PARAMETERS["fog"]):
        y = corrupt(x, "fog", s)  # (1 + a f) / (1 + a), f min-max normalised: spans [1 / (1 + a), 1] exactly
        torch.testing.assert_close(y.amin(dim=(1, 2, 3)), torch.full((4,), 1 / (1 + a)))
        torch.testing.assert_close(y.amax(dim=(1, 2, 3)), torch.ones(4))
        step = max((y[..., 1:, :] - y[..., :-1, :]).abs().max(), (y[..., 1:] - y[..., :-1]).abs().max())
        assert step < 0.35 * (1 - 1 / (1 + a))  # neighbours differ by a fraction of the field's range


def test_corruption_suite_order_and_content():
    x = _structured(3)
    out = list(corruption_suite(x, severities=(1, 4), names=("fog", "contrast"), seed=2))
    assert [(n, s) for n, s, _ in out] == [("fog", 1), ("fog", 4), ("contrast", 1), ("contrast", 4)]
    for n, s, y in out:
        assert torch.equal(y, corrupt(x, n, s, seed=2))
    assert len(list(corruption_suite(x))) == len(CORRUPTIONS) * len(SEVERITIES)


def _nearest_prototype(prototypes: torch.Tensor):
    """A perfect oracle on the clean prototypes: logits = minus the squared distance to each of them."""
    flat = prototypes.flatten(1)
    return lambda x: -torch.cdist(x.flatten(1), flat) ** 2


def test_mean_corruption_accuracy_with_an_oracle():
    x = _structured(10, seed=7)
    labels = torch.arange(10)
    res = mean_corruption_accuracy(_nearest_prototype(x), x, labels, batch_size=3)
    assert set(res) == {"per_corruption", "mean", "clean"} and res["clean"] == 1.0
    assert list(res["per_corruption"]) == list(CORRUPTIONS)
    accs = [a for row in res["per_corruption"].values() for a in row]
    assert all(len(row) == 5 for row in res["per_corruption"].values())
    assert all(0.0 <= a <= 1.0 and (a * 10) % 1 == 0 for a in accs)
    assert res["mean"] == pytest.approx(sum(accs) / len(accs))
    assert res == mean_corruption_accuracy(_nearest_prototype(x), x, labels, batch_size=1000)  # batch-free


def test_mean_corruption_accuracy_of_a_constant_classifier_is_the_class_share():
    x = _structured(8)
    labels = torch.tensor([0, 1] * 4)
    res = mean_corruption_accuracy(lambda im: torch.tensor([[1.0, 0.0]]).expand(len(im), 2), x, labels,
                                   names=("contrast", "shot_noise"), severities=(2, 5))
    assert res == {"per_corruption": {"contrast": [0.5, 0.5], "shot_noise": [0.5, 0.5]}, "mean": 0.5, "clean": 0.5}


def test_bad_input_raises():
    x = _structured(2)
    with pytest.raises(ValueError, match="unknown.*gaussian_noise, shot_noise"):
        corrupt(x, "motion_blur", 1)
    for s in (0, 6, 2.0, True, "3"):
        with pytest.raises(ValueError, match="severity"):
            corrupt(x, "fog", s)
    with pytest.raises(ValueError, match="4-D"):
        corrupt(x[0], "fog", 1)
    for bad in (x + 0.01, x - 0.01, x.masked_fill(x == 0, float("nan"))):
        with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
            corrupt(bad, "fog", 1)
    assert float(corrupt(x * (1 + 5e-7), "contrast", 1).max()) <= 1.0  # inside the tolerance: accepted, clipped
    with pytest.raises(ValueError, match="dtype"):
        corrupt((x * 255).to(torch.uint8), "fog", 1)
    with pytest.raises(ValueError, match="seed"):
        corrupt(x, "fog", 1, seed=1.5)
    with pytest.raises(ValueError, match="unknown"):
        corruption_suite(x, names=("fog", "snow"))  # checked at the call, before any iteration
    with pytest.raises(ValueError, match="severity"):
        corruption_suite(x, severities=(1, 7))
    oracle = _nearest_prototype(x)
    with pytest.raises(ValueError, match="labels"):
        mean_corruption_accuracy(oracle, x, torch.arange(3))
    with pytest.raises(ValueError, match="labels"):
        mean_corruption_accuracy(oracle, x, torch.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        mean_corruption_accuracy(oracle, x, torch.arange(2), batch_size=0)
    with pytest.raises(ValueError, match="predict returned"):
        mean_corruption_accuracy(lambda im: torch.zeros(len(im)), x, torch.arange(2))
