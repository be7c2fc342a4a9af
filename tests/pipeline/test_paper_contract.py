"""The paper contract: the landed papers satisfy it; a paper missing a piece fails with a message naming the piece."""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from paper_code.common import config as C
from paper_code.common import paths
from paper_code.pipeline import contract, registry, scaffold

from .conftest import NOTEBOOK, PACKAGE, PAPER

ROOT = paths.REPO_ROOT
LANDED = registry.registered_papers(ROOT)


# -- the real repository ---------------------------------------------------------------------------


def test_the_landed_papers_are_registered_and_the_template_is_not():
    assert {"lr_schedule_langevin", "random_features_phase_space", "dfa_alignment", "odeformer"} <= set(LANDED)
    assert "new_paper" not in LANDED and (ROOT / "templates" / "paper").is_dir()


@pytest.mark.parametrize("paper", LANDED)
def test_landed_paper_satisfies_the_contract(paper):
    problems = contract.check_paper(ROOT, paper)
    assert not problems, "\n".join(map(str, problems))


def test_shared_stages_satisfy_the_contract():
    problems = [p for p in contract.check_repo(ROOT) if p.piece in ("training stage", "scorecard stage")]
    assert not problems, "\n".join(map(str, problems))


# -- a paper made from the template ----------------------------------------------------------------


def test_fresh_template_paper_satisfies_the_contract(paper_repo):
    assert registry.registered_papers(paper_repo) == [PAPER]
    assert contract.check_repo(paper_repo) == []


def test_template_paper_after_a_run_satisfies_the_contract(ran_paper_repo):
    metrics = json.loads((ran_paper_repo / f"metrics/{PAPER}.json").read_text())
    assert metrics["claims_mode"] == "enforced"
    assert all(c["status"] == "reproduced" for c in metrics["claims"])
    assert (ran_paper_repo / f"figures/{PAPER}/fig1_error_vs_samples.png").exists()
    assert contract.check_repo(ran_paper_repo) == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _edit_notebook(root: Path, change: Callable[[list], None]) -> None:
    path = root / NOTEBOOK
    nb = json.loads(path.read_text())
    change([c for c in nb["cells"] if c["cell_type"] == "code"])
    path.write_text(json.dumps(nb))


def _edit_metrics(root: Path, change: Callable[[dict], None]) -> None:
    path = root / f"metrics/{PAPER}.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _readme_without(root: Path, pattern: str) -> None:
    path = root / "README.md"
    path.write_text(re.sub(pattern, "", path.read_text(), flags=re.S))


def _stage(data: dict) -> dict:
    return data["stages"][PAPER]


