"""The reports section of the benchmark: the per-organization fan-out runs on 1 and 2 workers (no timing asserts)."""

import sqlalchemy as sa

from bi_workbench.bench_reports import fanout_row, floor_figures, floor_rows, reports_fanout
from tests.reports.conftest import ROOT


def test_the_fanout_renders_every_organization_on_each_worker_count_and_leaves_no_database(
        schema_database, tmp_path, monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATA_DIR", str(tmp_path / "workbench-data"))  # the tenant login passwords
    with schema_database.connect() as conn:
        before = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
    figures = reports_fanout(schema_database, organizations=1, notebooks_dir=ROOT / "notebooks")
    with schema_database.connect() as conn:
        assert set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars()) == before
    assert figures["organizations"] == 1 and figures["failed"] == {1: 0, 2: 0}
    assert set(figures["seconds"]) == {1, 2} and figures["ratio"] == figures["seconds"][1] / figures["seconds"][2]
    row = fanout_row(figures)
    assert row["baseline"] == "1 worker" and row["ratio"] == round(figures["ratio"], 2)


def test_the_floor_section_renders_the_trivial_notebook_and_the_report_and_reads_its_plans(demo_engine):
    figures = floor_figures(demo_engine, notebooks_dir=ROOT / "notebooks", names=["03_market_intelligence"], repeats=1)
    report = figures["reports"]["03_market_intelligence"]
    assert report["status"] == "succeeded" and figures["floor_seconds"] > 0
    assert report["ratio"] == report["seconds"] / figures["floor_seconds"]
    assert report["statements"] > 5 and report["plan_parameters"]["organization_id"]  # recorded for one organization
    assert report["plan_status"] == "succeeded" and report["unexplained"] == 0
    assert report["full_scans"] == []  # no table of the small demo reaches FULL_SCAN_ROWS
    [row] = floor_rows({"scale": "small", **figures})
    assert row["baseline"] == "trivial notebook" and row["met"] == (report["ratio"] <= 2.0)
