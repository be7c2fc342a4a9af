"""The data record (data.dvc) is never rewritten from missing or damaged data.

A temporary git + DVC repository with a tiny tracked ``data/`` and a stage wired the
way dvc.yaml wires the data-reading stages (``deps`` on code, never on ``data``; the
data check first). Deleting or truncating a tracked file must stop ``dvc repro``
with the restore command, leaving data.dvc byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from paper_code.data import (
    MNIST_SUBSET_FILENAME,
    MNIST_SUBSET_SHA256,
    checksums,
    external,
    integrity,
    paths,
)

ROOT = paths.REPO_ROOT


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


STAGE = {
    "stages": {
        "use": {
            "cmd": f"{sys.executable} -m paper_code.data.integrity --root . && "
            f"{sys.executable} reader.py",
            "deps": ["reader.py"],
            "outs": [{"out.txt": {"persist": True}}],  # as the project's stages
        }
    }
}
READER = (
    "from pathlib import Path\n"
    "Path('out.txt').write_text(Path('data/external/toy/a.txt').read_text())\n"
)
CHECK = [sys.executable, "-m", "paper_code.data.integrity", "--root", "."]


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dvc") is None:
        pytest.skip("dvc not installed")
    repo = tmp_path_factory.mktemp("dvcrepo")
    sh(["git", "init", "-q"], repo)
    sh(["git", "config", "user.email", "t@example.com"], repo)
    sh(["git", "config", "user.name", "t"], repo)
    sh(["dvc", "init", "-q"], repo)
    sh(["dvc", "config", "core.analytics", "false"], repo)
    toy = repo / "data" / "external" / "toy"
    toy.mkdir(parents=True)
    (toy / "a.txt").write_text("alpha\n" * 100)
    (toy / "b.txt").write_text("beta\n" * 100)
    sh(["dvc", "add", "-q", "data"], repo)
    (repo / "reader.py").write_text(READER)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(STAGE))
    sh(["dvc", "repro", "-q"], repo)
    sh(["git", "add", "-A"], repo)
    sh(["git", "commit", "-qm", "init"], repo)
    return repo


@pytest.fixture
def repo(dvc_repo: Path) -> Iterator[Path]:
    """The module's repository, reset to its committed state with the data restored."""
    yield dvc_repo
    sh(["git", "checkout", "-q", "--", "."], dvc_repo)
    sh(["dvc", "checkout", "-q", "--force"], dvc_repo)


