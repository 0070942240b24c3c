"""Report 90_migration_checks: the verdict, tables and examples made from the migration checks, on real databases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bi_workbench.domain import migration_report as mr
from bi_workbench.legacy import metrics
from bi_workbench.legacy import report as legacy_report
from bi_workbench.legacy.migrate import check, migrate
from bi_workbench.legacy.reconcile import SECTIONS

from tests.conftest import filled

from ..legacy.legacy_data import write_legacy


@pytest.fixture
def demo(demo_engine):
    """The small demo database (seed 42), shared by the session."""
    return demo_engine


@pytest.fixture
def unmigrated(schema_database):
    """The schema plus the hand-written legacy dataset of tests/legacy, nothing migrated yet."""
    return filled(schema_database, write_legacy)


# --- the demo database --------------------------------------------------------------------------------


def test_the_verdict_of_the_demo_database_is_one_line_without_a_time(demo):
    reconciliation = check(demo)
    line = mr.verdict(reconciliation)
    assert line == ("Migration check: OK. 1,231 legacy rows in 6 tables = 1,189 migrated + 12 merged + "
                    "30 quarantined, 0 unexplained; 28 of 28 checks pass.")
    assert mr.verdict(check(demo)) == line  # the same line on every run


def test_the_accounting_table_adds_a_total_that_reconciles(demo):
    table = mr.accounting_table(legacy_report.accounting_frame(check(demo)))
    assert table["legacy_table"].tolist()[-1] == "total" and len(table) == 7
    body, total = table.iloc[:-1], table.iloc[-1]
    for column in ("legacy_rows", "migrated", "merged", "quarantined", "unexplained"):
        assert total[column] == body[column].sum()
    assert (body["legacy_rows"] == body["migrated"] + body["merged"] + body["quarantined"]).all()
    assert bool(total["reconciles"]) and table["reconciles"].dtype == bool


def test_findings_are_summed_up_and_listed_per_section(demo):
    findings = legacy_report.findings_frame(check(demo))
    summary = mr.findings_summary(findings)
    assert summary["section"].tolist() == list(SECTIONS.values())
    assert summary["checks"].sum() == len(findings) and summary["failed"].sum() == 0
    sections = mr.findings_by_section(findings)
    assert [title for title, _ in sections] == list(SECTIONS.values())
    assert sum(len(frame) for _, frame in sections) == len(findings)
    assert sections[0][1].columns.tolist() == ["check", "ok", "summary"]


def test_quarantine_table_and_examples(demo):
    with demo.connect() as conn:
        table = mr.quarantine_table(legacy_report.quarantine_by_reason(conn))
        examples = legacy_report.quarantine_examples(conn, 3)
        none = legacy_report.quarantine_examples(conn, 0)
    assert table["rows"].sum() == 30 and math.isclose(table["share"].sum(), 1.0, abs_tol=1e-3)
    assert table["rows"].is_monotonic_decreasing
    groups = mr.examples_by_reason(examples)
    expected = sorted(f"{t}: {r}" for t, r in zip(table["legacy_table"], table["reason"]))
    assert [heading for heading, _ in groups] == expected
    for _, rows in groups:
        assert 1 <= len(rows) <= 3 and rows.columns.tolist() == ["legacy_id", "row"]
        assert rows["row"].str.len().le(mr.ROW_TEXT_WIDTH).all()
    assert mr.examples_by_reason(none) == []


def test_success_metrics_tables(demo):
    with demo.connect() as conn:
        sizes = mr.size_table(metrics.size_comparison(conn))
        usage = metrics.index_usage(conn)
    assert sizes["side"].tolist() == ["legacy", "new"] and sizes.loc[0, "relative_to_legacy"] == 1.0
    assert (sizes["total_kib"] - sizes["index_kib"] - sizes["data_kib"]).abs().le(1).all()
    summary = mr.index_usage_summary(usage)
    assert summary.loc[0, "tables"] == len(usage)
    assert summary.loc[0, "index_scans"] + summary.loc[0, "sequential_scans"] > 0
    top = mr.index_usage_table(usage)
    assert len(top) == min(mr.TABLE_ROWS, len(usage)) and top["scans"].is_monotonic_decreasing


# --- other states of the migration ---------------------------------------------------------------------------


def test_before_the_migration_the_verdict_says_what_is_unexplained(unmigrated):
    reconciliation = check(unmigrated)
    line = mr.verdict(reconciliation)
    assert line.startswith("Migration check: FAILED (")
    assert "0 migrated + 0 merged + 0 quarantined" in line
    table = mr.accounting_table(legacy_report.accounting_frame(reconciliation))
    assert table.iloc[-1]["unexplained"] == table.iloc[-1]["legacy_rows"] > 0
    assert not table.iloc[-1]["reconciles"]
    migrate(unmigrated)
    assert mr.verdict(check(unmigrated)).startswith("Migration check: OK.")


def test_no_rows_in_gives_no_rows_out():
    empty_accounting = pd.DataFrame(columns=["legacy_table", "legacy_rows", "migrated", "merged", "quarantined",
                                             "unexplained", "reconciles"])
    assert mr.accounting_table(empty_accounting).empty
    assert mr.findings_summary(pd.DataFrame(columns=["section", "check", "ok", "summary"])).empty
    assert mr.findings_by_section(pd.DataFrame(columns=["section", "check", "ok", "summary"])) == []
    quarantine = mr.quarantine_table(pd.DataFrame(columns=["legacy_table", "reason", "rows"]))
    assert quarantine.empty and quarantine.columns.tolist() == ["legacy_table", "reason", "rows", "share"]
    assert mr.examples_by_reason(pd.DataFrame(columns=["legacy_table", "reason", "legacy_id", "legacy_row"])) == []
    summary = mr.index_usage_summary(pd.DataFrame(columns=["table_name", "index_scans", "sequential_scans"]))
    assert summary.loc[0, "tables"] == 0 and math.isnan(summary.loc[0, "index_share"])


# --- pure helpers ---------------------------------------------------------------------------------------------


def test_row_text_is_sorted_compact_json_cut_to_width():
    assert mr.row_text({"b": 1, "a": None}) == '{"a": null, "b": 1}'
    long = mr.row_text({"text": "x" * 500}, width=40)
    assert len(long) == 40 and long.endswith("...")


def test_examples_are_ordered_by_numeric_legacy_id_when_ids_are_numbers():
    examples = pd.DataFrame({
        "legacy_table": ["t"] * 3 + ["u"],
        "reason": ["r"] * 3 + ["r"],
        "legacy_id": ["129", "24", "7", "b-id"],
        "legacy_row": [{"id": 129}, {"id": 24}, {"id": 7}, {"id": "b"}],
    })
    groups = mr.examples_by_reason(examples)
    assert [h for h, _ in groups] == ["t: r", "u: r"]
    assert groups[0][1]["legacy_id"].tolist() == ["7", "24", "129"]
    assert groups[0][1]["row"].tolist() == ['{"id": 7}', '{"id": 24}', '{"id": 129}']


def test_size_table_reports_kib():
    sizes = pd.DataFrame({"side": ["legacy", "new"], "tables": [6, 6], "total_bytes": [10240, 20480],
                          "index_bytes": [2048, 8192], "relative_to_legacy": [1.0, 2.0]})
    table = mr.size_table(sizes)
    assert table.to_dict("records") == [
        {"side": "legacy", "tables": 6, "total_kib": 10, "index_kib": 2, "data_kib": 8, "relative_to_legacy": 1.0},
        {"side": "new", "tables": 6, "total_kib": 20, "index_kib": 8, "data_kib": 12, "relative_to_legacy": 2.0},
    ]
