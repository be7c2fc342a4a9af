"""A CPU "mini ImageNet-C" for small grey images (MNIST, Fashion-MNIST: 28 x 28, one channel, pixels in [0, 1]).

After Hendrycks & Dietterich, "Benchmarking neural network robustness to common corruptions and perturbations",
ICLR 2019 (arXiv 1903.12261; official code: GitHub ``hendrycks/robustness``,
``ImageNet-C/create_c/make_imagenet_c.py``): each corruption has five severities, and robustness is the accuracy
averaged over corruptions and severities (here the plain mean accuracy, not the AlexNet-normalised mCE). Eight of
ImageNet-C's fifteen corruptions, grouped by :data:`FAMILIES` as in the paper (noise, blur, weather, digital):

* ``gaussian_noise``  ``x + N(0, s^2)``, ``s`` the std
* ``shot_noise``      ``Poisson(x p) / p``, ``p`` photons per unit intensity
* ``impulse_noise``   salt and pepper: a fraction ``a`` of pixels set to 0 or 1 with equal odds (skimage ``s&p``)
* ``gaussian_blur``   separable Gaussian of std ``sigma`` px, truncated at ``ceil(3 sigma)``, reflect padding
* ``contrast``        ``(x - m) c + m``, ``m`` the per-image mean (channels and pixels)
* ``pixelate``        every aligned ``k x k`` block (edge blocks cropped) replaced by its mean: an area downsample
  by ``k`` (``avg_pool2d``, ``ceil_mode``) and a nearest upsample back
* ``fog``             an analogue, NOT ImageNet-C's plasma (diamond-square) fractal: a smooth random field ``f``
  (uniform noise on a 4 x 4 and an 8 x 8 grid, weights 1 and 1/2, upsampled bilinearly, min-max normalised to
  [0, 1] per image) added with amplitude ``a``, then ImageNet-C's renormalisation ``(x + a f) M / (M + a)``,
  ``M`` the per-image maximum, which keeps the image in its original range
* ``brightness``      ``x + b``; ImageNet-C adds ``b`` to HSV value, which for a grey image is the pixel itself

Every output is clipped to [0, 1]. The parameters (:data:`PARAMETERS`) are ImageNet-C's where its unit carries
over to [0, 1] grey images (noise, impulse, contrast, brightness); the blur std is chosen for 28 px images
(ImageNet-C's 1-6 px are for 224 px), and the fog amplitudes are milder than ImageNet-C's 1.5-3, which wash out a
digit on a black background. Pixelate uses integer blocks of 2-6 px (downsampling by 1/2 to 1/6) rather than
ImageNet-C's size factors 0.6-0.25 (PIL box resize): at 28 px those give 16, 14, 11, 8, 7 px, and the non-integer
ratios misalign the blocks, so that on MNIST severity 1 (16 px) changes the image more than severity 2 (14 px, an
exact 2 x 2) and severity 4 more than 5. Randomness comes from a ``torch.Generator`` seeded by a SHA-256 hash of
``(seed, name, severity)``, so results are reproducible across processes (Python's ``hash`` of a string is not).
"""
from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["CORRUPTIONS", "FAMILIES", "SEVERITIES", "PARAMETERS", "corrupt", "corruption_suite",
           "mean_corruption_accuracy"]

CORRUPTIONS: tuple[str, ...] = ("gaussian_noise", "shot_noise", "impulse_noise", "gaussian_blur", "contrast",
                                "pixelate", "fog", "brightness")
#: ImageNet-C's grouping, for reporting.
FAMILIES: dict[str, tuple[str, ...]] = {
    "noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
    "blur": ("gaussian_blur",),
    "weather": ("fog", "brightness"),
    "digital": ("contrast", "pixelate"),
}
SEVERITIES: tuple[int, ...] = (1, 2, 3, 4, 5)
#: The parameter of each corruption at severities 1..5 (module doc; ImageNet-C's value where it is the same).
PARAMETERS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.08, 0.12, 0.18, 0.26, 0.38),  # std; ImageNet-C's
    "shot_noise": (60.0, 25.0, 12.0, 5.0, 3.0),        # photons per unit intensity; ImageNet-C's
    "impulse_noise": (0.03, 0.06, 0.09, 0.17, 0.27),   # fraction of pixels hit; ImageNet-C's
    "gaussian_blur": (0.5, 0.75, 1.0, 1.5, 2.0),       # std in px (ImageNet-C: 1, 2, 3, 4, 6 px at 224 px)
    "contrast": (0.4, 0.3, 0.2, 0.1, 0.05),            # factor toward the per-image mean; ImageNet-C's
    "pixelate": (2, 3, 4, 5, 6),                       # block side in px (ImageNet-C: size x 0.6, 0.5, 0.4, 0.3, 0.25)
    "fog": (0.3, 0.5, 0.75, 1.0, 1.5),                 # field amplitude (ImageNet-C: 1.5, 2, 2.5, 2.5, 3)
    "brightness": (0.1, 0.2, 0.3, 0.4, 0.5),           # added to the pixel; ImageNet-C's (to HSV value)
}
_FOG_OCTAVES: tuple[tuple[int, float], ...] = ((4, 1.0), (8, 0.5))  # (low-res grid side, weight)
_RANGE_TOL = 1e-6


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in PARAMETERS:
        raise ValueError(f"corruption {name!r} is unknown; valid: {', '.join(CORRUPTIONS)}")
    return name


