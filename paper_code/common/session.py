"""One object per notebook run: resolved config, output writers, timing, claims.

A notebook's first cells read::

    scale = "quick"      # papermill parameters cell
    overrides = {}
    session = PaperSession("lr_schedule_langevin", scale, overrides)
    cfg = session.config

and its last cell ``session.finish(CLAIMS)`` writes ``metrics/<paper>.json``
(config, metrics, claim results, compute time) and raises if a claim's outcome
differs from its declaration.
"""
from __future__ import annotations

import logging
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from paper_code.common import outputs, paths
from paper_code.common.claims import Claim, ClaimsReport, evaluate_claims
from paper_code.common.config import PaperConfig, resolve_config
from paper_code.common.plotting import use_style

__all__ = ["PaperSession"]

log = logging.getLogger(__name__)


class PaperSession:
    def __init__(self, paper: str, scale: str = "quick", overrides: Mapping[str, Any] | None = None):
        self.paper = paper
        self.scale = scale
        self.config: PaperConfig = resolve_config(paper, scale, overrides or {})
        self.metrics: dict[str, Any] = {}
        self.figures: list[Path] = []
        self._timings: dict[str, float] = {}
        self._t0 = time.perf_counter()
        use_style()
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        log.info("%s at scale %r; outputs under %s", paper, scale, paths.output_root())

    def save_figure(self, fig, name: str) -> Path:
        path = outputs.save_figure(fig, self.paper, name)
        self.figures.append(path)
        return path

    def record(self, **metrics: Any) -> None:
        """Add named results to the metrics file (numbers, bools, lists, dicts, numpy arrays).

        Values are stored as they will be written (plain JSON types, 6 significant
        digits, non-finite -> None), so claims are checked on exactly what is published.
        """
        self.metrics.update(outputs.to_jsonable(metrics))

    def timed(self, label: str):
        """Context manager that records the wall time of a block under ``timings[label]``."""
        session = self

        class _Timer:
            def __enter__(self):
                self.t = time.perf_counter()
                return self

            def __exit__(self, *exc):
                session._timings[label] = time.perf_counter() - self.t
                return False

        return _Timer()

    def finish(self, claims: Sequence[Claim]) -> ClaimsReport:
        """Evaluate ``claims`` on the recorded metrics, write the metrics file, raise on failure."""
        report = evaluate_claims(self.paper, claims, self.metrics, self.scale)
        payload = {
            "paper": self.paper,
            "scale": self.scale,
            "config": self.config.to_dict(),
            "metrics": self.metrics,
            "claims": report.to_records(),
            "timings_s": self._timings,
            "notebook_compute_s": time.perf_counter() - self._t0,
            "figures": sorted(p.name for p in self.figures),
            "machine": {"python": platform.python_version(), "processor": platform.machine()},
        }
        outputs.write_metrics(self.paper, payload)
        report.raise_if_failed()
        return report
