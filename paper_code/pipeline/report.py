"""The HTML report: the scorecard and every executed notebook as one static site.

    python -m paper_code.pipeline.report                 # `make report`: build/site/index.html
    python -m paper_code.pipeline.report --out DIR       # elsewhere

The site opens from ``file://`` with no server and no network: every page is
plain HTML and CSS (math converted to MathML at build time, no scripts), the
notebooks' figures are inline, and the gallery's PNG and PDF files are copied
beside the pages. Layout::

    index.html                                 scorecard, one <section id="paper-<paper>"> per paper
    notebooks/<paper>/<notebook>.html          executed notebooks (reports/notebooks/<paper>/*.ipynb)
    paper_scale/<paper>/<notebook>.html        paper-scale run, when committed
    figures/<paper>/[paper/]<figure>.png|pdf   copies of figures/<paper>/[paper/]

Each claim of the scorecard links to its row in the claims table that the
notebook's ``session.finish(`` cell displays (to that cell when the row is not
found). A paper's second run at paper scale is read from ``paper_scale/``
(``metrics/<paper>.json``, ``reports/notebooks/<paper>/`` and ``figures/<paper>/``
under it, written by ``make paper-scale``) when present (:data:`RUNS`); without
it the column is left out.

The site is rebuilt whole into a staging folder and swapped in, and a folder
that is not a site built here is never overwritten. Nothing in it depends on
the time or the machine, so an identical input gives identical bytes.
"""
from __future__ import annotations

import argparse
import dataclasses
import html
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from paper_code.common import paths
from paper_code.common.claims import NOT_MEASURED, format_value
from paper_code.pipeline import registry
from paper_code.pipeline.report_notebook import RenderedNotebook, md_links_to_html, render_markdown, render_notebook
from paper_code.pipeline.results import EXPLORATORY, PaperResult, format_overrides, load_result, result_from_payload

__all__ = ["RUNS", "Run", "SiteError", "SiteSummary", "build_site", "main"]

log = logging.getLogger("report")

DEFAULT_OUT = Path("build") / "site"
#: Written into every site built here; a folder without it is never replaced.
MARKER = ".paper-code-site"


class SiteError(ValueError):
    """The site cannot be built where asked (the message names the folder and the fix)."""


@dataclasses.dataclass(frozen=True)
class Run:
    """Where one kind of run of a paper keeps its outputs, relative to the repository root."""

    key: str  # "main": the committed preset (metrics/<paper>.json); "paper": the paper-scale run
    label: str
    metrics: str  # format strings of the paper name
    notebooks: str
    figures: str


RUNS = (
    Run("main", "committed preset", "metrics/{paper}.json", "reports/notebooks/{paper}", "figures/{paper}"),
    Run("paper", "paper scale", "paper_scale/metrics/{paper}.json", "paper_scale/reports/notebooks/{paper}",
        "paper_scale/figures/{paper}"),
)


@dataclasses.dataclass
class _RunPages:
    """One run of one paper, as found on disk and rendered."""

    run: Run
    result: PaperResult | None
    notebooks: list[tuple[str, RenderedNotebook]]  # (site-relative page path, rendering)
    figures: list[Path]  # PNG files in the repository

    def claim_link(self, claim_id: str) -> str | None:
        """``page#anchor`` of the claim's row (else of the finish cell), or ``None`` without a notebook."""
        for page, rendered in self.notebooks:
            if claim_id in rendered.claim_anchors:
                return f"{page}#{quote(rendered.claim_anchors[claim_id], safe='=-_.')}"
        for page, rendered in self.notebooks:
            if rendered.finish_cell:
                return f"{page}#{quote(rendered.finish_cell, safe='=-_.')}"
        return None

    def figure_cell(self, stem: str) -> str | None:
        for page, rendered in self.notebooks:
            if stem in rendered.figure_cells:
                return f"{page}#{quote(rendered.figure_cells[stem], safe='=-_.')}"
        return None


