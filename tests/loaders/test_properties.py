"""Both read paths give the same frame for every column type of the schema, with extreme values (hypothesis).

Rows with generated values are written to real tables covering every kind of column
(uuid, text, jsonb, bigint, integer, numeric, boolean, inet, timestamptz, date, text[]),
then read through psycopg (``fast=False``) and ADBC/Arrow (``fast=True``) under each
set of options, and streamed with ``iter_load``; the frames, and the warnings about
values the result cannot hold, must be identical. Values pandas cannot hold (infinite or out-of-range times) must
come back missing with a warning naming table, column and count, never as another
value; JSON nested deeper than Python parses and multi-dimensional arrays under the
pyarrow backend must raise a clear error naming table, column and count.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import warnings
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bi_workbench.database import create_engine
from bi_workbench.errors import InvalidFilterError
from bi_workbench.loaders import UnrepresentableValueError, UnrepresentableValueWarning, iter_load, load
from bi_workbench.schema import tables as t

OPTIONS = (
    {},                                                            # the default
    {"dtype_backend": "pyarrow"},
    {"uuid_as": "uuid", "json_as": "object", "decimals": True},    # Python objects
    {"dtype_backend": "pyarrow", "uuid_as": "uuid", "json_as": "object"},
)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

# PostgreSQL text holds any Unicode but NUL (and no lone surrogates: it is UTF-8)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TEXT \
    | st.floats(allow_nan=False, allow_infinity=False)
JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=30)

# timestamptz as PostgreSQL input text: ordinary, at and just past the edges of datetime64[ns] and of
# Python's datetime, BC, and the infinities
EDGE_TIMES = st.sampled_from([
    "infinity", "-infinity", "4713-01-01 00:00:00+00 BC", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
    "12000-06-01 00:00:00+00", "294276-12-31 23:59:59+00", "1677-09-21 00:12:43.145224+00",
    "1677-09-21 00:12:43.145225+00", "2262-04-11 23:47:16.854775+00", "2262-04-11 23:47:16.854776+00",
    "1970-01-01 00:00:00+00", "2000-01-01 00:00:00+00",
])
TIMES = EDGE_TIMES | st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), timezones=st.just(dt.timezone.utc)
                                  ).map(lambda d: d.isoformat())
EDGE_DATES = st.sampled_from(["infinity", "-infinity", "4713-01-01 BC", "0001-01-01", "9999-12-31", "12000-01-01",
                              "1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12"])
DATES = EDGE_DATES | st.dates().map(lambda d: d.isoformat())


@pytest.fixture(scope="module")
def engine(databases, schema_template):
    url = databases.create(template=schema_template)
    engine = create_engine(url)
    with engine.begin() as conn:
        user = conn.execute(t.users.insert().values(email="p@x.test", first_name="P", last_name="Q")
                            .returning(t.users.c.id)).scalar_one()
        assessment = conn.execute(t.assessments.insert().values(user_id=user, assessment_type="onboarding")
                                  .returning(t.assessments.c.id)).scalar_one()
    engine.info = {"assessment": assessment}
    yield engine
    engine.dispose()
    databases.drop(url)


def _read(engine, table: str, fast: bool, options: dict, **filters):
    """(frame or the error's message, [warning messages]) of one load."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = load(table, engine=engine, fast=fast, **options, **filters)
        except UnrepresentableValueError as error:
            frame = str(error)
    return frame, [str(w.message) for w in caught if issubclass(w.category, UnrepresentableValueWarning)]


def assert_same_on_both_paths(engine, table: str, **filters) -> dict:
    """Load with every option set on both paths; assert equal frames and warnings; return them by option."""
    found = {}
    for options in OPTIONS:
        normal, normal_warnings = _read(engine, table, False, options, **filters)
        fast, fast_warnings = _read(engine, table, True, options, **filters)
        if isinstance(normal, str) or isinstance(fast, str):
            assert normal == fast, (options, normal, fast)
        else:
            pd.testing.assert_frame_equal(normal, fast, obj=f"{table} {options}")
            for path in (False, True):  # streamed in chunks of 2 rows: the same frame again
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UnrepresentableValueWarning)
                    chunks = list(iter_load(table, 2, engine=engine, fast=path, **options, **filters))
                pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), normal,
                                              obj=f"{table} {options} iter_load fast={path}")
        assert normal_warnings == fast_warnings, (options, normal_warnings, fast_warnings)
        found[json.dumps(options, sort_keys=True)] = (normal, normal_warnings)
    return found


