"""One executed notebook as a static HTML page, for the site of :mod:`paper_code.pipeline.report`.

nbconvert's JupyterLab template does the layout; three things differ from a
plain ``jupyter nbconvert --to html``, so the page opens from ``file://`` with no
network and its claims can be linked to:

* **Math is MathML, converted at build time** (``latex2mathml``): browsers render
  MathML natively, so no MathJax is loaded from a CDN (offline it would leave raw
  TeX). A formula the converter rejects stays visible as its TeX source and is
  counted in :attr:`RenderedNotebook.math_failures`.
* **No scripts from a CDN**: the template's require.js, MathJax, Mermaid and
  widget loaders are left out (the published notebooks carry no widgets).
* **Anchors**: every cell keeps nbconvert's ``id="cell-id=<cell id>"``; in the
  output of the cell that calls ``session.finish(`` each claims-table row whose
  first cell reads ``<claim id>: ...`` (``ClaimsReport.to_markdown``) gets
  ``id="claim-<claim id>"``. :attr:`RenderedNotebook.claim_anchors` says which
  claims got one; the others are linked to the cell.
"""
from __future__ import annotations

import copy
import dataclasses
import html
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import jinja2
import latex2mathml.converter
import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

__all__ = ["FINISH_CALL", "RenderedNotebook", "cell_anchor", "claim_anchor", "render_notebook", "render_markdown",
           "md_links_to_html"]

log = logging.getLogger(__name__)

#: The call that evaluates a notebook's claims and displays their table.
FINISH_CALL = "session.finish("

