"""A report's headline numbers: shown at the top of the report, and written beside it as data.

In a notebook::

    headlines = reports.headlines(["users", "paying_customers", "mrr"], params, engine)
    headlines            # shows the table; its output also carries the numbers as JSON

Each number comes from `bi_workbench.metrics.query` with the report's selection,
so it can be recomputed independently, and is compared with the same metric over
the previous period of the same length (`metrics.Bounds.previous`): a flow (rows
whose time falls in the period: sign-ups, assessments, events) counts that period,
a stock (the state at the end: paying customers, MRR, ARPA, churn rate; ``kind`` in
the metrics catalogue) is read at its end. A record's ``change`` is relative
(``change_unit`` "relative": 0.125 = +12.5 %) except for shares, whose change is
the difference in share (``change_unit`` "points": 0.021 = +2.1 points); it is
None when the previous value is 0 or undefined, or there is no previous period.

Kinds where the choice is not obvious: ``active_users`` is a flow of distinct users
(those active in the period, not a running total); averages and shares over the
period's rows (``avg_overall_score``, ``avg_confidence``, ``notification_read_rate``)
compare as flows, over the previous period's rows; ``customer_churn_rate`` is a stock
(canceled among the paid subscriptions started up to the end). Statuses are read as
they are now (the schema keeps no history), so a notification of the previous period
has had longer to be read, and a stock read at an earlier end counts a subscription
canceled since as canceled then too. The rendered notebook keeps them in an
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
    """Headline numbers of one report: a list of records, one per metric.

    A record: metric, value, unit, kind (flow or stock), definition, selection (`Bounds.describe`),
    previous_value, change, change_unit, compared (e.g. 'previous 30 days') and previous_selection
    (None without a previous period).
    """

    def __init__(self, records: list[dict]):
        self.records = records

    def value(self, name: str) -> float | None:
        """Return the value of metric ``name`` (None when undefined, e.g. an average of nothing)."""
        return next(r["value"] for r in self.records if r["metric"] == name)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIME_TYPE: {"headlines": self.records}, "text/html": self._html(),
                "text/plain": "\n".join(f"{r['metric']}: {shown(r)} ({change_text(r)})" for r in self.records)}

    def _html(self) -> str:
        cells = "".join(f"<div class='bw-kpi'><div class='bw-kpi-value'>{html.escape(shown(r))}</div>"
                        f"<div class='bw-kpi-change'><small>{html.escape(change_text(r))}</small></div>"
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
        previous = bounds.previous()
        before = None if previous is None else metrics.query(list(names), engine=conn, bounds=previous)
    records = []
    for name in names:
        metric = metrics.metric(name)
        value, earlier = _value(frame, name), None if before is None else _value(before, name)
        change, change_unit = _change(value, earlier, metric.unit)
        records.append({"metric": name, "value": value, "unit": metric.unit, "kind": metric.kind,
                        "definition": metric.definition, "selection": frame.attrs["selection"],
                        "previous_value": earlier, "change": change, "change_unit": change_unit,
                        "compared": None if previous is None else bounds.compared(previous),
                        "previous_selection": None if before is None else before.attrs["selection"]})
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


def change_text(record: dict) -> str:
    """The change of a headline record in words: '+12.5% vs previous 30 days', 'n/a vs ...' when undefined."""
    compared = record.get("compared")
    if compared is None:
        return "no previous period"
    change = record.get("change")
    if change is None:
        return f"n/a vs {compared}"
    text = f"{change * 100:+.1f} pts" if record["change_unit"] == "points" else f"{change:+.1%}"
    return f"{text} vs {compared}"


def _value(frame, name: str) -> float | None:
    value = float(frame[name].iloc[0]) if len(frame) else math.nan
    return None if math.isnan(value) else value


def _change(value, previous, unit: str) -> tuple[float | None, str]:
    """The change from ``previous`` to ``value``: a difference for shares ('points'), else relative."""
    if unit == "share":
        return (None if value is None or previous is None else value - previous), "points"
    if value is None or not previous:
        return None, "relative"
    return value / previous - 1, "relative"


def shown(record: dict) -> str:
    """The value of a headline record as the cards show it: '48', '12.5%', '$1,234.00/mo', '3.21', '–'."""
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
