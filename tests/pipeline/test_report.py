"""The HTML report (`make report`): the scorecard and the executed notebooks as one static site.

Unit tests build the site of a small repository made here (a real claims table from
``evaluate_claims``, a real PNG, a notebook with math) and of this repository, and
check the HTML: every paper has a section, every figure is there, every claim link
lands on an element that exists. The browser test opens the real site in headless
Chromium from ``file://`` and reads back, from the DOM, that every paper's section is
there, that every image decoded and that the math was laid out as MathML.
"""
from __future__ import annotations

import base64
import html
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import matplotlib.pyplot as plt
import nbformat
import pytest

from paper_code.common import paths
from paper_code.common.claims import Claim, evaluate_claims, greater_than, less_than
from paper_code.pipeline import registry, report
from paper_code.pipeline.report_notebook import claim_anchor

TOY = "toy_report"
CLAIMS = [
    Claim("T1_grows", "The toy quantity grows", "growth", greater_than(0.0), paper_value="positive"),
    Claim("T2_small", "The toy error is small", "error", less_than(0.1), paper_value=0.01,
          not_reproduced={"quick": "error {error:.2f} at this size"}),
]
METRICS = {"growth": 1.5, "error": 0.25}


# ------------------------------------------------------------------------------------------------
# a small repository


class _Page(HTMLParser):
    """Element ids, links, image sources, resource URLs and paper sections of one HTML page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.resources: list[str] = []
        self.sections: list[str] = []
        self.scripts = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("img", "script", "iframe", "source", "video", "audio") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        if tag == "script":
            self.scripts += 1
        if tag == "section" and "paper" in (a.get("class") or "").split():
            self.sections.append(a.get("data-paper", ""))


def _page(path: Path) -> _Page:
    return _Page(path.read_text(encoding="utf-8"))


def _png(path: Path, slope: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, slope, 2 * slope])
    fig.savefig(path, dpi=50, metadata={"Software": None})
    fig.savefig(path.with_suffix(".pdf"), metadata={"CreationDate": None})
    plt.close(fig)


def _notebook(report_obj, png: bytes, *, drop_row: str | None = None) -> nbformat.NotebookNode:
    """An executed notebook: math in markdown, a figure cell with its PNG output, the claims cell."""
    nb = nbformat.v4.new_notebook()
    table = report_obj._repr_markdown_()
    if drop_row:
        table = "\n".join(line for line in table.splitlines() if not line.startswith(f"| {drop_row}:"))
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A toy report paper\n\n"
                                      "The loss $L = \\frac{1}{2}\\sum_i (y_i - \\hat y_i)^2$.\n\n"
                                      "$$\\eta_t = \\eta_0 / (1 + t)$$"),
        nbformat.v4.new_code_cell('session.save_figure(fig, "figA_curve")', outputs=[
            nbformat.v4.new_output("display_data",
                                   data={"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"}),
        ]),
        nbformat.v4.new_code_cell("report = session.finish(CLAIMS)\nreport", execution_count=3, outputs=[
            nbformat.v4.new_output("execute_result", data={"text/markdown": table, "text/plain": "report"},
                                   execution_count=3),
        ]),
    ]
    return nb


def _make_repo(root: Path, *, drop_row: str | None = None, notebook: bool = True) -> Path:
    (root / "paper_code").mkdir(parents=True)
    (root / "dvc.yaml").write_text("stages: {}\n")
    _png(root / "figures" / TOY / "figA_curve.png", 1.0)
    _png(root / "figures" / TOY / "figB_other.png", -1.0)
    rep = evaluate_claims(TOY, CLAIMS, METRICS, "quick")
    (root / "metrics").mkdir()
    (root / "metrics" / f"{TOY}.json").write_text(json.dumps({
        "paper": TOY, "scale": "quick", "overrides": {}, "claims_mode": "enforced", "metrics": METRICS,
        "claims": rep.to_records(), "figures": ["figA_curve", "figB_other"],
    }))
    if notebook:
        nb_path = root / "reports" / "notebooks" / TOY / "01_toy.ipynb"
        nb_path.parent.mkdir(parents=True)
        png = (root / "figures" / TOY / "figA_curve.png").read_bytes()
        nbformat.write(_notebook(rep, png, drop_row=drop_row), nb_path)
    return root


@pytest.fixture
def toy_repo(tmp_path) -> Path:
    return _make_repo(tmp_path / "repo")


def _link_target(page: Path, href: str) -> tuple[Path, str]:
    parts = urlsplit(href)
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    return target, parts.fragment


def _assert_internal_links_resolve(site: Path) -> int:
    """Every relative link of every page names a file of the site, and its #fragment an element of that file."""
    checked = 0
    pages = {p: _page(p) for p in site.rglob("*.html")}
    for page, parsed in pages.items():
        for href in parsed.links:
            if urlsplit(href).scheme in ("http", "https", "mailto"):
                continue
            target, fragment = _link_target(page, href)
            assert target.is_file(), f"{page.relative_to(site)}: link {href} -> missing file"
            assert site in target.parents, f"{page.relative_to(site)}: link {href} leaves the site"
            if fragment:
                ids = pages[target].ids if target in pages else set()
                # a browser looks the fragment up as written, then percent-decoded (HTML's indicated element)
                assert fragment in ids or unquote(fragment) in ids, f"{page.relative_to(site)}: {href} -> no such id"
            checked += 1
    return checked