# (piece the message must name, a fragment of the message, how to break the paper)
BREAKS: dict[str, tuple[str, str, Callable[[Path, pytest.MonkeyPatch], None]]] = {
    "not in PAPER_PACKAGES": ("registry", "PAPER_PACKAGES", lambda r, mp: mp.delitem(C.PAPER_PACKAGES, PAPER)),
    "no config module": (
        "config", "config.py is missing", lambda r, mp: (r / f"paper_code/{PACKAGE}/config.py").unlink()
    ),
    "no paper preset": (
        "config", "no 'paper' preset",
        lambda r, mp: _edit(r / f"paper_code/{PACKAGE}/config.py", '    "paper": ', '    "full": '),
    ),
    "preset of another paper": (
        "config", "PAPER is 'other'",
        lambda r, mp: _edit(r / f"paper_code/{PACKAGE}/config.py", f'PAPER = "{PAPER}"', 'PAPER = "other"'),
    ),
    "no params section": ("params.yaml", "no section", lambda r, mp: (r / "params.yaml").write_text("{}\n")),
    "unknown scale": (
        "params.yaml", "valid: quick, paper",
        lambda r, mp: _edit(r / "params.yaml", "scale: quick", "scale: huge"),
    ),
    "bad override": (
        "params.yaml", "n_repeats",
        lambda r, mp: _edit(r / "params.yaml", "scale: quick", "scale: quick\n  n_repeats: 0"),
    ),
    "no dvc stage": (
        "dvc stage", "no stage named", lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: d["stages"].pop(PAPER))
    ),
    "stage runs another command": (
        "dvc stage", "notebook runner",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: _stage(d).update(cmd="papermill x.ipynb y.ipynb")),
    ),
    "stage misses the package dep": (
        "dvc stage", f"paper_code/{PACKAGE}",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: _stage(d)["deps"].remove(f"paper_code/{PACKAGE}")),
    ),
    "stage misses the params section": (
        "dvc stage", "whole params section", lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: _stage(d).pop("params"))
    ),
    "figures not persisted": (
        "dvc stage", "persist: true",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: _stage(d)["outs"][0][f"figures/{PAPER}"].pop("persist")),
    ),
    "no metrics out": (
        "dvc stage", f"metrics/{PAPER}.json",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: _stage(d).pop("metrics")),
    ),
    "no notebook": ("notebook", "does not exist", lambda r, mp: (r / NOTEBOOK).unlink()),
    "untagged parameters cell": (
        "notebook", "tag the first code cell",
        lambda r, mp: _edit_notebook(r, lambda cells: cells[0]["metadata"].clear()),
    ),
    "parameters cell without overrides": (
        "notebook", "must set overrides",
        lambda r, mp: _edit_notebook(r, lambda cells: cells[0].update(source='scale = "quick"')),
    ),
    "no claims check at the end": (
        "notebook", "session.finish",
        lambda r, mp: _edit_notebook(r, lambda cells: cells[-1].update(source="report = None")),
    ),
    "notebook with outputs": (
        "notebook", "make strip", lambda r, mp: _edit_notebook(r, lambda cells: cells[0].update(execution_count=1))
    ),
    "notebook not run by a stage": (
        "notebook", "not run by any dvc.yaml stage",
        lambda r, mp: shutil.copyfile(r / NOTEBOOK, r / f"notebooks/{PAPER}/02_more.ipynb"),
    ),
    "no README row": ("README row", "Papers table", lambda r, mp: _readme_without(r, r"\| A toy paper .*?\n")),
    "no tests": ("tests", f"tests/{PACKAGE}/", lambda r, mp: shutil.rmtree(r / "tests" / PACKAGE)),
    "no claims module": (
        "claims", "claims.py is missing", lambda r, mp: (r / f"paper_code/{PACKAGE}/claims.py").unlink()
    ),
    "empty claims": (
        "claims", "non-empty list",
        lambda r, mp: (r / f"paper_code/{PACKAGE}/claims.py").write_text("CLAIMS = []\n"),
    ),
    "training stage caches nothing": (
        "training stage", "caches no output",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: d["stages"].update(
            {f"train_{PAPER}": {"cmd": "python train.py", "outs": [{"models/m.pt": {"cache": False}}]}}
        )),
    ),
    "notebook stage ignores the checkpoint": (
        "training stage", "does not depend on",
        lambda r, mp: _edit_yaml(r / "dvc.yaml", lambda d: d["stages"].update(
            {f"train_{PAPER}": {"cmd": "python train.py", "outs": ["models/m.pt"]}}
        )),
    ),
    "scorecard misses the metrics": (
        "scorecard stage", f"metrics/{PAPER}.json",
        lambda r, mp: _edit_yaml(r / "dvc.yaml",
                                 lambda d: d["stages"]["scorecard"].update(deps=["metrics/other.json"])),
    ),
}

