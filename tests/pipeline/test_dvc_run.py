"""The DVC wrapper used by make: every failure ends with its cause and its fix.

Unit tests feed ``diagnose`` the messages DVC 3 prints; the scenario tests run the
wrapper against a temporary git + DVC repository (malformed params.yaml, a tracked
data file changed locally, a tracked single file changed locally).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paper_code.pipeline.dvc_run import diagnose, report

# ----------------------------------------------------------------------------- messages
YAML_ERROR = """ERROR: failed to pull data from the cloud - unable to read: 'params.yaml', \
YAML file structure is corrupted: while parsing a block mapping
  in "<unicode string>", line 1, column 1:
    lr_schedule_langevin:
    ^ (line: 1)
expected <block end>, but found '<block mapping start>'
  in "<unicode string>", line 3, column 2:
     bad: [1
     ^ (line: 3)
"""
UNSAVED = """ERROR: failed to pull data from the cloud - \
Can't remove the following unsaved files without confirmation. Use `--force` to force.
{paths}
"""


def test_yaml_error_names_file_line_and_fix(tmp_path):
    (tmp_path / "params.yaml").write_text("lr_schedule_langevin:\n  scale: quick\n bad: [1\n")
    (d,) = diagnose(YAML_ERROR, tmp_path)
    assert d.cause.startswith("params.yaml is not valid YAML at line 3, column 2")
    assert "git diff params.yaml" in d.fix and "git checkout -- params.yaml" in d.fix


def test_unsaved_data_file_gets_the_pull_force_fix(tmp_path):
    msg = UNSAVED.format(paths=f"{tmp_path}/data/external/mnist5k/mnist_5k.csv.gz")
    (d,) = diagnose(msg, tmp_path)
    assert "data/external/mnist5k/mnist_5k.csv.gz" in d.cause
    assert d.fix.startswith("`dvc pull --force data.dvc`") and "dvc add data" in d.fix


def test_unsaved_model_gets_checkout_or_commit(tmp_path):
    msg = UNSAVED.format(paths=f"{tmp_path}/models/odeformer/model.pt")
    (d,) = diagnose(msg, tmp_path)
    assert d.cause.startswith("models/odeformer/model.pt differs from its DVC record")
    assert "`dvc checkout --force models/odeformer/model.pt`" in d.fix
    assert "`dvc commit models/odeformer/model.pt`" in d.fix


def test_invalid_dvc_file_is_named(tmp_path):
    msg = "'./templates/x/dvc.yaml' validation failed.\n\nextra keys not allowed\n"
    (d,) = diagnose(msg, tmp_path)
    assert d.cause.startswith("templates/x/dvc.yaml is not a valid DVC file")


@pytest.mark.parametrize(
    "message,needle",
    [
        ("ERROR: Unable to acquire lock. Most likely another DVC process is running", "rm .dvc/tmp/lock"),
        ("WARNING: Some of the cache files do not exist neither locally nor on remote.", "dvc push"),
        ("data check failed: data/ differs from its record data.dvc", "dvc pull --force data.dvc"),
        ("ERROR: failed to reproduce 'dfa_alignment': failed to run: python ..., exited with 1", "publishes nothing"),
    ],
)
def test_other_known_causes(tmp_path, message, needle):
    (d,) = diagnose(message, tmp_path)
    assert needle in d.fix


def test_unknown_failure_points_to_verbose(tmp_path):
    text = report(["pull"], 1, "ERROR: something new", tmp_path)
    assert "`dvc pull` failed (exit 1)" in text and "`dvc pull -v`" in text


# ----------------------------------------------------------------------------- scenarios
def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """git + DVC repo: tracked data/ and model.bin (pushed to a local store), a stage reading params."""
    if shutil.which("dvc") is None:
        pytest.skip("dvc not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        sh(cmd, repo)
    sh(["dvc", "config", "core.analytics", "false"], repo)
    sh(["dvc", "remote", "add", "-d", "store", str(tmp_path / "store")], repo)
    (repo / "data" / "external").mkdir(parents=True)
    (repo / "data" / "external" / "a.txt").write_text("alpha\n")
    (repo / "model.bin").write_bytes(b"weights")
    (repo / "params.yaml").write_text("paper:\n  scale: quick\n")
    (repo / "dvc.yaml").write_text("stages:\n  use:\n    cmd: echo\n    params: [paper.scale]\n")
    sh(["dvc", "add", "-q", "data", "model.bin"], repo)
    sh(["dvc", "push", "-q"], repo)
    return repo


def wrapped(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return sh([sys.executable, "-m", "paper_code.pipeline.dvc_run", *args], repo, check=False)


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
def test_scenarios_print_cause_and_fix(repo):
    ok = wrapped(repo, "pull")
    assert ok.returncode == 0, ok.stdout + ok.stderr

    (repo / "params.yaml").write_text("paper:\n  scale: quick\n bad: [1\n")
    bad_yaml = wrapped(repo, "pull", "--allow-missing")
    assert bad_yaml.returncode != 0
    assert "YAML file structure is corrupted" in bad_yaml.stdout  # DVC's own message, not quieted
    assert "cause: params.yaml is not valid YAML at line 3" in bad_yaml.stderr
    (repo / "params.yaml").write_text("paper:\n  scale: quick\n")

    (repo / "data" / "external" / "a.txt").write_text("edited\n")
    (repo / "model.bin").write_bytes(b"retrained")
    changed = wrapped(repo, "pull")
    assert changed.returncode != 0
    assert "cause: data/external/a.txt: changed or added" in changed.stderr
    assert "fix:   `dvc pull --force data.dvc`" in changed.stderr
    assert "cause: model.bin differs from its DVC record" in changed.stderr
    assert "`dvc checkout --force model.bin`" in changed.stderr
    # nothing the user made was overwritten
    assert (repo / "data" / "external" / "a.txt").read_text() == "edited\n"
    assert (repo / "model.bin").read_bytes() == b"retrained"