@dataclasses.dataclass(frozen=True)
class SiteSummary:
    """What a build produced."""

    out: Path
    papers: tuple[str, ...]
    pages: int
    figures: int
    claims_linked_to_row: int
    claims_linked_to_cell: int
    claims_unlinked: int
    math_failures: int
    bytes: int
    seconds: float

    def describe(self) -> str:
        return (
            f"{self.out}/index.html: {len(self.papers)} paper(s), {self.pages} page(s), {self.figures} figure(s), "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s; claims linked to their row: "
            f"{self.claims_linked_to_row}, to the cell only: {self.claims_linked_to_cell}, unlinked: "
            f"{self.claims_unlinked}; formulas left as TeX: {self.math_failures}"
        )


# ----------------------------------------------------------------------------------------------
# reading the repository


def _load_run(root: Path, paper: str, run: Run) -> PaperResult | None:
    if run.key == "main":
        return load_result(root, paper)
    path = root / run.metrics.format(paper=paper)
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.relative_to(root)} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    return result_from_payload(paper, payload)


def _papers(root: Path) -> list[str]:
    # metrics/<paper>.<scale>.json holds another run of <paper>, not another paper
    return [p for p in registry.registered_papers(root) if "." not in p]


def _notebook_title(path: Path) -> str | None:
    """The first ``# heading`` of the notebook's first markdown cell."""
    try:
        cells = json.loads(path.read_text()).get("cells", [])
    except (OSError, json.JSONDecodeError):
        return None
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", []))
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            return None
    return None


# ----------------------------------------------------------------------------------------------
# HTML


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rel(target: str, page: str) -> str:
    """``target`` (site-relative) as a link from ``page`` (site-relative)."""
    return os.path.relpath(target, os.path.dirname(page) or ".").replace(os.sep, "/")


def _status_class(status: str) -> str:
    if status == "reproduced" or status.startswith("passed"):
        return "ok"
    if status.startswith("not reproduced"):
        return "declared"
    if status == NOT_MEASURED:
        return "na"
    if status.startswith("failed"):
        return "failed-exploratory"
    return "bad"  # FAILED, UNEXPECTED PASS


def _status_cell(result: PaperResult, claim: Mapping, link: str | None) -> str:
    status = result.claim_status(claim)
    note = claim.get("note") or ""
    text = _e(status) + (f" <span class='note'>— {_e(note)}</span>" if note and _status_class(status) != "ok" else "")
    value = _e(format_value(claim.get("our_value")))
    if link:
        value = f"<a href='{_e(link)}'>{value}</a>"
    return f"<td class='value'>{value}</td><td class='status {_status_class(status)}'>{text}</td>"


