"""An executed notebook as one self-contained HTML page (nbconvert's lab template, no CDN).

- Code is hidden by default (``show_code=False``): readers see prose, tables, figures.
- Plotly figures (``application/vnd.plotly.v1+json`` outputs) become interactive
  HTML with stable div ids; plotly.js is one file per reports folder
  (``assets/plotly-<version>.min.js``, written by `write_plotly_asset`), loaded by
  a relative path, so a run of eight reports is a few MB, still fully offline.
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

import jinja2

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plotly_asset() -> str:
    """The path of plotly.js inside a reports folder: one copy per folder and plotly version."""
    import plotly

    return f"assets/plotly-{plotly.__version__}.min.js"


#: A report's HTML lives in <reports>/<report>/<date>/run-<id>/, three folders below the shared asset.
PLOTLY_SRC = "../../../" + plotly_asset()


def write_plotly_asset(reports_dir) -> None:
    """Write plotly.js into ``reports_dir`` once (the reports' HTML loads it from there, offline)."""
    from pathlib import Path

    from plotly.offline import get_plotlyjs

    path = Path(reports_dir) / plotly_asset()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".tmp")
        staging.write_text(get_plotlyjs(), encoding="utf-8")
        staging.replace(path)

_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
{%- if resources.plotly_src %}
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript" src="{{ resources.plotly_src }}"></script>
{%- endif %}
<style type="text/css">.bi-provenance { color: #555; font-size: 0.9em; }</style>
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
    """Return notebook ``nb`` as a self-contained HTML page (plotly.js inline when there are figures)."""
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
    resources = {"metadata": {"name": title}, "plotly_src": PLOTLY_SRC if has_figures else ""}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _copy(nb):
    import copy

    return copy.deepcopy(nb)
