"""Paper scale: a toy paper run at both scales into separate outputs, provenance and staleness,
the scorecard's second column, and the command's argument checks (``make paper-scale``)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
import yaml

from paper_code.common import config as C
from paper_code.common import paths
from paper_code.pipeline import contract, paper_scale, provenance, registry, run_notebook, scorecard
from paper_code.pipeline.results import result_from_payload

from .conftest import PACKAGE, PAPER
from .test_run_notebook import SETUP_CELL, TOY_CONFIG, _write_notebook

ROOT = paths.REPO_ROOT

TOY_CELLS = [
    'scale = "quick"\noverrides = {}',
    SETUP_CELL + textwrap.dedent('''
        fig, ax = new_figure(); ax.plot([0, 1], [0, session.config.value])
        session.save_figure(fig, "fig1_toy")
        session.record(value=session.config.value, total=3)
    '''),
    textwrap.dedent('''
        CLAIMS = [
            K.Claim("V", "value below 1.5", "value", K.less_than(1.5), paper_value=1.0,
                    not_reproduced=DECLARED),
            K.Claim("T", "total is 3", "total", K.close_to(3, atol=0.5), paper_value=3),
        ]
        report = session.finish(CLAIMS)
    '''),
]
DECLARED_AT_PAPER = '{"paper": "the paper preset sets value = {value:.1f}"}'

DVC_YAML = {
    "stages": {
        "toy": {
            "cmd": "python -m paper_code.pipeline.run_notebook toy notebooks/toy/toy.ipynb",
            "deps": ["notebooks/toy/toy.ipynb", "notebooks/toy/toy_config.py"],
            "params": ["toy"],
        },
        "scorecard": {"cmd": "python -m paper_code.pipeline.scorecard",
                      "deps": ["metrics", "paper_scale", "notebooks"]},
    }
}


def _toy_notebook(repo: Path, declared: str) -> None:
    cells = list(TOY_CELLS)
    cells[2] = f"DECLARED = {declared}\n" + cells[2]
    _write_notebook(repo / "notebooks/toy/toy.ipynb", cells)


@pytest.fixture
def toy(tmp_path, monkeypatch) -> Path:
    """A repository holding one toy paper (quick value 1.0, paper value 2.0) and its dvc.yaml stage."""
    nbdir = tmp_path / "notebooks" / "toy"
    nbdir.mkdir(parents=True)
    (nbdir / "toy_config.py").write_text(TOY_CONFIG)
    _toy_notebook(tmp_path, DECLARED_AT_PAPER)
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML, sort_keys=False))
    (tmp_path / "params.yaml").write_text("toy:\n  scale: quick\n")
    module = types.ModuleType("toy_config")
    monkeypatch.setitem(sys.modules, "toy_config", module)
    exec(TOY_CONFIG, module.__dict__)
    monkeypatch.setitem(C.PAPER_PACKAGES, "toy", "toy_config")
    return tmp_path


def _quiet() -> run_notebook.Console:
    return run_notebook.Console(io.StringIO())


def _files(root: Path, folder: str) -> dict[str, bytes]:
    base = root / folder
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


# -- both scales, separate outputs, the scorecard's second column, staleness (real kernels) ---------


def test_paper_scale_run_publishes_beside_the_quick_one_and_the_scorecard_shows_both(toy):
    assert run_notebook.run("toy", toy / "notebooks/toy/toy.ipynb", repo=toy, console=_quiet()) == 0
    quick = {**_files(toy, "figures"), **_files(toy, "metrics"), **_files(toy, "reports")}

    out = io.StringIO()
    assert paper_scale.run(toy, "toy", console=run_notebook.Console(out)) == 0
    assert "at scale 'paper' (claims enforced, outputs under paper_scale/)" in out.getvalue()
    assert {**_files(toy, "figures"), **_files(toy, "metrics"), **_files(toy, "reports")} == quick, \
        "a paper-scale run changed the pipeline's outputs"

    ps = toy / "paper_scale"
    metrics = json.loads((ps / "metrics/toy.json").read_text())
    assert metrics["scale"] == "paper" and metrics["claims_mode"] == "enforced" and metrics["overrides"] == {}
    assert metrics["metrics"]["value"] == 2.0 and metrics["figures"] == ["fig1_toy"]
    assert [c["status"] for c in metrics["claims"]] == ["not reproduced (declared)", "reproduced"]
    assert (ps / "figures/toy/fig1_toy.png").exists() and (ps / "figures/toy/fig1_toy.pdf").exists()
    reports = ps / "reports/notebooks/toy"
    assert (reports / "toy.ipynb").exists()
    assert json.loads((reports / "config.json").read_text())["config"] == {"seed": 0, "value": 2.0}
    record = json.loads((reports / "provenance.json").read_text())
    assert record["scale"] == "paper" and record["commit"] is None  # not a git checkout
    assert sorted(record["deps"]) == ["notebooks/toy/toy.ipynb", "notebooks/toy/toy_config.py"]
    assert record["deps"]["notebooks/toy/toy_config.py"] == provenance.path_digest(toy, "notebooks/toy/toy_config.py")
    timings = json.loads((toy / "build/timings/paper_scale/toy.json").read_text())
    assert timings["stage_wall_s"] > 0 and timings["kernel_cpu_s"] > 0
    assert json.loads((toy / "build/timings/toy.json").read_text())["scale"] == "quick"

    scorecard.write(toy)
    md = (toy / "reports/scorecard.md").read_text()
    row = ("| [toy](#toy) | quick | enforced | 2/2 reproduced | – | 1/2 reproduced (1 declared not reproduced) "
           "| unknown commit (not a git checkout), current |")
    assert row in md
    assert "Outcomes that differ between scales: **V** holds at quick, fails at paper scale." in md
    assert "| ours (quick) | status (quick) | ours (paper scale) | status (paper scale) | between scales |" in md
    assert "| 1 | reproduced | 2 | not reproduced (declared) — the paper preset sets value = 2.0 |" in md
    assert "[executed notebook](../paper_scale/reports/notebooks/toy/toy.ipynb)" in md
    assert "[fig1_toy](../paper_scale/figures/toy/fig1_toy.png)" in md
    (record_json,) = json.loads((toy / "reports/scorecard.json").read_text())
    assert record_json["paper_scale"]["scale"] == "paper" and record_json["paper_scale"]["stale"] is False

    # a dependency of the stage changes: the result is now older than its code, and the scorecard says so
    config = toy / "notebooks/toy/toy_config.py"
    config.write_text(config.read_text().replace('"the value the notebook reports"', '"the reported value"'))
    run = paper_scale.load_run(toy, "toy")
    assert run.stale and run.changed == ("notebooks/toy/toy_config.py",)
    scorecard.write(toy)
    md = (toy / "reports/scorecard.md").read_text()
    assert "stale: notebooks/toy/toy_config.py changed since the run" in md


def test_paper_scale_run_is_enforced_and_a_flip_publishes_nothing(toy, caplog):
    _toy_notebook(toy, "{}")  # V (value < 1.5) is not declared at paper scale, and value = 2.0 there
    assert paper_scale.run(toy, "toy", console=_quiet()) == 1
    assert not (toy / "paper_scale").exists()
    kept = toy / "build/failed/paper_scale/toy"
    assert "ClaimFailure" in (kept / "reports/notebooks/toy/toy.ipynb").read_text()
    assert "V: FAILED" in caplog.text and "Runs at a fixed scale are always enforced" in caplog.text
    assert "not_reproduced={'paper':" in caplog.text and "dvc exp run" not in caplog.text


def test_the_stage_commands_before_the_notebook_run_first(toy, caplog):
    stages = yaml.safe_load((toy / "dvc.yaml").read_text())
    stages["stages"]["toy"]["cmd"] = "python -c 'import sys; sys.exit(3)' && " + stages["stages"]["toy"]["cmd"]
    (toy / "dvc.yaml").write_text(yaml.safe_dump(stages))
    assert paper_scale.run(toy, "toy", console=_quiet()) == 3
    assert "failed with exit 3; nothing was run" in caplog.text
    assert not (toy / "build").exists() and not (toy / "paper_scale").exists()


# -- provenance: digests, git state, staleness -----------------------------------------------------


def test_digests_follow_content_and_names_and_skip_caches(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("a = 1\n")
    (pkg / "sub" / "b.py").write_text("b = 2\n")
    first = provenance.path_digest(tmp_path, "pkg")
    for junk in ("__pycache__/a.cpython-311.pyc", "c.pyc", ".ipynb_checkpoints/x.ipynb", ".a.py.tmp"):
        (pkg / junk).parent.mkdir(parents=True, exist_ok=True)
        (pkg / junk).write_text("noise")
    assert provenance.path_digest(tmp_path, "pkg") == first
    (pkg / "sub" / "b.py").write_text("b = 3\n")
    assert provenance.path_digest(tmp_path, "pkg") != first
    (pkg / "sub" / "b.py").write_text("b = 2\n")
    assert provenance.path_digest(tmp_path, "pkg") == first
    (pkg / "sub" / "b.py").rename(pkg / "sub" / "c.py")
    assert provenance.path_digest(tmp_path, "pkg") != first
    assert provenance.path_digest(tmp_path, "absent") is None


def test_changed_deps_sees_edits_and_a_changed_dependency_list(tmp_path):
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(name)
    prov = provenance.record(tmp_path, "p", "paper", ["a.py", "b.py"])
    assert provenance.changed_deps(tmp_path, prov) == []
    (tmp_path / "b.py").write_text("edited")
    assert provenance.changed_deps(tmp_path, prov) == ["b.py"]
    (tmp_path / "b.py").write_text("b.py")
    assert provenance.changed_deps(tmp_path, prov, ["a.py", "b.py", "c.py"]) == ["c.py"]  # gained a dependency
    assert provenance.changed_deps(tmp_path, prov, ["a.py"]) == ["b.py"]  # lost one


def _git(root: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_record_names_the_commit_and_the_dependency_paths_with_uncommitted_changes(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1\n")
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "other.txt").write_text("not a dependency")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "one")
    head = _git(tmp_path, "rev-parse", "HEAD").strip()
    clean = provenance.record(tmp_path, "p", "paper", ["pkg", "nb.ipynb"])
    assert clean.commit == head and clean.dirty == ()
    assert provenance.describe_commit(clean) == head[:7]
    (tmp_path / "other.txt").write_text("changed, but no dependency")
    (tmp_path / "pkg" / "new.py").write_text("y = 2\n")  # untracked, inside a dependency
    dirty = provenance.record(tmp_path, "p", "paper", ["pkg", "nb.ipynb"])
    assert dirty.dirty == ("pkg",)
    assert provenance.describe_commit(dirty) == f"{head[:7]} + uncommitted changes in pkg"
    assert provenance.Provenance.from_dict(json.loads(json.dumps(dirty.to_dict()))) == dirty


# -- the scorecard's two columns (records, no kernel) ---------------------------------------------


def _claim(cid, passed, expected=True, measured=True, scale="quick"):
    return {"id": cid, "statement": f"statement {cid}", "metric": f"m_{cid}", "check": "> 0", "paper_value": 1.0,
            "our_value": 1.0 if passed else -1.0, "scale": scale, "passed": passed, "expected_pass": expected,
            "note": "" if expected else "declared", "measured": measured}


def _result(paper, scale, claims):
    return result_from_payload(paper, {"paper": paper, "scale": scale, "overrides": {}, "claims_mode": "enforced",
                                       "metrics": {}, "claims": claims, "figures": []})


def _run(paper, claims, changed=()):
    prov = provenance.Provenance(paper, "paper", "0123456789abcdef", (), {"paper_code/x": "d"})
    return paper_scale.PaperScaleRun(_result(paper, "paper", claims), prov, tuple(changed))


def test_scorecard_names_claims_that_differ_in_both_directions():
    quick = _result("dfa_alignment", "quick",
                    [_claim("A", True), _claim("B", False, expected=False), _claim("C", True)])
    paper = _run("dfa_alignment", [_claim("A", False, expected=False, scale="paper"), _claim("B", True, scale="paper"),
                                   _claim("C", True, scale="paper"), _claim("D", True, scale="paper")])
    md = scorecard.render([quick], {"dfa_alignment": paper})
    assert ("Outcomes that differ between scales: **A** holds at quick, fails at paper scale; "
            "**B** fails at quick, holds at paper scale.") in md
    assert "| **C** statement C | 1 | > 0 | 1 | reproduced | 1 | reproduced | – |" in md
    assert "| **D** statement D | 1 | > 0 | – | – | 1 | reproduced | – |" in md  # a claim only the paper run has
    assert ("| 2/3 reproduced (1 declared not reproduced) | – | 3/4 reproduced (1 declared not reproduced) "
            "| 0123456, current |") in md


def test_scorecard_rows_for_a_paper_not_run_at_paper_scale_and_for_one_run_only_there():
    quick = _result("dfa_alignment", "quick", [_claim("A", True)])
    only_paper = _run("lr_schedule_langevin", [_claim("A", True, scale="paper")], changed=["paper_code/x"])
    md = scorecard.render([quick], {"lr_schedule_langevin": only_paper})
    assert "| [dfa_alignment](#dfa_alignment) | quick | enforced | 1/1 reproduced | – | not run | – |" in md
    assert ("| [lr_schedule_langevin](#lr_schedule_langevin) | – | – | not run | – | 1/1 reproduced "
            "| 0123456, stale: paper_code/x changed since 0123456 |") in md
    assert md.index("## lr_schedule_langevin") < md.index("## dfa_alignment")  # design order
    assert "Not run at quick scale yet: no outcomes to compare." in md
    unmeasured = _run("dfa_alignment", [_claim("A", False, expected=False, measured=False, scale="paper")])
    assert ("No claim's outcome differs between the two scales."
            in scorecard.render([quick], {"dfa_alignment": unmeasured}))


def test_registry_registers_a_paper_with_only_a_paper_scale_result(tmp_path):
    (tmp_path / "paper_scale/metrics").mkdir(parents=True)
    (tmp_path / "paper_scale/metrics/dfa_alignment.json").write_text("{}")
    assert registry.registered_papers(tmp_path) == ["dfa_alignment"]


# -- the command: argument checks, and never part of make figures / make test / CI ----------------


def test_main_refuses_a_missing_or_unknown_paper_with_the_valid_list(toy, capsys):
    assert paper_scale.main(["--repo", str(toy)]) == 2
    assert "name a paper: `make paper-scale PAPER=<paper>`; valid: toy" in capsys.readouterr().err
    assert paper_scale.main(["--repo", str(toy), "tyo"]) == 2
    assert "unknown paper 'tyo'; valid: toy" in capsys.readouterr().err
    assert paper_scale.main(["--repo", str(toy), "--check", "toy"]) == 0
    assert not (toy / "build").exists()


def test_main_refuses_a_paper_whose_notebook_evaluates_a_trained_checkpoint(toy, capsys):
    stages = yaml.safe_load((toy / "dvc.yaml").read_text())
    stages["stages"]["train_toy"] = {"cmd": "true", "outs": ["models/toy/model.pt"]}
    stages["stages"]["toy"]["deps"].append("models/toy/model.pt")
    (toy / "dvc.yaml").write_text(yaml.safe_dump(stages))
    assert paper_scale.main(["--repo", str(toy), "toy"]) == 2
    err = capsys.readouterr().err
    assert "evaluates models/toy/model.pt, which 'train_toy' trains" in err and "paper scale" in err
    assert paper_scale.runnable_papers(toy) == []


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("arg, expected", [("PAPER=no_such_paper", "unknown paper 'no_such_paper'; valid: "),
                                           ("PAPER=", "name a paper: `make paper-scale PAPER=<paper>`; valid: ")])
def test_make_target_checks_the_paper_before_doing_anything(arg, expected):
    # -o: treat the set-up stamp as up to date, so the test never reinstalls .venv
    proc = subprocess.run(["make", "-s", "-o", ".venv/.setup-stamp", "paper-scale", arg], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and expected in proc.stderr
    assert ", ".join(paper_scale.runnable_papers(ROOT)) in proc.stderr
    assert "dvc pull" not in proc.stdout + proc.stderr  # stopped before restoring data


def test_nothing_routine_runs_paper_scale():
    dvc = registry.load_stages(ROOT)
    assert not any("paper_scale" in s.cmd for s in dvc.values()), "a dvc.yaml stage runs the paper-scale command"
    assert not any(out.startswith(registry.PAPER_SCALE_DIR) for s in dvc.values() for out in s.outs)
    assert registry.PAPER_SCALE_DIR in dvc["scorecard"].deps  # ...but the scorecard reads its results
    assert "paper_scale" not in (ROOT / ".ci/run").read_text() and "paper-scale" not in (ROOT / ".ci/run").read_text()
    dry = subprocess.run(["make", "-n", "-o", ".venv/.setup-stamp", "figures", "test", "unit", "notebooks"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert dry.returncode == 0, dry.stderr
    assert "paper_scale" not in dry.stdout and "paper-scale" not in dry.stdout


# -- the contract: optional, checked when present, stale allowed --------------------------------------


def _with_paper_scale_result(root: Path) -> Path:
    """Lay the template paper's published outputs out as a paper-scale result (structure only, for the contract)."""
    out = root / "paper_scale"
    metrics = json.loads((root / f"metrics/{PAPER}.json").read_text())
    metrics["scale"] = "paper"
    (out / "metrics").mkdir(parents=True)
    (out / f"metrics/{PAPER}.json").write_text(json.dumps(metrics))
    shutil.copytree(root / f"figures/{PAPER}", out / f"figures/{PAPER}")
    shutil.copytree(root / f"reports/notebooks/{PAPER}", out / f"reports/notebooks/{PAPER}")
    stage, _ = paper_scale.stage_of(root, PAPER)
    record = provenance.record(root, PAPER, "paper", stage.deps)
    (out / f"reports/notebooks/{PAPER}/provenance.json").write_text(json.dumps(record.to_dict()))
    return out


