"""The notebook runner on a toy paper: publishes on success, keeps committed outputs on failure,
publishes explorations, writes clean records, shows progress, and stops with its parent."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import nbformat
import pytest

from paper_code.common import config as C
from paper_code.common import outputs
from paper_code.pipeline import run_notebook

TOY_CONFIG = '''
import dataclasses
from paper_code.common.config import PaperConfig, param

@dataclasses.dataclass(frozen=True)
class ToyConfig(PaperConfig):
    PAPER = "toy"
    value: float = param(1.0, "the value the notebook reports")

PRESETS = {"quick": ToyConfig(), "paper": ToyConfig(value=2.0)}
'''

SETUP_CELL = textwrap.dedent('''
    from paper_code.common import config
    config.PAPER_PACKAGES["toy"] = "toy_config"
    from paper_code.common.session import PaperSession
    from paper_code.common.plotting import new_figure
    from paper_code.common import claims as K
    session = PaperSession("toy", scale, overrides)
''')

NOTEBOOK_CELLS = [
    'scale = "quick"\noverrides = {}',
    SETUP_CELL + textwrap.dedent('''
        fig, ax = new_figure(); ax.plot([0, 1], [0, session.config.value])
        session.save_figure(fig, "fig1_toy")
        session.record(value=session.config.value)
    '''),
    textwrap.dedent('''
        import logging, warnings
        from paper_code.common.progress import progress
        total = sum(progress(range(3), desc="toy loop"))
        logging.getLogger("toy").info("toy log line for the console")
        warnings.warn("toy warning for the reader")
        session.record(total=total)
    '''),
    'session.show(["value", "total"])',
    'report = session.finish([K.Claim("V", "value below 1.5", "value", K.less_than(1.5), paper_value=1.0)])\nreport',
]

PUBLISHED = [
    "figures/toy/fig1_toy.png", "figures/toy/fig1_toy.pdf", "metrics/toy.json",
    "reports/notebooks/toy/toy.ipynb", "reports/notebooks/toy/config.json",
]


def _write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def toy_repo(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks" / "toy"
    nbdir.mkdir(parents=True)
    (nbdir / "toy_config.py").write_text(TOY_CONFIG)
    _write_notebook(nbdir / "toy.ipynb", NOTEBOOK_CELLS)
    module = types.ModuleType("toy_config")
    monkeypatch.setitem(sys.modules, "toy_config", module)
    exec(TOY_CONFIG, module.__dict__)
    monkeypatch.setitem(C.PAPER_PACKAGES, "toy", "toy_config")
    return tmp_path


def _params(repo, text):
    f = repo / "params.yaml"
    f.write_text(text)
    return f


def _run(repo, params_text, console=None):
    params = _params(repo, params_text)
    return run_notebook.run("toy", repo / "notebooks/toy/toy.ipynb", repo=repo, params_file=params,
                            console=console or run_notebook.Console(io.StringIO()))


def test_success_publishes_results_only(toy_repo):
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    metrics = json.loads((toy_repo / "metrics/toy.json").read_text())
    assert set(metrics) == {"paper", "scale", "overrides", "claims_mode", "metrics", "claims", "figures"}
    assert metrics["metrics"] == {"value": 1.0, "total": 3} and metrics["overrides"] == {}
    assert metrics["claims_mode"] == "enforced" and metrics["figures"] == ["fig1_toy"]
    assert metrics["claims"][0]["status"] == "reproduced"
    for p in PUBLISHED:
        assert (toy_repo / p).exists(), p
    cfg = json.loads((toy_repo / "reports/notebooks/toy/config.json").read_text())
    assert cfg == {"paper": "toy", "scale": "quick", "overrides": {}, "config": {"seed": 0, "value": 1.0}}
    timings = json.loads((toy_repo / "build/timings/toy.json").read_text())
    assert timings["stage_wall_s"] > timings["notebook_compute_s"] > 0 and "machine" in timings
    assert not any(p.name.startswith(".")
                   for d in ("figures", "metrics", "reports/notebooks") for p in (toy_repo / d).iterdir())


def test_enforced_failure_keeps_committed_outputs_and_says_where(toy_repo, caplog):
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    before = {p: (toy_repo / p).read_bytes() for p in PUBLISHED}
    # paper scale, no overrides: enforced; value 2.0 is not < 1.5, so the claim flips and the stage fails
    assert _run(toy_repo, "toy:\n  scale: paper\n") == 1
    for p, content in before.items():
        assert (toy_repo / p).read_bytes() == content, f"{p} changed after a failed run"
    kept = toy_repo / "build/failed/toy"
    assert (kept / "reports/notebooks/toy/toy.ipynb").exists() and (kept / "figures/toy/fig1_toy.png").exists()
    assert "ClaimFailure" in (kept / "reports/notebooks/toy/toy.ipynb").read_text()
    msg = caplog.text
    assert "V: FAILED" in msg and "build/failed/toy/reports/notebooks/toy/toy.ipynb" in msg
    assert "build/failed/toy/figures/toy/" in msg and "dvc exp run -S '+toy.seed=1'" in msg


def test_override_that_flips_a_claim_is_published_as_exploration(toy_repo):
    assert _run(toy_repo, "toy:\n  scale: quick\n  value: 2.0\n") == 0
    metrics = json.loads((toy_repo / "metrics/toy.json").read_text())
    assert metrics["claims_mode"] == "exploratory" and metrics["overrides"] == {"value": 2.0}
    assert metrics["claims"][0]["status"] == "failed (exploratory)"
    assert metrics["metrics"]["value"] == 2.0 and (toy_repo / "figures/toy/fig1_toy.png").exists()
    assert not (toy_repo / "build/failed").exists()


def test_missing_metric_fails_even_as_exploration(toy_repo, caplog):
    nb = toy_repo / "notebooks/toy/toy.ipynb"
    cells = NOTEBOOK_CELLS[:-1] + ['session.finish([K.Claim("W", "w", "valeu", K.less_than(1.5))])']
    _write_notebook(nb, cells)
    assert _run(toy_repo, "toy:\n  scale: quick\n  value: 1.2\n") == 1
    assert "metric 'valeu' was not recorded (close matches: 'value')" in caplog.text
    assert not (toy_repo / "metrics/toy.json").exists()


def test_identical_reruns_give_identical_path_free_files(toy_repo):
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    first = {p: (toy_repo / p).read_bytes() for p in PUBLISHED}
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    for p, content in first.items():
        assert (toy_repo / p).read_bytes() == content, f"{p} differs between identical runs"
        for needle in ("/tmp", str(toy_repo), str(Path.home()), "build/staging"):
            assert needle.encode() not in content, f"{needle!r} in {p}"
    nb = json.loads(first["reports/notebooks/toy/toy.ipynb"])
    assert "papermill" not in nb["metadata"]
    assert not any(k in c["metadata"] for c in nb["cells"] for k in ("papermill", "execution"))
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]])  # what the kernel printed
    assert "UserWarning: toy warning for the reader (notebook cell:" in text  # warnings stay, path-free
    assert "toy log line" not in text and "toy loop" not in text  # logging and progress go to the console
    assert "figure written" not in text and "INFO" not in text
    assert text.count("image/png") == 1, "save_figure(show=True) displays the figure exactly once"


def test_console_shows_cells_progress_and_logs(toy_repo):
    out = io.StringIO()
    assert _run(toy_repo, "toy:\n  scale: quick\n", console=run_notebook.Console(out)) == 0
    text = out.getvalue()
    assert "[toy] executing toy.ipynb at scale 'quick' (claims enforced)" in text
    assert "cell 1/6: scale = \"quick\"" in text and "cell 6/6: report = session.finish(" in text
    assert "toy loop" in text and "toy log line for the console" in text
    assert "[toy] published in" in text and "1 reproduced (enforced)" in text
    assert "\r" not in text, "a non-interactive console gets whole lines"


def test_stray_pieces_of_a_killed_publish_are_cleaned(toy_repo):
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    good = (toy_repo / "figures/toy/fig1_toy.png").read_bytes()
    # a kill between the two renames of the fallback path: figures/toy moved aside, new copy not in place
    os.rename(toy_repo / "figures/toy", toy_repo / "figures/.toy.old")
    (toy_repo / "figures/.toy.new").mkdir()
    (toy_repo / "figures/.toy.new/partial.png").write_bytes(b"x")
    (toy_repo / "reports/notebooks/.toy.new").mkdir()
    (toy_repo / "metrics/.toy.json.tmp").write_text("{")
    # the next run (even one that fails) first restores the old folder and removes the strays
    assert _run(toy_repo, "toy:\n  scale: paper\n") == 1
    assert (toy_repo / "figures/toy/fig1_toy.png").read_bytes() == good
    for stray in ("figures/.toy.new", "figures/.toy.old", "reports/notebooks/.toy.new", "metrics/.toy.json.tmp"):
        assert not (toy_repo / stray).exists(), stray


def test_kill_during_publish_leaves_each_output_old_or_new(toy_repo, monkeypatch):
    assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    old_metrics = (toy_repo / "metrics/toy.json").read_bytes()

    def killed(*_a):
        raise KeyboardInterrupt("killed while publishing")

    monkeypatch.setattr(outputs, "replace_file", killed)  # dies after both folders were swapped
    with pytest.raises(KeyboardInterrupt):
        _run(toy_repo, "toy:\n  scale: quick\n  value: 1.25\n")
    assert (toy_repo / "metrics/toy.json").read_bytes() == old_metrics
    nb = (toy_repo / "reports/notebooks/toy/toy.ipynb").read_text()
    assert "1.25" in nb and (toy_repo / "figures/toy/fig1_toy.pdf").exists()


def test_stop_signal_waits_until_publishing_is_done(toy_repo, monkeypatch):
    events = []
    real = outputs.replace_file

    def replace_file(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)  # a kill arriving mid-publish
        events.append("signal sent")
        real(src, dst)
        events.append("metrics replaced")

    monkeypatch.setattr(outputs, "replace_file", replace_file)
    previous = signal.signal(signal.SIGTERM, lambda *_: events.append("handler ran"))
    try:
        assert _run(toy_repo, "toy:\n  scale: quick\n") == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert events == ["signal sent", "metrics replaced", "handler ran"]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_console_on_a_terminal_redraws_bars_and_breaks_lines_after_them():
    out = _Tty()
    console = run_notebook.Console(out)
    console.feed("\rbar  10%")
    console.feed("\rbar  90%")
    console.feed("INFO x: logged\n")
    console.feed("\rbar 100%")
    console.line("[p] cell 2/3: go")
    assert out.getvalue() == "\rbar  10%\rbar  90%\nINFO x: logged\n\rbar 100%\n[p] cell 2/3: go\n"


def test_console_in_a_log_file_gets_whole_lines():
    out = io.StringIO()
    console = run_notebook.Console(out)
    for chunk in ("\rbar  1", "0%\rbar  90%", "\r        \r", "INFO x: a\nINFO", " y: b\n"):
        console.feed(chunk)
    assert out.getvalue() == "bar  10%\nbar  90%\nINFO x: a\nINFO y: b\n"


def test_bad_params_fail_before_running(toy_repo):
    assert _run(toy_repo, "toy:\n  scale: quick\n  valu: 3\n") == 2
    assert not (toy_repo / "build").exists(), "no kernel should have started"


# --- stopping with the stage: real processes ---------------------------------------------------

RUNNER_SCRIPT = '''
import sys
sys.path.insert(0, sys.argv[1] + "/notebooks/toy")
from paper_code.common import config
config.PAPER_PACKAGES["toy"] = "toy_config"
from paper_code.pipeline import run_notebook
sys.exit(run_notebook.main(["toy", sys.argv[1] + "/notebooks/toy/slow.ipynb", "--repo", sys.argv[1]]))
'''

PARENT_SCRIPT = '''
import subprocess, sys
child = subprocess.Popen([sys.executable, sys.argv[1], sys.argv[2]])
open(sys.argv[2] + "/runner.pid", "w").write(str(child.pid))
sys.exit(child.wait())
'''

SLOW_CELLS = [
    'scale = "quick"\noverrides = {}',
    SETUP_CELL,
    'import os, time\nopen("kernel.pid", "w").write(str(os.getpid()))\ntime.sleep(120)',
    'session.record(value=1.0)\nsession.finish([])',
]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("how", ["kill -9 the parent (dvc)", "SIGTERM the runner"])
def test_runner_stops_its_kernel_and_publishes_nothing(tmp_path, how):
    nbdir = tmp_path / "notebooks" / "toy"
    nbdir.mkdir(parents=True)
    (nbdir / "toy_config.py").write_text(TOY_CONFIG)
    _write_notebook(nbdir / "slow.ipynb", SLOW_CELLS)
    _params(tmp_path, "toy:\n  scale: quick\n")
    (tmp_path / "runner.py").write_text(RUNNER_SCRIPT)
    (tmp_path / "parent.py").write_text(PARENT_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py"), str(tmp_path / "runner.py"), str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: (nbdir / "kernel.pid").exists() and (nbdir / "kernel.pid").read_text(), 90), \
            "the kernel never reached the slow cell"
        runner_pid = int((tmp_path / "runner.pid").read_text())
        kernel_pid = int((nbdir / "kernel.pid").read_text())
        if how.startswith("kill"):
            parent.kill()
        else:
            os.kill(runner_pid, signal.SIGTERM)
        assert _wait_for(lambda: _gone(runner_pid), 10), "the runner outlived its stop signal"
        assert _wait_for(lambda: _gone(kernel_pid), 10), "the kernel outlived the runner"
        if not how.startswith("kill"):
            assert parent.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        parent.kill()
        parent.wait()
    for out in ("metrics/toy.json", "figures/toy", "reports/notebooks/toy"):
        assert not (tmp_path / out).exists(), f"{out} was published by a killed run"


# --- the kernel imports the runner's copy of paper_code (dvc exp run --temp runs in a copy) ----------

COPY_RUNNER_SCRIPT = '''
import sys
from pathlib import Path
root = Path(__file__).resolve().parent          # this script's folder comes first on sys.path
import paper_code
assert Path(paper_code.__file__).resolve().is_relative_to(root), paper_code.__file__
from paper_code.common import config
config.PAPER_PACKAGES["toy"] = "toy_config"
sys.path.insert(0, str(root / "notebooks" / "toy"))
from paper_code.pipeline import run_notebook
sys.exit(run_notebook.main(["toy", str(root / "notebooks/toy/where.ipynb"), "--repo", str(root)]))
'''

WHERE_CELLS = [
    'scale = "quick"\noverrides = {}',
    SETUP_CELL,
    'import paper_code\nopen("kernel_paper_code.txt", "w").write(paper_code.__file__)',
    'session.record(value=1.0)\nsession.finish([])',
]


def test_kernel_imports_paper_code_from_the_copy_the_runner_runs_in(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(Path(run_notebook.__file__).parents[1], copy / "paper_code",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    nbdir = copy / "notebooks" / "toy"
    nbdir.mkdir(parents=True)
    (nbdir / "toy_config.py").write_text(TOY_CONFIG)
    _write_notebook(nbdir / "where.ipynb", WHERE_CELLS)
    _params(copy, "toy:\n  scale: quick\n")
    (copy / "runner.py").write_text(COPY_RUNNER_SCRIPT)
    proc = subprocess.run([sys.executable, str(copy / "runner.py")], cwd=copy, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    kernel_file = Path((nbdir / "kernel_paper_code.txt").read_text()).resolve()
    assert kernel_file.is_relative_to(copy.resolve()), f"the kernel imported {kernel_file}, not the copy's paper_code"
