"""Run one paper notebook with papermill as a DVC stage, publishing outputs only on success.

    python -m paper_code.pipeline.run_notebook <paper> notebooks/<paper>/<name>.ipynb

1. Reads the paper's ``params.yaml`` section and validates it (fails before any kernel starts).
2. Executes the notebook with papermill (parameters ``scale`` and ``overrides``) into the
   staging folder ``build/staging/<paper>/`` (``PAPER_OUT``). The console shows one line per
   cell, and the kernel's progress bars and log records (``paper_code.common.progress``).
3. Claims: with no overrides (``params.yaml`` sets only ``scale``) they are enforced, and an
   outcome that differs from its declaration fails the stage; under overrides (``dvc exp run
   -S ...``) the run is an exploration: claims are reported as passed/failed and the outputs
   are published (the scorecard shows the overrides).
4. On success: cleans the executed notebook (``paper_code.common.notebook_record``), then
   replaces ``reports/notebooks/<paper>/`` (notebook + ``config.json``), ``figures/<paper>/``
   and ``metrics/<paper>.json``, each atomically; timings go to ``build/timings/<paper>.json``.
   On failure nothing is published; the staging folder is kept as ``build/failed/<paper>/``.
5. Killed (SIGTERM, SIGINT, SIGHUP, or its parent ``dvc`` dies): stops the kernel, publishes
   nothing, exits 128 + signal.

The kernel imports the same ``paper_code`` as the runner: the runner's repository root is
prepended to the kernel's ``PYTHONPATH``, which wins over the editable install's finder (so
under ``dvc exp run --temp`` the kernel runs the temporary copy's code, not the workspace's).

:func:`run` also serves the paper-scale command (:mod:`paper_code.pipeline.paper_scale`):
with ``scale=`` it runs that preset with no overrides (claims enforced) instead of reading
``params.yaml``, and with ``publish_root=`` it stages, publishes, keeps failures and writes
timings under that folder's name (``paper_scale/``, ``build/staging/paper_scale/<paper>/``,
``build/timings/paper_scale/<paper>.json``), never touching the pipeline's outputs.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import resource
import shutil
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from paper_code.common import notebook_record, outputs, paths
from paper_code.common.config import ConfigError, load_params_section, resolve_config
from paper_code.common.progress import COLUMNS_ENV, CONSOLE_ENV

log = logging.getLogger("run_notebook")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: The kernel's own log: errors only (ipykernel warns on every start that its local TCP is unencrypted).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
_PR_SET_PDEATHSIG = 1


# --- the console: our per-cell lines plus what the kernel writes to PAPER_CONSOLE ------------------

class Console:
    """Writes the runner's lines and the kernel's forwarded output to one terminal (thread-safe).

    On a terminal, progress bars redraw in place; in a log file (not a tty), each
    carriage return becomes a new line and blank lines are dropped.
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.columns = shutil.get_terminal_size().columns if self.interactive else 0
        self._lock = threading.Lock()
        self._midline = False  # a progress bar is drawn on the current line
        self._pending = ""  # non-interactive: text after the last line break

    def line(self, text: str) -> None:
        with self._lock:
            self._write(("\n" if self._midline else "") + text + "\n")
            self._midline = False

    def feed(self, chunk: str) -> None:
        with self._lock:
            if self.interactive:
                if self._midline and not chunk.startswith("\r"):
                    chunk = "\n" + chunk
                self._write(chunk)
                self._midline = not chunk.endswith("\n")
                return
            *lines, self._pending = (self._pending + chunk).replace("\r", "\n").split("\n")
            self._write("".join(line + "\n" for line in lines if line.strip()))

    def _write(self, text: str) -> None:
        if text:
            self.stream.write(text)
            self.stream.flush()


class _Tail(threading.Thread):
    """Copies what the kernel appends to the console file onto the :class:`Console`."""

    def __init__(self, path: Path, console: Console):
        super().__init__(daemon=True, name="console-tail")
        self.path, self.console = path, console
        self._stop_event = threading.Event()

    def run(self) -> None:
        with open(self.path, encoding="utf-8", errors="replace", newline="") as fh:
            while not self._stop_event.is_set():
                chunk = fh.read()
                if chunk:
                    self.console.feed(chunk)
                else:
                    self._stop_event.wait(0.2)
            rest = fh.read()
            if rest:
                self.console.feed(rest)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# --- papermill engine: per-cell progress and a handle on the kernel ------------------------------

