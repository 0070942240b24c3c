"""Driven by the schema model: a row in EVERY table, the dtype of EVERY column of every table and view.

Each table gets one row with a value in every column it accepts and one with
only what it requires (so every nullable column also holds a NULL); the
expected dtype of each column is derived here from its SQLAlchemy type, and
both read paths (psycopg and Arrow) must give the same DataFrame.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from bi_workbench.database import create_engine
from bi_workbench.loaders import READ_MODELS, load, relation_names
from bi_workbench.schema.tables import metadata

FULL_TIME = dt.datetime(2025, 3, 15, 12, 30, 45, 123456, tzinfo=dt.timezone.utc)
JSON_VALUE = {"key": "value", "n": 1, "nested": {"a": [1, 2]}, "unicode": "ünï"}
ARRAY_VALUE = ["first", "sec,ond", 'qu"ote']


def _value(table: sa.Table, column: sa.Column, ids: dict[str, object], n: int, second_ids: dict | None = None):
    """A valid value for ``column`` in row ``n`` (foreign keys point at the parent's full row; a unique
    foreign key of the second row at the parent's second row)."""
    if column.foreign_keys:
        parent = next(iter(column.foreign_keys)).column.table.name
        return (second_ids or {}).get(parent, ids[parent]) if n == 2 and column.unique else ids[parent]
    type_ = column.type
    if isinstance(type_, sa.Uuid):
        return uuid.uuid4()
    if isinstance(type_, sa.DateTime):
        return FULL_TIME if type_.timezone else FULL_TIME.replace(tzinfo=None)
    if isinstance(type_, sa.Date):
        return dt.date(2025, 3, 31)
    if isinstance(type_, sa.Boolean):
        return True
    if isinstance(type_, sa.Integer):
        return 7
    if isinstance(type_, sa.Float):
        return 0.25
    if isinstance(type_, sa.Numeric):
        return Decimal("0.75")  # inside every CHECKed scale (0-1, 0-5, 0-100)
    if isinstance(type_, sa.JSON):
        return JSON_VALUE
    if isinstance(type_, sa.ARRAY):
        return ARRAY_VALUE
    if isinstance(type_, pg.INET):
        return "192.168.1.10"
    if isinstance(type_, sa.String):
        return _allowed_text(table, column) or f"{table.name}.{column.name}.{n}"
    raise AssertionError(f"no test value for {table.name}.{column.name} of type {type_!r}: extend _value")


def _allowed_text(table: sa.Table, column: sa.Column) -> str | None:
    """The first value a CHECK (column IN ('a', ...)) of the table allows, if it has one."""
    for constraint in table.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            found = re.search(rf"\b{re.escape(column.name)}\s+IN\s*\(\s*'([^']*)'", str(constraint.sqltext), re.I)
            if found:
                return found.group(1)
    return None


def _insertable(column: sa.Column) -> bool:
    return column.identity is None and column.computed is None


def expected_dtype(column: sa.Column):
    """The dtype the issue asks for, from the column's SQLAlchemy type (default options)."""
    type_ = column.type
    if isinstance(type_, (sa.Uuid, sa.JSON)):
        return pd.StringDtype("pyarrow")  # text unless asked for as objects
    if isinstance(type_, sa.ARRAY):
        return np.dtype(object)
    if isinstance(type_, sa.DateTime):
        return pd.DatetimeTZDtype("ns", "UTC") if type_.timezone else np.dtype("datetime64[ns]")
    if isinstance(type_, sa.Date):
        return np.dtype("datetime64[ns]")
    if isinstance(type_, sa.Boolean):
        return pd.BooleanDtype()
    if isinstance(type_, sa.Integer):
        return pd.Int64Dtype() if column.nullable else np.dtype("int64")
    if isinstance(type_, (sa.Numeric, sa.Float)):  # SQLAlchemy 2.1: a Float is not a Numeric
        return np.dtype("float64")
    if isinstance(type_, (sa.String, pg.INET)):
        return pd.StringDtype("pyarrow")
    raise AssertionError(f"no expected dtype for {column.table.name}.{column.name} of type {type_!r}")


def expected_value(column: sa.Column, inserted):
    """What the full row's value reads back as."""
    if inserted is None:
        return None
    type_ = column.type
    if isinstance(type_, sa.DateTime) or isinstance(type_, sa.Date):
        stamp = pd.Timestamp(inserted)
        return stamp.tz_convert("UTC") if stamp.tzinfo else stamp
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float):
        return float(inserted)
    if isinstance(type_, sa.Uuid):
        return str(inserted)
    return inserted


