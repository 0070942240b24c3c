"""The benchmark command's plumbing: sections run on scratch databases and render side by side (no timing asserts)."""

import sqlalchemy as sa

from bi_workbench.bench import comparison_rows, render, run_benchmarks


def test_migration_and_dashboard_sections_run_and_leave_no_database_behind(schema_database):
    with schema_database.connect() as conn:
        before = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
    figures = run_benchmarks(schema_database, ("migration", "dashboard"), migration_scale="small",
                             dashboard_scales=("small",))
    with schema_database.connect() as conn:
        after = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
    assert after == before
    assert figures["migration"]["check_ok"] and figures["migration"]["legacy_rows"] > 1000
    assert figures["dashboard"]["small"]["ours"]["samples"] > 0
    rows = comparison_rows(figures)
    assert [r["baseline"] for r in rows] == ["plain copy of the rows", "the seed's view"]
    table = render(rows)
    assert "get_user_dashboard p95, small" in table and "seed/ours" in table