class Watcher:
    """Told by the engine when the kernel starts and when each code cell starts."""

    def __init__(self, paper: str, console: Console):
        self.paper, self.console = paper, console
        self.kernel_manager: Any = None
        self.n_code_cells = 0
        self._done = 0
        self._t0 = time.perf_counter()

    def kernel_started(self, km: Any) -> None:
        self.kernel_manager = km

    def cell_started(self, cell: Any) -> None:
        self._done += 1
        first = next((ln.strip() for ln in cell.source.splitlines()
                      if ln.strip() and not ln.lstrip().startswith("#")), "")
        first = first if len(first) <= 70 else first[:67] + "..."
        elapsed = time.strftime("%H:%M:%S", time.gmtime(time.perf_counter() - self._t0))
        self.console.line(f"[{self.paper}] {elapsed} cell {self._done}/{self.n_code_cells}: {first}")

    def stop_kernel(self, grace_s: float = 3.0) -> None:
        """Terminate the kernel's process group (SIGTERM, then SIGKILL) and remove its connection file."""
        km = self.kernel_manager
        if km is None:
            return
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            try:
                pgid = os.getpgid(process.pid)
                os.killpg(pgid, signal.SIGTERM)
                deadline = time.monotonic() + grace_s
                while process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                if process.poll() is None:
                    os.killpg(pgid, signal.SIGKILL)
                    process.wait(timeout=grace_s)
            except (ProcessLookupError, PermissionError):
                pass
        connection_file = getattr(km, "connection_file", "")
        if connection_file:
            Path(connection_file).unlink(missing_ok=True)


def _engine_class():
    """The papermill engine (built lazily: papermill is a heavy import)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine

    class Client(PapermillNotebookClient):
        def __init__(self, nb_man: Any, *, watcher: Watcher, **kw: Any):
            super().__init__(nb_man, **kw)
            self.watcher = watcher
            watcher.n_code_cells = sum(c.cell_type == "code" for c in nb_man.nb.cells)

        def start_new_kernel(self, **kwargs: Any) -> None:
            super().start_new_kernel(**kwargs)
            self.watcher.kernel_started(self.km)

        def execute_cell(self, cell: Any, cell_index: int, execution_count: int | None = None,
                         store_history: bool = True):
            if cell.cell_type == "code":
                self.watcher.cell_started(cell)
            return super().execute_cell(cell, cell_index, execution_count, store_history)

    class Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, *, watcher: Watcher, **_ignored):
            from papermill.log import logger

            return Client(
                nb_man, watcher=watcher, kernel_name=kernel_name, startup_timeout=start_timeout,
                timeout=execution_timeout, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file,
                extra_arguments=KERNEL_ARGUMENTS,
            ).execute()

    return Engine


# --- stopping with the stage ---------------------------------------------------------------------

def install_stop_handlers(paper: str, watcher_ref: dict[str, Watcher], console: Console) -> None:
    """On SIGTERM/SIGINT/SIGHUP: stop the kernel, publish nothing, exit 128 + signal."""

    def handler(signum: int, _frame: Any) -> None:
        watcher = watcher_ref.get("watcher")
        if watcher is not None:
            watcher.stop_kernel()
        console.line(f"[{paper}] stopped by {signal.Signals(signum).name}: kernel shut down, nothing published")
        os._exit(128 + signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def die_with_parent() -> None:
    """Get SIGTERM when the parent process (``dvc``) dies, so the stage never runs on orphaned.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``. Everywhere: a watchdog thread that
    polls the parent pid once a second (also covers a parent that died before prctl).
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent-watchdog").start()


# --- the run -------------------------------------------------------------------------------------

def _destinations(paper: str, root: Path) -> tuple[Path, Path, Path]:
    return paths.report_dir(paper, root), paths.figures_dir(paper, root), paths.metrics_path(paper, root)


def _publish(paper: str, staging: Path, root: Path) -> None:
    """Replace the report folder, the figures folder and the metrics file under ``root``, each atomically.

    Stop signals are held back meanwhile, so a kill lands before or after, never inside: their handlers are
    swapped for a recorder, and each signal that arrived is raised again, in this thread, once the outputs are
    in place. (A signal mask would not do: a process-directed signal goes to any thread that leaves it
    unblocked, such as the kernel client's or the watchdog's, and Python then runs the handler in the main
    thread at once.)
    """
    reports, figures, metrics = _destinations(paper, root)
    fig_src = paths.figures_dir(paper, staging)
    fig_src.mkdir(parents=True, exist_ok=True)  # a paper without figures publishes an empty folder
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: held.append(signum)) for sig in STOP_SIGNALS}
    try:
        outputs.replace_dir(paths.report_dir(paper, staging), reports)
        outputs.replace_dir(fig_src, figures)
        outputs.replace_file(paths.metrics_path(paper, staging), metrics)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in dict.fromkeys(held):
            signal.raise_signal(sig)


