"""The benchmark report: ``make bench`` writes ``reports/benchmarks.md`` and ``reports/benchmarks.json``.

    python -m paper_code.pipeline.bench [--only NAME ...] [--quick] [--skip-notebooks] [--skip-unit]

Benchmark modules. Every ``benchmarks/<name>.py`` that defines ``bench(ctx)`` (returning or yielding rows;
rows yielded before an error are kept) is run,
in name order, in this process (``ctx`` is a :class:`~paper_code.pipeline.bench_tools.BenchContext`;
the rows are those of :mod:`paper_code.pipeline.bench_rows`). A paper adds its rows by dropping in a
module named after it; files without ``bench`` are helpers that modules import (``benchmarks/`` is on
``sys.path`` while they run) and still work as scripts of their own. A module that raises is reported
with its error, the others still run, and the command exits 1. Before each module the thread defaults
are applied afresh (:func:`paper_code.common.threads.apply_defaults`), and each row states its threads.

Pipeline rows come from this driver:

* the no-op ``dvc repro`` (measured; when ``dvc status`` finds work to do, ``dvc repro --dry`` is
  timed instead, so the benchmark never rewrites outputs, and the row says so);
* every notebook under nbval (one ``pytest --nbval-lax`` run, outputs in a temporary ``PAPER_OUT``)
  and the unit tests, measured, with their sum: the CI budget of ``make test`` without its set-up.
  ``--skip-notebooks`` / ``--skip-unit`` reuse the last measured values instead (from
  ``build/timings/bench_pipeline.json``), labelled with their date and load;
* each DVC stage's wall time, as the notebook runner last recorded it (``build/timings/``) and, for
  training stages, the stats file the stage writes: rerunning the pipeline here would take ~10 min
  and rewrite the committed outputs, so these are labelled "recorded" with date and load. On a fresh
  clone, where the runner has recorded nothing, a notebook stage's row is this run's nbval time of its
  notebook (the same computation), labelled as such.

Absolute times on a shared machine drift from run to run, so every ratio in the report (matmul
fraction, thread slowdown, model vs baseline, growth exponent) is measured within one run, its parts
back to back; the load average at the start and end of each module is kept in the JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from paper_code.common import paths
from paper_code.common.threads import apply_defaults, thread_state
from paper_code.pipeline import registry
from paper_code.pipeline.bench_rows import ROW_TYPES, PipelineRow, fmt, render_section
from paper_code.pipeline.bench_tools import BenchContext, load_average

__all__ = ["BENCH_DIR", "discover", "load_module", "ModuleResult", "run_modules", "pipeline_rows", "render_report",
           "write_report", "parse_nbval_junit", "check_names", "main"]

log = logging.getLogger("bench")

BENCH_DIR = "benchmarks"
REPORT_STEM = Path("reports") / "benchmarks"
PIPELINE_RECORD = Path("build") / "timings" / "bench_pipeline.json"
SECTION_TITLES = {
    "pipeline": "Pipeline",
    "training": "Training",
    "inference": "Inference: symbolic models against their classical baselines",
    "numerics": "Numerics: costs that grow with problem size",
    "threads": "Thread behaviour",
    "other": "Other measurements",
}


# --------------------------------------------------------------------------- modules

def discover(repo: Path) -> list[Path]:
    """Every ``benchmarks/*.py`` (helpers included), sorted by name."""
    folder = repo / BENCH_DIR
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_")) if folder.is_dir() else []


def load_module(path: Path) -> ModuleType:
    """Import ``path`` as ``bench_<stem>``; its folder must be on ``sys.path`` for it to import its siblings
    (:func:`run_modules` puts it there while the modules run)."""
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class ModuleResult:
    name: str
    rows: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    load_before: list[float] | None = None
    load_after: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": round(self.seconds, 2), "error": self.error, "rows": len(self.rows),
                "load_before": self.load_before, "load_after": self.load_after}


def check_names(repo: Path, only: Sequence[str]) -> None:
    """Refuse (``SystemExit`` with the valid names) any name of ``only`` that is neither a module nor ``pipeline``."""
    names = [p.stem for p in discover(repo)]
    unknown = [n for n in only if n not in names and n != "pipeline"]
    if unknown:
        raise SystemExit(f"error: unknown benchmark module(s) {', '.join(unknown)}; "
                         f"valid: pipeline, {', '.join(names)}")


def run_modules(ctx: BenchContext, only: Sequence[str] = ()) -> tuple[list[ModuleResult], list[str]]:
    """Run the benchmark modules (``only``: these names); returns their results and the helper files' names."""
    check_names(ctx.repo, only)
    files = discover(ctx.repo)
    results, helpers = [], []
    folder = str(ctx.repo / BENCH_DIR)
    sys.path.insert(0, folder)
    try:
        for path in files:
            if only and path.stem not in only:
                continue
            res = _run_module(path, ctx, helpers)
            if res is not None:
                results.append(res)
    finally:
        sys.path.remove(folder)
    return results, helpers


def _run_module(path: Path, ctx: BenchContext, helpers: list[str]) -> ModuleResult | None:
    """Run one module's ``bench`` (``None`` for a helper, whose name goes to ``helpers``)."""
    res = ModuleResult(path.stem, load_before=load_average())
    t0 = time.perf_counter()
    try:
        module = load_module(path)
        fn = getattr(module, "bench", None)
        if fn is None:
            helpers.append(path.stem)
            return None
        apply_defaults()
        print(f"[bench] {path.stem} ...", file=sys.stderr, flush=True)
        for row in fn(ctx):  # a generator keeps the rows it yielded before an error
            if not isinstance(row, ROW_TYPES):
                raise TypeError(f"bench() returned a non-row object ({type(row).__name__}); "
                                "use the rows of paper_code.pipeline.bench_rows")
            res.rows.append(row)
    except Exception as exc:  # noqa: BLE001 - one failing module must not hide the others
        res.error = f"{type(exc).__name__}: {exc}"
        log.exception("benchmark module %s failed", path.stem)
    res.seconds = time.perf_counter() - t0
    res.load_after = load_average()
    print(f"[bench] {path.stem}: {len(res.rows)} rows in {res.seconds:.0f} s"
          + (f" (FAILED: {res.error})" if res.error else ""), file=sys.stderr, flush=True)
    return res


# --------------------------------------------------------------------------- pipeline rows

def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def _load_text(load: Sequence[float] | None) -> str:
    return "/".join(f"{x:.1f}" for x in load) if load else "unknown"


def recorded_stage_rows(repo: Path, nbval: tuple[dict[str, Any], str] | None = None) -> list[PipelineRow]:
    """Each DVC stage's last recorded wall time: the runner's ``build/timings/<paper>.json``, a training
    stage's ``*stats.json`` (``wall_time_s``). Where the runner left no record (a fresh clone), a notebook
    stage's row falls back on ``nbval``, ``(record, source)`` of this run's nbval measurement of the same
    notebook, labelled as such."""
    rows = []
    for paper, stages in registry.notebook_stages(repo).items():
        for stage, notebook in stages:
            path = repo / "build" / "timings" / f"{paper}.json"
            if not path.exists():
                measured = (nbval[0].get("notebooks") or {}).get(notebook) if nbval else None
                if measured and not measured.get("failed"):
                    rows.append(PipelineRow(
                        f"stage {stage.name}", measured["seconds"], f"nbval of its notebook: {nbval[1]}",
                        note="no runner record here (fresh clone): the stage runs this notebook at quick scale, "
                             "and publishing its outputs adds a few seconds"))
                else:
                    rows.append(PipelineRow(f"stage {stage.name}", None, "not recorded",
                                            note=f"run `make figures` or `paper-code run {paper}` to record it"))
                continue
            rec = json.loads(path.read_text())
            when = rec.get("finished_utc") or time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(path.stat().st_mtime))
            load = rec.get("load_avg_at_end")
            machine = rec.get("machine") or {}
            threads = machine.get("threads") or {}
            thr = threads.get("torch_threads", machine.get("torch_threads", ""))
            rows.append(PipelineRow(f"stage {stage.name}", rec.get("stage_wall_s"),
                                    f"recorded {when}, load {_load_text(load)}",
                                    threads=f"torch {thr}" if thr != "" else "",
                                    note=f"kernel CPU {fmt(rec.get('kernel_cpu_s'))} s"))
    for name in registry.training_stages(repo):
        stage = registry.load_stages(repo)[name]
        stats = [o for o in stage.outs if o.endswith("stats.json") and (repo / o).exists()]
        if not stats:
            rows.append(PipelineRow(f"stage {name}", None, "not recorded", note="no stats file among its outputs"))
            continue
        rec = json.loads((repo / stats[0]).read_text())
        when = _git_date(repo, stats[0])
        rows.append(PipelineRow(f"stage {name}", rec.get("wall_time_s"), f"recorded in {stats[0]} ({when})",
                                note=f"{fmt(rec.get('samples_per_s'))} samples/s, {rec.get('steps')} steps; "
                                     "restored by `dvc pull`, not rerun by `make figures`"))
    return rows


def _git_date(repo: Path, rel: str) -> str:
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs", "--", rel], cwd=repo, capture_output=True,
                             text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return f"committed {out}" if out else "uncommitted"


def _run(cmd: Sequence[str], repo: Path, timeout: float, env: dict[str, str] | None = None
         ) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(list(cmd), cwd=repo, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
        code, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out = 124, f"timed out after {timeout:.0f} s: {exc}"
    except OSError as exc:
        code, out = 127, str(exc)
    return time.perf_counter() - t0, code, out


def noop_repro_row(repo: Path) -> PipelineRow:
    """The no-op ``dvc repro``; ``dvc repro --dry`` when ``dvc status`` says something would run."""
    for _attempt in range(10):
        _, code, out = _run(["dvc", "status", "-q"], repo, 300)
        if "Unable to acquire lock" not in out:
            break
        time.sleep(30)
    if code == 0:
        cmd, note = ["dvc", "repro"], "everything up to date: nothing ran"
    else:
        cmd, note = ["dvc", "repro", "--dry", "--allow-missing"], \
            "`dvc status` found stages to run, so `dvc repro --dry` was timed instead (it hashes the same inputs)"
    seconds, code, out = _run(cmd, repo, 600)
    if code != 0:
        last = (out.strip().splitlines() or [""])[-1]
        return PipelineRow("no-op `dvc repro`", None, f"failed ({' '.join(cmd)}, exit {code})", note=last[:200])
    return PipelineRow(f"no-op `{' '.join(cmd)}`", seconds, f"measured {_now()}", note=note)


def _notebooks(repo: Path) -> list[str]:
    return sorted(nb for stages in registry.notebook_stages(repo).values() for _, nb in stages)


def nbval_times(repo: Path, timeout: float = 3600) -> dict[str, Any]:
    """One ``pytest --nbval-lax`` run over every notebook: wall time, and per notebook its cells' time and failures."""
    notebooks = _notebooks(repo)
    with tempfile.TemporaryDirectory(prefix="bench_nbval_") as tmp:
        xml = Path(tmp) / "nbval.xml"
        wall, code, out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                                "--nbval-current-env", f"--junitxml={xml}", *notebooks], repo, timeout,
                               env={paths.OUTPUT_ENV: tmp})
        per = parse_nbval_junit(xml.read_text() if xml.exists() else "", notebooks)
    summary = (out.strip().splitlines() or [""])[-1]
    return {"wall_s": wall, "exit_code": code, "summary": summary, "notebooks": per}


def parse_nbval_junit(xml: str, notebooks: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per notebook, the summed time of its cells and its failing cells, from pytest's JUnit XML (nbval names
    each cell's test case ``classname="notebooks.<paper>.<name>.ipynb"``)."""
    per = {nb: {"seconds": 0.0, "failed": 0} for nb in notebooks}
    if not xml.strip():
        return per
    for case in ET.fromstring(xml).iter("testcase"):
        where = (case.get("classname") or "").replace(".", "/")
        nb = next((n for n in notebooks if f"{Path(n).with_suffix('').as_posix()}/ipynb" == where), None)
        if nb is None:
            continue
        per[nb]["seconds"] += float(case.get("time") or 0.0)
        per[nb]["failed"] += sum(1 for c in case if c.tag in ("failure", "error"))
    return per


def unit_times(repo: Path, timeout: float = 1800) -> dict[str, Any]:
    wall, code, out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], repo, timeout)
    return {"wall_s": wall, "exit_code": code, "summary": (out.strip().splitlines() or [""])[-1]}


def _read_record(repo: Path) -> dict[str, Any]:
    path = repo / PIPELINE_RECORD
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        return {}


def pipeline_rows(ctx: BenchContext, measure_notebooks: bool = True, measure_unit: bool = True) -> list[PipelineRow]:
    """The Pipeline section (module doc); measured notebook/unit times are also kept for later ``--skip-*`` runs."""
    repo = ctx.repo
    record = _read_record(repo)
    rows: list[PipelineRow] = []
    threads = thread_state()
    thr = f"torch {threads.get('torch_threads', '?')}, BLAS {threads.get('blas_threads', '?')}"
    parts = {}
    for key, measure, fn in (("notebooks", measure_notebooks, nbval_times), ("unit", measure_unit, unit_times)):
        if measure:
            print(f"[bench] pipeline: timing the {key} ...", file=sys.stderr, flush=True)
            load0 = load_average()
            rec = fn(repo)
            rec.update(measured_utc=_now(), load=[load0, load_average()])
            record[key] = rec
            parts[key] = (rec, f"measured {rec['measured_utc']}, load {_load_text(load0)} → "
                               f"{_load_text(rec['load'][1])}")
        elif key in record:
            rec = record[key]
            parts[key] = (rec, f"recorded {rec['measured_utc']}, load {_load_text((rec.get('load') or [None])[0])} "
                               "(`--skip-" + ("notebooks" if key == "notebooks" else "unit") + "`)")
    rows += recorded_stage_rows(repo, parts.get("notebooks"))
    rows.append(noop_repro_row(repo))
    if "notebooks" in parts:
        rec, source = parts["notebooks"]
        for nb, r in rec["notebooks"].items():
            rows.append(PipelineRow(f"nbval {nb}", r["seconds"], source, threads=thr,
                                    note=f"{r['failed']} failing cell(s)" if r["failed"] else "sum of its cells"))
        rows.append(PipelineRow("nbval, all notebooks (one pytest run)", rec["wall_s"], source, threads=thr,
                                note=f"exit {rec['exit_code']}: {rec['summary']}"))
    else:
        rows.append(PipelineRow("nbval, all notebooks", None, "not measured", note="rerun without --skip-notebooks"))
    if "unit" in parts:
        rec, source = parts["unit"]
        rows.append(PipelineRow("unit tests (`pytest -q tests`)", rec["wall_s"], source, threads=thr,
                                note=f"exit {rec['exit_code']}: {rec['summary']}"))
    else:
        rows.append(PipelineRow("unit tests", None, "not measured", note="rerun without --skip-unit"))
    if "notebooks" in parts and "unit" in parts:
        total = parts["notebooks"][0]["wall_s"] + parts["unit"][0]["wall_s"]
        rows.append(PipelineRow("CI budget: unit tests + notebooks", total, "sum of the two rows above",
                                note="`make test` without its set-up (venv, `dvc pull`) and CI's stale-output checks"))
    if measure_notebooks or measure_unit:
        path = repo / PIPELINE_RECORD
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2) + "\n")
    return rows


# --------------------------------------------------------------------------- report

FLOP_RULE = (
    "FLOPs are counted from the shapes of the matrix products a training step actually runs, forward and "
    "backward (`paper_code/common/flops.py`): 2·m·k·n per (m×k)·(k×n) product (`mm`, `addmm`, `bmm`, "
    "`baddbmm`; `nn.Linear`, `matmul` and `einsum` reach these), 2·(output elements)·(C_in/groups)·(kernel "
    "size) per convolution and again for each gradient it computes, QKᵀ and PV for fused attention (4 "
    "gradient products backward); element-wise work, reductions, normalisation and the optimizer update are "
    "not counted. *step/fwd* is the step's count over the forward's (≈3 for plain back-propagation). The "
    "reference is a `torch.matmul` of the step's dominant product shape, in the same process and with the "
    "same threads, timed just before and after the training steps (best of the two); *fraction* = achieved "
    "GFLOP/s ÷ reference GFLOP/s. Loops below 50 % get a per-step profile: data (the batch source), forward, "
    "backward, optimizer, and loop (the trainer's own bookkeeping)."
)

THREADS_TEXT = (
    "Each process holds two thread pools: torch's OpenMP pool (GNU libgomp) and the OpenBLAS pool that NumPy "
    "and SciPy call. Both keep idle threads spinning after each parallel region; on a loaded machine a "
    "spinning thread takes the core from the thread it waits for, so each synchronisation costs a scheduler "
    "time slice instead of microseconds. ODEFormer's decoding runs thousands of small operations per problem, "
    "hence the slowdown. Defaults (`paper_code/common/threads.py`): `OMP_WAIT_POLICY=PASSIVE` is put in the "
    "environment when `paper_code` is imported (before torch loads libgomp; the Makefile exports it too), so "
    "torch keeps its default threads; OpenBLAS has no such switch and gets one thread; `PAPER_THREADS=n` "
    "overrides both. *Before* rows start torch without a wait policy (libgomp's spinning default)."
)


def _machine() -> dict[str, Any]:
    import numpy
    import torch

    return {"platform": platform.platform(terse=True), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__}


def render_report(meta: dict[str, Any], results: Sequence[ModuleResult], pipeline: Sequence[PipelineRow],
                  helpers: Sequence[str]) -> str:
    """The Markdown report."""
    m = meta["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python -m paper_code.pipeline.bench{meta['args']}`) on {meta['generated']}, "
        f"in {meta['wall_s'] / 60:.1f} min. Machine: {m['processor']}, {m['cpu_count']} CPU cores, "
        f"{m['platform']}, Python {m['python']}, torch {m['torch']}, NumPy {m['numpy']}. "
        f"Threads by default: {meta['threads_text']}. Load average (1/5/15 min): {_load_text(meta['load_start'])} "
        f"at the start, {_load_text(meta['load_end'])} at the end.",
        "",
        "Absolute times on a shared machine drift from run to run; each ratio below (matmul fraction, thread "
        "slowdown, model against baseline, growth exponent) compares measurements taken back to back in this "
        "run. Every row states its thread count.",
    ]
    if meta.get("quick"):
        lines += ["", "**`--quick` run**: reduced sizes and timings, to check the modules; not for comparison."]
    by_section: dict[str, list[Any]] = {"pipeline": list(pipeline)}
    for res in results:
        for row in res.rows:
            by_section.setdefault(row.section, []).append(row)
    for section, title in SECTION_TITLES.items():
        rows = by_section.get(section)
        if not rows:
            continue
        lines += ["", f"## {title}", ""]
        if section == "training":
            lines += [FLOP_RULE, ""]
        if section == "threads":
            lines += [THREADS_TEXT, ""]
        lines += render_section(section, rows)
    if results:
        lines += ["", "## Modules", "", "| module | seconds | rows | load before → after | status |",
                  "|---|---|---|---|---|"]
    for res in results:
        status = f"FAILED: {res.error}" if res.error else "ok"
        lines.append(f"| `benchmarks/{res.name}.py` | {res.seconds:.0f} | {len(res.rows)} | "
                     f"{_load_text(res.load_before)} → {_load_text(res.load_after)} | {status} |")
    if helpers:
        lines += ["", "Helper scripts used by the modules above (each also runs on its own): "
                  + ", ".join(f"`benchmarks/{h}.py`" for h in helpers) + "."]
    return "\n".join(lines) + "\n"


def write_report(out_stem: Path, meta: dict[str, Any], results: Sequence[ModuleResult],
                 pipeline: Sequence[PipelineRow], helpers: Sequence[str]) -> tuple[Path, Path]:
    """Write ``<out_stem>.md`` and ``<out_stem>.json``."""
    md, js = out_stem.with_suffix(".md"), out_stem.with_suffix(".json")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(render_report(meta, results, pipeline, helpers))
    rows: dict[str, list[dict[str, Any]]] = {"pipeline": [r.to_dict() for r in pipeline]}
    for res in results:
        for row in res.rows:
            rows.setdefault(row.section, []).append({"module": res.name, **row.to_dict()})
    payload = {**{k: v for k, v in meta.items() if k != "threads_text"},
               "modules": [r.to_dict() for r in results], "helpers": list(helpers), "rows": rows}
    js.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return md, js


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    return str(obj)


def _threads_text(policy_reason: str) -> str:
    st = thread_state()
    return (f"torch {st.get('torch_threads', '?')}, BLAS {st.get('blas_threads', '?')}, OpenMP wait policy "
            f"{st.get('omp_wait_policy')} ({policy_reason})")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", default=(), metavar="NAME",
                    help="run only these modules (benchmarks/<NAME>.py; 'pipeline' = the pipeline rows)")
    ap.add_argument("--quick", action="store_true", help="small sizes and short timings (checks that modules run)")
    ap.add_argument("--skip-notebooks", action="store_true", help="reuse the last measured nbval times")
    ap.add_argument("--skip-unit", action="store_true", help="reuse the last measured unit-test time")
    ap.add_argument("--out", type=Path, default=None, help=f"report stem (default: {REPORT_STEM}, .md and .json)")
    args = ap.parse_args(argv)
    repo = paths.REPO_ROOT
    check_names(repo, args.only)  # before anything is measured
    out = args.out if args.out is not None else repo / REPORT_STEM
    policy = apply_defaults()
    ctx = BenchContext(repo=repo, quick=args.quick, min_time_s=0.5 if args.quick else 2.0)
    t0 = time.perf_counter()
    meta: dict[str, Any] = {"generated": _now(), "machine": _machine(), "load_start": load_average(),
                            "quick": args.quick, "threads": thread_state(),
                            "threads_text": _threads_text(policy.reason),
                            "args": "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))}
    only = tuple(args.only)
    modules_only = tuple(n for n in only if n != "pipeline")
    pipeline: list[PipelineRow] = []
    if not only or "pipeline" in only:
        pipeline = pipeline_rows(ctx, measure_notebooks=not (args.skip_notebooks or args.quick),
                                 measure_unit=not (args.skip_unit or args.quick))
    results: list[ModuleResult] = []
    helpers: list[str] = []
    if not only or modules_only:
        results, helpers = run_modules(ctx, modules_only)
    meta.update(wall_s=time.perf_counter() - t0, load_end=load_average())
    md, js = write_report(out, meta, results, pipeline, helpers)
    failed = [r.name for r in results if r.error]
    print(f"wrote {md} and {js} in {meta['wall_s']:.0f} s"
          + (f"; FAILED modules: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