# ------------------------------------------------------------------------------------------------
# the site of a small repository


def test_toy_site_has_the_section_figures_and_claim_rows(toy_repo, tmp_path):
    site = tmp_path / "site"
    summary = report.build_site(toy_repo, site)
    index = _page(site / "index.html")
    assert index.sections == [TOY]
    for png in (toy_repo / "figures" / TOY).glob("*.png"):
        rel = f"figures/{TOY}/{png.name}"
        assert rel in index.images, f"{rel} not shown on the index"
        assert (site / rel).read_bytes() == png.read_bytes()
        assert (site / rel).with_suffix(".pdf").is_file()
    assert _assert_internal_links_resolve(site) > 0
    # each claim's link lands on the row of that claim in the notebook's claims table
    nb_page = site / "notebooks" / TOY / "01_toy.html"
    text = nb_page.read_text()
    for claim in CLAIMS:
        href = f"notebooks/{TOY}/01_toy.html#{claim_anchor(claim.id)}"
        assert href in index.links
        row = text[text.index(f'id="{claim_anchor(claim.id)}"'):]
        row = row[: row.index("</tr>")]
        assert claim.statement in row
    assert (summary.claims_linked_to_row, summary.claims_linked_to_cell, summary.claims_unlinked) == (2, 0, 0)
    assert summary.pages == 2 and summary.figures == 2 and summary.bytes > 0


def test_statuses_and_declared_reason_are_shown(toy_repo, tmp_path):
    report.build_site(toy_repo, tmp_path / "site")
    text = html.unescape((tmp_path / "site" / "index.html").read_text())
    assert "reproduced" in text and "not reproduced (declared)" in text
    assert "error 0.25 at this size" in text  # the reason, filled from the metrics
    assert "1/2 reproduced (1 declared not reproduced)" in text


def test_exploratory_run_and_missing_figure_are_said(toy_repo, tmp_path):
    path = toy_repo / "metrics" / f"{TOY}.json"
    payload = json.loads(path.read_text())
    payload.update(claims_mode="exploratory", overrides={"epochs": 1}, figures=[*payload["figures"], "figC_gone"])
    path.write_text(json.dumps(payload))
    report.build_site(toy_repo, tmp_path / "site")
    text = html.unescape((tmp_path / "site" / "index.html").read_text())
    assert "exploratory run (overrides: epochs=1); declared outcomes are not enforced" in text
    assert f"figC_gone: listed in the metrics but not in figures/{TOY}/" in text


def test_math_is_mathml_and_nothing_loads_from_the_network(toy_repo, tmp_path):
    site = tmp_path / "site"
    report.build_site(toy_repo, site)
    page_text = (site / "notebooks" / TOY / "01_toy.html").read_text()
    assert page_text.count("<math") == 2
    assert 'display="block"' in page_text and "<mfrac>" in page_text
    assert "\\frac" not in page_text and "$$" not in page_text
    for page in site.rglob("*.html"):
        parsed = _page(page)
        assert parsed.scripts == 0, f"{page.name}: has a script"
        external = [u for u in parsed.resources if urlsplit(u).scheme not in ("", "data") or u.startswith("//")]
        assert not external, f"{page.name} loads {external}"


def test_notebook_figure_is_inline_and_linked_from_the_gallery(toy_repo, tmp_path):
    site = tmp_path / "site"
    report.build_site(toy_repo, site)
    nb = _page(site / "notebooks" / TOY / "01_toy.html")
    assert any(src.startswith("data:image/png;base64,") for src in nb.images)
    index = (site / "index.html").read_text()
    cell_id = nbformat.read(toy_repo / "reports" / "notebooks" / TOY / "01_toy.ipynb", as_version=4).cells[1].id
    assert f"notebooks/{TOY}/01_toy.html#cell-id={cell_id}" in index  # "drawn in the notebook" for figA


