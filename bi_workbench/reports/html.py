"""An executed notebook as one HTML page (nbconvert's lab template) that needs only its folder's assets: no CDN.

- Code is hidden by default (``show_code=False``): readers see prose, tables, figures.
- Plotly figures (``application/vnd.plotly.v1+json`` outputs) become interactive
  HTML with stable div ids; plotly.js and the lab template's stylesheet (~270 KB)
  are one file each per reports folder (``assets/plotly-<version>.min.js``,
  ``assets/nbconvert-lab-<version>.css``, written by `write_assets`), loaded by a
  relative path, so a run of eight reports stays under 8 MB, still fully offline.
- A report with `TOC_MIN_SECTIONS` or more sections (``h2`` headings) gets a table
  of contents under its title, generated from those headings (`add_contents`):
  nbconvert 7 has none of its own (the old ``toc2`` exporter needs nbconvert 5).
- Nothing is loaded from the network: the template's require.js, MathJax,
  mermaid and widget-manager scripts (all from a CDN) are left out.
- Markdown *outputs* (what code displays, e.g. the provenance table, whose
  values come from parameters, the data and the environment) never carry raw
  HTML: their ``<`` is escaped, so a value like ``<img onerror=...>`` is shown
  as text, never run (`escape_markdown_outputs`). Markdown cells, written by
  the report's author, are rendered as written. The page title is escaped by
  nbconvert's template.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

import jinja2

PLOTLY_MIME = "application/vnd.plotly.v1+json"


#: A report with at least this many sections (h2 headings) is longer than a screen: it gets a table of contents.
TOC_MIN_SECTIONS = 3
#: What the lab template's own <style> adds to its stylesheets (hidden anchors, collapsers), kept with them.
_LAB_EXTRA_CSS = """
* { -webkit-print-color-adjust: exact; }
a.anchor-link { display: none; }
.jp-InputArea, .jp-InputArea-editor { overflow: hidden; }
.jp-OutputArea-output pre { line-height: inherit; font-family: inherit; }
.jp-RenderedText pre { color: var(--jp-content-font-color1); font-size: var(--jp-code-font-size); }
.jp-Collapser { display: none; }
@page { margin: 0.5in; }
@media print { .jp-Cell-inputWrapper, .jp-Cell-outputWrapper { display: block; } }
"""


def plotly_asset() -> str:
    """The path of plotly.js inside a reports folder: one copy per folder and plotly version."""
    import plotly

    return f"assets/plotly-{plotly.__version__}.min.js"


def stylesheet_asset() -> str:
    """The path of the lab template's stylesheet inside a reports folder: one copy per folder and nbconvert version."""
    import nbconvert

    return f"assets/nbconvert-lab-{nbconvert.__version__}.css"


#: A report's HTML lives in <reports>/<report>/<date>/run-<id>/, three folders below the shared assets.
PLOTLY_SRC = "../../../" + plotly_asset()
STYLESHEET_HREF = "../../../" + stylesheet_asset()


def lab_stylesheet() -> str:
    """Return the CSS nbconvert's lab template inlines in every page (its index.css and light theme)."""
    from nbconvert import HTMLExporter

    env = HTMLExporter(template_name="lab").environment
    return "\n".join([*(env.loader.get_source(env, f"static/{name}")[0] for name in ("index.css", "theme-light.css")),
                      _LAB_EXTRA_CSS])


def write_assets(reports_dir) -> None:
    """Write plotly.js and the lab stylesheet into ``reports_dir`` once (the reports' HTML loads them, offline)."""
    from plotly.offline import get_plotlyjs

    _write_once(reports_dir, plotly_asset(), get_plotlyjs)
    _write_once(reports_dir, stylesheet_asset(), lab_stylesheet)


def _write_once(reports_dir, relative: str, content) -> None:
    from pathlib import Path

    path = Path(reports_dir) / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".tmp")
        staging.write_text(content(), encoding="utf-8")
        staging.replace(path)

