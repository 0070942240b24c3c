"""Work shared between connections on one snapshot (`database.lanes`): schema changes, failures, interrupts."""

from __future__ import annotations

import signal
import threading

import psycopg
import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.database.lanes import lock_relations, run_in_lanes
from bi_workbench.database.snapshot import sharing_snapshot
from tests.waiting import PATIENCE_S, backend_pid, until

def _waiting_for_lock(engine, pid: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                            {"pid": pid}).scalar() > 0


def _leader(engine):
    return engine.connect().execution_options(isolation_level="REPEATABLE READ")


def test_the_leader_holds_a_share_lock_on_every_table_and_view_of_the_schema(counted):
    engine, table = counted
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE VIEW {table}_v AS SELECT n FROM {table}")
    with _leader(engine) as conn, conn.begin():
        locked = lock_relations(conn)
        held = set(conn.execute(sa.text(
            "SELECT relation::regclass::text FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND mode = 'AccessShareLock' AND granted AND relation IS NOT NULL")).scalars())
        schema = set(conn.execute(sa.text(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relkind IN ('r', 'p', 'v') "
            "AND c.relnamespace::regnamespace::text = ANY(current_schemas(false))")).scalars())
    assert {table, f"{table}_v"} <= schema <= held
    assert locked == len(schema)


def _through_sqlalchemy(conn, sql: str) -> None:
    conn.exec_driver_sql(sql).scalar()


def _through_the_driver(conn, sql: str) -> None:
    """As the checks that stream rows read (`database.cursors`): psycopg's own errors, not SQLAlchemy's."""
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()


@pytest.mark.parametrize("read", [_through_sqlalchemy, _through_the_driver])
def test_a_lane_queued_behind_a_schema_change_hands_its_task_back_to_the_leader(counted, read):
    """The change waits for the leader's lock; a lane waiting for the change would wait for ever."""
    engine, table = counted
    started, queued = threading.Event(), threading.Event()
    altered: list = []
    changer = create_engine(engine.url)

    def alter() -> None:
        with changer.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PATIENCE_S}s'")
            altered.append(backend_pid(conn))
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN m int")
        altered.append("done")

    alteration = threading.Thread(target=alter)

    def leaders_own(conn):
        assert started.wait(PATIENCE_S)
        alteration.start()
        until(lambda: altered and _waiting_for_lock(engine, altered[0]), "the schema change to queue")
        queued.set()

    def reads_the_table(conn):
        started.set()
        assert queued.wait(PATIENCE_S)
        read(conn, f"SELECT count(*) FROM {table}")
        return backend_pid(conn)

    with _leader(engine) as conn, conn.begin():
        lock_relations(conn)
        with sharing_snapshot(engine, conn) as beside:
            results = run_in_lanes([leaders_own, reads_the_table], [conn, beside], first=[0], rest=[1])
            assert results[1] == backend_pid(conn)
            assert altered[-1] != "done"          # the change still waits for the leader
    alteration.join(PATIENCE_S)
    assert altered[-1] == "done"
    changer.dispose()


def _fail(_ended) -> None:
    raise ValueError("a task failed")


def _interrupt(ended) -> None:
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)   # Ctrl-C, delivered to the waiting thread
    until(lambda: ended, "the other lane's statement to be cancelled")   # then this lane takes no further task


@pytest.mark.parametrize("stop, raised", [(_fail, ValueError),
                                          (_interrupt, KeyboardInterrupt)], ids=["a task fails", "Ctrl-C"])
def test_a_failing_task_or_an_interrupt_cancels_the_statement_of_the_other_lane(counted, stop, raised):
    engine, _table = counted
    sleeping: list = []
    ended: list = []

    def stops(conn):
        until(lambda: sleeping and not _idle(engine, sleeping[0]), "the other lane to sleep")
        stop(ended)

    def sleeps(conn):
        sleeping.append(backend_pid(conn))
        try:
            conn.exec_driver_sql(f"SELECT pg_sleep({PATIENCE_S * 3})")
        except sa.exc.OperationalError as exc:
            ended.append(type(exc.orig))
            raise

    with _leader(engine) as conn, conn.begin():
        with sharing_snapshot(engine, conn) as beside:
            with pytest.raises(raised):
                run_in_lanes([stops, sleeps, sleeps], [conn, beside], first=[0], rest=[1, 2])
    assert ended == [psycopg.errors.QueryCanceled]
    assert len(sleeping) == 1       # the stopped leader took no further task


def _idle(engine, pid: int) -> bool:
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
    return state != "active"


def test_without_a_second_connection_the_work_runs_on_the_first(counted):
    engine, table = counted
    single = create_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    with _leader(single) as conn, conn.begin():
        with pytest.raises(sa.exc.TimeoutError):
            with sharing_snapshot(single, conn):
                pass
        with sharing_snapshot(single, conn, or_none=True) as beside:
            assert beside is None
            lanes = [lane for lane in (conn, beside) if lane is not None]
            calls = []

            def count(c):
                calls.append(backend_pid(c))
                return c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()

            assert run_in_lanes([count, count, count], lanes, first=[2], rest=[0, 1]) == [1, 1, 1]
            assert calls == [backend_pid(conn)] * 3        # each task once, on the one connection
    single.dispose()


def test_a_lane_with_no_task_left_releases_its_locks_while_the_leader_works(counted):
    """Else a schema change would queue behind the idle lane, and the leader behind the change."""
    engine, table = counted
    lane_pid: list = []

    def reads_the_table(conn):
        rows = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()   # locks the table to the end
        lane_pid.append(backend_pid(conn))
        return rows

    def leaders_own(conn):
        until(lambda: lane_pid, "the other lane to read the table")
        until(lambda: not _holds_lock_on(engine, lane_pid[0], table), "the idle lane to release its lock")

    with _leader(engine) as conn, conn.begin():
        with sharing_snapshot(engine, conn) as beside:
            assert run_in_lanes([leaders_own, reads_the_table], [conn, beside], first=[0], rest=[1]) == [None, 1]


def _holds_lock_on(engine, pid: int, table: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND relation = to_regclass(:t)"),
                            {"pid": pid, "t": table}).scalar() > 0