def _scorecard_deps(root: Path, deps: list[str]) -> None:
    data = yaml.safe_load((root / "dvc.yaml").read_text())
    data["stages"]["scorecard"]["deps"] = deps
    (root / "dvc.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def _pieces(root: Path) -> list[str]:
    return [f"{p.piece}: {p.message}" for p in contract.check_repo(root)]


def test_contract_checks_a_paper_scale_result_and_allows_it_to_be_stale(ran_paper_repo):
    root = ran_paper_repo
    out = _with_paper_scale_result(root)
    problems = _pieces(root)
    assert len(problems) == 1 and problems[0].startswith("scorecard stage: the scorecard stage does not depend on "
                                                         "paper_scale/metrics, paper_scale/reports, notebooks/")
    _scorecard_deps(root, ["metrics", "paper_scale", "paper_code", "notebooks"])
    assert _pieces(root) == []
    with open(root / f"paper_code/{PACKAGE}/experiments.py", "a") as fh:
        fh.write("# edited after the run\n")
    assert paper_scale.load_run(root, PAPER).stale and _pieces(root) == []  # stale is reported, not a breach
    (out / f"figures/{PAPER}/fig1_error_vs_samples.png").unlink()
    (out / f"reports/notebooks/{PAPER}/provenance.json").unlink()
    problems = _pieces(root)
    assert any(p.startswith("paper scale: paper_scale/figures/toy_paper/*.png (0) differ") for p in problems), problems
    assert any("provenance.json (commit and code digests) is missing" in p for p in problems), problems


@pytest.mark.parametrize("change, expected", [
    (lambda m: m.update(scale="quick"), "was run at scale 'quick', not 'paper'"),
    (lambda m: m.update(claims_mode="exploratory", overrides={"seed": 1}), "comes from an exploratory run"),
    (lambda m: m["claims"][0].update(passed=not m["claims"][0]["passed"]), "outcome differs from the declaration"),
    (lambda m: m["metrics"].clear(), "lacks the metric(s) its claims check"),
])
def test_contract_rejects_a_paper_scale_result_that_is_not_an_enforced_complete_run(ran_paper_repo, change, expected):
    root = ran_paper_repo
    out = _with_paper_scale_result(root)
    _scorecard_deps(root, ["metrics", "paper_scale", "paper_code", "notebooks"])
    path = out / f"metrics/{PAPER}.json"
    metrics = json.loads(path.read_text())
    change(metrics)
    path.write_text(json.dumps(metrics))
    problems = [str(p) for p in contract.check_paper(root, PAPER)]
    assert any(p.startswith(f"{PAPER}: paper scale: ") and expected in p for p in problems), problems
