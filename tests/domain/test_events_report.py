"""The events and audit report's domain functions: hand-made streams, gaps and audit rows, the demo data, empty results.

The hand-made data (times UTC), appended in this order (positions in brackets;
a rolled-back append uses a position up and leaves a gap)::

    [1] assessment AS1 v1 assessment_created  2025-01-10  user u1 (SaaS, org A)
    [2] (rolled back)
    [3] assessment AS1 v2 assessment_scored   2025-02-05  user u1
    [4] growth_lever GL1 v1 lever_suggested   2025-01-20  user u2 (Retail, org A) -- earlier than [3]
    [5] simulation SM1 v1 simulation_started  2025-02-10  user u3 (SaaS, no organization)
    [6], [7] (rolled back)
    [8] simulation SM1 v2 simulation_completed 2025-02-11 user u3

    tables     AS1 completed onboarding; GL1 *accepted* [referral_program] (its stream says suggested:
               one mismatch); SM1 completed
    snapshots  AS1 at version 2
    audit      u1 renames org A (UPDATE), u3 creates org C (INSERT), both audited now (the clock's month)
    analytics  2 events in January 2025 (its partition made), 3 in February 2025 (no partition: default)

Users and organizations are created now (the clock's day), so without an as_of the bound is the end of today.
AS1's events carry no organization (as migrated ones): they are org A's through u1's membership.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from bi_workbench import reports
from bi_workbench.database import create_engine
from bi_workbench.domain import analytics, events_report
from bi_workbench.domain.events_report import (
    audit_activity, describe_audit, describe_order, events_by_month, events_by_type, global_order, latest_partitions,
    monthly_table, partition_rows, partition_summary, position_gaps, read_only_connection, read_only_engine, replay_check,
    sections, snapshot_coverage,
)
from bi_workbench.errors import InvalidParameterError
from bi_workbench.events.audit import acting_as, auditing_off
from bi_workbench.schema import tables as t

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B, ORG_C = (uuid.UUID(int=i) for i in (101, 102, 103))
AS1, GL1, SM1 = (uuid.UUID(int=i) for i in (501, 502, 503))
EMPTY_PERIOD = {"since": dt.date(2000, 1, 1), "until": dt.date(2000, 1, 31)}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def event(aggregate_type, aggregate_id, version, event_type, data, user, org, created):
    return {"aggregate_type": aggregate_type, "aggregate_id": aggregate_id, "version": version,
            "event_type": event_type, "event_data": data, "user_id": user, "organization_id": org,
            "created_at": at(created)}


def append(engine, row, *, commit=True) -> None:
    """Insert one event in its own transaction, committed or rolled back (which leaves a gap in the positions)."""
    conn = engine.connect()
    try:
        conn.execute(t.events.insert(), row)
        conn.commit() if commit else conn.rollback()
    finally:
        conn.close()


def insert_hand_data(engine) -> None:
    with engine.begin() as conn:
        auditing_off(conn)
        conn.execute(t.users.insert(), [
            {"id": u, "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i), "industry": industry}
            for i, (u, industry) in enumerate([(U1, "SaaS"), (U2, "Retail"), (U3, "SaaS")], 1)])
        conn.execute(t.organizations.insert(), [{"id": ORG_A, "name": "A", "slug": "a"},
                                                {"id": ORG_B, "name": "B", "slug": "b"}])
        conn.execute(t.organization_members.insert(), [
            {"organization_id": ORG_A, "user_id": u, "role": "member"} for u in (U1, U2)])
        conn.execute(t.assessments.insert().values(id=AS1, user_id=U1, assessment_type="onboarding", status="completed"))
        conn.execute(t.growth_levers.insert().values(id=GL1, user_id=U2, organization_id=ORG_A,
                                                     levers=["referral_program"], status="accepted"))
        conn.execute(t.simulations.insert().values(id=SM1, user_id=U3, simulation_type="growth_monte_carlo",
                                                   input_data={}, status="completed"))
        conn.execute(t.snapshots.insert().values(aggregate_id=AS1, aggregate_type="assessment", version=2,
                                                 state={"status": "completed", "assessment_type": "onboarding"}))
        conn.execute(sa.text("SELECT ensure_monthly_partitions('analytics_events', DATE '2025-01-01', DATE '2025-01-01')"))
        conn.execute(t.analytics_events.insert(), [
            {"event_type": "page_view", "created_at": at(day)}
            for day in ("2025-01-05", "2025-01-06", "2025-02-01", "2025-02-02", "2025-02-03")])
    created = event("assessment", AS1, 1, "assessment_created", {"assessment_type": "onboarding", "status": "in_progress"},
                    U1, None, "2025-01-10")
    append(engine, created)
    append(engine, {**created, "version": 9}, commit=False)
    append(engine, event("assessment", AS1, 2, "assessment_scored", {"overall_score": 3.0}, U1, None, "2025-02-05"))
    append(engine, event("growth_lever", GL1, 1, "lever_suggested", {"levers": ["referral_program"], "status": "suggested"},
                         U2, ORG_A, "2025-01-20"))
    started = event("simulation", SM1, 1, "simulation_started", {"simulation_type": "growth_monte_carlo"}, U3, None,
                    "2025-02-10")
    append(engine, started)
    append(engine, {**started, "version": 8}, commit=False)
    append(engine, {**started, "version": 9}, commit=False)
    append(engine, event("simulation", SM1, 2, "simulation_completed", {}, U3, None, "2025-02-11"))
    with engine.begin() as conn:  # audited: the trigger writes audit_log
        acting_as(conn, U1)
        conn.execute(t.organizations.update().where(t.organizations.c.id == ORG_A).values(name="A renamed"))
    with engine.begin() as conn:
        acting_as(conn, U3)
        conn.execute(t.organizations.insert().values(id=ORG_C, name="C", slug="c"))


@pytest.fixture(scope="module")
def hand_engine(databases, schema_template):
    url = databases.create(template=schema_template)
    engine = create_engine(url)
    insert_hand_data(engine)
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture
def hand(hand_engine):
    conn = read_only_connection(hand_engine)
    yield conn
    conn.close()


@pytest.fixture
def demo(demo_engine):
    conn = read_only_connection(demo_engine)
    yield conn
    conn.close()


def sel(conn, **params):
    """The report's selection of ``params``, resolved once."""
    return analytics.report_bounds(conn, params)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v for v in r)
            for r in frame.itertuples(index=False)]