def _outside(text: str, low: str, high: str) -> bool:
    """Whether a time (PostgreSQL input text) lies outside [low, high] (both ISO, UTC)."""
    if text in ("infinity", "-infinity") or " BC" in text:
        return True
    if len(text) == 10:  # a date
        text += "T00:00:00+00:00"
    year = int(text.split("-")[0])
    if year > 9999:
        return True
    stamp = dt.datetime.fromisoformat(text.replace("+00", "+00:00") if text.endswith("+00") else text)
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    return not dt.datetime.fromisoformat(low) <= stamp <= dt.datetime.fromisoformat(high)


NS_RANGE = ("1677-09-21T00:12:43.145225+00:00", "2262-04-11T23:47:16.854775+00:00")
PY_RANGE = ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00")


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({
    "id": st.integers(-(2**63), 2**63 - 1), "table_name": TEXT, "operation": TEXT, "user_agent": st.none() | TEXT,
    "old_values": st.none() | JSON, "new_values": JSON, "ip_address": st.none() | st.ip_addresses().map(str),
    "created_at": TIMES, "user_id": st.none() | st.uuids(),
}), min_size=1, max_size=4, unique_by=lambda row: row["id"]))  # (id, created_at) is the primary key
def test_audit_log_bigint_text_uuid_jsonb_inet_and_timestamptz(engine, rows):
    record = uuid.uuid4()
    with engine.begin() as conn:
        for row in rows:
            conn.execute(sa.text(
                "INSERT INTO audit_log (id, table_name, operation, user_id, record_id, old_values, new_values,"
                " ip_address, user_agent, created_at) VALUES (:id, :table_name, :operation, :user_id, :record,"
                " CAST(:old AS jsonb), CAST(:new AS jsonb), CAST(:ip_address AS inet), :user_agent,"
                " CAST(:created_at AS timestamptz))"),
                {**row, "record": record, "old": None if row["old_values"] is None else json.dumps(row["old_values"]),
                 "new": json.dumps(row["new_values"])})
    try:
        found = assert_same_on_both_paths(engine, "audit_log", record_id=record, order_by=["id", "created_at"])
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log WHERE record_id = :r"), {"r": record})
    for key, (frame, messages) in found.items():
        bounds = PY_RANGE if "pyarrow" in key else NS_RANGE
        outside = sum(_outside(r["created_at"], *bounds) for r in rows)
        assert frame["created_at"].isna().sum() == outside, key
        if outside:
            assert len(messages) == 1, messages
            assert messages[0].startswith(f"audit_log.created_at: {outside} value(s) are infinite or outside ")
            assert messages[0].endswith("result cannot hold; they are returned as missing (NaT)")
        else:
            assert messages == []
    default = found[json.dumps({})][0]
    assert sorted(default["id"]) == sorted(r["id"] for r in rows)
    # JSON as text parses back to what was stored (as jsonb normalises it)
    for text in default["new_values"]:
        json.loads(text)


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({
    "aggregate_type": TEXT, "state": JSON, "version": st.integers(-(2**31), 2**31 - 1), "created_at": TIMES,
}), min_size=1, max_size=4))
def test_snapshots_integer_and_json(engine, rows):
    aggregate = uuid.uuid4()
    with engine.begin() as conn:
        for row in rows:
            conn.execute(sa.text("INSERT INTO snapshots (aggregate_id, aggregate_type, state, version, created_at)"
                                 " VALUES (:a, :aggregate_type, CAST(:state AS jsonb), :version,"
                                 " CAST(:created_at AS timestamptz)) ON CONFLICT DO NOTHING"),
                         {**row, "a": aggregate, "state": json.dumps(row["state"])})
    found = assert_same_on_both_paths(engine, "snapshots", aggregate_id=aggregate, order_by=["version", "aggregate_type"])
    objects = found[json.dumps({"decimals": True, "json_as": "object", "uuid_as": "uuid"}, sort_keys=True)][0]
    assert all(isinstance(v, uuid.UUID) for v in objects["aggregate_id"])
    assert objects["version"].dtype == "int64"