@pytest.fixture(scope="module")
def every_table(databases, schema_template):
    """A database with two rows in every table of the model: one full, one with only required values."""
    url = databases.create(template=schema_template)
    engine = create_engine(url)
    ids: dict[str, object] = {}
    second_ids: dict[str, object] = {}
    full_rows: dict[str, dict] = {}
    keys: dict[str, dict] = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            full = {c.name: _value(table, c, ids, 1) for c in table.c if _insertable(c)}
            returned = conn.execute(table.insert().values(full).returning(*table.primary_key.columns)).one()
            keys[table.name] = dict(returned._mapping)
            full_rows[table.name] = full
            if "id" in keys[table.name]:
                ids[table.name] = keys[table.name]["id"]
            required = {
                c.name: _value(table, c, ids, 2, second_ids)
                for c in table.c
                if _insertable(c) and not c.nullable and c.server_default is None and not c.primary_key
            }
            for c in table.primary_key.columns:  # a key without a default (e.g. part of a composite key)
                if _insertable(c) and c.server_default is None and c.name not in required:
                    required[c.name] = _value(table, c, ids, 2, second_ids)
            second = conn.execute(table.insert().values(required).returning(*table.primary_key.columns)).one()
            if "id" in second._mapping:
                second_ids[table.name] = second._mapping["id"]
        conn.execute(sa.text("REFRESH MATERIALIZED VIEW assessment_analytics_summary"))
    yield SimpleNamespace(engine=engine, rows=full_rows, keys=keys)
    engine.dispose()
    databases.drop(url)


def test_every_table_of_the_model_is_loadable():
    assert set(metadata.tables) | set(READ_MODELS) == set(relation_names())


@pytest.mark.parametrize("name", sorted(metadata.tables))
def test_every_column_of_every_table_has_the_schema_dtype(every_table, name):
    table = metadata.tables[name]
    engine = every_table.engine
    frame = load(name, engine=engine, fast=False)
    assert list(frame.columns) == [c.name for c in table.c]
    assert len(frame) >= 2  # triggers (the audit trail) may add rows of their own
    for column in table.c:
        assert frame[column.name].dtype == expected_dtype(column), f"{name}.{column.name}"
    # the full row reads back with the values inserted, as the right Python types
    full = load(name, engine=engine, fast=False, **every_table.keys[name])
    assert len(full) == 1
    for column in table.c:
        if column.name not in every_table.rows[name]:
            continue
        got = full[column.name].iloc[0]
        want = expected_value(column, every_table.rows[name][column.name])
        if isinstance(column.type, sa.JSON):
            got = json.loads(got)  # the JSON text
        assert got == want, f"{name}.{column.name}: {got!r} != {want!r}"
        if isinstance(column.type, sa.ARRAY):
            assert isinstance(got, list)
    # Python objects for UUIDs and JSON on request
    objects = load(name, engine=engine, fast=False, uuid_as="uuid", json_as="object", **every_table.keys[name])
    for column in table.c:
        if column.name in every_table.rows[name] and isinstance(column.type, (sa.Uuid, sa.JSON)):
            assert objects[column.name].dtype == np.dtype(object)
            assert objects[column.name].iloc[0] == every_table.rows[name][column.name], f"{name}.{column.name}"
            if isinstance(column.type, sa.Uuid):
                assert isinstance(objects[column.name].iloc[0], uuid.UUID)
    # a NULL in every nullable column of the second row
    for column in table.c:
        if column.nullable and column.server_default is None:
            assert frame[column.name].isna().any(), f"{name}.{column.name} has no NULL read back as NA"