_INDEX_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 20px 40px; color: #222; }
h1 { margin-top: 28px; } h2 { margin-top: 40px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h2 small { font-weight: normal; color: #666; font-size: 60%; }
table { border-collapse: collapse; margin: 12px 0; width: 100%; }
th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f3f3f3; } td.value { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.status.ok { background: #e6f4e6; } td.status.declared { background: #fff4d6; }
td.status.bad { background: #fbd5d5; font-weight: bold; } \
td.status.na, td.status.failed-exploratory { background: #eee; }
.note { color: #555; font-size: 90%; } .claim-id { font-family: monospace; font-weight: bold; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #ddd; padding: 8px; background: #fff; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 90%; margin-top: 6px; } figcaption code { font-weight: bold; }
.missing { color: #a00; } .exploratory { color: #8a5a00; }
footer { margin-top: 48px; color: #666; font-size: 90%; }
"""


def _overview_row(paper: str, runs: Sequence[_RunPages]) -> str:
    cells = [f"<td><a href='#paper-{_e(paper)}'>{_e(paper)}</a></td>"]
    for rp in runs:
        if rp.result is None:
            cells.append("<td>–</td>")
            continue
        r = rp.result
        mode = ("" if r.claims_mode != EXPLORATORY
                else f" <span class='exploratory'>overrides: {_e(format_overrides(r.overrides))}</span>")
        cells.append(f"<td>scale <b>{_e(r.scale)}</b>: {_e(r.summary())}{mode}</td>")
    links = [f"<a href='{_e(page)}'>{_e(Path(page).stem)}</a>" for rp in runs for page, _ in rp.notebooks]
    cells.append(f"<td>{', '.join(links) or '–'}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _claims_table(paper: str, runs: Sequence[_RunPages]) -> str:
    present = [rp for rp in runs if rp.result is not None]
    if not present:
        return ("<p class='missing'>No results yet: run the paper's stage (<code>paper-code run " + _e(paper)
                + "</code>).</p>")
    head = "<tr><th>claim</th><th>paper</th><th>check</th>" + "".join(
        f"<th>ours ({_e(rp.result.scale)})</th><th>status ({_e(rp.run.label)})</th>" for rp in present
    ) + "</tr>"
    by_id: dict[str, dict[str, Mapping]] = {}  # claim id -> run key -> claim record, in first-seen order
    for rp in present:
        for claim in rp.result.claims:
            by_id.setdefault(str(claim.get("id", "?")), {})[rp.run.key] = claim
    rows = [head]
    for cid, records in by_id.items():
        first = next(iter(records.values()))
        # the claim's name links to the first run (main, then paper scale) whose notebook shows it
        link = next((rp.claim_link(cid) for rp in present if rp.run.key in records and rp.claim_link(cid)), None)
        label = f"<span class='claim-id'>{_e(cid)}</span>"
        if link:
            label = f"<a class='claim-link' data-claim='{_e(cid)}' href='{_e(link)}'>{label}</a>"
        row = f"<tr id='{_e(paper)}--{_e(cid)}'><td>{label} {_e(first.get('statement', ''))}</td>"
        row += f"<td>{_e(format_value(first.get('paper_value')))}</td><td>{_e(first.get('check', ''))}</td>"
        for rp in present:
            claim = records.get(rp.run.key)
            row += (_status_cell(rp.result, claim, rp.claim_link(cid)) if claim
                    else "<td>–</td><td class='status na'>not in this run</td>")
        rows.append(row + "</tr>")
    return "<table class='claims'>" + "".join(rows) + "</table>"


def _gallery(paper: str, runs: Sequence[_RunPages], root: Path) -> str:
    items = []
    for rp in runs:
        for png in rp.figures:
            rel = png.relative_to(root).as_posix()
            cap = f"<code>{_e(png.stem)}</code>"
            if rp.run.key != "main":
                cap += f" ({_e(rp.run.label)})"
            if png.with_suffix(".pdf").is_file():
                cap += f" · <a href='{_e(png.with_suffix('.pdf').relative_to(root).as_posix())}'>PDF</a>"
            cell = rp.figure_cell(png.stem)
            if cell:
                cap += f" · <a href='{_e(cell)}'>drawn in the notebook</a>"
            items.append(
                f"<figure class='figure' data-figure='{_e(rel)}'><a href='{_e(rel)}'>"
                f"<img src='{_e(rel)}' alt='{_e(png.stem)}'></a><figcaption>{cap}</figcaption></figure>"
            )
        listed = set(rp.result.figures) if rp.result is not None else set()
        for stem in sorted(listed - {p.stem for p in rp.figures}):
            items.append(f"<p class='missing'>{_e(stem)}: listed in the metrics but not in "
                         f"{_e(rp.run.figures.format(paper=paper))}/</p>")
    return "<div class='gallery'>" + "".join(items) + "</div>" if items else "<p>No figures.</p>"


def _index_html(root: Path, papers: Mapping[str, list[_RunPages]], titles: Mapping[str, str],
                planned: Sequence[str]) -> str:
    # the main run always has its column; another run only where some paper has its results
    shown = [i for i, run in enumerate(RUNS) if run.key == "main" or any(rps[i].result for rps in papers.values())]
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>d'Ascoli et al., reproduced: results</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<header><h1>d'Ascoli et al., reproduced: results</h1>",
        "<p>Every paper's claims beside our numbers, each linked to the notebook cell that checks it, then the "
        "paper's figures. A claim is <i>reproduced</i> when our number passes the check fixed from the paper; "
        "<i>not reproduced (declared)</i> claims are evaluated on every run and kept, with the reason. "
        "Built by <code>make report</code> from the committed <code>metrics/</code>, "
        "<code>reports/notebooks/</code> and <code>figures/</code>.</p></header>",
        "<section id='scorecard'><h2>Scorecard</h2><table class='overview'><tr><th>paper</th>"
        + "".join(f"<th>{_e(RUNS[i].label)}</th>" for i in shown)
        + "<th>notebooks</th></tr>",
    ]
    parts += [_overview_row(p, [rps[i] for i in shown]) for p, rps in papers.items()]
    parts.append("</table></section>")
    for paper, rps in papers.items():
        runs = [rps[i] for i in shown]
        title = titles.get(paper)
        heading = f"{_e(title)} <small>({_e(paper)})</small>" if title else _e(paper)
        parts.append(f"<section class='paper' id='paper-{_e(paper)}' data-paper='{_e(paper)}'><h2>{heading}</h2>")
        for rp in runs:
            if rp.result is not None and rp.result.claims_mode == EXPLORATORY:
                parts.append(
                    f"<p class='exploratory'>{_e(rp.run.label)}: exploratory run (overrides: "
                    f"{_e(format_overrides(rp.result.overrides))}); declared outcomes are not enforced.</p>"
                )
        parts.append(_claims_table(paper, runs))
        parts.append("<h3>Figures</h3>" + _gallery(paper, runs, root) + "</section>")
    if planned:
        parts.append("<section id='planned'><h2>Planned</h2><ul>" + "".join(f"<li>{_e(p)}</li>" for p in planned)
                     + "</ul></section>")
    parts.append("<footer>Open any page from disk; nothing is loaded from the network.</footer></body></html>")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------------------------
# building


def _render_run(root: Path, site: Path, paper: str, run: Run, result: PaperResult | None) -> _RunPages:
    nb_dir = root / run.notebooks.format(paper=paper)
    fig_dir = root / run.figures.format(paper=paper)
    figures = sorted(fig_dir.glob("*.png")) if fig_dir.is_dir() else []
    claim_ids = [str(c.get("id")) for c in result.claims] if result is not None else []
    pages = []
    for nb_path in sorted(nb_dir.glob("*.ipynb")) if nb_dir.is_dir() else []:
        # two folders deep for every run, like the source notebooks, so their relative links (../../docs/) resolve
        page = f"{'notebooks' if run.key == 'main' else run.key + '_scale'}/{paper}/{nb_path.stem}.html"
        nav = (
            f"<nav class='site-nav'><a href='{_rel('index.html', page)}#paper-{_e(paper)}'>← results of {_e(paper)}</a>"
            f"<a href='{_rel('index.html', page)}'>scorecard</a><span>{_e(run.label)}: "
            f"{_e(nb_path.relative_to(root).as_posix())}</span></nav>"
        )
        rendered = render_notebook(
            nb_path, title=f"{paper}: {nb_path.stem}", nav_html=nav, claim_ids=claim_ids,
            figure_stems=[p.stem for p in figures],
        )
        target = site / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(md_links_to_html(rendered.html), encoding="utf-8")
        pages.append((page, rendered))
    for png in figures:
        for src in (png, png.with_suffix(".pdf")):
            if src.is_file():
                dest = site / src.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
    return _RunPages(run, result, pages, figures)


def _render_docs(root: Path, site: Path) -> int:
    """Every ``docs/**/*.md`` as an HTML page at the same path (``.html``), so that the notebooks' links to the
    project's method notes resolve inside the site; returns the number of pages."""
    docs = sorted((root / "docs").rglob("*.md")) if (root / "docs").is_dir() else []
    for md in docs:
        page = md.relative_to(root).with_suffix(".html").as_posix()
        nav = (f"<nav class='site-nav'><a href='{_rel('index.html', page)}'>scorecard</a>"
               f"<span>{_e(md.relative_to(root).as_posix())}</span></nav>")
        rendered, failures = render_markdown(md.read_text(encoding="utf-8"), title=md.stem, nav_html=nav)
        for tex in failures:
            log.warning("%s: formula left as TeX: %s", md.relative_to(root), tex)
        target = site / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rendered, encoding="utf-8")
    return len(docs)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SiteError(f"--out {out} is a file; give a folder (default {DEFAULT_OUT})")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(
            f"refusing to replace {out}: it is not empty and not a site built by `make report` (no {MARKER}); "
            f"choose another --out or empty it"
        )


def _swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` with two renames (the old site is removed afterwards)."""
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)


def _tree_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def build_site(root: Path, out: Path) -> SiteSummary:
    """Build the site of the repository at ``root`` into ``out`` (replaced whole); returns what it holds."""
    t0 = time.perf_counter()
    root, out = root.resolve(), out.resolve()
    if registry.find_repo_root(root) != root:
        raise SiteError(f"{root} is not the repository root (no dvc.yaml and paper_code/ there); pass --root")
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        papers: dict[str, list[_RunPages]] = {}
        titles: dict[str, str] = {}
        for paper in _papers(root):
            papers[paper] = [_render_run(root, staging, paper, run, _load_run(root, paper, run)) for run in RUNS]
            first_nb = next(iter(sorted((root / RUNS[0].notebooks.format(paper=paper)).glob("*.ipynb"))), None)
            title = _notebook_title(first_nb) if first_nb else None
            if title:
                titles[paper] = title
        n_docs = _render_docs(root, staging)
        index = _index_html(root, papers, titles, registry.planned_papers(root))
        (staging / "index.html").write_text(index, encoding="utf-8")
        (staging / MARKER).write_text("built by python -m paper_code.pipeline.report; replaced whole on every build\n")
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    row = cell = unlinked = math = n_pages = n_figs = 0
    for rps in papers.values():
        for rp in rps:
            n_pages += len(rp.notebooks)
            n_figs += len(rp.figures)
            math += sum(len(r.math_failures) for _, r in rp.notebooks)
            for claim in rp.result.claims if rp.result is not None else ():
                cid = str(claim.get("id"))
                if any(cid in r.claim_anchors for _, r in rp.notebooks):
                    row += 1
                elif rp.claim_link(cid):
                    cell += 1
                    log.warning("%s, %s: claim %s has no row in the claims table; linked to the cell",
                                rp.result.paper, rp.run.label, cid)
                else:
                    unlinked += 1
                    log.warning("%s, %s: claim %s is not linked: no executed notebook with a session.finish( cell",
                                rp.result.paper, rp.run.label, cid)
    return SiteSummary(
        out=out, papers=tuple(papers), pages=n_pages + n_docs + 1, figures=n_figs, claims_linked_to_row=row,
        claims_linked_to_cell=cell, claims_unlinked=unlinked, math_failures=math, bytes=_tree_bytes(out),
        seconds=time.perf_counter() - t0,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m paper_code.pipeline.report",
        description="Build the HTML report (scorecard + executed notebooks, figures embedded) as a static site "
        "that opens from disk with no server (`make report`).",
    )
    ap.add_argument("--root", type=Path, default=paths.REPO_ROOT, help="repository root (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=None, help=f"site folder (default: <root>/{DEFAULT_OUT})")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    out = args.out if args.out is not None else args.root / DEFAULT_OUT
    try:
        summary = build_site(args.root, out)
    except (SiteError, ValueError, OSError) as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 1
    print(summary.describe())
    print(f"open {summary.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
