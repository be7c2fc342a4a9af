"""Gather every paper's claims into ``reports/scorecard.md`` and ``reports/scorecard.json``.

    python -m paper_code.pipeline.scorecard            # the `scorecard` stage of dvc.yaml
    python -m paper_code.pipeline.scorecard --help

Reads every ``metrics/*.json`` (no hand-kept list: a new paper's file is picked
up as soon as it exists), papers in the design's order and then alphabetically,
and lays out claim, paper value, our value, check, scale and status side by
side. The per-paper row shows the scale, the claims mode and any overrides of
an exploratory run. Run times are not results: they live in the benchmark
report (``reports/benchmarks.md``).

A second column holds the paper-scale results (``paper_scale/``, written by
``make paper-scale PAPER=<paper>``, never by the pipeline) with the commit each ran
at, and says "stale" when code it depends on changed since. Per claim, the outcomes
at both scales stand side by side, and a claim that holds at one scale and fails at
the other is named in words.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from paper_code.common import paths
from paper_code.common.claims import format_value, md_cell
from paper_code.common.outputs import atomic_write, to_jsonable
from paper_code.pipeline import paper_scale, registry
from paper_code.pipeline.results import EXPLORATORY, PaperResult, format_overrides, result_from_payload

log = logging.getLogger("scorecard")

BENCHMARK_REPORT = "reports/benchmarks.md"


def collect(metrics_dir: Path, packages: Mapping[str, str] | None = None) -> list[PaperResult]:
    """One :class:`PaperResult` per ``metrics_dir/*.json``, in design order then alphabetical."""
    files = {f.stem: f for f in metrics_dir.glob("*.json") if not f.name.startswith(".")}
    results = []
    for paper in registry.paper_order(files, packages):
        try:
            payload = json.loads(files[paper].read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{files[paper]}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        results.append(result_from_payload(paper, payload))
    return results


def _status_text(result: PaperResult, claim: Mapping) -> str:
    status = result.claim_status(claim)
    note = claim.get("note") or ""
    if note and status != "reproduced" and not status.startswith("passed"):
        status = f"{status} — {note}"
    return status


def _claim_row(result: PaperResult, claim: Mapping) -> str:
    status = _status_text(result, claim)
    return (
        f"| **{claim.get('id', '?')}** {md_cell(claim.get('statement', ''))} "
        f"| {md_cell(format_value(claim.get('paper_value')))} "
        f"| {md_cell(format_value(claim.get('our_value')))} | {md_cell(claim.get('check', ''))} "
        f"| {claim.get('scale', result.scale)} | {md_cell(status)} |"
    )


def _outcome(claim: Mapping | None) -> str | None:
    """``"holds"`` or ``"fails"`` for a measured claim; ``None`` when absent or not measured at that scale."""
    if claim is None or not claim.get("measured", True):
        return None
    return "holds" if claim.get("passed") else "fails"


def scale_difference(main: Mapping | None, main_scale: str, paper: Mapping | None) -> str:
    """``"holds at quick, fails at paper scale"`` when the outcomes differ between scales, else ``""``."""
    a, b = _outcome(main), _outcome(paper)
    if a is None or b is None or a == b:
        return ""
    return f"{a} at {main_scale}, {b} at paper scale"


def _paper_scale_cells(run: paper_scale.PaperScaleRun | None) -> str:
    if run is None:
        return "| not run | – |"
    return f"| {md_cell(run.result.summary())} | {md_cell(run.commit)}, {md_cell(run.freshness())} |"


def _paper_scale_intro(paper: str, run: paper_scale.PaperScaleRun) -> list[str]:
    r = run.result
    links = [f"[executed notebook](../{run.notebook})"] if run.notebook else []
    figures = [f"[{f}](../{registry.PAPER_SCALE_DIR}/figures/{paper}/{f}.png)" for f in r.figures]
    if figures:
        links.append("figures: " + ", ".join(figures))
    return [
        f"**Paper scale** (`make paper-scale PAPER={paper}`, claims {r.claims_mode}): {md_cell(r.summary())}; "
        f"run at commit {md_cell(run.commit)}; **{md_cell(run.freshness())}**."
        + (f" {'; '.join(links)}." if links else ""),
        "",
    ]


def _two_scale_table(main: PaperResult | None, run: paper_scale.PaperScaleRun) -> list[str]:
    """Per claim: the paper's value, the check, then our value and status at each scale, and how they differ."""
    paper_claims = {c.get("id"): c for c in run.result.claims}
    main_claims = {c.get("id"): c for c in main.claims} if main else {}
    main_scale = main.scale if main else "quick"
    differ, rows = [], []
    for cid in [*main_claims, *(i for i in paper_claims if i not in main_claims)]:
        q, p = main_claims.get(cid), paper_claims.get(cid)
        ref = q or p
        diff = scale_difference(q, main_scale, p)
        if diff:
            differ.append(f"**{cid}** {diff}")
        cells = [
            f"**{cid}** {md_cell(ref.get('statement', ''))}", md_cell(format_value(ref.get("paper_value"))),
            md_cell(ref.get("check", "")),
            md_cell(format_value(q.get("our_value"))) if q else "–", md_cell(_status_text(main, q)) if q else "–",
            md_cell(format_value(p.get("our_value"))) if p else "–", md_cell(_status_text(run.result, p)) if p else "–",
            diff or "–",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    if main is None:
        head = f"Not run at {main_scale} scale yet: no outcomes to compare."
    elif differ:
        head = f"Outcomes that differ between scales: {'; '.join(differ)}."
    else:
        head = "No claim's outcome differs between the two scales."
    return [
        head,
        "",
        f"| claim | paper | check | ours ({main_scale}) | status ({main_scale}) | ours (paper scale) "
        "| status (paper scale) | between scales |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]


def render(results: Sequence[PaperResult],
           paper_scale_runs: Mapping[str, paper_scale.PaperScaleRun] | None = None) -> str:
    """The scorecard's markdown: one row per paper (with its paper-scale columns), then one section per paper."""
    runs = dict(paper_scale_runs or {})
    by_paper = {r.paper: r for r in results}
    papers = registry.paper_order([*by_paper, *runs])
    lines = [
        "# Reproduction scorecard",
        "",
        "Generated by `dvc repro scorecard` from every `metrics/*.json`; do not edit by hand.",
        "A claim is *reproduced* when our number passes the check fixed from the paper;",
        "*not reproduced (declared)* claims are evaluated every run and kept, with the reason.",
        "Claims are *enforced* at the committed presets (a changed outcome fails the run); a run with",
        "overrides is *exploratory*: its claims are reported as passed or failed, and its overrides shown.",
        f"Run times are not results: they live in the benchmark report, [{BENCHMARK_REPORT}]"
        f"({Path(BENCHMARK_REPORT).name}).",
        "The *paper scale* columns hold the published setting, run outside the pipeline with",
        "`make paper-scale PAPER=<paper>` (claims enforced), and the commit it ran at; *stale* means",
        "code it depends on changed since, so the result may no longer be what that code gives.",
        "",
        "| paper | scale | claims | result | overrides | paper scale | paper-scale run |",
        "|---|---|---|---|---|---|---|",
    ]
    for paper in papers:
        r, run = by_paper.get(paper), runs.get(paper)
        main = (f"| {r.scale} | {r.claims_mode} | {md_cell(r.summary())} | {md_cell(format_overrides(r.overrides))} "
                if r else "| – | – | not run | – ")
        lines.append(f"| [{paper}](#{paper}) {main}{_paper_scale_cells(run)}")
    for paper in papers:
        r, run = by_paper.get(paper), runs.get(paper)
        lines += ["", f"## {paper}", ""]
        if r is not None and r.claims_mode == EXPLORATORY:
            lines += [
                f"Exploratory run (overrides: {md_cell(format_overrides(r.overrides))}): declared outcomes "
                "are not enforced.",
                "",
            ]
        if run is None:
            lines += ["| claim | paper | ours | check | scale | status |", "|---|---|---|---|---|---|"]
            lines += [_claim_row(r, c) for c in r.claims]
        else:
            lines += _paper_scale_intro(paper, run) + _two_scale_table(r, run)
    return "\n".join(lines) + "\n"


def write(root: Path) -> list[PaperResult]:
    """Write ``reports/scorecard.{md,json}`` under ``root`` from ``root/metrics``; returns the papers."""
    results = collect(root / paths.METRICS)
    runs = paper_scale.collect_runs(root)
    out_dir = root / "reports"
    atomic_write(out_dir / "scorecard.md", render(results, runs))
    records = _records(results, runs)
    atomic_write(out_dir / "scorecard.json", json.dumps(to_jsonable(records), indent=2, sort_keys=True) + "\n")
    return results


def _records(results: Sequence[PaperResult], runs: Mapping[str, paper_scale.PaperScaleRun]) -> list[dict[str, Any]]:
    """``scorecard.json``: one record per paper, with ``paper_scale`` (the paper-scale run, or ``None``)."""
    by_paper = {r.paper: r.to_dict() for r in results}
    records = []
    for paper in registry.paper_order([*by_paper, *runs]):
        record = by_paper.get(paper, {"paper": paper})
        run = runs.get(paper)
        record["paper_scale"] = None if run is None else run.to_dict()
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m paper_code.pipeline.scorecard",
        description="Regenerate reports/scorecard.md and reports/scorecard.json from every metrics/*.json "
        "and paper_scale/metrics/*.json (the `scorecard` stage of dvc.yaml; `paper-code scorecard` only prints it).",
    )
    ap.add_argument("--root", type=Path, default=paths.REPO_ROOT, help="repository root (default: %(default)s)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    results = write(args.root)
    log.info("scorecard: %d paper(s), %d claim(s)", len(results), sum(r.n_claims for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