def test_the_selection_states_its_bound_and_as_of_caps_until(hand):
    bounds = sel(hand, since=dt.date(2025, 1, 1), until=dt.date(2025, 1, 31), as_of=dt.date(2025, 1, 15))
    assert bounds.label == "data up to 2025-01-15 (end of day, UTC)"
    assert events_by_type(hand, bounds)["event_type"].tolist() == ["assessment_created"]  # 01-20's is after it


def test_the_read_only_connection_refuses_to_write(hand):
    with pytest.raises(DBAPIError, match="read-only transaction"):
        hand.execute(sa.text("DELETE FROM audit_log"))
    hand.rollback()
    assert hand.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == 2


def test_the_reports_sections_computed_ahead_equal_them_alone_and_cannot_write(hand_engine, hand):
    bounds = sel(hand)
    engine = read_only_engine(hand_engine)
    with reports.prefetch(engine, {**sections(bounds), "write": lambda c: c.execute(sa.text("DELETE FROM audit_log"))},
                          ) as ahead:
        assert ahead["replay"].summary.equals(replay_check(hand, bounds).summary)
        assert ahead["partitions"].equals(partition_rows(hand, bounds))
        with pytest.raises(DBAPIError, match="read-only transaction"):
            ahead["write"]


def test_bad_selections_are_refused_naming_the_parameter(hand):
    with pytest.raises(InvalidParameterError, match="aggregate_type"):
        events_by_type(hand, sel(hand), aggregate_type="")
    with pytest.raises(InvalidParameterError, match="is before since"):
        sel(hand, since="2025-03-01", until="2025-01-01")
    with pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
        sel(hand, industry="Spaceships")
    with pytest.raises(InvalidParameterError, match="limit"):
        position_gaps(hand, limit=0)


# --- volumes --------------------------------------------------------------------------------------------


