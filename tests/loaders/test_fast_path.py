"""The Arrow path (ADBC over binary COPY), the choice of path, and chunked iteration."""

from __future__ import annotations

import uuid

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from bi_workbench.loaders import frames, iter_load, load, select_for
from bi_workbench.loaders import fast as fastpath
from bi_workbench.loaders.dtypes import uuid_objects, uuid_text
from bi_workbench.schema.tables import analytics_events, users


def test_values_move_out_of_the_sql_into_settings(sample):
    org = uuid.UUID("00000000-0000-4000-8000-000000000001")
    statement = select_for(
        "assessments", engine=sample.engine, organization_id=[org, "00000000-0000-4000-8000-000000000002"],
        since="2025-01-01", status__ne="x'y", responses__contains={"k": "v'"}, limit=5,
        json_fields={"responses": ["growth_pace", ("scores", "overall")]},
    )
    sql, settings = fastpath.unparameterized(statement)
    values = dict(settings)
    assert "CAST(current_setting('bi_workbench.p1') AS TEXT)" in sql
    assert "= ANY (CAST(current_setting('bi_workbench.p3') AS UUID[]))" in sql
    assert "LIMIT CAST(current_setting('bi_workbench.p7') AS INTEGER)" in sql
    for value in values.values():  # no value is written into the SQL text
        literal = "'" + value.replace("'", "''") + "'"
        assert literal not in sql
    assert values["bi_workbench.p1"] == "growth_pace"
    assert values["bi_workbench.p2"] == '{"scores","overall"}'
    assert values["bi_workbench.p3"] == '{"00000000-0000-4000-8000-000000000001","00000000-0000-4000-8000-000000000002"}'
    assert values["bi_workbench.p4"] == "x'y"
    assert values["bi_workbench.p5"] == '{"k": "v\'"}'
    assert values["bi_workbench.p6"] == "2025-01-01T00:00:00+00:00"
    assert values["bi_workbench.p7"] == "5"


def test_array_settings_escape_quotes_and_backslashes(sample):
    odd = ['a"b', "c\\d", "e,f", "{g}", "NULL"]
    frame = load("users", engine=sample.engine, fast=True, email=odd)
    assert frame.empty  # parsed back as five plain values, none of which matches
    with sample.engine.begin() as conn:
        conn.execute(users.insert().values(email='a"b\\{x},NULL', first_name="Odd", last_name="One"))
    try:
        for fast in (False, True):
            found = load("users", engine=sample.engine, fast=fast, email=['a"b\\{x},NULL', "nobody"])
            assert list(found["first_name"]) == ["Odd"]
    finally:
        with sample.engine.begin() as conn:
            conn.execute(users.delete().where(users.c.first_name == "Odd"))


def test_settings_do_not_outlive_the_load(sample):
    load("users", engine=sample.engine, fast=True, email="someone@example.test")
    probe = sa.select(sa.func.current_setting(sa.literal_column("'bi_workbench.p1'"), sa.true()))
    with fastpath.record_batches(sample.engine, probe) as reader:
        leftover = reader.read_all().column(0).to_pylist()
    assert leftover in ([None], [""])


@pytest.mark.parametrize("filters", [
    {},
    {"since": "2025-02-01", "event_type": ["page_view", "login"]},
    {"organization_id__ne": None, "created_at__between": ("2025-01-01", "2025-03-01"), "order_by": "-created_at"},
    {"json_fields": {"event_data": ["n"]}, "limit": 4, "order_by": ["created_at"]},
])
def test_fast_and_normal_paths_agree_on_filtered_loads(sample, filters):
    normal = load("analytics_events", engine=sample.engine, fast=False, **filters)
    arrow = load("analytics_events", engine=sample.engine, fast=True, **filters)
    if "order_by" not in filters:
        normal, arrow = (f.sort_values("created_at", ignore_index=True) for f in (normal, arrow))
    pd.testing.assert_frame_equal(normal, arrow)
    assert len(normal) > 0


def test_the_path_is_chosen_by_the_planner_estimate(sample, monkeypatch):
    built = _built(sample, "analytics_events")
    with sample.engine.connect() as conn:
        estimate = frames.estimated_rows(conn, built.statement)
    assert estimate >= 1
    assert frames.choose_fast(sample.engine, built, None, None) is (estimate > frames.FAST_PATH_MIN_ROWS)
    monkeypatch.setattr(frames, "FAST_PATH_MIN_ROWS", 0)
    assert frames.choose_fast(sample.engine, built, None, None) is True
    assert frames.choose_fast(sample.engine, built, None, 0) is False  # a small limit reads through psycopg
    assert frames.choose_fast(sample.engine, built, False, None) is False
    monkeypatch.setattr(frames, "FAST_PATH_MIN_ROWS", 10**12)
    assert frames.choose_fast(sample.engine, built, None, None) is False
    assert frames.choose_fast(sample.engine, built, True, None) is True