_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block notebook_css -%}
<link rel="stylesheet" type="text/css" href="{{ resources.stylesheet_href }}">
{%- endblock notebook_css -%}
{%- block extra_css -%}
{%- if resources.plotly_src %}
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript" src="{{ resources.plotly_src }}"></script>
{%- endif %}
<style type="text/css">.bi-provenance { color: #555; font-size: 0.9em; }
.bw-toc { border-left: 3px solid #1f77b4; padding: 0.2em 1em; margin: 1em 0; }
.bw-toc ol { margin: 0.3em 0; } .bw-findings { font-size: 1.05em; }</style>
{%- endblock extra_css -%}
"""


def figures_to_html(nb) -> int:
    """Give every plotly output of ``nb`` an interactive ``text/html`` rendering (in place); return how many."""
    import plotly.io as pio

    count = 0
    for index, cell in enumerate(nb.cells):
        for position, output in enumerate(cell.get("outputs", []) if cell.cell_type == "code" else []):
            figure = output.get("data", {}).get(PLOTLY_MIME)
            if figure is None:
                continue
            output["data"]["text/html"] = pio.to_html(
                figure, include_plotlyjs=False, include_mathjax=False, full_html=False,
                div_id=f"plot-{index}-{position}", config=figure.get("config"), validate=False,
            )
            count += 1
    return count


def escape_markdown_outputs(nb) -> int:
    """Escape every ``<`` of the code cells' ``text/markdown`` outputs of ``nb`` (in place); return how many outputs.

    Raw HTML needs ``<``, so none survives; entities (``&lt;``) and markdown pass as they are.
    Example: ``| industry | <img src=x onerror=alert(1)> |`` -> ``| industry | &lt;img src=x onerror=alert(1)> |``.
    """
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = output.get("data", {}).get("text/markdown")
            if text is None:
                continue
            text = "".join(text) if isinstance(text, list) else text
            output["data"]["text/markdown"] = text.replace("<", "&lt;")
            count += 1
    return count


def notebook_to_html(nb, title: str, *, show_code: bool = False) -> str:
    """Return notebook ``nb`` as an HTML page loading plotly.js (when it has figures) and its stylesheet from the
    reports folder's assets (`write_assets`), with a table of contents when it is long (`add_contents`)."""
    from nbconvert import HTMLExporter

    nb = _copy(nb)
    escape_markdown_outputs(nb)
    has_figures = figures_to_html(nb) > 0
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"bi_report.html.j2": _TEMPLATE})],
        template_file="bi_report.html.j2",
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    resources = {"metadata": {"name": title}, "plotly_src": PLOTLY_SRC if has_figures else "",
                 "stylesheet_href": STYLESHEET_HREF}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_contents(body)


class _Sections(HTMLParser):
    """Collects the (id, text) of every h2 heading of a page, without its anchor link."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._heading: list | None = None
        self._in_anchor = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" and attrs.get("id"):
            self._heading = [attrs["id"], ""]
        elif tag == "a" and self._heading is not None and "anchor-link" in (attrs.get("class") or ""):
            self._in_anchor = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_anchor = False
        elif tag == "h2" and self._heading is not None:
            self.found.append((self._heading[0], self._heading[1].strip()))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None and not self._in_anchor:
            self._heading[1] += data


def contents(page: str) -> list[tuple[str, str]]:
    """Return the sections of an HTML page: (id, text) of each h2 heading in order (text as the reader sees it)."""
    parser = _Sections()
    parser.feed(page)
    return parser.found


def add_contents(page: str) -> str:
    """Return ``page`` with a table of contents of its h2 headings under its title (h1), when it has
    `TOC_MIN_SECTIONS` or more; ids and texts are escaped. Otherwise ``page`` unchanged."""
    sections = contents(page)
    if len(sections) < TOC_MIN_SECTIONS:
        return page
    items = "".join(f'<li><a href="#{html.escape(id_)}">{html.escape(text)}</a></li>' for id_, text in sections)
    nav = f'<nav class="bw-toc" aria-label="Contents"><strong>Contents</strong><ol>{items}</ol></nav>'
    for marker in ("</h1>", "<main>"):
        at = page.find(marker)
        if at >= 0:
            return page[:at + len(marker)] + nav + page[at + len(marker):]
    return nav + page


def _copy(nb):
    import copy

    return copy.deepcopy(nb)