# breaks that need the outputs of a run
RUN_BREAKS: dict[str, tuple[str, str, Callable[[Path, pytest.MonkeyPatch], None]]] = {
    "no gallery": (
        "README gallery", "no gallery section",
        lambda r, mp: _readme_without(r, r"### TODO: short title.*?\n\n(?=## )"),
    ),
    "figure missing from the gallery": (
        "README gallery", "does not show",
        lambda r, mp: shutil.copyfile(r / f"figures/{PAPER}/fig1_error_vs_samples.png",
                                      r / f"figures/{PAPER}/fig2_more.png"),
    ),
    "gallery links an absent figure": (
        "README gallery", "which does not exist",
        lambda r, mp: (r / f"figures/{PAPER}/fig1_error_vs_samples.png").unlink(),
    ),
    "exploratory metrics": (
        "metrics", "exploratory run",
        lambda r, mp: _edit_metrics(r, lambda m: m.update(claims_mode="exploratory", overrides={"n_repeats": 3})),
    ),
    "metric missing": (
        "metrics", "no metric 'error_slope'",
        lambda r, mp: _edit_metrics(r, lambda m: m["metrics"].pop("error_slope")),
    ),
    "claim missing from the metrics": (
        "metrics", "no result for claim", lambda r, mp: _edit_metrics(r, lambda m: m["claims"].pop())
    ),
    "claim outcome not as declared": (
        "metrics", "differs from the declaration",
        lambda r, mp: _edit_metrics(r, lambda m: m["claims"][0].update(passed=False)),
    ),
    "no executed notebook": (
        "metrics", "executed notebook",
        lambda r, mp: (r / "reports" / "notebooks" / PAPER / Path(NOTEBOOK).name).unlink(),
    ),
    "badly named figure": (
        "figures", "name figures fig<id>_<what>",
        lambda r, mp: (r / f"figures/{PAPER}/fig1_error_vs_samples.png").rename(r / f"figures/{PAPER}/Error.png"),
    ),
    "figures differ from the metrics": (
        "figures", "differ from", lambda r, mp: _edit_metrics(r, lambda m: m.update(figures=[]))
    ),
    "figures but no metrics": ("metrics", "does not", lambda r, mp: (r / f"metrics/{PAPER}.json").unlink()),
    "quick results filed as paper scale": (  # more in tests/pipeline/test_paper_scale.py
        "paper scale", "was run at scale 'quick', not 'paper'",
        lambda r, mp: shutil.copytree(r / "metrics", r / "paper_scale" / "metrics"),
    ),
}


def _assert_named(problems: list[contract.Problem], piece: str, fragment: str) -> None:
    assert problems, "the contract passed a broken paper"
    hits = [p for p in problems if p.piece == piece and fragment in p.message]
    assert hits, f"no {piece!r} problem mentioning {fragment!r} in:\n" + "\n".join(map(str, problems))
    assert str(hits[0]).startswith(f"{PAPER}: {piece}: ")


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_missing_piece_is_named(paper_repo, monkeypatch, name):
    piece, fragment, breaker = BREAKS[name]
    breaker(paper_repo, monkeypatch)
    _assert_named(contract.check_repo(paper_repo), piece, fragment)


@pytest.mark.parametrize("name", list(RUN_BREAKS))
def test_a_broken_output_is_named(ran_paper_repo, monkeypatch, name):
    piece, fragment, breaker = RUN_BREAKS[name]
    breaker(ran_paper_repo, monkeypatch)
    _assert_named(contract.check_repo(ran_paper_repo), piece, fragment)


def test_a_claim_measured_at_another_scale_needs_no_metric(ran_paper_repo):
    _edit(ran_paper_repo / f"paper_code/{PACKAGE}/claims.py", "paper_value=-0.5,",
          'paper_value=-0.5,\n        scales=("paper",),')
    _edit_metrics(ran_paper_repo, lambda m: m["metrics"].pop("error_slope"))
    assert contract.check_repo(ran_paper_repo) == []


def test_every_piece_is_exercised():
    assert {piece for piece, _, _ in [*BREAKS.values(), *RUN_BREAKS.values()]} == set(contract.PIECES)