def test_events_per_month_and_aggregate_type(hand):
    by_month = events_by_month(hand, sel(hand))
    assert rows(by_month) == [(dt.date(2025, 1, 1), True, "assessment", 1), (dt.date(2025, 1, 1), True, "growth_lever", 1),
                              (dt.date(2025, 2, 1), True, "assessment", 1), (dt.date(2025, 2, 1), True, "simulation", 2)]
    cut = events_by_month(hand, sel(hand, as_of=dt.date(2025, 2, 10)))  # February not over: partial, so marked
    assert rows(cut) == [(dt.date(2025, 1, 1), True, "assessment", 1), (dt.date(2025, 1, 1), True, "growth_lever", 1),
                         (dt.date(2025, 2, 1), False, "assessment", 1), (dt.date(2025, 2, 1), False, "simulation", 1)]
    wide = monthly_table(by_month)
    assert list(wide.columns) == ["month", "assessment", "growth_lever", "simulation", "total"]
    assert rows(wide) == [(dt.date(2025, 1, 1), 1, 1, 0, 2), (dt.date(2025, 2, 1), 1, 0, 2, 3)]
    assert monthly_table(by_month, months=1)["month"].tolist() == [dt.date(2025, 2, 1)]


def test_events_by_type_with_first_and_last(hand):
    assert rows(events_by_type(hand, sel(hand))) == [
        ("assessment", "assessment_created", 1, 1, dt.date(2025, 1, 10), dt.date(2025, 1, 10)),
        ("assessment", "assessment_scored", 1, 1, dt.date(2025, 2, 5), dt.date(2025, 2, 5)),
        ("growth_lever", "lever_suggested", 1, 1, dt.date(2025, 1, 20), dt.date(2025, 1, 20)),
        ("simulation", "simulation_completed", 1, 1, dt.date(2025, 2, 11), dt.date(2025, 2, 11)),
        ("simulation", "simulation_started", 1, 1, dt.date(2025, 2, 10), dt.date(2025, 2, 10)),
    ]


def test_the_selection_filters_every_event_function(hand):
    # AS1's events have no organization of their own: they are org A's through u1's membership
    assert events_by_type(hand, sel(hand, organization_id=ORG_A))["event_type"].tolist() == [
        "assessment_created", "assessment_scored", "lever_suggested"]
    assert events_by_type(hand, sel(hand, industry="saas"))["aggregate_type"].unique().tolist() == [
        "assessment", "simulation"]
    assert events_by_month(hand, sel(hand), aggregate_type="simulation")["events"].tolist() == [2]
    assert events_by_type(hand, sel(hand, since="2025-02-01"))["events"].sum() == 3
    assert events_by_type(hand, sel(hand, until="2025-01-31"))["events"].sum() == 2


def test_an_empty_selection_gives_empty_frames_with_their_columns(hand):
    for params, kind in (({"organization_id": ORG_B}, None), (EMPTY_PERIOD, None), ({}, "invoice")):
        bounds = sel(hand, **params)
        assert list(events_by_month(hand, bounds, kind).columns) == events_report.MONTH_COLUMNS
        assert events_by_month(hand, bounds, kind).empty and events_by_type(hand, bounds, kind).empty
        assert snapshot_coverage(hand, bounds, kind).empty
        check = replay_check(hand, bounds, kind)
        assert check.summary.empty and check.mismatches.empty
        assert check.describe() == "No event streams in this selection: nothing to replay."
    assert list(monthly_table(events_by_month(hand, sel(hand, **EMPTY_PERIOD))).columns) == ["month", "total"]


# --- replay and snapshots -------------------------------------------------------------------------------------


def test_the_replay_check_finds_the_lever_whose_table_row_disagrees(hand):
    check = replay_check(hand, sel(hand))
    assert rows(check.summary) == [("assessment", 1, 2, 0, 1.0), ("growth_lever", 1, 1, 1, 0.0),
                                   ("simulation", 1, 2, 0, 1.0)]
    assert rows(check.mismatches) == [("growth_lever", str(GL1), "status", "suggested", "accepted",
                                       "replayed state differs from the table")]
    assert check.describe() == ("3 aggregates replayed from 5 events: 1 differs from its table row "
                                "(1 mismatch listed below).")


