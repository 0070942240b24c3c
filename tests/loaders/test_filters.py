"""Filters, time ranges, columns, ordering, limits, json_fields and bad input of `load`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.errors import InvalidFilterError, UnknownIdentifierError, WorkbenchError
from bi_workbench.loaders import OPERATORS, load, select_for

from .conftest import at


def emails(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["email"])


# --- operators -----------------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"industry": "technology"}, ["ann@acme.test", "pct%_x@weird.test"]),
        ({"industry__eq": "retail"}, ["bob@acme.test"]),
        ({"industry": ["retail", "technology"]}, ["ann@acme.test", "bob@acme.test", "pct%_x@weird.test"]),
        ({"industry__in": ("retail",)}, ["bob@acme.test"]),
        ({"industry__in": []}, []),
        ({"industry": None}, ["cy@other.test"]),
        ({"industry": ["retail", None]}, ["bob@acme.test", "cy@other.test"]),
        # ne keeps NULLs (IS DISTINCT FROM); a list excludes all of its values
        ({"industry__ne": "technology"}, ["bob@acme.test", "cy@other.test"]),
        ({"industry__ne": ["technology", "retail"]}, ["cy@other.test"]),
        ({"industry__ne": ["technology", None]}, ["bob@acme.test"]),
        ({"industry__ne": None}, ["ann@acme.test", "bob@acme.test", "pct%_x@weird.test"]),
        ({"industry__isnull": True}, ["cy@other.test"]),
        ({"industry__isnull": False}, ["ann@acme.test", "bob@acme.test", "pct%_x@weird.test"]),
        ({"created_at__lt": "2025-02-15T09:00:00Z"}, ["ann@acme.test"]),
        ({"created_at__lte": "2025-02-15T09:00:00Z"}, ["ann@acme.test", "bob@acme.test"]),
        ({"created_at__gt": at("2025-03-20T09:00:00")}, ["pct%_x@weird.test"]),
        ({"created_at__gte": dt.date(2025, 3, 20)}, ["cy@other.test", "pct%_x@weird.test"]),
        ({"created_at__between": ("2025-02-01", "2025-03-31")}, ["bob@acme.test", "cy@other.test"]),
        ({"created_at__between": (None, "2025-02-01")}, ["ann@acme.test"]),
        ({"email__like": "%@acme.test"}, ["ann@acme.test", "bob@acme.test"]),
        ({"email__like": "%@ACME.test"}, []),
        ({"email__ilike": "%@ACME.TEST"}, ["ann@acme.test", "bob@acme.test"]),
        # contains on text is a substring, with % and _ taken literally
        ({"email__contains": "%_"}, ["pct%_x@weird.test"]),
        ({"email__contains": "acme"}, ["ann@acme.test", "bob@acme.test"]),
        ({"agreed_terms": True}, ["ann@acme.test"]),
        ({"agreed_terms__isnull": True}, ["cy@other.test"]),
        ({"industry": "technology", "created_at__gte": "2025-02-01"}, ["pct%_x@weird.test"]),
    ],
)
def test_each_operator_selects_the_right_rows(sample, fast, filters, expected):
    assert emails(load("users", engine=sample.engine, fast=fast, **filters)) == expected


@pytest.mark.parametrize("fast", [False, True])
def test_uuid_filters_take_uuids_or_their_text(sample, fast):
    acme = sample.orgs.acme
    by_object = load("assessments", engine=sample.engine, fast=fast, organization_id=acme)
    by_text = load("assessments", engine=sample.engine, fast=fast, organization_id=str(acme))
    assert sorted(by_object["id"]) == sorted(by_text["id"]) == sorted([str(sample.assessments.a1),
                                                                       str(sample.assessments.a2)])
    both = load("assessments", engine=sample.engine, fast=fast, organization_id=[acme, sample.orgs.other])
    assert len(both) == 3


@pytest.mark.parametrize("fast", [False, True])
def test_numeric_array_json_and_inet_filters(sample, fast):
    engine = sample.engine
    assert len(load("assessment_scores", engine=engine, fast=fast, overall_score__gte=4)) == 1
    assert len(load("assessment_scores", engine=engine, fast=fast, overall_score__between=(1.5, 4.5))) == 2
    # a filter value is not rounded to the column's scale before comparing
    assert len(load("assessment_scores", engine=engine, fast=fast, overall_score__gt=4.495)) == 1
    assert len(load("assessment_scores", engine=engine, fast=fast, overall_score__gt=4.505)) == 0
    assert len(load("growth_levers", engine=engine, fast=fast, levers__contains=["retention"])) == 1
    assert len(load("growth_levers", engine=engine, fast=fast, levers__contains=["pricing"])) == 2
    assert len(load("growth_levers", engine=engine, fast=fast, levers=["pricing"])) == 1
    assert len(load("assessments", engine=engine, fast=fast, responses__contains={"growth_pace": "fast"})) == 2
    assert len(load("events", engine=engine, fast=fast, version__gte=2)) == 2
    sessions = load("user_sessions", engine=engine, fast=fast, ip_address="10.0.0.1")
    assert list(sessions["ip_address"]) == ["10.0.0.1"]
    assert len(load("user_sessions", engine=engine, fast=fast, ip_address__like="192.168.%")) == 1
    assert len(load("user_sessions", engine=engine, fast=fast, is_active=False)) == 1


# --- time columns --------------------------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
def test_since_is_inclusive_and_until_exclusive_on_created_at(sample, fast):
    frame = load("assessments", engine=sample.engine, fast=fast, since="2025-01-01T04:30:00Z", until="2025-02-01")
    assert sorted(frame["id"]) == sorted([str(sample.assessments.a1), str(sample.assessments.a2)])
    # dates and naive times are UTC
    assert len(load("assessments", engine=sample.engine, fast=fast, since=dt.date(2025, 1, 1), until="2025-01-01T04:30")) == 0
    assert len(load("assessments", engine=sample.engine, fast=fast, since=pd.Timestamp("2025-03-01", tz="UTC"))) == 1


@pytest.mark.parametrize(
    "table, since, until, expected",
    [
        ("news_feed", "2025-01-01", "2025-02-01", ["Early news"]),  # published_at, not created_at
        ("user_sessions", "2025-03-01", None, [1]),  # started_at
        ("organization_members", None, "2025-02-01", [1]),  # joined_at
        ("assessment_analytics_summary", "2025-01-01", "2025-02-01", [1]),  # month (UTC)
    ],
)
def test_each_table_filters_since_until_on_its_own_time_column(sample, table, since, until, expected):
    frame = load(table, engine=sample.engine, since=since, until=until)
    if table == "news_feed":
        assert list(frame["title"]) == expected
    else:
        assert [len(frame)] == expected


def test_time_column_can_be_chosen(sample):
    frame = load("news_feed", engine=sample.engine, since="2025-05-01", time_column="created_at")
    assert list(frame["title"]) == ["Early news"]


def test_the_summary_groups_the_new_york_new_year_assessment_in_january_utc(sample):
    frame = load("assessment_analytics_summary", engine=sample.engine, assessment_type="growth")
    assert list(frame["month"]) == [pd.Timestamp("2025-01-01")]
    assert list(frame["total_assessments"]) == [2]
    assert frame["avg_score"].iloc[0] == pytest.approx(3.0)


# --- columns, order, limit, json_fields -------------------------------------------------


@pytest.mark.parametrize("fast", [False, True])
def test_columns_order_by_and_limit(sample, fast):
    engine = sample.engine
    frame = load("users", engine=engine, fast=fast, columns=["email", "created_at"], order_by="-created_at", limit=2)
    assert list(frame.columns) == ["email", "created_at"]
    assert list(frame["email"]) == ["pct%_x@weird.test", "cy@other.test"]
    frame = load("users", engine=engine, fast=fast, columns=["industry", "email"], order_by=["industry", "-email"])
    assert list(frame["email"]) == ["bob@acme.test", "pct%_x@weird.test", "ann@acme.test", "cy@other.test"]
    assert load("users", engine=engine, fast=fast, limit=0).empty
    assert len(load("users", engine=engine, fast=fast, limit=3)) == 3


@pytest.mark.parametrize("fast", [False, True])
def test_json_fields_are_extracted_in_sql_into_columns(sample, fast):
    frame = load(
        "assessments", engine=sample.engine, fast=fast, order_by="created_at",
        json_fields={"responses": ["growth_pace", "tech_maturity", ("scores", "overall")]},
    )
    assert "responses" not in frame.columns  # flattened: the JSON column itself is left out
    # the extracted columns take its place
    assert list(frame.columns[4:9]) == [
        "version", "responses.growth_pace", "responses.tech_maturity", "responses.scores.overall", "metadata"
    ]
    assert list(frame["responses.growth_pace"].fillna("-")) == ["fast", "slow", "fast", "-"]
    assert list(frame["responses.tech_maturity"].fillna("-")) == ["high", "low", "-", "-"]
    assert list(frame["responses.scores.overall"].fillna("-")) == ["4", "-", "-", "-"]
    assert frame["responses.growth_pace"].dtype == pd.StringDtype()
    statement = str(select_for("assessments", engine=sample.engine, json_fields={"responses": ["growth_pace"]}))
    assert "responses ->> :responses_1" in statement  # the key is a bound parameter
    # asked for by name, the JSON column is kept beside its fields; fields can be ordered on
    kept = load("assessments", engine=sample.engine, fast=fast, columns=["id", "responses"],
                json_fields={"responses": ["growth_pace"]}, order_by=["-responses.growth_pace", "id"])
    assert list(kept.columns) == ["id", "responses", "responses.growth_pace"]
    assert list(kept["responses.growth_pace"].fillna("-")) == ["-", "slow", "fast", "fast"]  # DESC: NULLs first


def test_where_takes_filters_whose_names_clash_with_parameters(sample):
    frame = load("users", engine=sample.engine, where={"industry": "retail"}, columns=["email"])
    assert list(frame["email"]) == ["bob@acme.test"]


# --- bad input -------------------------------------------------------------------------


def test_unknown_table_lists_the_tables_and_views(sample):
    with pytest.raises(UnknownIdentifierError) as error:
        load("asessments", engine=sample.engine)
    message = str(error.value)
    assert message.startswith("unknown table 'asessments' (did you mean 'assessments'?)")
    assert "assessments" in message and "user_dashboard_summary" in message and "assessment_analytics_summary" in message


def test_unknown_column_lists_the_columns(sample):
    with pytest.raises(UnknownIdentifierError) as error:
        load("assessments", engine=sample.engine, orgnization_id=sample.orgs.acme)
    assert str(error.value).startswith(
        "unknown column 'orgnization_id' for table assessments (did you mean 'organization_id'?); columns: id, user_id, "
    )
    with pytest.raises(UnknownIdentifierError, match="unknown column 'nope' for table users"):
        load("users", engine=sample.engine, nope__gte=1)
    with pytest.raises(UnknownIdentifierError, match="unknown column in order_by 'emial' for table users"):
        load("users", engine=sample.engine, order_by="-emial")
    with pytest.raises(UnknownIdentifierError, match="unknown column 'mail' for table users"):
        load("users", engine=sample.engine, columns=["id", "mail"])
    with pytest.raises(UnknownIdentifierError, match="unknown column in json_fields 'answers'"):
        load("assessments", engine=sample.engine, json_fields={"answers": ["x"]})


def test_unknown_operator_lists_the_operators(sample):
    with pytest.raises(UnknownIdentifierError) as error:
        load("users", engine=sample.engine, created_at__gtee="2025-01-01")
    assert str(error.value) == (
        "unknown operator 'gtee' in filter 'created_at__gtee' (did you mean 'gte'?); operators: " + ", ".join(OPERATORS)
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"since": "not a date"}, "since='not a date' is not a date or time"),
        ({"until": 20250101}, "until=20250101 is not a date or time"),
        ({"created_at__gte": "yesterday-ish"}, "created_at__gte='yesterday-ish' is not a date or time"),
        ({"organization_id": "not-a-uuid"}, "organization_id='not-a-uuid' is not a UUID"),
        ({"organization_id": ["not-a-uuid"]}, "organization_id='not-a-uuid' is not a UUID"),
        ({"status": 3}, "status=3 is not text"),
        ({"status__in": "completed"}, "status__in='completed' must be a list"),
        ({"status__isnull": "yes"}, "status__isnull='yes' must be True or False"),
        ({"created_at__between": "2025"}, "created_at__between='2025' must be a pair"),
        ({"responses__gte": 1}, "responses__gte: operator gte does not apply to json column responses"),
        ({"created_at__like": "2025%"}, "created_at__like: operator like applies to text columns"),
        ({"status__like": 5}, "status__like=5 must be a text pattern"),
        ({"limit": -1}, "limit=-1 must be a whole number >= 0"),
        ({"limit": "10"}, "limit='10' must be a whole number >= 0"),
        ({"columns": []}, "columns=[] must be a non-empty list"),
        ({"order_by": 3}, "order_by=3 must be a column name"),
        ({"json_fields": {"status": ["x"]}}, "json_fields: column 'status' of assessments is TEXT, not JSON"),
        ({"json_fields": {"responses": [3]}}, "json_fields['responses']: key 3 must be a string"),
        ({"dtype_backend": "polars"}, "dtype_backend='polars' is not one of: numpy, pyarrow"),
        ({"uuid_as": "bytes"}, "uuid_as='bytes' is not one of"),
        ({"fast": "yes"}, "fast='yes' must be True, False or None"),
    ],
)
def test_wrong_types_name_the_parameter(sample, kwargs, message):
    with pytest.raises(InvalidFilterError) as error:
        load("assessments", engine=sample.engine, **kwargs)
    assert str(error.value).startswith(message), str(error.value)
    assert isinstance(error.value, WorkbenchError) and isinstance(error.value, ValueError)


def test_other_parameter_errors(sample):
    with pytest.raises(InvalidFilterError, match="version=1.5 is not an integer"):
        load("events", engine=sample.engine, version=1.5)
    with pytest.raises(InvalidFilterError, match="overall_score='high' is not a number"):
        load("assessment_scores", engine=sample.engine, overall_score="high")
    with pytest.raises(InvalidFilterError, match="is_active='true' is not True or False"):
        load("user_sessions", engine=sample.engine, is_active="true")
    with pytest.raises(InvalidFilterError, match="ip_address='300.1.1.1' is not an IP address"):
        load("user_sessions", engine=sample.engine, ip_address="300.1.1.1")
    with pytest.raises(UnknownIdentifierError, match="table organization_analytics has no time column"):
        load("organization_analytics", engine=sample.engine, since="2025-01-01")
    with pytest.raises(UnknownIdentifierError, match="unknown column in time_column 'made_at'"):
        load("users", engine=sample.engine, since="2025-01-01", time_column="made_at")
    with pytest.raises(UnknownIdentifierError, match="must be given by name"):
        load(42, engine=sample.engine)
    with pytest.raises(InvalidFilterError, match="given both in where= and as a keyword"):
        load("users", engine=sample.engine, where={"industry": "x"}, industry="y")


def test_pandas_values_in_filters_are_checked_like_lists(sample):
    with pytest.raises(InvalidFilterError, match=r"contains a NUL character"):
        load("users", engine=sample.engine, email=pd.Series(["a@example.test", "b\x00"]))
    with pytest.raises(InvalidFilterError, match=r"is nan, not a finite number"):
        load("assessment_scores", engine=sample.engine, overall_score=pd.Index([1.0, float("nan")]))
    with pytest.raises(InvalidFilterError, match=r"missing value"):
        load("users", engine=sample.engine, industry=pd.NA)


@pytest.mark.parametrize("fast", [False, True])
def test_sql_in_a_filter_value_is_just_a_value(sample, fast):
    hostile = "x'; DROP TABLE users; --"
    frame = load("users", engine=sample.engine, fast=fast, email=hostile)
    assert frame.empty
    assert list(frame.columns)[:2] == ["id", "email"]
    for filters in ({"email__like": hostile}, {"email__contains": hostile}, {"industry": [hostile, "a'b"]},
                    {"created_at__gte": "2025-01-01", "last_name__ne": "'); DELETE FROM users; --"}):
        load("users", engine=sample.engine, fast=fast, **filters)
    load("assessments", engine=sample.engine, fast=fast, json_fields={"responses": ["x'); DROP TABLE users; --"]})
    with sample.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 4
    assert hostile not in str(select_for("users", engine=sample.engine, email=hostile).compile(sample.engine))
