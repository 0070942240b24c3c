"""The reports section of the benchmark: the per-organization fan-out runs on 1 and 2 workers (no timing asserts)."""

import sqlalchemy as sa

from bi_workbench.bench_reports import fanout_row, reports_fanout
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
