"""A report's headline numbers: shown at the top of the report, and written beside it as data.

In a notebook::

    headlines = reports.headlines(["users", "paying_customers", "mrr"], params, engine)
    headlines            # shows the table; its output also carries the numbers as JSON

Each number comes from `bi_workbench.metrics.query` with the report's selection,
so it can be recomputed independently. The rendered notebook keeps them in an
output of MIME type `MIME_TYPE` (a recorded output, as papermill/scrapbook
record values); `collect` reads them back and the renderer writes them to
``<stem>.json`` beside the report's ``.html``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence

from .. import metrics

MIME_TYPE = "application/vnd.bi-workbench.headlines+json"


class Headlines:
    """Headline numbers of one report: a list of {metric, value, unit, definition, selection} records."""

    def __init__(self, records: list[dict]):
        self.records = records

    def value(self, name: str) -> float | None:
        """Return the value of metric ``name`` (None when undefined, e.g. an average of nothing)."""
        return next(r["value"] for r in self.records if r["metric"] == name)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIME_TYPE: {"headlines": self.records}, "text/html": self._html(),
                "text/plain": "\n".join(f"{r['metric']}: {_shown(r)}" for r in self.records)}

    def _html(self) -> str:
        cells = "".join(f"<div class='bw-kpi'><div class='bw-kpi-value'>{html.escape(_shown(r))}</div>"
                        f"<div class='bw-kpi-name' title='{html.escape(r['definition'])}'>"
                        f"{html.escape(r['metric'].replace('_', ' '))}</div></div>" for r in self.records)
        label = html.escape(self.records[0]["selection"]["as_of_label"]) if self.records else ""
        return (f"<div class='bw-kpis' style='display:flex;gap:2em;flex-wrap:wrap'>{cells}</div>"
                f"<p class='bw-kpi-bound'><small>{label}</small></p>")


def headlines(names: Sequence[str], params: Mapping, engine=None, *, bounds=None) -> Headlines:
    """Return the headline numbers ``names`` (metric names) for the report's selection in ``params``.

    ``bounds``: the report's selection already resolved (`metrics.Selection.resolve`), so the headline
    numbers share the report's one as_of; else it is resolved from ``params``.
    """
    with metrics.api.connection(engine) as conn:
        bounds = bounds or metrics.Selection.from_params(params).resolve(conn)
        frame = metrics.query(list(names), engine=conn, bounds=bounds)
    described = frame.attrs["selection"]
    records = []
    for name in names:
        value = float(frame[name].iloc[0]) if len(frame) else math.nan
        metric = metrics.metric(name)
        records.append({"metric": name, "value": None if math.isnan(value) else value, "unit": metric.unit,
                        "definition": metric.definition, "selection": described})
    return Headlines(records)


def collect(nb) -> list[dict]:
    """Return every headline record of an executed notebook (nbformat node), in order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(MIME_TYPE)
            if data is not None:
                found.extend(data["headlines"] if isinstance(data, dict) else json.loads(data)["headlines"])
    return found


def _shown(record: dict) -> str:
    value, unit = record["value"], record["unit"]
    if value is None:
        return "–"
    if unit == "share":
        return f"{value:.1%}"
    if unit.startswith("USD"):
        return f"${value:,.2f}" + ("/mo" if unit.endswith("month") else "")
    if unit.startswith("score"):
        return f"{value:.2f}"
    return f"{value:,.0f}"
