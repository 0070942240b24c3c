"""load_partitioned on a real dask cluster (`dask scheduler` + two `dask worker` processes) and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
import sqlalchemy as sa
from distributed import Client, wait

from bi_workbench.database import create_engine
from bi_workbench.database.tenancy import tenant_engine
from bi_workbench.errors import InvalidFilterError, InvalidParameterError, UnknownIdentifierError
from bi_workbench.loaders import load, load_partitioned, partitioned
from bi_workbench.loaders.partitioned import TablePartition, read_plan, table_partitions, worker_database
from bi_workbench.schema.tables import analytics_events as ae
from tests.conftest import free_port

UTC = dt.timezone.utc
DASK = str(Path(sys.executable).with_name("dask"))
#: Rows outside every monthly partition: they land in analytics_events_default.
OUTLIERS = ("2019-06-01T00:00:00+00:00", "2031-01-15T08:30:00+00:00", "2031-02-01T00:00:00+00:00")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, events_engine):
    """A Client on a real scheduler and two single-threaded workers, each its own OS process on 127.0.0.1.

    Set up after ``events_engine`` so that the workers, which keep connections to it, stop before it is dropped.
    """
    scratch = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    log = open(scratch / "cluster.log", "wb")
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], stdout=log, stderr=log, env=env, cwd=scratch)]
    try:
        _wait_for_port(address, processes[0])
        processes += [
            subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                              "--name", f"worker-{i}", "--local-directory", str(scratch / f"w{i}")],
                             stdout=log, stderr=log, env=env, cwd=scratch)
            for i in (1, 2)
        ]
        client = Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=120)
        yield client
        client.close()
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _wait_for_port(address: str, process: subprocess.Popen) -> None:
    import socket

    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("dask scheduler did not listen within 60 s")


@pytest.fixture(scope="module")
def events_engine(databases, schema_template):
    """The small synthetic demo database (seed 42) plus a few events outside every monthly partition."""
    from bi_workbench.pipeline import build_demo_database

    url = databases.create(template=schema_template)
    engine = create_engine(url)
    build_demo_database(engine, "small", 42, progress=False)
    with engine.begin() as conn:
        user, org = conn.execute(sa.text("SELECT user_id, organization_id FROM organization_members LIMIT 1")).one()
        conn.execute(ae.insert(), [
            dict(id=uuid.UUID(int=i + 1), user_id=user, organization_id=org, event_type="simulation_run",
                 event_data={"iterations": 7 * (i + 1)}, created_at=at(when))
            for i, when in enumerate(OUTLIERS)
        ])
    yield engine
    engine.dispose()
    databases.drop(url)


def _month_counts_in_sql(engine, since=None, until=None) -> pd.DataFrame:
    month = sa.func.to_char(sa.func.timezone("UTC", ae.c.created_at), "YYYY-MM").label("month")
    iterations = sa.func.sum(sa.cast(ae.c.event_data["iterations"].astext, sa.Integer)).label("iterations")
    statement = sa.select(ae.c.event_type, month, sa.func.count().label("events"), iterations).group_by(
        ae.c.event_type, month)
    if since is not None:
        statement = statement.where(ae.c.created_at >= at(since))
    if until is not None:
        statement = statement.where(ae.c.created_at < at(until))
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    frame = pd.DataFrame(rows, columns=["event_type", "month", "events", "iterations"])
    frame["iterations"] = frame["iterations"].fillna(0)
    return _comparable(frame)


def _month_counts_on_cluster(events: dd.DataFrame) -> pd.DataFrame:
    events = events.assign(month=events["created_at"].dt.strftime("%Y-%m"),
                           iterations=dd.to_numeric(events["event_data.iterations"]))
    grouped = events.groupby(["event_type", "month"])
    counts, sums = dask.compute(grouped.size(), grouped["iterations"].sum())  # on the default client: the cluster
    frame = pd.DataFrame({"events": counts, "iterations": sums}).reset_index()
    return _comparable(frame)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"event_type": str, "month": str, "events": "int64", "iterations": "int64"})
    return frame.sort_values(["event_type", "month"], ignore_index=True)


@pytest.mark.parametrize("since, until", [(None, None), ("2025-03-15T00:00:00+00:00", "2026-02-10T12:00:00+00:00")])
def test_an_aggregation_on_the_cluster_equals_the_same_aggregation_in_sql(cluster, events_engine, since, until):
    events = load_partitioned("analytics_events", since=since, until=until, columns=["event_type", "created_at"],
                              json_fields={"event_data": ["iterations"]}, engine=events_engine)
    on_cluster = _month_counts_on_cluster(events)
    in_sql = _month_counts_in_sql(events_engine, since, until)
    assert in_sql["events"].sum() > 1000 and in_sql["iterations"].sum() > 0  # the comparison is not vacuous
    pd.testing.assert_frame_equal(on_cluster, in_sql)


def test_each_dask_partition_is_one_table_partition_read_on_a_worker(cluster, events_engine):
    partitions = table_partitions("analytics_events", events_engine)
    events = load_partitioned("analytics_events", columns=["created_at"], engine=events_engine)
    assert events.npartitions == len(partitions)  # every month, and the default partition once

    def describe(frame: pd.DataFrame) -> pd.DataFrame:
        from distributed import get_worker

        months = frame["created_at"].dt.strftime("%Y-%m")
        return pd.DataFrame({"rows": [len(frame)], "months": [months.nunique()], "worker": [get_worker().name]})

    described = events.map_partitions(describe, meta={"rows": "int64", "months": "int64", "worker": object}).compute()
    with events_engine.connect() as conn:
        by_partition = dict(conn.execute(sa.text(
            "SELECT tableoid::regclass::text, count(*) FROM analytics_events GROUP BY 1")).all())
    assert described["rows"].tolist() == [by_partition.get(p.name, 0) for p in partitions]
    assert described["months"].iloc[:-1].le(1).all()  # a range partition holds one month
    assert described["rows"].iloc[-1] == len(OUTLIERS)  # the default partition, read as one dask partition
    assert set(described["worker"]) == {"worker-1", "worker-2"}


def test_a_window_reads_only_the_partitions_it_touches(events_engine):
    events = load_partitioned("analytics_events", since="2025-03-15", until="2026-02-10", engine=events_engine)
    assert events.npartitions == 12  # 2025-03 .. 2026-02; the default partition holds nothing in the window


def test_dtypes_and_rows_are_those_of_load(cluster, events_engine):
    whole = load("analytics_events", engine=events_engine)
    events = load_partitioned("analytics_events", engine=events_engine)
    assert events.dtypes.to_dict() == whole.dtypes.to_dict()  # the meta, before anything is read
    computed = events.compute()
    assert computed.dtypes.to_dict() == whole.dtypes.to_dict()
    order = ["created_at", "session_id", "event_type"]
    key = lambda frame: frame.assign(_id=frame["id"].astype(str)).sort_values([*order, "_id"], ignore_index=True).drop(columns="_id")  # noqa: E731
    pd.testing.assert_frame_equal(key(computed), key(whole))


def test_persisted_on_a_cluster_given_by_address(cluster, events_engine):
    address = cluster.scheduler_info()["address"]
    events = load_partitioned("analytics_events", columns=["event_type"], cluster=address, engine=events_engine,
                              event_type="simulation_run")
    try:
        wait(events, timeout=120)
        assert sum(len(keys) for keys in cluster.has_what().values()) >= events.npartitions  # held by the workers
        assert len(events.compute()) == len(load("analytics_events", columns=["event_type"], engine=events_engine,
                                                 event_type="simulation_run"))
    finally:
        partitioned._CLIENTS.pop(address).close()


@pytest.fixture
def member(events_engine, tmp_path, monkeypatch) -> tuple[uuid.UUID, uuid.UUID]:
    """(organization, user) of the organization with the most events, ready to be read as that tenant."""
    with events_engine.connect() as conn:
        organization, user = conn.execute(sa.text(
            "SELECT m.organization_id, m.user_id FROM organization_members m "
            "JOIN analytics_events e ON e.organization_id = m.organization_id "
            "GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1")).one()
    monkeypatch.setenv("BI_WORKBENCH_DATA_DIR", str(tmp_path))
    try:  # where tenants log in as a login role per organization, the organization needs its login
        from bi_workbench.database.tenant_logins import add_login
    except ImportError:
        pass
    else:
        add_login(events_engine, organization)
    return organization, user


def _same_rows_as_load(on_cluster: pd.DataFrame, engine) -> None:
    assert len(on_cluster) == len(load("analytics_events", columns=["organization_id"], engine=engine))


def test_workers_read_as_the_tenant_engine_reads(cluster, events_engine, member):
    organization, user = member
    tenant = tenant_engine(events_engine, organization, user)
    assert worker_database(tenant).tenant is not None
    on_cluster = load_partitioned("analytics_events", columns=["organization_id"], engine=tenant).compute()
    _same_rows_as_load(on_cluster, tenant)
    assert 0 < len(on_cluster) < len(load("analytics_events", columns=["organization_id"], engine=events_engine))
    assert set(on_cluster["organization_id"].dropna()) == {str(organization)}


def test_a_tenant_process_gives_workers_that_read_as_that_tenant(cluster, events_engine, member, monkeypatch):
    organization, user = member
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", events_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BI_WORKBENCH_TENANT", f"{organization}:{user}")
    on_cluster = load_partitioned("analytics_events", columns=["organization_id"]).compute()  # get_engine()
    assert len(on_cluster) > 0 and set(on_cluster["organization_id"].dropna()) == {str(organization)}


def test_bad_arguments_fail_up_front_with_the_loaders_errors(events_engine):
    with pytest.raises(UnknownIdentifierError, match="unknown table"):
        load_partitioned("analytics_eventz", engine=events_engine)
    with pytest.raises(UnknownIdentifierError, match="unknown column"):
        load_partitioned("analytics_events", columns=["nope"], engine=events_engine)
    with pytest.raises(InvalidFilterError, match="since"):
        load_partitioned("analytics_events", since="last tuesday-ish", engine=events_engine)
    with pytest.raises(InvalidParameterError, match="limit"):
        load_partitioned("analytics_events", limit=10, engine=events_engine)
    with pytest.raises(InvalidParameterError, match="cluster"):
        load_partitioned("analytics_events", cluster=8786, engine=events_engine)


def test_a_table_without_partitions_is_one_dask_partition(events_engine):
    users = load_partitioned("users", columns=["id", "email"], engine=events_engine)
    assert users.npartitions == 1
    assert len(users.compute(scheduler="sync")) == len(load("users", columns=["id"], engine=events_engine))


JAN, FEB, MAR = (dt.datetime(2025, m, 1, tzinfo=UTC) for m in (1, 2, 3))


@pytest.mark.parametrize("since, until, expected", [
    (None, None, [("e_01", [(JAN, FEB)]), ("e_02", [(FEB, MAR)]), ("e_default", [(None, JAN), (MAR, None)])]),
    (dt.datetime(2025, 1, 20, tzinfo=UTC), FEB, [("e_01", [(dt.datetime(2025, 1, 20, tzinfo=UTC), FEB)])]),
    (dt.datetime(2025, 2, 20, tzinfo=UTC), None,
     [("e_02", [(dt.datetime(2025, 2, 20, tzinfo=UTC), MAR)]), ("e_default", [(MAR, None)])]),
])
def test_read_plan_cuts_partitions_to_the_window_and_gives_the_default_the_gaps(since, until, expected):
    parts = [TablePartition("e_01", JAN, FEB), TablePartition("e_02", FEB, MAR), TablePartition("e_default", default=True)]
    assert read_plan(parts, since, until) == expected


def test_read_plan_gives_the_default_partition_the_holes_between_ranges():
    parts = [TablePartition("e_01", JAN, FEB), TablePartition("e_03", MAR, None), TablePartition("e_d", default=True)]
    assert read_plan(parts, None, None)[-1] == ("e_d", [(None, JAN), (FEB, MAR)])
