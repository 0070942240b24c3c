"""Counts computed in SQL: per period (UTC), per column, per industry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bi_workbench.errors import InvalidFilterError, UnknownIdentifierError
from bi_workbench.loaders import count_by, count_by_industry, count_by_period


def stamps(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t, tz="UTC") for t in texts]


def test_count_by_period_truncates_months_in_utc(sample):
    frame = count_by_period("assessments", "month", engine=sample.engine)
    # a1 was created at 23:30 on Dec 31 in New York: January in UTC
    assert list(frame["period"]) == stamps("2025-01-01", "2025-02-01", "2025-03-01")
    assert list(frame["count"]) == [2, 1, 1]
    assert frame["period"].dtype == pd.DatetimeTZDtype("ns", "UTC")
    assert frame["count"].dtype == np.dtype("int64")


@pytest.mark.parametrize(
    "period, expected",
    [
        ("year", {"2025-01-01": 4}),
        ("quarter", {"2025-01-01": 4}),
        ("week", {"2024-12-30": 1, "2025-01-13": 1, "2025-01-27": 1, "2025-03-03": 1}),
        ("day", {"2025-01-01": 1, "2025-01-15": 1, "2025-02-01": 1, "2025-03-05": 1}),
        ("hour", {"2025-01-01T04:00": 1, "2025-01-15T10:00": 1, "2025-02-01T00:00": 1, "2025-03-05T12:00": 1}),
    ],
)
def test_count_by_period_each_period(sample, period, expected):
    frame = count_by_period("assessments", period, engine=sample.engine)
    assert dict(zip(frame["period"], frame["count"])) == {pd.Timestamp(k, tz="UTC"): v for k, v in expected.items()}


def test_count_by_period_with_filters_and_a_breakdown(sample):
    frame = count_by_period("assessments", "month", engine=sample.engine, organization_id=sample.orgs.acme)
    assert list(frame["count"]) == [2]
    frame = count_by_period("analytics_events", "month", by="event_type", engine=sample.engine, since="2025-02-01")
    assert frame.to_dict("records") == [
        {"period": pd.Timestamp("2025-02-01", tz="UTC"), "event_type": "page_view", "count": 2},
        {"period": pd.Timestamp("2025-03-01", tz="UTC"), "event_type": "click", "count": 1},
        {"period": pd.Timestamp("2025-03-01", tz="UTC"), "event_type": "login", "count": 1},
    ]
    assert frame["event_type"].dtype == pd.StringDtype()
    by_industry = count_by_period("assessments", "year", by="industry", engine=sample.engine)
    assert dict(zip(by_industry["industry"].fillna("-"), by_industry["count"])) == {"retail": 1, "technology": 2, "-": 1}


def test_count_by_period_uses_each_tables_time_column(sample):
    news = count_by_period("news_feed", "month", engine=sample.engine)  # published_at
    assert list(news["period"]) == stamps("2025-01-01", "2025-03-01")
    news = count_by_period("news_feed", "month", engine=sample.engine, time_column="created_at")
    assert list(news["period"]) == stamps("2025-01-01", "2025-06-01")
    summary = count_by_period("assessment_analytics_summary", "month", engine=sample.engine)  # month, UTC wall time
    assert list(summary["period"]) == stamps("2025-01-01", "2025-02-01", "2025-03-01")  # unscored ones count too


def test_count_by_a_column_largest_first(sample):
    frame = count_by("assessments", "organization_id", engine=sample.engine)
    assert frame.to_dict("records") == [
        {"organization_id": str(sample.orgs.acme), "count": 2},  # UUIDs as text, as load() gives them
        {"organization_id": str(sample.orgs.other), "count": 1},
        {"organization_id": None, "count": 1},
    ]
    frame = count_by("assessments", "assessment_type", "status", engine=sample.engine, since="2025-01-02")
    assert sorted(zip(frame["assessment_type"], frame["status"], frame["count"])) == [
        ("growth", "completed", 1), ("maturity", "abandoned", 1), ("maturity", "in_progress", 1),
    ]


def test_count_by_industry_joins_users_or_uses_the_tables_own_column(sample):
    through_users = count_by_industry("assessments", engine=sample.engine)
    assert dict(zip(through_users["industry"].fillna("-"), through_users["count"])) == {
        "technology": 2, "retail": 1, "-": 1
    }
    assert list(through_users["count"]) == [2, 1, 1]
    own = count_by_industry("market_insights", engine=sample.engine)
    assert own.to_dict("records") == [{"industry": "technology", "count": 2}, {"industry": "retail", "count": 1}]
    filtered = count_by_industry("analytics_events", engine=sample.engine, event_type="page_view")
    assert dict(zip(filtered["industry"].fillna("-"), filtered["count"])) == {"technology": 1, "retail": 1, "-": 1}
    from_view = count_by_industry("user_dashboard_summary", engine=sample.engine)
    assert from_view["count"].sum() == 4


def test_aggregation_errors(sample):
    with pytest.raises(InvalidFilterError, match="period='fortnight' is not one of: hour, day, week, month"):
        count_by_period("assessments", "fortnight", engine=sample.engine)
    with pytest.raises(UnknownIdentifierError, match="table news_feed has neither an industry column nor a user_id"):
        count_by_industry("news_feed", engine=sample.engine)
    with pytest.raises(UnknownIdentifierError, match="unknown column in count_by 'stauts' for table assessments"):
        count_by("assessments", "stauts", engine=sample.engine)
    with pytest.raises(InvalidFilterError, match="count_by needs at least one column"):
        count_by("assessments", engine=sample.engine)
    with pytest.raises(InvalidFilterError, match="since='soon' is not a date or time"):
        count_by_period("assessments", engine=sample.engine, since="soon")
    with pytest.raises(UnknownIdentifierError, match="has no time column"):
        count_by_period("organization_analytics", engine=sample.engine)