def _check_severity(severity: object) -> int:
    if isinstance(severity, bool) or not isinstance(severity, numbers.Integral) or severity not in SEVERITIES:
        raise ValueError(f"severity={severity!r} is invalid; valid: an integer in {SEVERITIES}")
    return int(severity)


def _check_images(images: object) -> Tensor:
    if not isinstance(images, Tensor):
        raise ValueError(f"images of type {type(images).__name__}; valid: a torch.Tensor (B, C, H, W)")
    if images.dim() != 4:
        raise ValueError(f"images of shape {tuple(images.shape)}; valid: 4-D (B, C, H, W)")
    if not images.is_floating_point():
        raise ValueError(f"images of dtype {images.dtype}; valid: a floating dtype with pixels in [0, 1]")
    inside = (images >= -_RANGE_TOL) & (images <= 1 + _RANGE_TOL)  # False for NaN
    if not bool(inside.all()):
        raise ValueError(f"images have values outside [0, 1] (or NaN): min {images.min().item():.4g}, max "
                         f"{images.max().item():.4g}; valid: pixels in [0, 1] (tolerance {_RANGE_TOL:g}), "
                         "before any standardisation")
    return images


def _check_list(values: object, check: Callable[[object], object], what: str) -> tuple:
    if isinstance(values, str | Tensor) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{what}={values!r} is invalid; valid: a non-empty tuple or list")
    out = tuple(check(v) for v in values)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}={values!r} has duplicates; valid: distinct entries")
    return out


def _generator(seed: int, name: str, severity: int, device: torch.device) -> torch.Generator:
    """A generator seeded by the first 63 bits of SHA-256(``"seed|name|severity"``), stable across processes."""
    digest = hashlib.sha256(f"{seed}|{name}|{severity}".encode()).digest()
    return torch.Generator(device=device).manual_seed(int.from_bytes(digest[:8], "little") & (2 ** 63 - 1))


def _gaussian_kernel(sigma: float, radius: int, like: Tensor) -> Tensor:
    """Normalised ``exp(-t^2 / (2 sigma^2))``, ``t = -radius..radius``."""
    t = torch.arange(-radius, radius + 1, dtype=like.dtype, device=like.device)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    return k / k.sum()