def test_the_replay_check_keeps_the_selected_streams_whole(hand):
    february = replay_check(hand, sel(hand, since="2025-02-01"))  # AS1 and SM1 have events in February
    assert rows(february.summary) == [("assessment", 1, 2, 0, 1.0), ("simulation", 1, 2, 0, 1.0)]
    assert february.mismatches.empty
    assert february.describe() == "2 aggregates replayed from 4 events: every replayed state matches its table row."


def test_snapshot_coverage_counts_the_events_left_to_replay(hand):
    assert rows(snapshot_coverage(hand, sel(hand))) == [("assessment", 1, 1, 1.0, 2, 0.0, 0), ("growth_lever", 1, 0, 0.0, 1, 1.0, 1),
                                             ("simulation", 1, 0, 0.0, 2, 2.0, 2)]


# --- the global order --------------------------------------------------------------------------------------------


def test_the_global_order_shows_the_gaps_of_rolled_back_appends(hand):
    order = global_order(hand)
    assert rows(order) == [(5, 1, 8, 3, 2, 1)]
    assert rows(position_gaps(hand)) == [(1, 3, 1), (5, 8, 2)]
    assert rows(position_gaps(hand, limit=1)) == [(1, 3, 1)]
    assert describe_order(order) == ("5 events hold positions 1 to 8: 2 gaps, 3 positions missing (appends that "
                                     "rolled back; followers skip them safely); 1 event is stamped earlier than "
                                     "the event before.")


def test_the_global_order_of_an_empty_store(schema_database):
    with read_only_connection(schema_database) as conn:
        order = global_order(conn)
        assert rows(order) == [(0, None, None, 0, 0, 0)]
        assert describe_order(order) == "The event store is empty: no positions to check."
        assert position_gaps(conn).empty


# --- the audit trail ----------------------------------------------------------------------------------------------


def test_audit_activity_per_table_and_operation(hand):
    today = dt.datetime.now(dt.timezone.utc).date()
    activity = audit_activity(hand, sel(hand))
    assert list(activity.columns) == events_report.AUDIT_COLUMNS
    assert [r[:5] for r in rows(activity)] == [("organizations", "INSERT", 1, 1, 1), ("organizations", "UPDATE", 1, 1, 1)]
    assert set(activity["first_change"]) <= {today, today - dt.timedelta(days=1)}
    assert describe_audit(activity).startswith("2 audited changes on 1 table, from ")


def test_audit_activity_honours_the_selection_and_says_when_there_is_none(hand):
    assert audit_activity(hand, sel(hand, organization_id=ORG_A))["operation"].tolist() == ["UPDATE"]  # u3 is no member
    assert audit_activity(hand, sel(hand, industry="SAAS"))["changes"].sum() == 2
    for empty in (audit_activity(hand, sel(hand, industry="Retail")), audit_activity(hand, sel(hand, **EMPTY_PERIOD))):
        assert empty.empty and list(empty.columns) == events_report.AUDIT_COLUMNS
        assert describe_audit(empty) == "No audited changes in this period."


# --- partitions -----------------------------------------------------------------------------------------------------


def test_partitions_with_rows_and_the_default_partition(hand):
    partitions = partition_rows(hand, sel(hand))
    events = partitions[partitions["parent"] == "analytics_events"]
    assert rows(events) == [("analytics_events", "analytics_events_2025_01", dt.date(2025, 1, 1), 2),
                               ("analytics_events", "analytics_events_default", None, 3)]
    audit = partitions[partitions["parent"] == "audit_log"]
    assert audit["rows"].sum() == 2 and (audit["rows"] > 0).all()
    summary = partition_summary(partitions).set_index("parent")
    assert summary.loc["analytics_events"].tolist() == [2, 5, dt.date(2025, 1, 1), dt.date(2025, 1, 1), 3]
    assert summary.loc["audit_log", "rows"] == 2


