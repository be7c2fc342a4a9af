"""Parser for the IDX format used by MNIST and Fashion-MNIST (gzipped or raw).

Format (http://yann.lecun.com/exdb/mnist/): a big-endian header
``0x00 0x00 <type code> <ndim>`` followed by ``ndim`` uint32 sizes and the data.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import DatasetFormatError

__all__ = [
    "IDX_DTYPES",
    "IDX_IMAGES_MAGIC",
    "IDX_LABELS_MAGIC",
    "parse_idx",
    "read_idx_bytes",
    "read_idx",
    "read_idx_images_labels",
]

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_IMAGES_MAGIC = 0x00000803  # uint8, 3 dims
IDX_LABELS_MAGIC = 0x00000801  # uint8, 1 dim
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx_bytes(path: Path | str) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetFormatError(f"{path}: corrupt gzip stream ({exc})") from exc


def parse_idx(buf: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode an IDX byte string into an array of native byte order."""
    if len(buf) < 4:
        raise DatasetFormatError(f"{source}: too short for an IDX header ({len(buf)} bytes)")
    (magic,) = struct.unpack(">I", buf[:4])
    zero, code, ndim = magic >> 16, (magic >> 8) & 0xFF, magic & 0xFF
    if zero != 0:
        raise DatasetFormatError(
            f"{source}: bad IDX magic number 0x{magic:08X} (first two bytes must be zero)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DatasetFormatError(
            f"{source}: bad IDX magic number 0x{magic:08X} (type code 0x{code:02X} not in {known})"
        )
    if ndim == 0:
        raise DatasetFormatError(f"{source}: bad IDX magic number 0x{magic:08X} (zero dimensions)")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DatasetFormatError(f"{source}: truncated IDX header ({ndim} dimensions declared)")
    dims = struct.unpack(f">{ndim}I", buf[4:header])
    dtype = IDX_DTYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    expected = count * dtype.itemsize
    found = len(buf) - header
    if found != expected:
        kind = "truncated" if found < expected else "trailing bytes"
        raise DatasetFormatError(
            f"{source}: IDX shape {dims} needs {expected} data bytes, found {found} ({kind})"
        )
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(
    path: Path | str,
    expected_magic: int | None = None,
    check: Callable[[Path, bytes], None] | None = None,
) -> np.ndarray:
    """Read an IDX file (``.gz`` detected from its content); optionally check the magic.

    ``check(path, content)`` runs on the decompressed bytes before they are parsed
    (the loaders verify a pinned checksum there without reading the file twice).
    """
    path = Path(path)
    buf = read_idx_bytes(path)
    if check is not None:
        check(path, buf)
    if expected_magic is not None and len(buf) >= 4:
        (magic,) = struct.unpack(">I", buf[:4])
        if magic != expected_magic:
            raise DatasetFormatError(
                f"{path}: IDX magic number 0x{magic:08X}, expected 0x{expected_magic:08X}"
            )
    return parse_idx(buf, source=str(path))


def read_idx_images_labels(
    images_path: Path | str,
    labels_path: Path | str,
    n_classes: int = 10,
    check: Callable[[Path, bytes], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST-style pair: uint8 images ``(n, h, w)`` and int64 labels ``(n,)``."""
    images = read_idx(images_path, expected_magic=IDX_IMAGES_MAGIC, check=check)
    labels = read_idx(labels_path, expected_magic=IDX_LABELS_MAGIC, check=check).astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise DatasetFormatError(
            f"{images_path} has {images.shape[0]} images but {labels_path} has "
            f"{labels.shape[0]} labels"
        )
    if labels.size and labels.max() >= n_classes:
        raise DatasetFormatError(f"{labels_path}: label {labels.max()} >= {n_classes} classes")
    return images, labels