ELEMENT = st.none() | TEXT | st.sampled_from(['"', "\\", "{", "}", ",", "NULL", "", " x "])


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({
    "overall_score": st.none() | st.decimals(0, 5, places=2),
    "confidence_score": st.none() | st.decimals(0, 1, places=2),
    "bracket": st.none() | TEXT,
    "recommendations": st.none() | st.lists(ELEMENT, max_size=5)
    | st.integers(1, 3).flatmap(lambda width: st.lists(st.lists(ELEMENT, min_size=width, max_size=width),
                                                       min_size=1, max_size=3)),
    "next_steps": st.none() | st.lists(ELEMENT, max_size=3),
}), min_size=1, max_size=4))
def test_assessment_scores_numeric_and_arrays_of_one_or_more_dimensions(engine, rows):
    with engine.begin() as conn:
        ids = [conn.execute(t.assessment_scores.insert().values(assessment_id=engine.info["assessment"], **row)
                            .returning(t.assessment_scores.c.id)).scalar_one() for row in rows]
    try:
        found = assert_same_on_both_paths(engine, "assessment_scores", id=ids, order_by="id")
    finally:
        with engine.begin() as conn:
            conn.execute(t.assessment_scores.delete().where(t.assessment_scores.c.id.in_(ids)))
    by_id = dict(zip(map(str, ids), rows))
    default = found[json.dumps({})][0]
    for _, got in default.iterrows():  # every array comes back with its shape (nested lists)
        assert got["recommendations"] == by_id[got["id"]]["recommendations"]
    multi = sum(1 for r in rows if r["recommendations"] and isinstance(r["recommendations"][0], list))
    arrow = found[json.dumps({"dtype_backend": "pyarrow"})][0]
    if multi:
        assert arrow == (f"assessment_scores.recommendations: {multi} value(s) are multi-dimensional arrays, which "
                         "the pyarrow backend's list<string> cannot hold; load this column with dtype_backend='numpy' "
                         "(nested lists)")
    else:
        assert [None if pd.isna(v) else v for v in arrow["overall_score"]] == \
            [None if r["overall_score"] is None else float(r["overall_score"]) for r in (by_id[i] for i in arrow["id"])]
    decimals = found[json.dumps({"decimals": True, "json_as": "object", "uuid_as": "uuid"}, sort_keys=True)][0]
    assert [v if v is None else Decimal(v) for v in decimals["overall_score"]] == \
        [by_id[str(i)]["overall_score"] for i in decimals["id"]]


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({
    "is_active": st.none() | st.booleans(), "ip_address": st.none() | st.ip_addresses(v=6).map(str)
    | st.ip_addresses(v=4).map(str), "user_agent": st.none() | TEXT, "started_at": TIMES, "ended_at": st.none() | TIMES,
}), min_size=1, max_size=4))
def test_user_sessions_boolean_inet_and_nullable_times(engine, rows):
    tokens = [str(uuid.uuid4()) for _ in rows]
    with engine.begin() as conn:
        for token, row in zip(tokens, rows):
            conn.execute(sa.text("INSERT INTO user_sessions (session_token, is_active, ip_address, user_agent,"
                                 " started_at, ended_at) VALUES (:token, :is_active, CAST(:ip_address AS inet),"
                                 " :user_agent, CAST(:started_at AS timestamptz), CAST(:ended_at AS timestamptz))"),
                         {**row, "token": token})
    assert_same_on_both_paths(engine, "user_sessions", session_token=tokens, order_by="session_token")