@pytest.mark.parametrize("name", sorted(metadata.tables) + list(READ_MODELS))
def test_fast_and_normal_paths_give_the_same_frame(every_table, name):
    engine = every_table.engine
    normal = load(name, engine=engine, fast=False, order_by=_order(name))
    fast = load(name, engine=engine, fast=True, order_by=_order(name))
    pd.testing.assert_frame_equal(normal, fast)
    for backend_options in ({"dtype_backend": "pyarrow"}, {"uuid_as": "uuid", "json_as": "object", "decimals": True},
                            {"dtype_backend": "pyarrow", "uuid_as": "uuid", "json_as": "object"}):
        normal = load(name, engine=engine, fast=False, order_by=_order(name), **backend_options)
        fast = load(name, engine=engine, fast=True, order_by=_order(name), **backend_options)
        pd.testing.assert_frame_equal(normal, fast)


def _order(name: str) -> list[str]:
    """Every column that can be ordered on, so both paths list rows alike."""
    table = metadata.tables.get(name)
    if table is None:
        return {"user_dashboard_summary": ["user_id"], "organization_analytics": ["organization_id"],
                "assessment_analytics_summary": ["assessment_type", "month"]}[name]
    return [c.name for c in table.c if not isinstance(c.type, (sa.JSON, sa.ARRAY))]


@pytest.mark.parametrize("name", READ_MODELS)
def test_every_column_of_every_view_has_the_dtype_of_its_database_type(every_table, name):
    engine = every_table.engine
    with engine.connect() as conn:
        view = sa.Table(name, sa.MetaData(), autoload_with=conn)
    frame = load(name, engine=engine)
    assert len(frame) >= 1
    assert list(frame.columns) == [c.name for c in view.c]
    for column in view.c:
        assert frame[column.name].dtype == expected_dtype(column), f"{name}.{column.name}"


def test_pyarrow_backend_gives_arrow_dtypes_with_uuid_and_json_as_text(every_table):
    frame = load("assessments", engine=every_table.engine, dtype_backend="pyarrow")
    assert all(isinstance(dtype, pd.ArrowDtype) for dtype in frame.dtypes), frame.dtypes
    assert str(frame["id"].dtype) == "string[pyarrow]"
    assert str(frame["created_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    uuid.UUID(frame["id"].iloc[0])  # canonical text
    scores = load("assessment_scores", engine=every_table.engine, dtype_backend="pyarrow", fast=True)
    assert str(scores["overall_score"].dtype) == "double[pyarrow]"
    assert str(scores["recommendations"].dtype) == "list<item: string>[pyarrow]"
    objects = load("assessments", engine=every_table.engine, dtype_backend="pyarrow", uuid_as="uuid", json_as="object")
    assert isinstance(objects["id"].iloc[0], uuid.UUID)
    assert isinstance(objects["responses"].iloc[0], dict)


def test_uuids_as_text_and_numerics_as_decimals_on_request(every_table):
    key = every_table.keys["assessment_scores"]
    for fast in (False, True):
        frame = load("assessment_scores", engine=every_table.engine, uuid_as="str", decimals=True, fast=fast, **key)
        assert frame["id"].dtype == pd.StringDtype()
        assert frame["id"].iloc[0] == str(key["id"])
        assert frame["overall_score"].iloc[0] == Decimal("0.75")
        assert isinstance(frame["overall_score"].iloc[0], Decimal)
        text = load("assessments", engine=every_table.engine, json_as="str", fast=fast, limit=1, responses__contains={})
        assert text["responses"].dtype == pd.StringDtype()


@pytest.mark.parametrize("fast", [False, True])
def test_an_empty_result_keeps_every_dtype(every_table, fast):
    for name in sorted(metadata.tables):
        table = metadata.tables[name]
        frame = load(name, engine=every_table.engine, fast=fast, limit=0)
        assert frame.empty
        assert [frame[c.name].dtype for c in table.c] == [expected_dtype(c) for c in table.c], name
