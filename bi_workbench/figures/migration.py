"""Figures of report ``90_migration_checks``: each takes a frame of `bi_workbench.domain.migration_report`.

Titles and axis titles are always set; a frame without rows gives a figure
without traces and a centred "no data" annotation (see `bi_workbench.figures.engagement`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import no_data, titled

#: Where the legacy rows went, in the order stacked.
OUTCOMES = ("migrated", "merged", "quarantined", "unexplained")


def accounting(table: pd.DataFrame) -> go.Figure:
    """Return per legacy table its rows stacked migrated / merged / quarantined (/ unexplained, only if any).

    ``table``: `migration_report.accounting_table` (its ``total`` row is left out).
    """
    title, x_title, y_title = "Where every legacy row went", "legacy table", "legacy rows"
    rows = table[table["legacy_table"] != "total"]
    if rows.empty:
        return no_data(title, x_title, y_title)
    names = list(rows["legacy_table"])
    outcomes = [o for o in OUTCOMES if o != "unexplained" or rows[o].sum() > 0]
    fig = go.Figure([go.Bar(x=names, y=[int(v) for v in rows[o]], name=o) for o in outcomes])
    return titled(fig, title, x_title, y_title, barmode="stack")


def quarantine(table: pd.DataFrame) -> go.Figure:
    """Return quarantined rows per reason as horizontal bars, one trace per legacy table, largest first.

    ``table``: `migration_report.quarantine_table` (legacy_table, reason, rows, share).
    """
    title, x_title, y_title = "Quarantined legacy rows by reason", "rows", "reason"
    if table.empty:
        return no_data(title, x_title, y_title)
    reasons = list(dict.fromkeys(table["reason"]))
    traces = []
    for legacy_table in sorted(table["legacy_table"].unique()):
        part = table[table["legacy_table"] == legacy_table].set_index("reason").reindex(reasons)
        traces.append(go.Bar(x=[0 if pd.isna(v) else int(v) for v in part["rows"]], y=reasons, orientation="h",
                             name=str(legacy_table)))
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack", yaxis={"autorange": "reversed"},
                  legend={"orientation": "h", "y": -0.25})


def sizes(table: pd.DataFrame) -> go.Figure:
    """Return the on-disk size of the legacy tables and of their new targets, stacked data / indexes, in KiB.

    ``table``: `migration_report.size_table`.
    """
    title, x_title, y_title = "Database size: legacy tables vs the new tables holding their data", "side", "KiB"
    if table.empty:
        return no_data(title, x_title, y_title)
    sides = list(table["side"])
    fig = go.Figure([
        go.Bar(x=sides, y=[int(v) for v in table["data_kib"]], name="data (heap, TOAST)"),
        go.Bar(x=sides, y=[int(v) for v in table["index_kib"]], name="indexes"),
    ])
    return titled(fig, title, x_title, y_title, barmode="stack")
