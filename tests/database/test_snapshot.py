"""A connection sharing a transaction's snapshot (`database.snapshot`), on the embedded server and PostgreSQL 15."""

from __future__ import annotations

from bi_workbench.database.snapshot import sharing_snapshot


def _rows(conn, table) -> int:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def test_the_second_connection_sees_the_transactions_rows_and_not_those_committed_after_it(counted):
    engine, table = counted
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        assert _rows(conn, table) == 1                            # the snapshot is taken here
        with engine.begin() as writer:
            writer.exec_driver_sql(f"INSERT INTO {table} VALUES (2)")
        with sharing_snapshot(engine, conn) as beside:
            assert beside.connection.dbapi_connection.info.backend_pid != conn.connection.dbapi_connection.info.backend_pid
            assert _rows(beside, table) == _rows(conn, table) == 1
            with engine.connect() as fresh:
                assert _rows(fresh, table) == 2
        assert _rows(conn, table) == 1


def test_the_second_connection_ends_rolled_back(counted):
    engine, table = counted
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        with sharing_snapshot(engine, conn) as beside:
            beside.exec_driver_sql(f"INSERT INTO {table} VALUES (3)")
    with engine.connect() as fresh:
        assert _rows(fresh, table) == 1