def test_claim_without_a_row_links_to_the_claims_cell(tmp_path, caplog):
    repo = _make_repo(tmp_path / "repo", drop_row="T2_small")
    summary = report.build_site(repo, tmp_path / "site")
    assert (summary.claims_linked_to_row, summary.claims_linked_to_cell) == (1, 1)
    assert "claim T2_small has no row" in caplog.text
    finish_id = nbformat.read(repo / "reports" / "notebooks" / TOY / "01_toy.ipynb", as_version=4).cells[2].id
    assert f"#cell-id={finish_id}" in (tmp_path / "site" / "index.html").read_text()
    _assert_internal_links_resolve(tmp_path / "site")


def test_paper_without_a_notebook_keeps_its_section_unlinked(tmp_path, caplog):
    repo = _make_repo(tmp_path / "repo", notebook=False)
    summary = report.build_site(repo, tmp_path / "site")
    assert summary.claims_unlinked == 2 and "is not linked" in caplog.text
    assert _page(tmp_path / "site" / "index.html").sections == [TOY]


def test_paper_scale_column_only_when_there_are_paper_scale_results(toy_repo, tmp_path):
    report.build_site(toy_repo, tmp_path / "site1")
    assert "status (paper scale)" not in (tmp_path / "site1" / "index.html").read_text()
    rep = evaluate_claims(TOY, CLAIMS, {"growth": -1.0, "error": 0.05}, "paper")
    (toy_repo / "paper_scale" / "metrics").mkdir(parents=True)
    (toy_repo / "paper_scale" / "metrics" / f"{TOY}.json").write_text(json.dumps({
        "paper": TOY, "scale": "paper", "overrides": {}, "claims_mode": "enforced", "metrics": {},
        "claims": rep.to_records(), "figures": [],
    }))
    summary = report.build_site(toy_repo, tmp_path / "site2")
    text = html.unescape((tmp_path / "site2" / "index.html").read_text())
    assert summary.papers == (TOY,)  # a paper-scale result is not another paper
    assert "status (paper scale)" in text and "ours (paper)" in text
    # T1 holds at quick and fails at paper scale: shown, not hidden; T2 is declared at quick only
    assert "<td class='status bad'>FAILED</td>" in text
    assert text.count("class='status declared'") == 1 and text.count("class='status ok'") == 2
    _assert_internal_links_resolve(tmp_path / "site2")


def test_rebuild_replaces_the_site_and_is_byte_identical(toy_repo, tmp_path):
    site = tmp_path / "site"
    report.build_site(toy_repo, site)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (site / "stale.html").write_text("from an older build")
    report.build_site(toy_repo, site)
    second = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert first == second
    assert not list(tmp_path.glob(".site.*")), "staging or old site left behind"


