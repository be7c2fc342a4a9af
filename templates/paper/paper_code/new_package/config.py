"""Presets of ``new_paper``: ``quick`` (2 CPU cores, seconds) and ``paper`` (the published setting).

Every field is declared with ``param(default, doc, bounds)``: a bad value in
``params.yaml`` stops the run at once with a one-line error naming the key.
Put the paper's value in brackets in each doc, e.g. ``[1000]``, and cite where it
comes from (section, table or the reference code).
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import PaperConfig, param


@dataclasses.dataclass(frozen=True)
class NewPackageConfig(PaperConfig):
    PAPER = "new_paper"

    sample_sizes: tuple[int, ...] = param(
        (10, 100, 1000, 10_000), "sample sizes n at which the estimator's error is measured", ge=1, min_len=2
    )
    n_repeats: int = param(200, "independent repeats per sample size (the RMS error averages over them)", ge=2)

    def validate(self) -> None:
        if any(b <= a for a, b in zip(self.sample_sizes[:-1], self.sample_sizes[1:])):
            self.fail("sample_sizes", f"must be strictly increasing, got {list(self.sample_sizes)}")


PRESETS = {
    "quick": NewPackageConfig(),
    "paper": NewPackageConfig(sample_sizes=(10, 100, 1000, 10_000, 100_000), n_repeats=1000),
}
