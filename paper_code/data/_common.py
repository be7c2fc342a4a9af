"""Small helpers shared by the loaders."""

from __future__ import annotations

import numpy as np

SPLITS: tuple[str, ...] = ("train", "test")


def check_split(split: str, valid: tuple[str, ...] = SPLITS) -> str:
    """Return ``split`` or raise ValueError listing the valid names."""
    if split not in valid:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(valid)}")
    return split


def uint8_to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1] (exactly ``k / 255``)."""
    out = images.astype(np.float32)
    np.divide(out, np.float32(255.0), out=out)
    return out
