"""Exceptions raised by the dataset loaders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["DatasetNotFoundError", "DatasetChecksumError", "DatasetFormatError"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not present on this machine.

    The message lists every place that was searched and how to provide the data.
    """

    def __init__(
        self,
        dataset: str,
        searched: Sequence[Path | str],
        how_to_provide: str,
        note: str = "",
    ) -> None:
        self.dataset = dataset
        self.searched = [str(p) for p in searched]
        self.how_to_provide = how_to_provide
        looked = "\n".join(f"  - {p}" for p in self.searched) or "  (nowhere)"
        if note:
            looked += f"\n  {note}"
        super().__init__(
            f"dataset {dataset!r} not found.\nLooked in:\n{looked}\nTo provide it: {how_to_provide}"
        )


class DatasetChecksumError(ValueError):
    """A data file exists but its sha256 differs from the recorded one."""


class DatasetFormatError(ValueError):
    """A data file exists but cannot be parsed (bad header, truncated, wrong shape)."""
