"""Sections computed ahead (`reports.prefetch`): at once on connections of their own, errors where read, closing cancels."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from bi_workbench import reports
from bi_workbench.domain import analytics, engagement_report
from bi_workbench.reports.prefetch import Prefetch
from tests.database.conftest import embedded_tenancy, secret_store  # noqa: F401, F811 - fixtures used below
from tests.waiting import PATIENCE_S, backend_pid, until

def _sleeper(started: list):
    def sleeps(conn):
        started.append(backend_pid(conn))
        return conn.exec_driver_sql(f"SELECT pg_sleep({PATIENCE_S * 3})").scalar()
    return sleeps


def _active(engine, pid: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT state = 'active' FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": pid}).scalar() is True


def test_two_sections_run_at_once_each_on_its_own_connection_and_come_back_by_name(schema_database):
    together = threading.Barrier(2, timeout=PATIENCE_S)   # broken unless both sections run at the same time

    def section(value):
        def compute(conn):
            together.wait()
            return value, backend_pid(conn), conn.exec_driver_sql("SELECT 1").scalar()
        return compute

    with reports.prefetch(schema_database, {"a": section("A"), "b": section("B")}) as sections:
        (a, a_pid, one), (b, b_pid, _) = sections["a"], sections["b"]
        assert (a, b, one) == ("A", "B", 1)
        assert a_pid != b_pid
        assert list(sections) == ["a", "b"] and sections.done("a")


def test_a_failing_section_raises_in_the_cell_that_reads_it_and_the_others_still_come(schema_database):
    sections = reports.prefetch(schema_database, {
        "broken": lambda conn: conn.exec_driver_sql("SELECT * FROM no_such_table").all(),
        "fine": lambda conn: conn.exec_driver_sql("SELECT 2").scalar()})
    with pytest.raises(sa.exc.ProgrammingError, match="no_such_table"):
        sections["broken"]
    assert sections["fine"] == 2
    sections.close()


def test_closing_cancels_the_running_statement_and_the_sections_not_started(schema_database):
    started: list = []
    sections = Prefetch(schema_database, {"first": _sleeper(started), "second": _sleeper(started),
                                          "queued": lambda conn: 3}, workers=2)
    until(lambda: len(started) == 2 and all(_active(schema_database, pid) for pid in started),
           "both sections to sleep on the server")
    sections.close()
    for name in ("first", "second", "queued"):
        with pytest.raises(RuntimeError, match=f"'{name}' was cancelled .* run the cell that starts the prefetch"):
            sections[name]
    until(lambda: not any(_active(schema_database, pid) for pid in started), "the server to cancel both statements")


def test_a_new_prefetch_of_the_kernel_closes_the_one_before(schema_database):
    started: list = []
    before = reports.prefetch(schema_database, {"old": _sleeper(started)}, workers=1)
    until(lambda: started and _active(schema_database, started[0]), "the old section to sleep")
    after = reports.prefetch(schema_database, {"new": lambda conn: "new"})
    with pytest.raises(RuntimeError, match="'old' was cancelled"):
        before["old"]
    assert not _active(schema_database, started[0])
    assert after["new"] == "new"
    after.close()


def test_an_interrupt_while_a_cell_waits_closes_every_section(schema_database):
    started: list = []
    sections = reports.prefetch(schema_database, {"slow": _sleeper(started), "other": _sleeper(started)})
    until(lambda: len(started) == 2, "both sections to start")

    def interrupt():
        until(lambda: all(_active(schema_database, pid) for pid in started), "both sections to sleep")
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)   # Ctrl-C, delivered to the waiting cell

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        sections["slow"]
    with pytest.raises(RuntimeError, match="'other' was cancelled"):
        sections["other"]   # closed with the interrupt
    until(lambda: not any(_active(schema_database, pid) for pid in started), "the server to cancel both statements")


def test_a_closed_section_runs_no_further_statement_and_its_connection_is_not_reused(schema_database):
    ran: list = []
    between = threading.Event()

    def two_statements(conn):
        ran.append(backend_pid(conn))
        between.wait(PATIENCE_S)   # closed here, between two statements: no cancel can reach it
        ran.append(conn.exec_driver_sql("SELECT 'second'").scalar())

    sections = reports.prefetch(schema_database, {"two": two_statements}, workers=1)
    until(lambda: ran, "the section to start")
    sections.close()
    between.set()
    with pytest.raises(RuntimeError, match="'two' was cancelled"):
        sections["two"]
    assert ran[1:] == []
    until(lambda: not _connected(schema_database, ran[0]), "the closed section's connection to be discarded")


def test_a_closed_section_busy_in_python_reads_as_cancelled_at_once(schema_database):
    busy = threading.Event()
    release = threading.Event()

    def python_work(conn):
        busy.set()
        release.wait(PATIENCE_S)   # no statement for a cancel to reach
        return "computed after the close"

    sections = reports.prefetch(schema_database, {"busy": python_work}, workers=1)
    until(busy.is_set, "the section to start its Python work")
    sections.close()
    with pytest.raises(RuntimeError, match="'busy' was cancelled"):
        sections["busy"]
    release.set()


def _connected(engine, pid: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar() > 0


def test_membership_and_length_never_wait_and_get_is_refused(schema_database):
    started: list = []
    with reports.prefetch(schema_database, {"slow": _sleeper(started)}, workers=1) as sections:
        assert "slow" in sections and "other" not in sections and len(sections) == 1
        assert not sections.done("slow")
        with pytest.raises(TypeError, match=r"prefetch\[name\]"):
            sections.get("slow")


def test_the_kernels_exit_cancels_what_its_prefetch_still_runs(schema_database):
    url = schema_database.url.render_as_string(hide_password=False)
    script = (
        "import sys, time\n"
        "from bi_workbench import reports\n"
        "from bi_workbench.database import create_engine\n"
        f"sections = reports.prefetch(create_engine({url!r}), {{'slow': lambda c: c.exec_driver_sql("
        f"'SELECT pg_sleep({PATIENCE_S * 3})').all()}})\n"
        "time.sleep(1)\n"
        "print(sections.done('slow'))\n")
    with schema_database.connect() as conn:
        before = set(conn.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars())
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=PATIENCE_S * 2)
    assert done.stdout.strip() == "False", done.stderr   # still sleeping when the process exited

    def sleeping() -> bool:
        with schema_database.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' "
                                        "AND state = 'active' AND NOT (pid = ANY(:before))"),
                                {"before": list(before)}).scalar() > 0
    until(lambda: not sleeping(), "the exited kernel's statement to be cancelled")


def test_a_prefetch_needs_an_engine_each_section_connecting_on_its_own(schema_database):
    with schema_database.connect() as conn, pytest.raises(TypeError, match="needs an Engine"):
        reports.prefetch(conn, {"a": lambda c: 1})


def test_a_tenants_sections_read_as_the_tenant(embedded_tenancy):
    world = embedded_tenancy.world
    with reports.prefetch(embedded_tenancy.a, {
            "tenant": lambda conn: conn.exec_driver_sql("SELECT current_tenant()").scalar(),
            "organizations": lambda conn: set(conn.execute(sa.text("SELECT id FROM organizations")).scalars())},
            ) as sections:
        assert sections["tenant"] == world.a
        assert sections["organizations"] == {world.a}


def test_the_dashboard_reports_sections_equal_what_each_function_returns_alone(demo_engine):
    params = {"organization_id": None, "industry": None, "since": None, "until": None, "as_of": None,
              "granularity": "month"}
    with demo_engine.connect() as conn:
        bounds = analytics.report_bounds(conn, params)
        alone = {"activity": engagement_report.activity(conn, bounds, "month"),
                 "mix": engagement_report.event_mix(conn, bounds),
                 "funnel": engagement_report.funnel_steps(conn, bounds),
                 "retention": engagement_report.retention_matrix(conn, bounds),
                 "sessions": engagement_report.session_lengths_by(conn, bounds),
                 "widgets": engagement_report.widgets_by_type(conn, bounds),
                 "organizations": engagement_report.top_organizations(conn, bounds)}
    with reports.prefetch(demo_engine, engagement_report.sections(bounds, "month")) as sections:
        assert list(sections) == list(alone)
        for name, frame in alone.items():
            assert not frame.empty, name
            assert sections[name].equals(frame), name