_TEMPLATE_NAME = "paper_code_site.html.j2"
# The lab template, less everything it would fetch from a CDN; a navigation bar on top.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.site_css }}</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.site_nav }}
{%- endblock body_header -%}
"""

_PAGE_CSS = """
nav.site-nav { font: 14px/1.5 system-ui, sans-serif; padding: 8px 16px; margin-bottom: 8px;
  border-bottom: 1px solid #ddd; background: #f7f7f7; position: sticky; top: 0; z-index: 10; }
nav.site-nav a { margin-right: 1.5em; }
.claim-anchor:target { background: #fff3b0; outline: 2px solid #e0b000; }
td:has(> .claim-anchor:target) { background: #fff3b0; }
.jp-Cell:target { outline: 2px solid #e0b000; }
code.tex-source { color: #a00; }
math[display="block"] { margin: 0.5em 0; }
"""


#: A relative link to a markdown file of the repository (scheme-less, not an anchor-only link).
_MD_LINK = re.compile(r'''href=(["'])(?![a-z][a-z0-9+.-]*:)([^"'#]+?)\.md(#[^"']*)?\1''')


def md_links_to_html(page: str) -> str:
    """Relative links to ``*.md`` files pointed at the site's rendering of them (``*.html``, same path)."""
    return _MD_LINK.sub(lambda m: f"href={m[1]}{m[2]}.html{m[3] or ''}{m[1]}", page)


def render_markdown(source: str, *, title: str, nav_html: str = "") -> tuple[str, tuple[str, ...]]:
    """A markdown document (``docs/``) as one standalone HTML page, math as MathML like the notebooks.

    Returns the page and the formulas the converter left as TeX.
    """
    failures: list[str] = []
    renderer = _MathMLRenderer(failures, escape=False, attachments={}, embed_images=False,
                               anchor_link_text="", exclude_anchor_links=True)
    body = md_links_to_html(MarkdownWithMath(renderer=renderer).render(source))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_PAGE_CSS}{_DOC_CSS}</style></head><body>{nav_html}<main class='doc'>{body}</main></body></html>")
    return page, tuple(failures)


_DOC_CSS = """
main.doc { font: 15px/1.55 system-ui, sans-serif; max-width: 52em; margin: 0 auto; padding: 0 16px 48px; }
main.doc pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; }
main.doc table { border-collapse: collapse; } main.doc td, main.doc th { border: 1px solid #ccc; padding: 3px 8px; }
"""


def cell_anchor(cell_id: str) -> str:
    """The element id nbconvert gives a cell (``cell-id=<id>``)."""
    return f"cell-id={cell_id}"


def claim_anchor(claim_id: str) -> str:
    """The element id of a claim's row in the claims table."""
    return f"claim-{claim_id}"


@dataclasses.dataclass(frozen=True)
class RenderedNotebook:
    """A notebook rendered to one HTML page, and the anchors the site may link to.

    Attributes:
        html: the whole page.
        finish_cell: element id of the cell calling ``session.finish(`` (``None`` if there is none).
        claim_anchors: claim id -> element id of its row in that cell's claims table.
        figure_cells: figure stem -> element id of the first code cell naming it.
        math_failures: formulas left as TeX because the converter rejected them.
    """

    html: str
    finish_cell: str | None
    claim_anchors: Mapping[str, str]
    figure_cells: Mapping[str, str]
    math_failures: tuple[str, ...]


class _MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with TeX converted to MathML instead of left for MathJax."""

    def __init__(self, failures: list[str], **kwargs):
        super().__init__(**kwargs)
        self._failures = failures

    def _math(self, tex: str, display: str) -> str:
        try:
            return latex2mathml.converter.convert(tex.strip(), display=display)
        except Exception as exc:  # the converter raises many types; the formula stays readable as TeX
            log.warning("formula left as TeX (latex2mathml: %s: %s): %s", type(exc).__name__, exc, tex.strip())
            self._failures.append(tex.strip())
            return f'<code class="tex-source">{html.escape(tex)}</code>'

    def block_math(self, body: str) -> str:
        return self._math(body, "block")

    def inline_math(self, body: str) -> str:
        return self._math(body, "inline")

    def latex_environment(self, name: str, body: str) -> str:
        return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


class _SiteExporter(HTMLExporter):
    """HTMLExporter with the MathML markdown renderer and the offline template."""

    def __init__(self, failures: list[str], **kwargs):
        loader = jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})
        super().__init__(template_name="lab", extra_loaders=[loader], **kwargs)
        self.template_file = _TEMPLATE_NAME
        self._failures = failures

    @jinja2.pass_context
    def markdown2html(self, context, source):
        renderer = _MathMLRenderer(
            self._failures,
            escape=False,
            attachments=context.get("cell", {}).get("attachments", {}),
            embed_images=self.embed_images,
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
        )
        return MarkdownWithMath(renderer=renderer).render(source)


def _ensure_cell_ids(nb: nbformat.NotebookNode) -> None:
    """Give cells of a pre-4.5 notebook stable ids (their index) so each one has an anchor."""
    for i, cell in enumerate(nb.cells):
        if not cell.get("id"):
            cell["id"] = f"cell{i}"
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 0)), 5)


def _finish_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    cells = [c for c in nb.cells if c.cell_type == "code" and FINISH_CALL in c.source]
    return cells[-1] if cells else None


def _anchor_claim_rows(cell: nbformat.NotebookNode, claim_ids: Iterable[str]) -> dict[str, str]:
    """Put an anchor in each claims-table row (``| <id>: ...``) of ``cell``'s markdown outputs."""
    wanted = set(claim_ids)
    found: dict[str, str] = {}
    row = re.compile(r"^(\|\s*)([^\s|:]+)(:)", re.MULTILINE)

    def add_anchor(m: re.Match) -> str:
        cid = m.group(2)
        if cid not in wanted or cid in found:
            return m.group(0)
        found[cid] = claim_anchor(cid)
        return f'{m.group(1)}<span class="claim-anchor" id="{html.escape(found[cid])}">{m.group(2)}</span>{m.group(3)}'

    for output in cell.get("outputs", []):
        data = output.get("data") or {}
        if "text/html" in data:  # shown instead of the markdown: its rows are not ours to rewrite
            continue
        if "text/markdown" in data:
            data["text/markdown"] = row.sub(add_anchor, data["text/markdown"])
    return found


def _figure_cells(nb: nbformat.NotebookNode, figure_stems: Iterable[str]) -> dict[str, str]:
    """Figure stem -> anchor of the first code cell whose source names it in quotes."""
    found = {}
    for stem in figure_stems:
        quoted = (f'"{stem}', f"'{stem}")
        for cell in nb.cells:
            if cell.cell_type == "code" and any(q in cell.source for q in quoted):
                found[stem] = cell_anchor(cell.id)
                break
    return found


def render_notebook(
    path: Path,
    *,
    title: str,
    nav_html: str = "",
    claim_ids: Iterable[str] = (),
    figure_stems: Iterable[str] = (),
) -> RenderedNotebook:
    """Render the executed notebook at ``path`` to one HTML page (figures inline, math as MathML).

    ``nav_html`` goes at the top of the page; ``claim_ids`` are anchored in the claims table of
    the ``session.finish(`` cell; ``figure_stems`` are looked up in the code cells.
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises JSON, validation and reader errors
        raise ValueError(f"{path}: not a readable notebook ({type(exc).__name__}: {exc})") from exc
    nb = copy.deepcopy(nb)
    _ensure_cell_ids(nb)
    finish = _finish_cell(nb)
    claim_anchors = _anchor_claim_rows(finish, claim_ids) if finish is not None else {}
    failures: list[str] = []
    exporter = _SiteExporter(failures)
    resources = {"metadata": {"name": title}, "site_css": _PAGE_CSS, "site_nav": nav_html}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return RenderedNotebook(
        html=body,
        finish_cell=cell_anchor(finish.id) if finish is not None else None,
        claim_anchors=claim_anchors,
        figure_cells=_figure_cells(nb, figure_stems),
        math_failures=tuple(failures),
    )
