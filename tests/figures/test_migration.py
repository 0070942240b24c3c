"""Figures of report 90_migration_checks: traces, values, titles; a 'no data' figure for no rows."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from bi_workbench.domain import migration_report as mr
from bi_workbench.figures import migration as figures
from bi_workbench.figures.common import NO_DATA

ACCOUNTING = pd.DataFrame({
    "legacy_table": ["tier2_users", "onboarding_assessments"], "legacy_rows": [10, 8], "migrated": [8, 6],
    "merged": [2, 0], "quarantined": [0, 2], "unexplained": [0, 0], "reconciles": [True, True],
})


def is_no_data(fig: go.Figure) -> bool:
    return not fig.data and [a.text for a in fig.layout.annotations] == [NO_DATA]


def has_titles(fig: go.Figure) -> bool:
    return bool(fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text)


def test_accounting_stacks_outcomes_per_table_without_the_total_row():
    fig = figures.accounting(mr.accounting_table(ACCOUNTING))
    assert [t.name for t in fig.data] == ["migrated", "merged", "quarantined"]
    assert all(list(t.x) == ["tier2_users", "onboarding_assessments"] for t in fig.data)
    assert [list(t.y) for t in fig.data] == [[8, 6], [2, 0], [0, 2]]
    assert fig.layout.barmode == "stack" and has_titles(fig)


def test_accounting_shows_unexplained_rows_when_there_are_any():
    broken = ACCOUNTING.assign(migrated=[7, 6], unexplained=[1, 0], reconciles=[False, True])
    fig = figures.accounting(mr.accounting_table(broken))
    assert [t.name for t in fig.data][-1] == "unexplained" and list(fig.data[-1].y) == [1, 0]


def test_quarantine_has_one_trace_per_legacy_table_over_the_reasons():
    table = mr.quarantine_table(pd.DataFrame({
        "legacy_table": ["a_table", "b_table", "a_table"], "reason": ["orphan", "orphan", "unmatched"],
        "rows": [5, 3, 1],
    }))
    fig = figures.quarantine(table)
    assert [t.name for t in fig.data] == ["a_table", "b_table"]
    assert list(fig.data[0].y) == ["orphan", "unmatched"] and list(fig.data[0].x) == [5, 1]
    assert list(fig.data[1].x) == [3, 0] and fig.layout.barmode == "stack"


def test_sizes_stack_data_and_indexes_per_side():
    table = mr.size_table(pd.DataFrame({"side": ["legacy", "new"], "tables": [6, 6], "total_bytes": [10240, 20480],
                                        "index_bytes": [2048, 8192], "relative_to_legacy": [1.0, 2.0]}))
    fig = figures.sizes(table)
    assert [(t.name, list(t.x), list(t.y)) for t in fig.data] == [
        ("data (heap, TOAST)", ["legacy", "new"], [8, 12]), ("indexes", ["legacy", "new"], [2, 8])]


def test_no_rows_give_a_titled_figure_saying_no_data():
    empty_accounting = mr.accounting_table(ACCOUNTING.iloc[0:0])
    empty_quarantine = mr.quarantine_table(pd.DataFrame(columns=["legacy_table", "reason", "rows"]))
    empty_sizes = mr.size_table(pd.DataFrame(columns=["side", "tables", "total_bytes", "index_bytes",
                                                      "relative_to_legacy"]))
    for fig in (figures.accounting(empty_accounting), figures.quarantine(empty_quarantine),
                figures.sizes(empty_sizes)):
        assert is_no_data(fig) and has_titles(fig)