def test_refuses_to_replace_a_folder_it_did_not_build(toy_repo, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(report.SiteError, match="refusing to replace .*mine.*--out"):
        report.build_site(toy_repo, mine)
    assert (mine / "notes.txt").read_text() == "keep me" and len(list(mine.iterdir())) == 1


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert report.main(["--root", str(tmp_path), "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("report: error: ") and "not the repository root" in err and "\n" not in err


def test_cli_builds_and_prints_size_and_time(toy_repo, tmp_path, capsys):
    assert report.main(["--root", str(toy_repo), "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert "1 paper(s), 2 page(s), 2 figure(s)" in out and " MB in " in out and "index.html" in out


# ------------------------------------------------------------------------------------------------
# the site of this repository


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> tuple[Path, report.SiteSummary]:
    site = tmp_path_factory.mktemp("real") / "site"
    return site, report.build_site(paths.REPO_ROOT, site)


def _papers_with_results() -> list[str]:
    return [p for p in registry.registered_papers(paths.REPO_ROOT)
            if "." not in p and paths.metrics_path(p, paths.REPO_ROOT).is_file()]


def test_real_site_every_paper_figure_and_claim(real_site):
    site, summary = real_site
    papers = _papers_with_results()
    assert papers, "no committed results to report"
    index = _page(site / "index.html")
    assert set(papers) <= set(index.sections)
    for paper in papers:
        pngs = sorted((paths.REPO_ROOT / "figures" / paper).glob("*.png"))
        assert pngs, f"{paper}: no figures"
        for png in pngs:
            assert f"figures/{paper}/{png.name}" in index.images, f"{paper}: {png.name} not on the index"
    n_claims = sum(len(json.loads(paths.metrics_path(p, paths.REPO_ROOT).read_text())["claims"]) for p in papers)
    assert summary.claims_linked_to_row >= n_claims and summary.claims_linked_to_cell == summary.claims_unlinked == 0
    assert summary.math_failures == 0
    _assert_internal_links_resolve(site)


# ------------------------------------------------------------------------------------------------
# the real site in a real browser

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_CHROME_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
# Appended to a copy of a page (same folder, so the same relative URLs): once the page has loaded,
# it writes into the DOM what the browser made of it; `--dump-dom` prints that DOM.
_PROBE = """<script>
window.addEventListener('load', () => {
  const maths = [...document.querySelectorAll('math')];
  const laidOut = maths.filter(m => {
    const r = m.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(m).display.includes('math');
  }).length;
  const out = document.createElement('pre');
  out.id = 'probe-result';
  out.textContent = JSON.stringify({
    images: [...document.images].map(i => ({src: (i.getAttribute('src') || '').slice(0, 80),
                                             decoded: i.complete && i.naturalWidth > 0})),
    sections: [...document.querySelectorAll('section.paper')].map(s => s.dataset.paper),
    math: maths.length, mathLaidOut: laidOut,
    target: document.querySelector(':target') ? document.querySelector(':target').id : null,
  });
  document.body.appendChild(out);
});
</script>"""


def _browser() -> str | None:
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run installs Debian's `chromium` package before the tests")
    pytest.skip("chromium not installed (Debian: apt-get install chromium); the report's browser test needs it")
    return None


def _probe(browser: str, page: Path, profile: Path, fragment: str = "") -> dict:
    probe_page = page.with_name(f"_probe_{page.name}")
    probe_page.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    try:
        proc = subprocess.run(
            [browser, *_CHROME_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
             probe_page.as_uri() + (f"#{fragment}" if fragment else "")],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        probe_page.unlink()
    start, end = (proc.stdout.find('<pre id="probe-result">'),
                  proc.stdout.find("</pre>", proc.stdout.find('<pre id="probe-result">')))
    assert start >= 0 and end > start, (f"{page.name}: no probe result in the DOM (rc={proc.returncode}): "
                                        f"{proc.stderr[-800:]}")
    return json.loads(html.unescape(proc.stdout[start + len('<pre id="probe-result">'):end]))


def test_real_site_in_headless_chromium(real_site, tmp_path):
    browser = _browser()
    site, _ = real_site
    papers = _papers_with_results()
    index = _probe(browser, site / "index.html", tmp_path / "profile")
    assert set(papers) <= set(index["sections"])
    for paper in papers:
        for png in (paths.REPO_ROOT / "figures" / paper).glob("*.png"):
            rel = f"figures/{paper}/{png.name}"
            hits = [i for i in index["images"] if i["src"] == rel]
            assert hits and all(i["decoded"] for i in hits), f"{rel}: not decoded by the browser ({hits})"
    claim_links = [h for h in _page(site / "index.html").links if "#claim-" in h]
    for page in sorted((site / "notebooks").rglob("*.html")):
        # opened at the first claim the scorecard links to on this page: the browser must find that row
        rel = page.relative_to(site).as_posix()
        fragment = next((urlsplit(h).fragment for h in claim_links if urlsplit(h).path == rel), "")
        seen = _probe(browser, page, tmp_path / "profile", fragment)
        assert seen["images"] and all(i["decoded"] for i in seen["images"]), f"{rel}: an image did not decode"
        assert seen["math"] > 0 and seen["mathLaidOut"] == seen["math"], f"{rel}: math not laid out: {seen}"
        assert fragment and seen["target"] == unquote(fragment), f"{rel}: claim link #{fragment} -> {seen['target']}"


def test_links_to_markdown_notes_point_at_their_rendered_pages():
    from paper_code.pipeline.report_notebook import md_links_to_html, render_markdown

    page = '<a href="../../docs/papers/x.md#sec">a</a> <a href=\'y.md\'>b</a> <a href="https://e.org/z.md">c</a>'
    assert md_links_to_html(page) == ('<a href="../../docs/papers/x.html#sec">a</a> <a href=\'y.html\'>b</a> '
                                      '<a href="https://e.org/z.md">c</a>')
    html_page, failures = render_markdown("# Note\n\nSee [the other](other.md) and $e^{-t}$.", title="note")
    assert 'href="other.html"' in html_page and "<math" in html_page and failures == ()