def _recover(paper: str, root: Path) -> None:
    """Undo what a publish killed half-way left behind (stray ``.new``/``.old``/``.tmp`` beside the outputs)."""
    reports, figures, metrics = _destinations(paper, root)
    outputs.recover_dir(reports)
    outputs.recover_dir(figures)
    metrics.parent.joinpath(f".{metrics.name}.tmp").unlink(missing_ok=True)


def _keep_failed(paper: str, staging: Path, repo: Path, slot: Path = Path()) -> Path:
    kept = repo / "build" / "failed" / slot / paper
    if kept.exists():
        shutil.rmtree(kept)
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staging), kept)
    return kept


def _claims_summary(metrics: dict[str, Any]) -> str:
    claims = metrics.get("claims", [])
    counts: dict[str, int] = {}
    for c in claims:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "no claims"


def _failure_message(paper: str, notebook: Path, kept: Path, repo: Path, exc: Exception,
                     forced_scale: bool = False) -> str:
    def rel(path: Path) -> Path:
        return path.relative_to(repo) if path.is_relative_to(repo) else path

    where = (f"executed notebook kept at {rel(paths.report_dir(paper, kept) / notebook.name)}, "
             f"staged figures at {rel(paths.figures_dir(paper, kept))}/; committed outputs left untouched")
    metrics_file = paths.metrics_path(paper, kept)
    record = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    flipped = [c for c in record.get("claims", [])
               if c.get("expected_pass") != c.get("passed") and c.get("measured", True)]
    if record.get("claims_mode") != "enforced" or not flipped:
        return f"{paper}: {notebook.name} failed; {where}.\n{exc}"
    lines = "\n  ".join(f"{c['id']}: {c['status']} (ours={c['our_value']}, check {c['check']})" for c in flipped)
    if forced_scale:
        return (
            f"{paper}: {len(flipped)} claim(s) differ from their declared outcome at scale {record['scale']!r}:\n"
            f"  {lines}\n"
            f"Runs at a fixed scale are always enforced. {where}.\n"
            f"Fix the code, or declare the outcome for this scale (Claim(..., not_reproduced={{{record['scale']!r}: "
            f"\"reason with {{metric_key:.3g}} placeholders\"}})) and rerun."
        )
    return (
        f"{paper}: {len(flipped)} claim(s) differ from their declared outcome at scale {record['scale']!r}:\n"
        f"  {lines}\n"
        f"Claims are enforced because params.yaml sets no overrides for {paper}. {where}.\n"
        f"Fix the code or update the declaration; to publish these results as an exploration instead, "
        f"rerun with an override, e.g. `dvc exp run -S '+{paper}.seed=1'` (claims are then reported, not enforced)."
    )