def _gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of every channel, truncated at ``ceil(3 sigma)`` (at most the side - 1, as reflect
    padding needs), reflect padding."""
    b, c, h, w = x.shape
    y = x.reshape(b * c, 1, h, w)
    rw, rh = min(math.ceil(3 * sigma), w - 1), min(math.ceil(3 * sigma), h - 1)
    y = F.conv2d(F.pad(y, (rw, rw, 0, 0), mode="reflect"), _gaussian_kernel(sigma, rw, x).view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, rh, rh), mode="reflect"), _gaussian_kernel(sigma, rh, x).view(1, 1, -1, 1))
    return y.reshape(b, c, h, w)


def _fog_field(x: Tensor, gen: torch.Generator) -> Tensor:
    """``(B, 1, H, W)`` smooth random field in [0, 1] (module doc), shared by the channels of an image."""
    b, _, h, w = x.shape
    field = x.new_zeros(b, 1, h, w)
    for side, weight in _FOG_OCTAVES:
        low = torch.rand(b, 1, min(side, h), min(side, w), generator=gen, dtype=x.dtype, device=x.device)
        field = field + weight * F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    lo, hi = field.amin(dim=(2, 3), keepdim=True), field.amax(dim=(2, 3), keepdim=True)
    return (field - lo) / (hi - lo).clamp_min(torch.finfo(x.dtype).tiny)


def _apply(x: Tensor, name: str, p: float, gen: torch.Generator) -> Tensor:
    """The unclipped corruption ``name`` with parameter ``p`` (module doc) of ``x`` (B, C, H, W)."""
    if name == "gaussian_noise":
        return x + p * torch.randn(x.shape, generator=gen, dtype=x.dtype, device=x.device)
    if name == "shot_noise":
        return torch.poisson(x.clamp_min(0) * p, generator=gen) / p
    if name == "impulse_noise":
        hit = torch.rand(x.shape, generator=gen, dtype=x.dtype, device=x.device) < p
        salt = torch.rand(x.shape, generator=gen, dtype=x.dtype, device=x.device) < 0.5
        return torch.where(hit, salt.to(x.dtype), x)
    if name == "gaussian_blur":
        return _gaussian_blur(x, p)
    if name == "contrast":
        m = x.mean(dim=(1, 2, 3), keepdim=True)
        return (x - m) * p + m
    if name == "pixelate":
        h, w = x.shape[-2:]
        kh, kw = min(int(p), h), min(int(p), w)
        small = F.avg_pool2d(x, (kh, kw), stride=(kh, kw), ceil_mode=True)  # edge blocks: mean of their pixels
        return small.repeat_interleave(kh, dim=-2).repeat_interleave(kw, dim=-1)[..., :h, :w]
    if name == "fog":
        top = x.amax(dim=(1, 2, 3), keepdim=True)
        return (x + p * _fog_field(x, gen)) * top / (top + p)
    if name == "brightness":
        return x + p
    raise AssertionError(name)  # unreachable: names are checked by the callers


def corrupt(images: Tensor, name: str, severity: int, seed: int = 0) -> Tensor:
    """Corruption ``name`` (one of :data:`CORRUPTIONS`) at ``severity`` 1..5 of ``images`` (B, C, H, W), pixels in
    [0, 1]: a new tensor of the same shape and dtype, clipped to [0, 1], the input untouched. Vectorised over the
    batch (independent noise per image and pixel); deterministic given ``seed`` (module doc). Half-precision
    inputs are computed in float32."""
    name, severity = _check_name(name), _check_severity(severity)
    images = _check_images(images)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed={seed!r} is invalid; valid: an integer")
    x = images.float() if images.dtype in (torch.float16, torch.bfloat16) else images
    gen = _generator(int(seed), name, severity, images.device)
    return _apply(x, name, PARAMETERS[name][severity - 1], gen).clamp(0.0, 1.0).to(images.dtype)  # a new tensor


def corruption_suite(images: Tensor, severities: Sequence[int] = SEVERITIES, names: Sequence[str] = CORRUPTIONS,
                     seed: int = 0) -> Iterator[tuple[str, int, Tensor]]:
    """Lazily ``(name, severity, corrupt(images, name, severity, seed))`` for every name (outer loop) and severity
    (inner loop); the arguments are checked at the call, not at the first iteration."""
    names = _check_list(names, _check_name, "names")
    severities = _check_list(severities, _check_severity, "severities")
    _check_images(images)

    def suite() -> Iterator[tuple[str, int, Tensor]]:
        for name in names:
            for severity in severities:
                yield name, severity, corrupt(images, name, severity, seed)

    return suite()


@torch.no_grad()
def _accuracy(predict: Callable[[Tensor], Tensor], images: Tensor, labels: Tensor, batch_size: int) -> float:
    correct = 0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        logits = predict(x)
        if not isinstance(logits, Tensor) or logits.dim() != 2 or logits.shape[0] != len(x):
            shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
            raise ValueError(f"predict returned {shape} for {len(x)} images; valid: logits ({len(x)}, classes)")
        y = labels[start:start + batch_size].to(logits.device)
        correct += int((logits.argmax(dim=-1) == y).sum())
    return correct / len(images)


def mean_corruption_accuracy(predict: Callable[[Tensor], Tensor], images: Tensor, labels: Tensor,
                             names: Sequence[str] = CORRUPTIONS, severities: Sequence[int] = SEVERITIES,
                             seed: int = 0, batch_size: int = 1000) -> dict:
    """Top-1 accuracy of ``predict`` (images in [0, 1] (B, C, H, W) -> logits (B, classes); standardise inside it,
    and put a model in eval mode first) on the clean and every corrupted copy of ``images``, under ``no_grad``.

    Returns ``{"per_corruption": {name: [accuracy at each of severities]}, "mean": the mean over all corruptions
    and severities, "clean": clean accuracy}``. Each corrupted copy is drawn for the whole set at once, then fed in
    batches of ``batch_size``, so the result does not depend on ``batch_size``.
    """
    names = _check_list(names, _check_name, "names")
    severities = _check_list(severities, _check_severity, "severities")
    images = _check_images(images)
    if len(images) == 0:
        raise ValueError("images is empty; valid: at least one image")
    if not isinstance(labels, Tensor) or labels.shape != (len(images),) or labels.is_floating_point() \
            or labels.is_complex() or labels.dtype == torch.bool:
        what = f"{tuple(labels.shape)} {labels.dtype}" if isinstance(labels, Tensor) else type(labels).__name__
        raise ValueError(f"labels of {what}; valid: an integer tensor of shape ({len(images)},)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is invalid; valid: an integer >= 1")
    batch_size = int(batch_size)
    clean = _accuracy(predict, images, labels, batch_size)
    per: dict[str, list[float]] = {name: [] for name in names}
    for name, _, x in corruption_suite(images, severities, names, seed):
        per[name].append(_accuracy(predict, x, labels, batch_size))
    accs = [a for row in per.values() for a in row]
    return {"per_corruption": per, "mean": sum(accs) / len(accs), "clean": clean}