def damage(repo: Path, how: str) -> str:
    target = repo / "data" / "external" / "toy" / "a.txt"
    if how == "delete":
        shutil.rmtree(repo / "data" / "external")
    else:
        with open(target, "r+b") as fh:
            fh.truncate(10)
    return "data/external/toy/a.txt"


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
@pytest.mark.parametrize("how", ["delete", "truncate"])
def test_repro_stops_before_rewriting_the_record(repo, how):
    record, lock = (repo / "data.dvc").read_bytes(), (repo / "dvc.lock").read_bytes()
    rel = damage(repo, how)
    with open(repo / "reader.py", "a") as fh:  # a code change: the stage must run
        fh.write("# edited\n")
    proc = sh(["dvc", "repro"], repo, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert rel in out and "dvc pull --force data.dvc" in out
    assert ("deleted:" if how == "delete" else "modified:") in out
    assert (repo / "data.dvc").read_bytes() == record
    assert (repo / "dvc.lock").read_bytes() == lock
    assert (repo / "out.txt").read_text() == "alpha\n" * 100  # nothing computed from bad data


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
@pytest.mark.parametrize("how", ["delete", "truncate"])
def test_repro_with_nothing_to_run_leaves_the_record(repo, how):
    record = (repo / "data.dvc").read_bytes()
    damage(repo, how)
    proc = sh(["dvc", "repro"], repo, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "data.dvc" not in proc.stdout  # not a stage of this pipeline
    assert (repo / "data.dvc").read_bytes() == record
    # the check (run first by `make data` / `make figures`) still stops with the fix
    check = sh(CHECK, repo, check=False)
    assert check.returncode == 1 and "dvc pull --force data.dvc" in check.stderr


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
def test_added_file_is_not_a_problem(repo):
    (repo / "data" / "external" / "toy" / "c.txt").write_text("new\n")
    check = sh(CHECK, repo, check=False)
    assert check.returncode == 0, check.stderr


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
def test_a_record_of_a_damaged_pinned_file_is_caught(repo):
    bad = repo / "data" / "external" / "mnist5k" / MNIST_SUBSET_FILENAME
    bad.parent.mkdir()
    bad.write_bytes(b"junk")
    sh(["dvc", "add", "-q", "data"], repo)  # someone records the damaged file
    check = sh(CHECK, repo, check=False)
    assert check.returncode == 1
    assert "damaged record: data/external/mnist5k/mnist_5k.csv.gz" in check.stderr
    shutil.rmtree(bad.parent)


@pytest.mark.slow  # a temporary DVC repository: ~1 s per dvc call
def test_a_stage_depending_on_data_rewrites_the_record(repo):
    """Why the wiring matters: DVC 'reproduces' data.dvc from whatever is on disk."""
    record = (repo / "data.dvc").read_bytes()
    stage = yaml.safe_load((repo / "dvc.yaml").read_text())
    stage["stages"]["use"]["deps"].append("data")
    (repo / "dvc.yaml").write_text(yaml.safe_dump(stage))
    damage(repo, "truncate")
    sh(["dvc", "repro"], repo, check=False)
    assert (repo / "data.dvc").read_bytes() != record


@pytest.mark.parametrize(
    "status,expected",
    [
        ({"uncommitted": {"deleted": ["data/", "data/a.txt"]}}, {"deleted": ["data/a.txt"]}),
        ({"uncommitted": {"modified": ["data/"], "added": ["data/new.txt"]}}, {}),
        ({"uncommitted": {"deleted": ["data/"]}}, {"deleted": ["data/"]}),  # no manifest
        ({"unchanged": ["data/", "data/a.txt"]}, {}),
    ],
)
def test_changes_from_dvc_status(status, expected):
    assert integrity.changes_from_status(status) == {
        "deleted": expected.get("deleted", []),
        "modified": expected.get("modified", []),
    }


def _stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_no_project_stage_depends_on_data():
    for name, stage in _stages().items():
        deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
        bad = [d for d in deps if d.rstrip("/") == "data" or d.startswith("data/")]
        assert not bad, f"stage {name!r} depends on {bad}: dvc repro would rewrite data.dvc"


def test_data_reading_stages_check_the_data_first():
    readers = {n: s for n, s in _stages().items() if "paper_code/data" in s.get("deps", [])}
    assert readers, "no stage reads paper_code/data"
    for name, stage in readers.items():
        assert stage["cmd"].startswith("python -m paper_code.data.integrity && "), name


def test_committed_record_and_store_hold_the_pinned_files():
    """data.dvc's manifest in dvc-store/ lists every pinned file, and the stored copies verify."""
    digest = yaml.safe_load((ROOT / "data.dvc").read_text())["outs"][0]["md5"]
    store = ROOT / "dvc-store" / "files" / "md5"
    manifest = json.loads((store / digest[:2] / digest[2:]).read_text())
    objects = {e["relpath"]: store / e["md5"][:2] / e["md5"][2:] for e in manifest}
    subset = objects[f"external/mnist5k/{MNIST_SUBSET_FILENAME}"]
    assert checksums.file_sha256(subset) == MNIST_SUBSET_SHA256
    for stem, sha in external.FASHION_MNIST_SHA256.items():
        assert checksums.content_sha256(objects[f"external/fashion-mnist/{stem}.gz"]) == sha, stem