def run(
    paper: str,
    notebook: Path,
    *,
    repo: Path = paths.REPO_ROOT,
    params_file: Path | None = None,
    console: Console | None = None,
    watcher_ref: dict[str, Watcher] | None = None,
    scale: str | None = None,
    publish_root: Path | None = None,
    records: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Execute ``notebook`` for ``paper``; publish its outputs under ``repo`` on success. Returns an exit code.

    ``scale``: run this preset with no overrides (claims enforced) instead of what ``params.yaml`` selects.
    ``publish_root``: publish ``figures/``, ``metrics/`` and ``reports/notebooks/`` under this folder of
    ``repo`` instead of ``repo`` itself; staging, failures and timings go under its name in ``build/``.
    ``records``: extra JSON files (name -> payload) published beside the executed notebook.
    """
    import papermill  # heavy import, only here

    _register_engine()
    console = console or Console()
    publish_root = publish_root or repo
    try:
        slot = publish_root.relative_to(repo)
    except ValueError:
        log.error("publish root %s is not inside the repository %s", publish_root, repo)
        return 2
    forced_scale = scale is not None
    try:
        if scale is None:
            scale, overrides = load_params_section(paper, params_file or repo / "params.yaml")
        else:
            overrides = {}
        resolve_config(paper, scale, overrides)
    except ConfigError as exc:
        log.error("invalid %s: %s", f"preset {scale!r}" if forced_scale else "params.yaml", exc)
        return 2
    if not notebook.exists():
        log.error("notebook not found: %s", notebook)
        return 2

    _recover(paper, publish_root)
    staging = repo / "build" / "staging" / slot / paper
    if staging.exists():
        shutil.rmtree(staging)
    report_dir = paths.report_dir(paper, staging)
    report_dir.mkdir(parents=True)
    executed = report_dir / notebook.name
    console_file = staging / "console.log"
    console_file.touch()
    env = {paths.OUTPUT_ENV: str(staging), CONSOLE_ENV: str(console_file), COLUMNS_ENV: str(console.columns),
           "PYTHONPATH": kernel_pythonpath()}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits them
    watcher = Watcher(paper, console)
    if watcher_ref is not None:
        watcher_ref["watcher"] = watcher
    tail = _Tail(console_file, console)
    tail.start()
    mode = "exploratory, overrides " + json.dumps(overrides, sort_keys=True) if overrides else "claims enforced"
    if publish_root != repo:
        mode += f", outputs under {slot.as_posix()}/"
    console.line(f"[{paper}] executing {notebook.name} at scale {scale!r} ({mode})")

    t0 = time.perf_counter()
    cpu0 = _children_cpu_s()
    try:
        papermill.execute_notebook(
            str(notebook), str(executed), parameters={"scale": scale, "overrides": dict(overrides)},
            engine_name="paper_code", watcher=watcher, kernel_name="python3",
            cwd=str(notebook.parent), progress_bar=False, log_output=False,
        )
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell traceback
        tail.stop()
        if executed.exists():
            notebook_record.clean_file(executed, _replacements(repo, staging))
        kept = _keep_failed(paper, staging, repo, slot)
        log.error("%s", _failure_message(paper, notebook, kept, repo, exc, forced_scale))
        return 1
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    tail.stop()
    wall = time.perf_counter() - t0
    cpu = _children_cpu_s() - cpu0

    metrics_file = paths.metrics_path(paper, staging)
    if not metrics_file.exists():
        kept = _keep_failed(paper, staging, repo, slot)
        log.error("%s ran but wrote no %s: its last cell must call session.finish(CLAIMS); kept in %s",
                  notebook, metrics_file.name, kept)
        return 1
    notebook_record.clean_file(executed, _replacements(repo, staging))
    for name, payload in (records or {}).items():
        outputs.write_json(report_dir / name, payload)
    _write_timings(paper, staging, repo / "build" / "timings" / slot, wall, cpu)
    _publish(paper, staging, publish_root)
    record = json.loads(metrics_file.read_text())
    console.line(f"[{paper}] published in {wall:.0f} s (kernel CPU {cpu:.0f} s): "
                 f"{_claims_summary(record)} ({record.get('claims_mode')})")
    return 0


def kernel_pythonpath() -> str:
    """The kernel's ``PYTHONPATH``: the runner's repository root first, then whatever was set.

    The editable install finds ``paper_code`` through a finder appended to ``sys.meta_path``,
    which runs after the ``sys.path`` search, so this entry decides which copy the kernel imports.
    """
    rest = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join([str(paths.REPO_ROOT), *([rest] if rest else [])])


def _children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children (the kernel, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _replacements(repo: Path, staging: Path) -> list[tuple[str, str]]:
    return notebook_record.path_replacements((staging, ""), (repo, ""), (Path.home(), "~"))


def _write_timings(paper: str, staging: Path, folder: Path, wall: float, cpu: float) -> None:
    """``<folder>/<paper>.json`` (``build/timings/``): the session's timings, the stage wall time and the
    kernel's CPU time (never committed)."""
    source = paths.timings_path(paper, staging)
    timings = json.loads(source.read_text()) if source.exists() else {"paper": paper}
    timings["stage_wall_s"] = wall
    timings["kernel_cpu_s"] = cpu
    # When and under what load (the benchmark report, `make bench`, labels recorded times with both).
    timings["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    timings["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    outputs.write_json(folder / f"{paper}.json", timings)


_ENGINE_REGISTERED = False


def _register_engine() -> None:
    global _ENGINE_REGISTERED
    if not _ENGINE_REGISTERED:
        from papermill.engines import papermill_engines

        papermill_engines.register("paper_code", _engine_class())
        _ENGINE_REGISTERED = True


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("papermill").setLevel(logging.WARNING)  # our console lines say what it would
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paper")
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--repo", type=Path, default=paths.REPO_ROOT, help="repository root to publish into")
    ap.add_argument("--params", type=Path, default=None, help="params file (default: <repo>/params.yaml)")
    args = ap.parse_args(argv)
    console = Console()
    watcher_ref: dict[str, Watcher] = {}
    install_stop_handlers(args.paper, watcher_ref, console)
    die_with_parent()
    return run(args.paper, args.notebook.resolve(), repo=args.repo.resolve(), params_file=args.params,
               console=console, watcher_ref=watcher_ref)


if __name__ == "__main__":
    sys.exit(main())
