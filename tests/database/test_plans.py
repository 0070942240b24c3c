"""The plan recorder on a real PostgreSQL: every SELECT explained with its own parameters, nothing else."""

import pytest
import sqlalchemy as sa

from bi_workbench.database.plans import full_scans, read_plans, record_plans
from bi_workbench.schema import tables as t


def test_each_select_is_explained_with_its_parameters_and_writes_are_not(schema_database, tmp_path):
    log = tmp_path / "plans.jsonl"
    record_plans(schema_database, log)
    with schema_database.begin() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE scratch (n int)"))
        conn.execute(sa.text("INSERT INTO scratch VALUES (1)"))
        rows = conn.execute(sa.select(t.users.c.id).where(t.users.c.email == sa.bindparam("e")), {"e": "a@b"}).all()
        conn.execute(sa.text("WITH x AS (SELECT 1 AS n) SELECT n FROM x")).all()
    assert rows == []
    records = read_plans(log)
    assert [r["statement"].split()[0] for r in records] == ["SELECT", "WITH"]
    scan = records[0]["plan"][0]["Plan"]
    assert "users" in str(scan) and "$1" not in str(scan)  # the bound value was sent, not a placeholder
    assert read_plans(tmp_path / "none.jsonl") == []


def test_full_scans_are_sequential_scans_of_tables_at_least_the_size_given(schema_database, tmp_path):
    log = tmp_path / "plans.jsonl"
    record_plans(schema_database, log)
    with schema_database.connect() as conn:
        conn.execute(sa.text("SET enable_indexscan = off; SET enable_bitmapscan = off"))
        conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar()
        conn.execute(sa.text("RESET ALL"))
        conn.execute(sa.select(t.users.c.id).where(t.users.c.id == sa.bindparam("i")),
                     {"i": "00000000-0000-0000-0000-000000000000"}).all()
    records = read_plans(log)
    found = full_scans(records, {"users": 50_000}, minimum_rows=20_000)
    assert [(f["table"], f["rows"]) for f in found] == [("users", 50_000)]
    assert "count" in found[0]["statement"]
    assert full_scans(records, {"users": 50_000}, minimum_rows=60_000) == []


def test_a_statement_the_explain_cannot_take_leaves_the_callers_transaction_and_results_alone(schema_database, tmp_path):
    log = tmp_path / "plans.jsonl"
    record_plans(schema_database, log)
    with schema_database.begin() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE scratch (n int)"))
        assert conn.execute(sa.text("SELECT 10 % 3")).scalar() == 1  # a literal % without parameters
        assert conn.exec_driver_sql("SELECT 1; INSERT INTO scratch VALUES (1)") is not None
        assert conn.execute(sa.text("SELECT count(*) FROM scratch")).scalar() == 1  # the INSERT ran once
        # an EXPLAIN that fails is logged; the caller then gets its own statement's error, not an aborted transaction
        with pytest.raises(sa.exc.ProgrammingError, match="no_such_table"), conn.begin_nested():
            conn.execute(sa.text("SELECT * FROM no_such_table"))
        assert conn.execute(sa.text("SELECT 2")).scalar() == 2
    records = read_plans(log)
    assert [r["statement"].split()[0] for r in records] == ["SELECT", "SELECT", "SELECT", "SELECT"]
    assert "no_such_table" in records[2]["error"] and all("plan" in r for i, r in enumerate(records) if i != 2)
    assert full_scans(records, {}, minimum_rows=0) == []  # tables of unknown size are not counted
