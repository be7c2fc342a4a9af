"""Run one paper notebook with papermill as a DVC stage, publishing outputs only on success.

    python -m paper_code.pipeline.run_notebook <paper> notebooks/<paper>/<name>.ipynb

1. Reads the paper's ``params.yaml`` section and validates it (fails before any kernel starts).
2. Executes the notebook with papermill, parameters ``scale`` and ``overrides``,
   writing figures and metrics into a staging folder (``PAPER_OUT``).
3. On success, adds the stage's wall time to the metrics, then replaces
   ``figures/<paper>/``, ``metrics/<paper>.json`` and
   ``reports/notebooks/<paper>/<name>.ipynb``. On failure the committed outputs
   are left untouched (the DVC outs are ``persist: true``) and the failed
   notebook is kept under ``build/failed/`` for inspection.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from paper_code.common import outputs, paths
from paper_code.common.config import ConfigError, load_params_section, resolve_config

log = logging.getLogger("run_notebook")



def _publish(staging: Path, paper: str, executed: Path, notebook: Path, repo: Path) -> None:
    fig_src = paths.figures_dir(paper, staging)
    fig_dst = paths.figures_dir(paper, repo)
    if fig_dst.exists():
        shutil.rmtree(fig_dst)
    fig_dst.parent.mkdir(parents=True, exist_ok=True)
    if fig_src.exists():
        shutil.copytree(fig_src, fig_dst)
    else:
        fig_dst.mkdir(parents=True)
    met_dst = paths.metrics_path(paper, repo)
    met_dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.metrics_path(paper, staging), met_dst)
    nb_dst = repo / "reports" / "notebooks" / paper / notebook.name
    nb_dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, nb_dst)


def run(paper: str, notebook: Path, *, repo: Path = paths.REPO_ROOT, params_file: Path | None = None) -> int:
    """Execute ``notebook`` for ``paper``; publish its outputs under ``repo`` on success. Returns an exit code."""
    import papermill  # heavy import, only here

    try:
        scale, overrides = load_params_section(paper, params_file)
        resolve_config(paper, scale, overrides)
    except ConfigError as exc:
        log.error("invalid params.yaml: %s", exc)
        return 2
    if not notebook.exists():
        log.error("notebook not found: %s", notebook)
        return 2

    staging = repo / "build" / "staging" / paper
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    executed = staging / notebook.name
    previous_out = os.environ.get(paths.OUTPUT_ENV)
    os.environ[paths.OUTPUT_ENV] = str(staging)  # the kernel inherits it

    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={"scale": scale, "overrides": dict(overrides)},
            kernel_name="python3",
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell traceback
        failed_dir = repo / "build" / "failed"
        failed_dir.mkdir(parents=True, exist_ok=True)
        kept = failed_dir / f"{paper}__{notebook.name}"
        if executed.exists():
            shutil.copyfile(executed, kept)
        log.error("%s failed; committed outputs left untouched; executed notebook kept at %s\n%s", notebook, kept, exc)
        return 1
    finally:
        if previous_out is None:
            os.environ.pop(paths.OUTPUT_ENV, None)
        else:
            os.environ[paths.OUTPUT_ENV] = previous_out
    wall = time.perf_counter() - t0

    metrics_file = paths.metrics_path(paper, staging)
    if not metrics_file.exists():
        log.error("%s ran but wrote no %s: its last cell must call session.finish(CLAIMS)", notebook, metrics_file.name)
        return 1
    payload = json.loads(metrics_file.read_text())
    payload["wall_time_s"] = wall
    outputs.write_metrics(paper, payload, root=staging)
    _publish(staging, paper, executed, notebook, repo)
    log.info("%s: done in %.1f s (scale %s)", paper, wall, scale)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paper")
    ap.add_argument("notebook", type=Path)
    args = ap.parse_args(argv)
    return run(args.paper, args.notebook.resolve())


if __name__ == "__main__":
    sys.exit(main())
