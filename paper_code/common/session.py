"""One object per notebook run: resolved config, output writers, timing, claims.

A notebook's first cells read::

    scale = "quick"      # papermill parameters cell
    overrides = {}
    session = PaperSession("lr_schedule_langevin", scale, overrides)
    cfg = session.config

and its last cell ``session.finish(CLAIMS)`` writes, under the output root
(``PAPER_OUT``; ``build/scratch/`` when unset, e.g. in JupyterLab):

* ``metrics/<paper>.json``: results only (scale, overrides, claims mode, metrics,
  claim records, figure names), so ``dvc metrics diff`` shows results;
* ``reports/notebooks/<paper>/config.json``: the resolved config;
* ``timings/<paper>.json``: timed blocks, compute time and the machine (the
  pipeline runner moves it to ``build/timings/``, out of git).

Claims are enforced (a declared outcome that flips raises) when ``overrides`` is
empty, i.e. at the committed presets; under any override the run is an
exploration and claims are reported without raising (see ``claims``).
"""
from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from paper_code.common import outputs, paths
from paper_code.common.claims import Claim, ClaimsReport, claims_mode, evaluate_claims, fill_reason
from paper_code.common.config import PaperConfig, resolve_config
from paper_code.common.plotting import show_inline, use_style
from paper_code.common.progress import setup_logging
from paper_code.common.threads import apply_defaults, thread_state

__all__ = ["PaperSession"]

log = logging.getLogger(__name__)


class PaperSession:
    def __init__(self, paper: str, scale: str = "quick", overrides: Mapping[str, Any] | None = None):
        self.paper = paper
        self.scale = scale
        self.overrides: dict[str, Any] = dict(overrides or {})
        self.config: PaperConfig = resolve_config(paper, scale, self.overrides)
        #: "enforced" at the committed presets, "exploratory" under overrides.
        self.claims_mode: str = claims_mode(self.overrides)
        self.metrics: dict[str, Any] = {}
        self.figures: list[str] = []
        self._timings: dict[str, float] = {}
        self._t0 = time.perf_counter()
        use_style()
        setup_logging()
        apply_defaults()  # threads: passive OpenMP waits, one BLAS thread (paper_code.common.threads)
        log.info("%s at scale %r (%s claims); outputs under %s", paper, scale, self.claims_mode, paths.output_root())

    def save_figure(self, fig, name: str, show: bool = True) -> Path:
        """Save ``fig`` as ``figures/<paper>/<name>.png`` (+ ``.pdf``); with ``show``, display it once and close it."""
        path = outputs.save_figure(fig, self.paper, name)
        if name not in self.figures:
            self.figures.append(name)
        if show:
            show_inline(fig)
        return path

    def record(self, **metrics: Any) -> None:
        """Add named results to the metrics file (numbers, bools, lists, dicts, numpy arrays).

        Values are stored as they will be written (plain JSON types, 6 significant
        digits, non-finite -> None), so claims are checked on exactly what is published.
        """
        self.metrics.update(outputs.to_jsonable(metrics))

    def show(self, keys: Iterable[str] | str):
        """A table (pandas DataFrame) of the named recorded metrics, in the given order."""
        import pandas as pd

        keys = [keys] if isinstance(keys, str) else list(keys)
        missing = [k for k in keys if k not in self.metrics]
        if missing:
            raise KeyError(f"{self.paper}: not recorded yet: {', '.join(missing)}; recorded: {', '.join(self.metrics)}")
        return pd.DataFrame({"value": [self.metrics[k] for k in keys]}, index=pd.Index(keys, name="metric"))

    def say(self, text: str):
        """Markdown prose whose numbers come from the recorded metrics.

        ``text`` quotes results only through ``{metric_key[:fmt]}`` placeholders, e.g.
        ``session.say("The alignment peaks at {peak_alignment:.3f}.")``, so a sentence can never
        disagree with ``metrics/<paper>.json``. An unknown key raises
        :class:`~paper_code.common.claims.ClaimError` naming it. Returns an IPython Markdown object
        (rendered by Jupyter as the cell's output).
        """
        from IPython.display import Markdown

        return Markdown(fill_reason(text, self.metrics, where=f"{self.paper} prose"))

    @contextlib.contextmanager
    def timed(self, label: str) -> Iterator[None]:
        """Add the wall time of the block to ``timings[label]`` (written to the timings file, not the metrics)."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self._timings[label] = self._timings.get(label, 0.0) + time.perf_counter() - t

    def finish(self, claims: Sequence[Claim]) -> ClaimsReport:
        """Evaluate ``claims``, write metrics, config and timings; raise if an enforced claim flips."""
        report = evaluate_claims(self.paper, claims, self.metrics, self.scale, mode=self.claims_mode)
        run = {"paper": self.paper, "scale": self.scale, "overrides": self.overrides}
        outputs.write_metrics(
            self.paper,
            {**run, "claims_mode": self.claims_mode, "metrics": self.metrics,
             "claims": report.to_records(), "figures": sorted(self.figures)},
        )
        outputs.write_json(paths.report_dir(self.paper) / "config.json", {**run, "config": self.config.to_dict()})
        outputs.write_json(
            paths.timings_path(self.paper),
            {**run, "timed_s": self._timings, "notebook_compute_s": time.perf_counter() - self._t0,
             "machine": machine_info()},
        )
        report.raise_if_failed()
        return report


def machine_info() -> dict[str, Any]:
    """What the run times depend on (kept with the timings, never in the metrics)."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "system": platform.system(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    info["threads"] = thread_state()
    torch = sys.modules.get("torch")  # only if the notebook uses it
    if torch is None:
        return info
    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    return info
