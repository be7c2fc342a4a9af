"""The scorecard: every metrics/*.json without a hand-kept list, the results-only schema, old files still readable."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paper_code.common import paths
from paper_code.pipeline import registry, scorecard


def _claim(cid, passed, expected=True, status=None, note=""):
    record = {
        "id": cid, "statement": f"statement {cid}", "metric": f"m_{cid}", "check": "> 0", "paper_value": 1.0,
        "our_value": 2.0 if passed else -1.0, "scale": "quick", "passed": passed, "expected_pass": expected,
        "note": note,
    }
    if status:
        record["status"] = status
    return record


def _write(metrics_dir, paper, **payload):
    metrics_dir.mkdir(exist_ok=True)
    (metrics_dir / f"{paper}.json").write_text(json.dumps({"paper": paper, "scale": "quick", **payload}))


def test_collect_finds_every_metrics_file_in_design_order(tmp_path):
    for paper in ("zz_new_paper", "dfa_alignment", "aa_other", "odeformer"):
        _write(tmp_path, paper, claims=[])
    (tmp_path / ".dfa_alignment.json.tmp123.json").write_text("{")  # an atomic write in progress is not a paper
    papers = [r.paper for r in scorecard.collect(tmp_path)]
    assert papers == ["odeformer", "dfa_alignment", "aa_other", "zz_new_paper"]


def test_enforced_row_counts_and_no_runtime(tmp_path):
    _write(
        tmp_path, "dfa_alignment", claims_mode="enforced", overrides={},
        claims=[_claim("A", True), _claim("B", False, expected=False, note="too small a model"), _claim("C", True)],
    )
    md = scorecard.render(scorecard.collect(tmp_path))
    assert ("| [dfa_alignment](#dfa_alignment) | quick | enforced | 2/3 reproduced (1 declared not reproduced) "
            "| – |") in md
    assert "| **B** statement B | 1 | -1 | > 0 | quick | not reproduced (declared) — too small a model |" in md
    assert "runtime" not in md and "reports/benchmarks.md" in md


def test_exploratory_row_shows_the_overrides(tmp_path):
    _write(
        tmp_path, "dfa_alignment", claims_mode="exploratory", overrides={"mlp_epochs": 1, "label_noise": [0.0, 0.5]},
        claims=[_claim("A", True, status="passed (exploratory)"), _claim("B", False, status="failed (exploratory)")],
    )
    results = scorecard.collect(tmp_path)
    md = scorecard.render(results)
    row = ("| [dfa_alignment](#dfa_alignment) | quick | exploratory | 1/2 passed (exploratory) "
           "| label_noise=[0.0, 0.5], mlp_epochs=1 |")
    assert row in md
    assert "Exploratory run (overrides: label_noise=[0.0, 0.5], mlp_epochs=1)" in md
    assert "| failed (exploratory) |" in md


def test_old_metrics_files_still_render(tmp_path):
    # written before the results-only schema: config and timings inside, no claims_mode, no status on records
    _write(
        tmp_path, "lr_schedule_langevin", config={"seed": 0}, wall_time_s=80.0, timings_s={"a": 1.0},
        claims=[_claim("A", True), _claim("B", True, expected=False)],
    )
    (result,) = scorecard.collect(tmp_path)
    assert result.claims_mode == "enforced" and result.n_off == 1
    md = scorecard.render([result])
    assert "| enforced | 1/2 reproduced (1 declared not reproduced, 1 NOT AS DECLARED) |" in md
    assert "UNEXPECTED PASS: update the declaration" in md and "80" not in md


def test_unmeasured_claims_are_counted_apart(tmp_path):
    unmeasured = {**_claim("B", False, expected=False, status="not measured at this scale"), "measured": False}
    _write(tmp_path, "odeformer", claims_mode="enforced", overrides={}, claims=[_claim("A", True), unmeasured])
    (result,) = scorecard.collect(tmp_path)
    assert result.summary() == "1/2 reproduced (1 not measured at this scale)" and result.n_off == 0


def test_committed_metrics_render():
    results = scorecard.collect(paths.REPO_ROOT / paths.METRICS)
    assert [r.paper for r in results] == registry.paper_order(p.stem
                                                              for p in (paths.REPO_ROOT / "metrics").glob("*.json"))
    md = scorecard.render(results)
    assert all(f"## {r.paper}" in md for r in results)


def test_write_produces_both_reports(tmp_path):
    _write(tmp_path / "metrics", "dfa_alignment", claims_mode="enforced", overrides={}, claims=[_claim("A", True)])
    scorecard.write(tmp_path)
    records = json.loads((tmp_path / "reports/scorecard.json").read_text())
    assert records[0]["paper"] == "dfa_alignment" and records[0]["claims_mode"] == "enforced"
    assert records[0]["n_reproduced"] == 1 and "wall_time_s" not in records[0]
    assert (tmp_path / "reports/scorecard.md").read_text().startswith("# Reproduction scorecard")


def test_bad_metrics_file_is_named(tmp_path):
    (tmp_path / "odeformer.json").write_text("{not json")
    with pytest.raises(ValueError, match="odeformer.json: not valid JSON"):
        scorecard.collect(tmp_path)


def test_help_prints_help_and_writes_nothing(tmp_path):
    (tmp_path / "metrics").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "paper_code.pipeline.scorecard", "--help", "--root", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0 and "usage:" in proc.stdout and "scorecard" in proc.stdout
    assert not (tmp_path / "reports").exists()


def test_main_regenerates_under_root(tmp_path):
    _write(tmp_path / "metrics", "odeformer", claims=[_claim("A", True)])
    assert scorecard.main(["--root", str(tmp_path)]) == 0
    assert "[odeformer](#odeformer)" in (tmp_path / "reports/scorecard.md").read_text()
