"""The metrics layer on hand-made data worked out by hand: ownership, industry, bounds, grains, errors.

The data (times UTC)::

    users   u1 'SaaS'         signs up 2026-01-10   member of A (active)          pro / active (monthly)
            u2 ' saas '       signs up 2026-02-20   member of A (invited)         starter / past_due (annual)
            u3 'Fintech'      signs up 2026-03-05   member of A (active), B (inactive)   free / active
            u4 'Real Estate'  signs up 2026-03-31 23:00  no organization          enterprise / canceled
    orgs    A, B (no industry of their own: the owner's; A owned by u1, B by u3)
    assessments  x1 of u1, no own org, created 2026-01-15; scores 2.0 (01-16) then 4.0 (01-20): latest 4.0
                 x2 of u3, own org B, created 2026-03-06; score 3.0
                 x3 of u2, no own org, created 2026-03-10; no score
    levers  l1 of u3 with own org B; l2 of u3 without org (A and B through memberships); l3 of u2 (invited: none)
    events  u1 signup 2026-01-10, u1 signup 2026-02-02, u3 signup 2026-03-31 23:59, u3 view 2026-04-01 00:00
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench import metrics
from bi_workbench.metrics import catalog
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t
from tests.conftest import filled_database

U1, U2, U3, U4 = (uuid.UUID(int=i) for i in range(1, 5))
A, B = uuid.UUID(int=101), uuid.UUID(int=102)
X1, X2, X3 = (uuid.UUID(int=i) for i in (201, 202, 203))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def insert(conn) -> None:
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i), "industry": ind,
         "created_at": at(c)}
        for i, (u, ind, c) in enumerate([(U1, "SaaS", "2026-01-10 09:00"), (U2, " saas ", "2026-02-20 09:00"),
                                         (U3, "Fintech", "2026-03-05 09:00"), (U4, "Real Estate", "2026-03-31 23:00")], 1)])
    conn.execute(t.organizations.insert(), [
        {"id": A, "name": "A", "slug": "a", "owner_id": U1, "created_at": at("2026-01-10 09:00")},
        {"id": B, "name": "B", "slug": "b", "owner_id": U3, "created_at": at("2026-03-05 09:00")}])
    conn.execute(t.organization_members.insert(), [
        {"organization_id": o, "user_id": u, "role": "member", "status": s, "joined_at": at("2026-03-05 09:00")}
        for o, u, s in [(A, U1, "active"), (A, U2, "invited"), (A, U3, "active"), (B, U3, "inactive")]])
    conn.execute(t.subscriptions.insert(), [
        {"user_id": u, "plan": p, "status": s, "billing_cycle": c, "created_at": at("2026-03-20 00:00")}
        for u, p, s, c in [(U1, "pro", "active", "monthly"), (U2, "starter", "past_due", "annual"),
                           (U3, "free", "active", None), (U4, "enterprise", "canceled", "monthly")]])
    conn.execute(t.assessments.insert(), [
        {"id": x, "user_id": u, "organization_id": o, "assessment_type": "onboarding", "created_at": at(c)}
        for x, u, o, c in [(X1, U1, None, "2026-01-15 00:00"), (X2, U3, B, "2026-03-06 00:00"),
                           (X3, U2, None, "2026-03-10 00:00")]])
    conn.execute(t.assessment_scores.insert(), [
        {"assessment_id": x, "overall_score": s, "confidence_score": 0.5, "created_at": at(c)}
        for x, s, c in [(X1, 2.0, "2026-01-16 00:00"), (X1, 4.0, "2026-01-20 00:00"), (X2, 3.0, "2026-03-06 00:00")]])
    conn.execute(t.growth_levers.insert(), [
        {"user_id": u, "organization_id": o, "levers": ["x"], "created_at": at("2026-03-07 00:00")}
        for u, o in [(U3, B), (U3, None), (U2, None)]])
    conn.execute(t.analytics_events.insert(), [
        {"user_id": u, "event_type": e, "created_at": at(c)}
        for u, e, c in [(U1, "signup", "2026-01-10 09:00"), (U1, "signup", "2026-02-02 09:00"),
                        (U3, "signup", "2026-03-31 23:59"), (U3, "report_viewed", "2026-04-01 00:00")]])


@pytest.fixture(scope="module")
def engine(server_databases, server_schema_template):
    with filled_database(server_databases, server_schema_template, insert) as engine:
        yield engine


def one(frame, column):
    return frame[column].iloc[0]


def test_a_row_without_its_own_organization_belongs_to_its_users_counted_memberships(engine):
    # l1 (own org B) and l2 (u3's: A and B) for B; l2 only for A (l3's user is only invited to A)
    assert one(metrics.query("levers", organization_id=B, engine=engine), "levers") == 2
    assert one(metrics.query("levers", organization_id=A, engine=engine), "levers") == 1
    by_org = metrics.query("levers", by="organization", engine=engine)
    assert dict(zip(by_org["organization"].fillna("none"), by_org["levers"])) == {str(A): 1, str(B): 2, "none": 1}
    assert one(metrics.query("levers", engine=engine), "levers") == 3  # once in the total


def test_industries_compare_case_and_space_insensitively_and_follow_the_user(engine):
    saas = metrics.query(["users", "assessments"], industry="SAAS", engine=engine)
    assert (one(saas, "users"), one(saas, "assessments")) == (2, 2)
    assert one(metrics.query("users", industry="realestate", engine=engine), "users") == 1
    by = metrics.query("users", by="industry", engine=engine)
    assert dict(zip(by["industry"], by["users"])) == {"Fintech": 1, "Real Estate": 1, "SaaS": 2}


@pytest.mark.parametrize("spelling", ["Real\u00a0Estate", "\u3000real\u2009estate\u202f", "REAL\u2028ESTATE"])
def test_an_industry_written_with_unicode_spaces_selects_the_same_rows(engine, spelling):
    assert one(metrics.query("users", industry=spelling, engine=engine), "users") == 1


def test_grouping_by_organization_under_an_organization_filter_shows_only_that_organization(engine):
    # l2 (u3's, no organization of its own) belongs to A and B; asked about A, it is A's only
    by_org = metrics.query("levers", by="organization", organization_id=A, engine=engine)
    assert dict(zip(by_org["organization"], by_org["levers"])) == {str(A): 1}


def test_text_dates_mean_the_end_of_that_day_however_written(engine):
    counts = {spelling: one(metrics.query("events", as_of=spelling, engine=engine), "events")
              for spelling in ("2026-03-31", "2026-3-31", "20260331", " 2026-03-31 ")}
    assert set(counts.values()) == {3}, counts


def test_the_average_score_takes_the_latest_score_of_each_assessment(engine):
    assert one(metrics.query("avg_overall_score", engine=engine), "avg_overall_score") == pytest.approx(3.5)
    assert one(metrics.query("scored_assessments", engine=engine), "scored_assessments") == 2
    # as of 2026-01-17 only the first score of x1 existed
    early = metrics.query("avg_overall_score", as_of="2026-01-17", engine=engine)
    assert one(early, "avg_overall_score") == pytest.approx(2.0)


def test_paying_customers_mrr_and_arpa_follow_their_definitions(engine):
    frame = metrics.query(["paying_customers", "mrr", "arpa", "customer_churn_rate"], engine=engine)
    assert one(frame, "paying_customers") == 2  # pro active + starter past_due
    assert one(frame, "mrr") == pytest.approx(199.0 + 39.0)
    assert one(frame, "arpa") == pytest.approx((199.0 + 39.0) / 2)
    assert one(frame, "customer_churn_rate") == pytest.approx(1 / 3)  # enterprise canceled of three paid


def test_inclusive_dates_and_the_as_of_bound(engine):
    assert one(metrics.query("users", since="2026-03-31", until="2026-03-31", engine=engine), "users") == 1
    assert one(metrics.query("users", until="2026-03-30", engine=engine), "users") == 3
    frame = metrics.query("events", as_of="2026-03-31", engine=engine)
    assert one(frame, "events") == 3
    assert frame.attrs["selection"]["as_of_label"] == "data up to 2026-03-31 (end of day, UTC)"


def test_without_as_of_the_bound_is_the_end_of_the_latest_day_with_data(engine):
    frame = metrics.query("events", engine=engine)
    assert one(frame, "events") == 4  # the row at 2026-04-01 00:00 is counted and the label says so
    assert frame.attrs["selection"]["as_of"] == "2026-04-02T00:00:00+00:00"
    assert frame.attrs["selection"]["as_of_label"] == "data up to 2026-04-01 (end of day, UTC)"


def test_the_label_does_not_follow_the_clients_time_zone(engine, monkeypatch):
    monkeypatch.setenv("PGTZ", "Pacific/Kiritimati")
    from bi_workbench.database import create_engine

    other = create_engine(engine.url)
    try:
        assert metrics.query("events", engine=other).attrs["selection"]["as_of_label"] == \
            "data up to 2026-04-01 (end of day, UTC)"
    finally:
        other.dispose()


def test_a_grain_gives_one_row_per_period_with_its_completeness(engine):
    frame = metrics.query(["users", "active_users"], grain="month", as_of="2026-03-20", engine=engine)
    assert list(frame["period"]) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")]
    assert list(frame["complete"]) == [True, True, False]
    assert list(frame["users"]) == [1, 1, 1]


def test_periods_cut_by_the_date_range_are_not_complete(engine):
    def completeness(since, until):
        frame = metrics.query("events", grain="month", since=since, until=until, engine=engine)
        return dict(zip(frame["period"].dt.month, frame["complete"]))

    assert completeness("2026-01-05", "2026-02-10") == {1: False, 2: False}    # events on 01-10 and 02-02
    assert completeness("2026-01-01", "2026-03-31") == {1: True, 2: True, 3: True}


def test_retention_past_the_ranges_end_is_not_shown_as_zero(engine):
    frame = metrics.query("retention", grain="month", until="2026-01-31", engine=engine)
    january = frame[frame["cohort"] == pd.Timestamp("2026-01-01")]
    assert list(january["period_number"]) == [0]   # February is outside the range: not observed, not 0


def test_retention_leaves_periods_not_yet_over_empty(engine):
    frame = metrics.query("retention", grain="month", as_of="2026-02-15", engine=engine)
    january = frame[frame["cohort"] == pd.Timestamp("2026-01-01")].set_index("period_number")
    assert january.loc[0, "retention"] == 1.0
    assert pd.isna(january.loc[1, "retention"]) and not january.loc[1, "complete"]


def test_the_funnel_counts_users_in_order(engine):
    frame = metrics.query("funnel_conversion", steps=["signup", "report_viewed"], engine=engine)
    assert list(frame["users"]) == [2, 1]
    assert frame["conversion_from_first"].tolist() == [1.0, 0.5]


def test_the_catalogue_lists_every_metric_with_its_definition_unit_and_grains():
    catalogue = metrics.list()
    assert {"users", "organizations", "paying_customers", "mrr", "arpa", "customer_churn_rate", "assessments",
            "scored_assessments", "avg_overall_score", "avg_confidence", "market_insights", "active_users", "events",
            "retention", "funnel_conversion", "notification_read_rate", "levers", "simulations"} <= set(catalogue["name"])
    assert catalogue["definition"].str.len().min() > 10
    assert list(catalogue.columns) == ["name", "definition", "unit", "entity", "kind", "grains", "dimensions"]


def test_sql_shows_the_statement_that_query_runs(engine):
    text = metrics.sql("avg_overall_score", by="industry", industry="saas", engine=engine)
    assert "DISTINCT ON (assessment_scores.assessment_id)" in text and "'saas'" in text


@pytest.mark.parametrize("arguments, message", [
    ({"metric": ["memberships", "users"], "by": "status"}, "dimension 'status' is a column of each metric's own"),
    ({"metric": ["users", "users"]}, "metric 'users' is asked for twice"),
    ({"metric": "users", "by": ["industry", "industry"]}, "dimension 'industry' is asked for twice"),
    ({"metric": "users", "by": 3}, "by must be a dimension name or a list of them; got 3"),
    ({"metric": "funnel_conversion", "steps": ["signup", "up\x00grade"]}, "non-blank event type names"),
    ({"metric": "revenue"}, "unknown metric 'revenue'; known metrics: users"),
    ({"metric": "users", "by": "plan"}, "unknown dimension 'plan' for users; allowed: organization, industry"),
    ({"metric": "users", "grain": "hour"}, "unknown grain 'hour'; known grains: day, week"),
    ({"metric": "mrr", "grain": "month"}, "mrr has no time grain"),
    ({"metric": "retention", "grain": "day"}, "grain 'day' is finer than retention supports; allowed: week, month"),
    ({"metric": "users", "since": "2026-02-01", "until": "2026-01-31"}, "until (2026-01-31) is before since"),
    ({"metric": "users", "as_of": "2999-01-01"}, "as_of 2999-01-01 is in the future"),
    ({"metric": "users", "industry": "Spaceships"}, "industry 'Spaceships' matches no data; known industries: "
                                                     "Fintech, Real Estate, SaaS"),
    ({"metric": "users", "organization_id": uuid.UUID(int=9)}, "is no organization of this database"),
])
def test_bad_requests_fail_with_one_clear_error(engine, arguments, message):
    with pytest.raises(InvalidParameterError, match=None) as raised:
        metrics.query(engine=engine, **arguments)
    assert message in str(raised.value)


def test_the_read_models_agree_with_the_metrics(engine):
    with engine.connect() as conn:
        views = pd.read_sql("SELECT organization_id::text AS organization, avg_assessment_score, total_assessments, "
                            "total_growth_levers FROM organization_analytics ORDER BY 1", conn)
        users = pd.read_sql("SELECT avg_assessment_score FROM user_dashboard_summary WHERE user_id = %(u)s", conn,
                            params={"u": U1})
    # A owns x1 (u1's) but not x3 (u2 is only invited); B owns x2 (its own); levers as in the first test
    assert views["total_assessments"].tolist() == [1, 1]
    assert views["total_growth_levers"].tolist() == [1, 2]
    assert users["avg_assessment_score"].tolist() == [4.0]  # the latest of x1's two scores
    measured = metrics.query(["avg_overall_score", "assessments", "levers"], by="organization", engine=engine)
    merged = views.merge(measured.dropna(subset=["organization"]), on="organization")
    assert len(merged) == 2
    assert (merged["avg_assessment_score"].astype(float) == merged["avg_overall_score"]).all()
    assert (merged["total_assessments"] == merged["assessments"]).all()
    with engine.begin() as conn:
        conn.execute(sa.text("REFRESH MATERIALIZED VIEW assessment_analytics_summary"))
        summary = pd.read_sql("SELECT assessment_type, sum(total_assessments) AS n FROM assessment_analytics_summary "
                              "GROUP BY 1 ORDER BY 1", conn)
    by_type = metrics.query("assessments", by="assessment_type", engine=engine)
    assert summary["n"].tolist() == by_type["assessments"].tolist() and summary["n"].sum() > 2  # scored or not


def test_the_last_representable_day_is_a_valid_until(engine):
    assert one(metrics.query("users", until="9999-12-31", engine=engine), "users") == \
        one(metrics.query("users", engine=engine), "users") == 4


def test_a_group_one_metric_lacks_counts_zero_rows_of_it(engine):
    frame = metrics.query(["users", "levers"], by="industry", engine=engine)
    assert frame[["users", "levers"]].notna().all().all()
    assert (frame["levers"] == 0).any() and frame["users"].sum() == one(metrics.query("users", engine=engine), "users")



def test_metrics_sharing_their_rows_are_measured_in_one_statement_with_the_same_values(engine):
    statements = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        together = metrics.query(["events", "active_users", "assessments"], grain="month", engine=engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    measuring = [s for s in statements if "GROUP BY" in s]
    assert len(measuring) == 2  # events and active_users share the analytics events; assessments apart
    apart = [metrics.query(name, grain="month", engine=engine) for name in ("events", "active_users", "assessments")]
    expected = apart[0]
    for other in apart[1:]:
        expected = expected.merge(other, on=["period", "complete"], how="outer")
    expected = expected.sort_values("period").reset_index(drop=True).fillna(0.0)
    assert list(together.columns) == ["period", "complete", "events", "active_users", "assessments"]
    pd.testing.assert_frame_equal(together, expected[together.columns], check_dtype=False)
    assert metrics.sql(["events", "active_users"], grain="month", engine=engine).count("SELECT") >= 1
    assert metrics.sql(["events", "active_users"], engine=engine).count(";") == 1  # one statement


@pytest.mark.parametrize("by", [None, "organization", "event_type", "source"])
@pytest.mark.parametrize("grain", [None, "month"])
def test_users_counted_per_user_first_equal_count_distinct(demo_engine, monkeypatch, by, grain):
    names = ["active_users", "events"]
    first = metrics.query(names, by=by, grain=grain, engine=demo_engine)
    assert first["active_users"].sum() > 0
    monkeypatch.setattr(catalog.Metric, "counts_users", property(lambda self: False))  # count(DISTINCT user_id)
    pd.testing.assert_frame_equal(first, metrics.query(names, by=by, grain=grain, engine=demo_engine))


def _apart(names, **request):
    """The metrics ``names`` queried one by one, merged as `query` merges groups (a count missing from a group: 0)."""
    frames = [metrics.query(name, **request) for name in names]
    keys = [c for c in frames[0].columns if c not in names]
    if not keys:
        return pd.concat(frames, axis=1)
    expected = frames[0]
    for other in frames[1:]:
        expected = expected.merge(other, on=keys, how="outer")
    counted = [name for name in names if catalog.METRICS[name].counts]
    expected[counted] = expected[counted].fillna(0.0)
    return expected.sort_values(keys, na_position="last").reset_index(drop=True)


@pytest.mark.parametrize("names, request_", [
    (["assessments", "completed_assessments", "scored_assessments", "avg_overall_score"], {}),
    (["assessments", "completed_assessments", "scored_assessments", "avg_confidence"], {"by": "bracket"}),
    (["completed_assessments", "scored_assessments"], {"by": "bracket", "grain": "month"}),
    (["completed_assessments", "scored_assessments"], {"by": "organization"}),
    (["paying_customers", "mrr", "customer_churn_rate"], {"by": "organization"}),
    (["paying_customers", "customer_churn_rate"], {"by": "industry"}),
])
def test_metrics_with_different_row_conditions_are_one_statement_with_the_values_apart(demo_engine, names,
                                                                                       request_):
    statements = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(demo_engine, "before_cursor_execute", record)
    try:
        together = metrics.query(names, engine=demo_engine, **request_)
    finally:
        sa.event.remove(demo_engine, "before_cursor_execute", record)
    measuring = [s for s in statements if "GROUP BY" in s or "FILTER (WHERE" in s]
    assert len(measuring) == 1 and "FILTER (WHERE" in measuring[0]  # each condition as its aggregate's FILTER
    expected = _apart(names, engine=demo_engine, **request_)
    assert together[names].sum().sum() > 0
    pd.testing.assert_frame_equal(together, expected[together.columns], check_dtype=False)