def test_training_stage_checkpoint_must_be_in_the_store(paper_repo):
    (paper_repo / ".dvc").mkdir()
    (paper_repo / ".dvc" / "config").write_text("[core]\n    remote = store\n"
                                                "['remote \"store\"']\n    url = ../dvc-store\n")
    _edit_yaml(paper_repo / "dvc.yaml", lambda d: (
        d["stages"].update({f"train_{PAPER}": {"cmd": "python train.py", "outs": ["models/m.pt"]}}),
        _stage(d)["deps"].append("models/m.pt"),
    ))
    md5 = "0123456789abcdef0123456789abcdef"
    lock = {"schema": "2.0",
            "stages": {f"train_{PAPER}": {"cmd": "python train.py", "outs": [{"path": "models/m.pt", "md5": md5}]}}}
    (paper_repo / "dvc.lock").write_text(yaml.safe_dump(lock))
    _assert_named(contract.check_repo(paper_repo), "training stage", f"dvc push train_{PAPER}")
    stored = paper_repo / "dvc-store" / "files" / "md5" / md5[:2] / md5[2:]
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"weights")
    assert contract.check_repo(paper_repo) == []


# -- what registers a paper ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "piece",
    ["metrics/stray.json", "notebooks/stray/", "figures/stray/", "params.yaml"],
)
def test_any_piece_registers_a_paper_which_then_needs_every_piece(paper_repo, piece):
    target = paper_repo / piece
    if piece == "params.yaml":
        target.write_text(target.read_text() + "\nstray:\n  scale: quick\n")
    elif piece.endswith("/"):
        target.mkdir(parents=True)
    else:
        target.parent.mkdir(exist_ok=True)
        target.write_text(json.dumps({"paper": "stray", "scale": "quick", "claims": []}))
    assert "stray" in registry.registered_papers(paper_repo)
    problems = [p for p in contract.check_repo(paper_repo) if p.paper == "stray"]
    assert [p.piece for p in problems][:1] == ["registry"]
    assert {"registry", "dvc stage", "notebook", "README row"} <= {p.piece for p in problems}


def test_planned_papers_are_not_registered(paper_repo):
    assert set(registry.planned_papers(paper_repo)) == set(C.PAPER_PACKAGES) - {PAPER}


# -- the template and its scaffold -----------------------------------------------------------------


def test_template_holds_no_file_dvc_would_collect():
    # DVC reads every dvc.yaml and *.dvc file in the repository: one in the template would break every dvc command
    assert not [p for p in scaffold.TEMPLATE_DIR.rglob("*") if p.name in ("dvc.yaml", "dvc.lock") or p.suffix == ".dvc"]


def test_scaffold_renames_every_placeholder(paper_repo):
    for path in [*(paper_repo / "paper_code" / PACKAGE).glob("*.py"), paper_repo / NOTEBOOK, paper_repo / "dvc.yaml"]:
        text = path.read_text()
        assert not re.search(r"new_paper|new_package|NewPackage|new_topic", text), path
    assert "class ToyPkgConfig(PaperConfig)" in (paper_repo / f"paper_code/{PACKAGE}/config.py").read_text()


def test_scaffold_refuses_to_overwrite(paper_repo):
    with pytest.raises(scaffold.ScaffoldError, match="already has pieces"):
        scaffold.new_paper(paper_repo, PAPER, PACKAGE)
    with pytest.raises(scaffold.ScaffoldError, match=rf"refusing to overwrite existing files: paper_code/{PACKAGE}/"):
        scaffold.new_paper(paper_repo, "another_paper", PACKAGE)
    assert "another_paper" not in (paper_repo / "params.yaml").read_text()


@pytest.mark.parametrize("paper, package", [("Bad-Name", "pkg"), ("ok_paper", "1pkg"), ("ok_paper", "pkg_")])
def test_scaffold_rejects_bad_names(tmp_path, paper, package):
    with pytest.raises(scaffold.ScaffoldError, match="lower-case letters"):
        scaffold.new_paper(tmp_path, paper, package)
