"""The ``paper-code`` command: list, run (DVC commands checked, never executed), scorecard, check, new."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from paper_code.common import paths
from paper_code.pipeline import cli, registry

from .conftest import PACKAGE, PAPER

ROOT = paths.REPO_ROOT


@pytest.fixture
def dvc_calls(monkeypatch):
    """Record the commands ``paper-code run`` would execute; git reports every file as tracked."""
    calls = []

    def fake_run(cmd, cwd=None, env=None, capture_output=False, text=False, check=False):
        calls.append(list(cmd))
        if cmd[0] == "git":
            return subprocess.CompletedProcess(cmd, 0, stdout="\n".join(cmd[3:]), stderr="")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(cli.subprocess, "run", fake_run)
    return calls


def _dvc(calls):
    (cmd,) = [c for c in calls if c[:3] == [sys.executable, "-m", "dvc"]]
    return cmd[3:]


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["paper-code"] == "paper_code.pipeline.cli:main"


def test_list_shows_registered_and_planned_papers(capsys):
    assert cli.main(["--repo", str(ROOT), "list"]) == 0
    out = capsys.readouterr().out
    for paper in registry.registered_papers(ROOT):
        assert paper in out
    for paper in registry.planned_papers(ROOT):  # none once every paper of PAPER_PACKAGES is registered
        assert re.search(rf"^{paper}\s.*planned$", out, re.M)
    assert "enforced" in out and "reproduced" in out


def test_list_reports_a_paper_not_run_yet(paper_repo, capsys):
    assert cli.main(["--repo", str(paper_repo), "list"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith(PAPER))
    assert f"not run yet (`paper-code run {PAPER}`)" in line


def test_list_reports_the_claims_of_a_paper_after_a_run(ran_paper_repo, capsys):
    assert cli.main(["--repo", str(ran_paper_repo), "list"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith(PAPER))
    assert "quick" in line and "enforced" in line and "2/2 reproduced" in line


def test_run_without_overrides_is_dvc_repro(dvc_calls):
    assert cli.main(["--repo", str(ROOT), "run", "dfa_alignment"]) == 0
    assert _dvc(dvc_calls) == ["repro", "dfa_alignment"]


def test_run_force_reruns_that_stage_alone(dvc_calls):
    assert cli.main(["--repo", str(ROOT), "run", "dfa_alignment", "--force"]) == 0
    assert _dvc(dvc_calls) == ["repro", "--force", "--single-item", "dfa_alignment"]


def test_run_with_overrides_is_a_temp_experiment(dvc_calls, capsys):
    argv = ["--repo", str(ROOT), "run", "dfa_alignment", "-S", "mlp_epochs=1",
            "-S", "dfa_alignment.label_noise=[0.0, 0.5]"]
    assert cli.main(argv) == 0
    copy = ["--copy-paths", "data"] if (ROOT / "data").exists() else []  # the temp copy needs the DVC-tracked data
    assert _dvc(dvc_calls) == [
        "exp", "run", "--temp", *copy, "dfa_alignment",
        "--set-param", "+dfa_alignment.mlp_epochs=1",  # absent from params.yaml: DVC needs the '+'
        "--set-param", "+dfa_alignment.label_noise=[0.0, 0.5]",
    ]
    assert "params.yaml and the committed figures/metrics are unchanged" in capsys.readouterr().out


def test_run_scale_and_existing_key(paper_repo, dvc_calls):
    (paper_repo / "params.yaml").write_text((paper_repo / "params.yaml").read_text() + "  n_repeats: 50\n")
    (paper_repo / "data.dvc").write_text("outs:\n- path: data\n  md5: 0123.dir\n")
    (paper_repo / "data").mkdir()
    assert cli.main(["--repo", str(paper_repo), "run", PAPER, "--scale", "paper", "-S", "n_repeats=20"]) == 0
    assert _dvc(dvc_calls) == [
        "exp", "run", "--temp", "--copy-paths", "data", PAPER, "--set-param", f"{PAPER}.scale=paper",
        "--set-param", f"{PAPER}.n_repeats=20",
    ]


def test_run_dry_run_executes_nothing(dvc_calls, capsys):
    assert cli.main(["--repo", str(ROOT), "run", "odeformer", "--dry-run"]) == 0
    assert "$ dvc repro odeformer" in capsys.readouterr().out
    assert not [c for c in dvc_calls if "dvc" in c]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "nope"], "unknown paper 'nope'; valid: odeformer, e2e_symbolic_regression, recurrent_sequences, "
                          "boolformer, arithmetic_length_generalization, lr_schedule_langevin"),
        (["run", "dfa_alignment", "-S", "mlp_epoch=1"], "did you mean 'mlp_epochs'"),
        (["run", "dfa_alignment", "-S", "mlp_epochs=-3"], "mlp_epochs: -3.0 is out of range"),
        (["run", "dfa_alignment", "-S", "mlp_epochs"], "expected key=value"),
        (["check", "nope"], "unknown paper 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_runs_nothing(dvc_calls, capsys, argv, message):
    assert cli.main(["--repo", str(ROOT), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not [c for c in dvc_calls if "dvc" in c]


def test_run_refuses_an_experiment_on_untracked_files(paper_repo, monkeypatch, capsys):
    def untracked(cmd, **kwargs):
        assert cmd[0] == "git", "dvc must not start"
        return subprocess.CompletedProcess(cmd, 0, stdout="params.yaml\ndvc.yaml\n", stderr="")

    monkeypatch.setattr(cli.subprocess, "run", untracked)
    assert cli.main(["--repo", str(paper_repo), "run", PAPER, "-S", "n_repeats=20"]) == 2
    assert f"notebooks/{PAPER}/01_toy_topic.ipynb is untracked: `git add` it first" in capsys.readouterr().err


def test_scorecard_prints_the_report(tmp_path, capsys):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    assert cli.main(["--repo", str(tmp_path), "scorecard"]) == 2
    assert "generate it with `dvc repro scorecard`" in capsys.readouterr().err
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/scorecard.md").write_text("# Reproduction scorecard\n")
    assert cli.main(["--repo", str(tmp_path), "scorecard"]) == 0
    assert capsys.readouterr().out == "# Reproduction scorecard\n"


def test_check_passes_and_fails(paper_repo, capsys):
    assert cli.main(["--repo", str(paper_repo), "check"]) == 0
    assert f"ok: 1 paper(s) satisfy the contract: {PAPER}" in capsys.readouterr().out
    (paper_repo / "tests" / PACKAGE / "test_experiments.py").unlink()
    assert cli.main(["--repo", str(paper_repo), "check", PAPER]) == 1
    assert f"{PAPER}: tests: tests/{PACKAGE}/ with at least one test_*.py is missing" in capsys.readouterr().out


def test_new_creates_a_paper_and_says_what_is_left(paper_repo, capsys):
    assert cli.main(["--repo", str(paper_repo), "new", "second_paper", "--package", "second"]) == 0
    out = capsys.readouterr().out
    assert "notebooks/second_paper/01_walkthrough.ipynb" in out
    assert '"second_paper": "paper_code.second.config",' in out and "[01_walkthrough](notebooks/second_paper/" in out
    assert (paper_repo / "paper_code/second/config.py").exists()
    assert cli.main(["--repo", str(paper_repo), "new", "second_paper", "--package", "second"]) == 2
    assert "already has pieces" in capsys.readouterr().err


def test_console_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from paper_code.pipeline.cli import main; sys.exit(main(['--help']))"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0 and "paper-code" in proc.stdout and "scorecard" in proc.stdout