def _built(sample, name):
    from bi_workbench.loaders import catalog, query
    from bi_workbench.loaders.dtypes import Options

    return query.build(catalog.resolve(name, sample.engine), Options())


def test_a_pooled_connection_closed_by_the_server_is_replaced(sample):
    load("users", engine=sample.engine, fast=True)  # leaves a connection in the pool
    with sample.engine.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar_one()
    assert killed >= 1
    assert len(load("users", engine=sample.engine, fast=True)) == 4


# --- chunks ------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
def test_iter_load_yields_chunks_that_add_up_to_load(sample, fast):
    chunks = list(iter_load("analytics_events", 4, engine=sample.engine, fast=fast, order_by="created_at"))
    assert [len(c) for c in chunks] == [4, 2]
    whole = load("analytics_events", engine=sample.engine, order_by="created_at")
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert [len(c) for c in iter_load("analytics_events", 2, engine=sample.engine, fast=fast)] == [2, 2, 2]
    assert [len(c) for c in iter_load("analytics_events", 100, engine=sample.engine, fast=fast)] == [6]


@pytest.mark.parametrize("fast", [False, True])
def test_iter_load_with_filters_and_backends(sample, fast):
    chunks = list(iter_load("analytics_events", 1, engine=sample.engine, fast=fast, event_type="page_view",
                            dtype_backend="pyarrow", columns=["id", "created_at"]))
    assert [len(c) for c in chunks] == [1, 1, 1]
    assert str(chunks[0]["created_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"


@pytest.mark.parametrize("fast", [False, True])
def test_iter_load_of_no_rows_yields_one_empty_frame_with_dtypes(sample, fast):
    chunks = list(iter_load("assessments", 10, engine=sample.engine, fast=fast, since="2030-01-01"))
    assert len(chunks) == 1 and chunks[0].empty
    assert chunks[0]["created_at"].dtype == pd.DatetimeTZDtype("ns", "UTC")


@pytest.mark.parametrize("fast", [False, True])
def test_stopping_early_releases_the_connection(sample, fast):
    iterator = iter_load("analytics_events", 1, engine=sample.engine, fast=fast)
    assert len(next(iterator)) == 1
    iterator.close()
    assert len(load("analytics_events", engine=sample.engine, fast=fast)) == 6


def test_iter_load_checks_its_arguments_before_reading(sample):
    from bi_workbench.errors import InvalidFilterError, UnknownIdentifierError

    with pytest.raises(InvalidFilterError, match="chunksize=0 must be a whole number >= 1"):
        iter_load("users", 0, engine=sample.engine)
    with pytest.raises(UnknownIdentifierError):
        iter_load("users", engine=sample.engine, nope=1)


# --- Arrow UUID conversions ----------------------------------------------------------------


def test_uuid_conversions_from_arrow_handle_nulls_and_slices():
    values = [uuid.uuid4(), None, uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.uuid4()]
    array = pa.array([v.bytes if v else None for v in values], type=pa.binary(16))
    assert uuid_text(array).to_pylist() == [str(v) if v else None for v in values]
    assert uuid_text(array.slice(1)).to_pylist() == [str(v) if v else None for v in values[1:]]
    objects = uuid_objects(pa.chunked_array([array.slice(0, 2), array.slice(2)]))
    assert list(objects) == values
    assert all(isinstance(v, uuid.UUID) for v in objects if v is not None)
    made = objects[0]
    assert made == values[0] and hash(made) == hash(values[0]) and str(made) == str(values[0])
    repeated = uuid_objects(pa.chunked_array([pa.array([values[0].bytes] * 2000, type=pa.binary(16))]))
    assert set(repeated) == {values[0]}


@pytest.mark.parametrize("options", [{}, {"dtype_backend": "pyarrow"}, {"uuid_as": "uuid"}])
def test_rows_arriving_in_many_batches_load_as_they_do_in_one(sample, monkeypatch, options):
    """The UUIDs of each batch become text on a second thread while the next batches arrive."""
    monkeypatch.setattr(fastpath, "BATCH_BYTES", 512)
    with fastpath.record_batches(sample.engine, sa.select(analytics_events)) as reader:
        assert sum(1 for _batch in reader) > 1
    normal = load("analytics_events", engine=sample.engine, fast=False, order_by="id", **options)
    arrow = load("analytics_events", engine=sample.engine, fast=True, order_by="id", **options)
    pd.testing.assert_frame_equal(normal, arrow)
    assert normal["id"].notna().all() and normal["session_id"].isna().all()   # UUIDs, and NULL ones