@SETTINGS
@given(dates=st.lists(st.none() | DATES, min_size=1, max_size=5))
def test_subscriptions_dates(engine, dates):
    marker = str(uuid.uuid4())
    with engine.begin() as conn:
        for day in dates:
            conn.execute(sa.text("INSERT INTO subscriptions (stripe_customer_id, next_billing_date)"
                                 " VALUES (:m, CAST(:d AS date))"), {"m": marker, "d": day})
    found = assert_same_on_both_paths(engine, "subscriptions", stripe_customer_id=marker, order_by="id")
    default, messages = found[json.dumps({})]
    inside = [d for d in dates if d is not None
              and not _outside(d, "1677-09-22T00:00:00+00:00", "2262-04-11T00:00:00+00:00")]
    assert default["next_billing_date"].notna().sum() == len(inside)
    assert bool(messages) == (len(inside) < sum(d is not None for d in dates))


# --- values Python cannot parse, and input it must refuse -----------------------------------------


def test_json_nested_deeper_than_python_parses_is_text_by_default_and_a_named_error_as_objects(engine):
    deep = "[" * 3000 + "]" * 3000
    with engine.begin() as conn:
        score = conn.execute(sa.text("INSERT INTO assessment_scores (assessment_id, category_scores)"
                                     " VALUES (:a, CAST(:j AS jsonb)) RETURNING id"),
                             {"a": engine.info["assessment"], "j": deep}).scalar_one()
    try:
        for fast in (False, True):
            text = load("assessment_scores", engine=engine, fast=fast, id=score)
            assert text["category_scores"].iloc[0].replace(" ", "") == deep
            with pytest.raises(UnrepresentableValueError, match=r"^assessment_scores\.category_scores: 1 value\(s\) "
                               r"are JSON nested deeper than Python's parser allows; load this column with "
                               r"json_as='str' to get their text$"):
                load("assessment_scores", engine=engine, fast=fast, id=score, json_as="object")
    finally:
        with engine.begin() as conn:
            conn.execute(t.assessment_scores.delete().where(t.assessment_scores.c.id == score))


@pytest.mark.parametrize("filters, named", [
    ({"email": "fast\x00"}, "email"), ({"first_name__like": "a\x00%"}, "first_name__like"),
    ({"last_name__contains": "\x00"}, "last_name__contains"), ({"email": ["ok", "b\x00"]}, "email[1]"),
    ({"where": {"company": "\x00"}}, "company"),
])
def test_a_nul_character_in_a_filter_is_refused_by_name_before_any_sql(engine, filters, named):
    statements = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for fast in (False, True):
            with pytest.raises(InvalidFilterError, match=rf"^{named.replace('[', '.').replace(']', '.')} contains a NUL"):
                load("users", engine=engine, fast=fast, **filters)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert statements == []


@pytest.mark.parametrize("table, filters, named", [
    ("assessment_scores", {"overall_score": float("nan")}, "overall_score"),
    ("assessment_scores", {"overall_score__gt": float("inf")}, "overall_score__gt"),
    ("assessment_scores", {"overall_score__between": (0, Decimal("NaN"))}, r"overall_score__between\[1\]"),
    ("assessments", {"responses__contains": {"x": [float("-inf")]}}, r"responses__contains\['x'\]\[0\]"),
    ("assessments", {"responses__contains": {"k\x00": 1}}, r"responses__contains key 'k\\x00'"),
    ("assessment_scores", {"recommendations__contains": ["a\x00"]}, r"recommendations__contains\[0\]"),
])
def test_non_finite_numbers_and_nul_in_structured_filters_are_refused_by_name(engine, table, filters, named):
    for fast in (False, True):
        with pytest.raises(InvalidFilterError, match=rf"^{named} (contains a NUL|is -?inf|is nan|is NaN|is Infinity)"):
            load(table, engine=engine, fast=fast, **filters)
    with pytest.raises(InvalidFilterError, match=r"^json_fields\['responses'\]\[0\] contains a NUL"):
        load("assessments", engine=engine, json_fields={"responses": ["a\x00"]})