def test_partitions_honour_the_period_and_list_only_partitions_with_rows(hand):
    february = partition_rows(hand, sel(hand, since="2025-02-01", until="2025-02-28"))
    assert rows(february) == [("analytics_events", "analytics_events_default", None, 3)]
    empty = partition_rows(hand, sel(hand, **EMPTY_PERIOD))
    assert empty.empty and list(empty.columns) == events_report.PARTITION_COLUMNS
    assert rows(partition_summary(empty)) == [("analytics_events", 0, 0, None, None, 0), ("audit_log", 0, 0, None, None, 0)]
    assert latest_partitions(empty).empty


def test_latest_partitions_keeps_the_last_months_of_each_table():
    frame = pd.DataFrame({"parent": ["a"] * 3 + ["b"] * 2, "partition": ["a1", "a2", "a3", "b1", "b2"],
                          "month": [dt.date(2025, m, 1) for m in (1, 2, 3, 1, 2)], "rows": [1, 2, 3, 4, 5]})
    assert latest_partitions(frame, per_parent=2)["partition"].tolist() == ["a2", "a3", "b1", "b2"]


# --- the demo data ----------------------------------------------------------------------------------------------------


def test_on_the_demo_data_every_stream_replays_to_its_table_row(demo):
    check = replay_check(demo, sel(demo))
    streams = demo.execute(sa.text("SELECT count(DISTINCT (aggregate_type, aggregate_id)), count(*) FROM events")).one()
    assert check.mismatches.empty
    assert (check.summary["aggregates"].sum(), check.summary["events"].sum()) == tuple(streams)
    assert (check.summary["consistent_share"] == 1.0).all()


def test_on_the_demo_data_the_global_order_is_contiguous_and_the_audit_trail_empty(demo):
    order = global_order(demo).iloc[0]
    bounds = sel(demo)
    assert (order["first_position"], order["gaps"], order["missing_positions"]) == (1, 0, 0)
    assert describe_order(global_order(demo)).endswith("contiguous, no gaps.")
    assert audit_activity(demo, bounds).empty  # the demo is bulk-loaded with auditing off


def test_on_the_demo_data_partitions_hold_every_analytics_event_in_its_month(demo):
    partitions = partition_rows(demo, sel(demo))
    events = partitions[partitions["parent"] == "analytics_events"]
    assert events["rows"].sum() == demo.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar()
    assert events["month"].notna().all() and (events["rows"] > 0).all()
    assert events["partition"].tolist() == [f"analytics_events_{m:%Y_%m}" for m in events["month"]]
    assert events["month"].max() == dt.date(2026, 6, 1)  # the demo's last month, not the clock's


def test_on_the_demo_data_an_organization_shows_its_members_assessment_events(demo):
    """Issue 10, example 2: migrated assessment events carry no organization; they are the members' organization's."""
    org, expected = demo.execute(sa.text(
        "SELECT m.organization_id, count(*) FROM events e JOIN organization_members m ON m.user_id = e.user_id"
        " WHERE e.aggregate_type = 'assessment' AND e.organization_id IS NULL AND m.status IS DISTINCT FROM 'invited'"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")).one()
    by_type = events_by_type(demo, sel(demo, organization_id=org), "assessment")
    assert expected > 0 and by_type["events"].sum() == expected


@pytest.mark.parametrize("params", [{}, {"as_of": "2025-03-31"}])
@pytest.mark.parametrize("kind", [None, "assessment", "growth_lever"])
def test_a_wide_selection_chooses_the_streams_an_index_lookup_would(demo, params, kind):
    bounds = sel(demo, **params)
    assert not bounds.selection.few_rows
    wide = events_report._chosen_streams(bounds, kind)
    narrow = {"among": events_report._streams(bounds, kind)}
    assert set(wide) == {"having"}
    coverage = [demo.execute(events_report._snapshot_query(choice)).all() for choice in (wide, narrow)]
    assert coverage[0] == coverage[1] and coverage[0]
    replayed = [events_report.replay_streams(demo, **choice).streams for choice in (wide, narrow)]
    pd.testing.assert_frame_equal(*replayed)


@pytest.mark.parametrize("params", [{"since": "2025-01-01"}, {"until": "2025-06-30"}, {"industry": "saas"}])
def test_a_narrower_selection_finds_its_streams_by_index(demo, params):
    assert set(events_report._chosen_streams(sel(demo, **params))) == {"among"}
