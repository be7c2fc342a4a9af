"""Run one paper at its ``paper`` preset, outside the DVC pipeline, into ``paper_scale/``.

    make paper-scale PAPER=lr_schedule_langevin
    python -m paper_code.pipeline.paper_scale lr_schedule_langevin [--repo DIR]

The run executes the paper's notebook (the one its ``dvc.yaml`` stage runs) with the
notebook runner at ``scale="paper"`` and no overrides, so its claims are enforced with
their paper-scale declarations (``not_reproduced={"paper": ...}``): an outcome that differs
from its declaration fails the run and publishes nothing (the executed notebook is kept
under ``build/failed/paper_scale/<paper>/``). The commands the stage runs before the
notebook (the data check) run first. On success it publishes, each part atomically, the
same layout as the pipeline under ``paper_scale/``::

    paper_scale/metrics/<paper>.json                       results only (scale "paper", enforced)
    paper_scale/figures/<paper>/fig*.png, fig*.pdf
    paper_scale/reports/notebooks/<paper>/<notebook>.ipynb  the executed notebook
    paper_scale/reports/notebooks/<paper>/config.json      the resolved config
    paper_scale/reports/notebooks/<paper>/provenance.json  commit, uncommitted dependency paths, digests

Timings go to ``build/timings/paper_scale/<paper>.json`` (not committed).

Why not DVC stages: ``dvc repro`` (``make figures``) and CI's freshness check would rerun
or flag them after any change to shared code, and a frozen stage makes ``dvc repro`` fail
until its outputs exist. Why not ``figures/<paper>/paper/``: that folder is the pipeline
stage's output, which the runner replaces whole and DVC hashes whole. So nothing reruns a
paper-scale result but this command; instead :func:`load_run` compares the recorded digests
with the current tree and the scorecard says "stale: <paths> changed since <commit>".

A paper whose notebook evaluates a trained checkpoint (its stage depends on a ``train_*``
stage's output) is refused: its paper scale needs that model trained at paper scale first.
A run restarts from the first cell; it resumes only what the paper's own code caches.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from paper_code.common import paths
from paper_code.pipeline import provenance, registry, run_notebook
from paper_code.pipeline.results import PaperResult, load_result

__all__ = [
    "SCALE",
    "PROVENANCE_FILE",
    "PaperScaleRun",
    "results_root",
    "stage_of",
    "runnable_papers",
    "refusal",
    "load_run",
    "collect_runs",
    "run",
    "main",
]

log = logging.getLogger("paper_scale")

SCALE = "paper"
PROVENANCE_FILE = "provenance.json"
COMMAND = "make paper-scale PAPER={paper}"


def results_root(root: Path) -> Path:
    """``<root>/paper_scale``: where paper-scale results are published (the pipeline's layout inside)."""
    return root / registry.PAPER_SCALE_DIR


def stage_of(root: Path, paper: str) -> tuple[registry.Stage, str] | None:
    """The ``dvc.yaml`` stage named ``paper`` and the notebook it runs, or ``None``."""
    stage = registry.load_stages(root).get(paper)
    target = registry.runner_target(stage) if stage else None
    if stage is None or target is None or target[0] != paper:
        return None
    return stage, target[1]


def _evaluated_checkpoint(root: Path, stage: registry.Stage) -> tuple[str, list[str]] | None:
    """``(training stage, its outputs)`` when ``stage`` depends on what a ``train_*`` stage trains."""
    stages = registry.load_stages(root)
    for name in registry.training_stages(root):
        trained = sorted(set(stages[name].outs) & set(stage.deps))
        if trained:
            return name, trained
    return None


def runnable_papers(root: Path) -> list[str]:
    """Papers that can run at paper scale: a notebook stage named after them, no trained checkpoint, design order."""
    papers = []
    for paper in registry.paper_order(registry.notebook_stages(root)):
        found = stage_of(root, paper)
        if found and _evaluated_checkpoint(root, found[0]) is None:
            papers.append(paper)
    return papers


def refusal(root: Path, paper: str) -> str | None:
    """Why ``paper`` cannot run at paper scale here (``None`` when it can)."""
    found = stage_of(root, paper)
    checkpoint = _evaluated_checkpoint(root, found[0]) if found else None
    if checkpoint:
        name, trained = checkpoint
        return (
            f"{paper}'s notebook evaluates {', '.join(trained)}, which {name!r} trains at the scale params.yaml "
            f"selects; its paper scale needs that model trained at paper scale first, which this command does not do"
        )
    if found is None:
        return f"unknown paper {paper!r}; valid: {', '.join(runnable_papers(root)) or '(none)'}"
    return None


@dataclasses.dataclass(frozen=True)
class PaperScaleRun:
    """A published paper-scale result, its provenance, and the dependency paths changed since it ran."""

    result: PaperResult
    provenance: provenance.Provenance | None
    changed: tuple[str, ...]
    #: the executed notebook, relative to the repository root (``None`` if it is missing)
    notebook: str | None = None

    @property
    def stale(self) -> bool:
        return self.provenance is None or bool(self.changed)

    @property
    def commit(self) -> str:
        return "–" if self.provenance is None else provenance.describe_commit(self.provenance)

    def freshness(self) -> str:
        """``"current"``, ``"stale: paper_code/common changed since abc1234"``, or why it cannot be told."""
        if self.provenance is None:
            return f"stale: no {PROVENANCE_FILE} (rerun `{COMMAND.format(paper=self.result.paper)}`)"
        if not self.changed:
            return "current"
        since = self.provenance.commit[:7] if self.provenance.commit else "the run"
        return f"stale: {', '.join(self.changed)} changed since {since}"

    def to_dict(self) -> dict:
        return {
            **self.result.to_dict(),
            "provenance": None if self.provenance is None else self.provenance.to_dict(),
            "stale": self.stale,
            "changed_since_run": list(self.changed),
        }


def load_run(root: Path, paper: str) -> PaperScaleRun | None:
    """The paper-scale result of ``paper`` under ``root`` with its freshness, or ``None`` if it never ran."""
    out = results_root(root)
    result = load_result(out, paper, where=f"{registry.PAPER_SCALE_DIR}/metrics/{paper}.json")
    if result is None:
        return None
    report_dir = paths.report_dir(paper, out)
    executed = sorted(report_dir.glob("*.ipynb"))
    notebook = executed[0].relative_to(root).as_posix() if executed else None
    record_file = report_dir / PROVENANCE_FILE
    if not record_file.exists():
        return PaperScaleRun(result, None, (), notebook)
    try:
        prov = provenance.Provenance.from_dict(json.loads(record_file.read_text()),
                                               where=str(record_file.relative_to(root)))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{record_file.relative_to(root)} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    found = stage_of(root, paper)
    current = found[0].deps if found else None
    return PaperScaleRun(result, prov, tuple(provenance.changed_deps(root, prov, current)), notebook)


def collect_runs(root: Path) -> dict[str, PaperScaleRun]:
    """Every published paper-scale result under ``root``: paper -> :class:`PaperScaleRun`."""
    folder = results_root(root) / paths.METRICS
    papers = [f.stem for f in folder.glob("*.json") if not f.name.startswith(".")] if folder.is_dir() else []
    return {paper: load_run(root, paper) for paper in registry.paper_order(papers)}


def _pre_steps(stage: registry.Stage) -> list[str]:
    """The shell commands the stage runs before the notebook runner (``a && b && <runner>``)."""
    steps = []
    for part in (p.strip() for p in stage.cmd.split("&&")):
        if registry.NOTEBOOK_RUNNER in part:
            break
        if part:
            steps.append(part)
    return steps


def run(
    root: Path,
    paper: str,
    *,
    console: run_notebook.Console | None = None,
    watcher_ref: dict[str, run_notebook.Watcher] | None = None,
) -> int:
    """Run ``paper`` at paper scale in the repository ``root`` and publish into ``paper_scale/``; an exit code."""
    why = refusal(root, paper)
    if why:
        log.error("%s", why)
        return 2
    stage, notebook = stage_of(root, paper)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for step in _pre_steps(stage):
        rc = subprocess.run(step, shell=True, cwd=root, env=env, check=False).returncode
        if rc != 0:
            log.error("%s: `%s` (run by its stage before the notebook) failed with exit %d; nothing was run",
                      paper, step, rc)
            return rc
    record = provenance.record(root, paper, SCALE, stage.deps)
    if record.dirty:
        log.warning("%s: uncommitted changes in %s; the result records them (commit %s)",
                    paper, ", ".join(record.dirty), provenance.describe_commit(record))
    return run_notebook.run(
        paper, root / notebook, repo=root, console=console, watcher_ref=watcher_ref, scale=SCALE,
        publish_root=results_root(root), records={PROVENANCE_FILE: record.to_dict()},
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser(
        prog="python -m paper_code.pipeline.paper_scale",
        description="Run one paper at its paper preset into paper_scale/ (never run by make figures, make test or CI).",
    )
    ap.add_argument("paper", nargs="?", default="", help="the paper to run (its dvc.yaml stage name)")
    ap.add_argument("--repo", type=Path, default=None,
                    help="repository root (default: found from the working directory)")
    ap.add_argument("--check", action="store_true", help="only check that the paper can run at paper scale, then exit")
    args = ap.parse_args(argv)
    root = (args.repo or registry.find_repo_root() or paths.REPO_ROOT).resolve()
    if not args.paper:
        valid = runnable_papers(root)
        print(f"paper-scale: error: name a paper: `make paper-scale PAPER=<paper>`; valid: {', '.join(valid)}",
              file=sys.stderr)
        return 2
    why = refusal(root, args.paper)
    if why:
        print(f"paper-scale: error: {why}", file=sys.stderr)
        return 2
    if args.check:
        return 0
    console = run_notebook.Console()
    watcher_ref: dict[str, run_notebook.Watcher] = {}
    run_notebook.install_stop_handlers(args.paper, watcher_ref, console)
    run_notebook.die_with_parent()
    rc = run(root, args.paper, console=console, watcher_ref=watcher_ref)
    if rc == 0:
        published = load_run(root, args.paper)
        print(
            f"\n{args.paper} at paper scale: {published.result.summary()}; commit {published.commit}.\n"
            f"Published under {registry.PAPER_SCALE_DIR}/ (metrics, figures, reports/notebooks/{args.paper}/). "
            f"Next: `dvc repro scorecard` (or `make figures`) to update the scorecard, then commit "
            f"{registry.PAPER_SCALE_DIR}/ with reports/scorecard.* and dvc.lock. "
            f"Times: build/timings/paper_scale/{args.paper}.json."
        )
    return rc


if __name__ == "__main__":
    sys.exit(main())
