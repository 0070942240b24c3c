"""The events and audit report (notebook ``05_events_audit``): the event store's volumes and health, the audit trail.

A *selection* of events is the report's filters, as keywords of the functions here:

- ``aggregate_type``: streams of that aggregate type only;
- ``organization_id``: events carrying that organization; for the audit trail,
  changes made by the organization's members;
- ``industry``: events (audit rows) whose user is of that industry;
- ``since`` / ``until``: a half-open range ``[since, until)`` of ``created_at``.

`report_filters` turns a report's parameters (inclusive dates) into these keywords.
Two checks are properties of the whole store and ignore the selection but say
so: the replay (`replay_check` replays every stream, then reports on the
selected ones) and the global order (`global_order`).

Everything here only reads: `read_only_connection` gives a connection whose
transactions PostgreSQL refuses to write in, so a report cannot change what it
reports on. Functions take an SQLAlchemy Connection (and never open one, except
`read_only_connection`); a selection without data gives empty frames with the
same columns.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidParameterError
from ..events.consistency import COLUMNS as MISMATCH_COLUMNS
from ..events.consistency import check_consistency
from ..schema.sqlfiles import read_sql
from . import growth_report
from .analytics import _text, _uuid
from .growth_report import _check, _empty, half_open_range

#: The monthly-partitioned tables whose partitions `partition_rows` counts.
PARTITIONED_TABLES = ("audit_log", "analytics_events")
#: At most this many months in `monthly_table`.
MONTHS_SHOWN = 12

MONTH_COLUMNS = ["month", "aggregate_type", "events"]
TYPE_COLUMNS = ["aggregate_type", "event_type", "events", "aggregates", "first_event", "last_event"]
REPLAY_COLUMNS = ["aggregate_type", "aggregates", "events", "mismatched_aggregates", "consistent_share"]
SNAPSHOT_COLUMNS = ["aggregate_type", "aggregates", "with_snapshot", "coverage", "longest_stream",
                    "mean_events_to_replay", "max_events_to_replay"]
ORDER_COLUMNS = ["events", "first_position", "last_position", "missing_positions", "gaps", "out_of_time_order"]
GAP_COLUMNS = ["after_position", "next_position", "missing"]
AUDIT_COLUMNS = ["table_name", "operation", "changes", "records", "users", "first_change", "last_change"]
PARTITION_COLUMNS = ["parent", "partition", "month", "rows"]
PARTITION_SUMMARY_COLUMNS = ["parent", "partitions_with_rows", "rows", "first_month", "last_month", "rows_in_default"]


def report_filters(params: Mapping) -> dict:
    """Return the selection keywords (aggregate_type, organization_id, industry, since, until) of a report's parameters.

    `bi_workbench.domain.growth_report.report_filters` with the aggregate type:
    the report's ``until`` and ``as_of`` are inclusive dates; the returned
    ``until`` is the day after the earlier of them (exclusive), so nothing after
    ``as_of`` is read. Example: ``report_filters({"until": date(2025, 1, 31)})["until"]`` -> ``date(2025, 2, 1)``.
    """
    return growth_report.report_filters(params, keys=("aggregate_type", "organization_id", "industry"))


def read_only_connection(engine: Engine | None = None) -> Connection:
    """Return a connection (to close when done) whose transactions are READ ONLY: any write raises an error.

    ``engine`` defaults to `bi_workbench.get_engine()`. Example:
    ``conn = read_only_connection(); conn.execute(sa.text("DELETE FROM events"))`` raises
    ``sqlalchemy.exc.InternalError`` (cannot execute DELETE in a read-only transaction).
    """
    if engine is None:
        from ..database import get_engine

        engine = get_engine()
    return engine.connect().execution_options(postgresql_readonly=True)


def _selection(aggregate_type=None, organization_id=None, industry=None, since=None, until=None) -> dict:
    """Return the bound parameters of an event selection, checked; raise InvalidParameterError naming a bad one."""
    start, end = half_open_range(since, until)
    return {"aggregate_type": _text(aggregate_type, "aggregate_type"),
            "organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry"),
            "since": start, "until": end}


def _rows(conn: Connection, name: str, params: dict) -> list[tuple]:
    """Return the rows of the named query of ``bi_workbench/domain/sql/events_report/`` run with ``params``."""
    return [tuple(row) for row in _check(conn).execute(_query(name), params)]


def _query(name: str) -> sa.TextClause:
    """Return the named query of ``bi_workbench/domain/sql/events_report/`` (``<name>.sql``)."""
    return sa.text(read_sql("bi_workbench.domain", f"events_report/{name}.sql"))


def _frame(rows: list[tuple], columns: Sequence[str], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Return ``rows`` as a frame with ``columns`` typed by ``dtypes`` (the same columns when empty)."""
    frame = pd.DataFrame(rows, columns=list(columns)) if rows else _empty(columns, dtypes)
    return frame.astype(dict(dtypes))


# --- volumes ----------------------------------------------------------------------------------


def events_by_month(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                    until=None) -> pd.DataFrame:
    """Return the selected events per calendar month (UTC) and aggregate type: month (date), aggregate_type, events.

    Sorted by month, then aggregate type; months without events are absent.
    Example: three assessment events in January 2025 -> the row (2025-01-01, "assessment", 3).
    """
    params = _selection(aggregate_type, organization_id, industry, since, until)
    return _frame(_rows(conn, "events_by_month", params), MONTH_COLUMNS,
                  {"aggregate_type": "string", "events": "int64"})


def monthly_table(by_month: pd.DataFrame, months: int = MONTHS_SHOWN) -> pd.DataFrame:
    """Return the last ``months`` months of `events_by_month` wide: month, one column per aggregate type, total.

    Months are sorted ascending; aggregate types alphabetically; missing cells are 0.
    """
    if by_month.empty:
        return pd.DataFrame({"month": pd.Series(dtype="object"), "total": pd.Series(dtype="int64")})
    wide = by_month.pivot_table(index="month", columns="aggregate_type", values="events", aggfunc="sum",
                                fill_value=0, observed=True).sort_index()
    wide = wide[sorted(wide.columns)].astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide = wide.tail(int(months)).reset_index()
    wide.columns.name = None
    return wide


def events_by_type(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                   until=None) -> pd.DataFrame:
    """Return the selected events per aggregate type and event type, sorted by both.

    Columns: aggregate_type, event_type, events, aggregates (distinct streams),
    first_event, last_event (UTC dates). Example: 346 assessments created ->
    the row ("assessment", "assessment_created", 346, 346, ...).
    """
    params = _selection(aggregate_type, organization_id, industry, since, until)
    return _frame(_rows(conn, "events_by_type", params), TYPE_COLUMNS,
                  {"aggregate_type": "string", "event_type": "string", "events": "int64", "aggregates": "int64"})


# --- replay and snapshots ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayCheck:
    """The replay check of the selected streams: a summary per aggregate type and the mismatches found."""

    summary: pd.DataFrame
    mismatches: pd.DataFrame

    def describe(self) -> str:
        """Return one sentence: how many streams were replayed and whether they match their tables."""
        aggregates, events = int(self.summary["aggregates"].sum()), int(self.summary["events"].sum())
        if aggregates == 0:
            return "No event streams in this selection: nothing to replay."
        bad, listed = int(self.summary["mismatched_aggregates"].sum()), len(self.mismatches)
        verdict = ("every replayed state matches its table row" if bad == 0 else
                   f"{bad:,} {'differs from its table row' if bad == 1 else 'differ from their table rows'} "
                   f"({listed:,} mismatch{'' if listed == 1 else 'es'} listed below)")
        return f"{aggregates:,} aggregates replayed from {events:,} events: {verdict}."


def replay_check(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                 until=None) -> ReplayCheck:
    """Return the `ReplayCheck` of the streams with an event in the selection.

    Every stream of the store is replayed (`bi_workbench.events.consistency.check_consistency`)
    and compared with its table row; the summary (aggregate_type, aggregates,
    events — whole streams —, mismatched_aggregates, consistent_share) and the
    mismatches (aggregate_type, aggregate_id, field, replayed, stored, problem;
    values as text; sorted) keep the selected streams. On consistent data the
    mismatches are empty and consistent_share is 1.0.
    """
    params = _selection(aggregate_type, organization_id, industry, since, until)
    chosen = {(t, i) for t, i in _rows(conn, "selected_streams", params)}
    found = check_consistency(conn)
    keep = [(t, i) in chosen for t, i in zip(found["aggregate_type"], found["aggregate_id"])]
    mismatches = found[keep].copy() if len(found) else found.copy()
    for column in ("field", "replayed", "stored", "problem"):
        mismatches[column] = mismatches[column].map(lambda v: None if v is None else str(v)).astype("string")
    mismatches["aggregate_type"] = mismatches["aggregate_type"].astype("string")
    mismatches["aggregate_id"] = mismatches["aggregate_id"].map(str).astype("string")
    mismatches = mismatches.sort_values(["aggregate_type", "aggregate_id", "field"], kind="stable",
                                        na_position="first").reset_index(drop=True)[MISMATCH_COLUMNS]
    summary = _frame(_rows(conn, "stream_events", params), REPLAY_COLUMNS[:3],
                     {"aggregate_type": "string", "aggregates": "int64", "events": "int64"})
    bad = mismatches.groupby("aggregate_type", observed=True)["aggregate_id"].nunique()
    summary["mismatched_aggregates"] = [int(bad.get(t, 0)) for t in summary["aggregate_type"]]
    summary["mismatched_aggregates"] = summary["mismatched_aggregates"].astype("int64")
    summary["consistent_share"] = [round(1 - b / a, 4) if a else math.nan
                                   for a, b in zip(summary["aggregates"], summary["mismatched_aggregates"])]
    summary["consistent_share"] = summary["consistent_share"].astype("float64")
    return ReplayCheck(summary=summary[REPLAY_COLUMNS], mismatches=mismatches)


def snapshot_coverage(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                      until=None) -> pd.DataFrame:
    """Return how snapshots shorten the replay of the selected streams, per aggregate type.

    Columns: aggregate_type, aggregates, with_snapshot, coverage (share with a
    snapshot), longest_stream (highest version), mean_events_to_replay and
    max_events_to_replay (events after the latest snapshot, the whole stream
    without one). Streams are whole, chosen by having an event in the selection.
    Example: 174 simulations of 2 events, 58 snapshotted at version 2 ->
    ("simulation", 174, 58, 0.3333, 2, 1.3333, 2).
    """
    params = _selection(aggregate_type, organization_id, industry, since, until)
    frame = _frame(_rows(conn, "snapshot_coverage", params), SNAPSHOT_COLUMNS,
                   {"aggregate_type": "string", "aggregates": "int64", "with_snapshot": "int64", "coverage": "float64",
                    "longest_stream": "int64", "mean_events_to_replay": "float64", "max_events_to_replay": "int64"})
    return frame.round({"coverage": 4, "mean_events_to_replay": 4})


# --- the global order ----------------------------------------------------------------------------


def global_order(conn: Connection) -> pd.DataFrame:
    """Return one row on the store's global order (all events, whatever the selection).

    Columns: events, first_position, last_position (NULL when empty),
    missing_positions (between the first and the last), gaps (runs of missing
    positions, left by appends that rolled back), out_of_time_order (events
    whose created_at is earlier than the previous position's).
    Example: positions 1, 2, 5 -> (3, 1, 5, 2, 1, 0).
    """
    return _frame(_rows(conn, "global_order", {}), ORDER_COLUMNS,
                  {"events": "int64", "first_position": "Int64", "last_position": "Int64",
                   "missing_positions": "int64", "gaps": "int64", "out_of_time_order": "int64"})


def position_gaps(conn: Connection, limit: int = 15) -> pd.DataFrame:
    """Return the first ``limit`` gaps of the global order: after_position, next_position, missing; by position."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidParameterError(f"limit must be a whole number >= 1; got {limit!r}")
    return _frame(_rows(conn, "position_gaps", {"limit": limit}), GAP_COLUMNS,
                  {"after_position": "int64", "next_position": "int64", "missing": "int64"})


def describe_order(order: pd.DataFrame) -> str:
    """Return one sentence on a `global_order` row: contiguous, or how many gaps."""
    row = order.iloc[0] if len(order) else None
    if row is None or row["events"] == 0:
        return "The event store is empty: no positions to check."
    span = f"{row['events']:,} events hold positions {row['first_position']:,} to {row['last_position']:,}"
    if row["gaps"] == 0:
        verdict = "contiguous, no gaps"
    else:
        verdict = (f"{row['gaps']:,} gaps, {row['missing_positions']:,} positions missing "
                   "(appends that rolled back; followers skip them safely)")
    late = row["out_of_time_order"]
    timing = ("" if late == 0 else
              f"; {late:,} {'event is' if late == 1 else 'events are'} stamped earlier than the event before")
    return f"{span}: {verdict}{timing}."


# --- the audit trail ---------------------------------------------------------------------------


def audit_activity(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                   until=None) -> pd.DataFrame:
    """Return the audited changes per table and operation, sorted by both.

    Columns: table_name, operation (INSERT, UPDATE, DELETE), changes, records
    (distinct rows changed), users (distinct acting users), first_change,
    last_change (UTC dates). ``organization_id`` keeps changes made by its
    members, ``industry`` by users of it; ``aggregate_type`` does not apply to
    audit rows and is ignored. Empty when nothing was audited, e.g. on data
    bulk-loaded with auditing off.
    """
    params = _selection(None, organization_id, industry, since, until)
    params.pop("aggregate_type")
    return _frame(_rows(conn, "audit_activity", params), AUDIT_COLUMNS,
                  {"table_name": "string", "operation": "string", "changes": "int64", "records": "int64",
                   "users": "int64"})


def describe_audit(activity: pd.DataFrame) -> str:
    """Return one sentence on an `audit_activity` frame (saying so plainly when nothing was audited)."""
    if activity.empty:
        return "No audited changes in this period."
    tables = activity["table_name"].nunique()
    return (f"{int(activity['changes'].sum()):,} audited changes on {tables:,} table{'s' if tables != 1 else ''}, "
            f"from {activity['first_change'].min()} to {activity['last_change'].max()}.")


# --- partitions ----------------------------------------------------------------------------------


def partition_rows(conn: Connection, aggregate_type=None, organization_id=None, industry=None, since=None,
                   until=None) -> pd.DataFrame:
    """Return the partitions of audit_log and analytics_events that hold rows in ``[since, until)``, with their rows.

    Partitions are storage: only the period applies (the other keywords are
    accepted, so a whole selection can be passed, and ignored).

    Columns: parent, partition, month (the first day of the partition's month;
    NULL for the default partition), rows. Sorted by parent, then month (the
    default partition last). Partitions without rows are left out, so the result
    does not depend on how far ahead partitions were made.
    Example: 48 events in July 2023 -> ("analytics_events", "analytics_events_2023_07", 2023-07-01, 48).
    """
    params = _selection(None, None, None, since, until)
    months = {partition: (parent, month)
              for parent, partition, month in _rows(conn, "partitions", {"parents": list(PARTITIONED_TABLES)})}
    counted = _rows(conn, "partition_counts", {"since": params["since"], "until": params["until"]})
    rows = []
    for parent in PARTITIONED_TABLES:
        rows += [(parent, name.rsplit(".", 1)[-1], months.get(name.rsplit(".", 1)[-1], (parent, None))[1], n)
                 for table, name, n in counted if table == parent and n > 0]
    frame = _frame(rows, PARTITION_COLUMNS, {"parent": "string", "partition": "string", "rows": "int64"})
    order = frame.assign(_default=frame["month"].isna(), _month=frame["month"].map(lambda m: m or dt.date.max))
    order = order.sort_values(["parent", "_default", "_month", "partition"], kind="stable")
    return order[PARTITION_COLUMNS].reset_index(drop=True)


def partition_summary(partitions: pd.DataFrame) -> pd.DataFrame:
    """Return one row per partitioned table (`PARTITIONED_TABLES`, also those without rows), sorted by table.

    Columns: parent, partitions_with_rows, rows, first_month, last_month (of the
    monthly partitions with rows; None without), rows_in_default (rows the
    default partition holds: months written before their partition existed).
    """
    rows = []
    for parent in sorted(PARTITIONED_TABLES):
        group = partitions[partitions["parent"] == parent]
        monthly = group[group["month"].notna()]
        rows.append((parent, len(group), int(group["rows"].sum()),
                     monthly["month"].min() if len(monthly) else None,
                     monthly["month"].max() if len(monthly) else None,
                     int(group.loc[group["month"].isna(), "rows"].sum())))
    return _frame(rows, PARTITION_SUMMARY_COLUMNS,
                  {"parent": "string", "partitions_with_rows": "int64", "rows": "int64", "rows_in_default": "int64"})


def latest_partitions(partitions: pd.DataFrame, per_parent: int = 6) -> pd.DataFrame:
    """Return the last ``per_parent`` partitions with rows of each table (by month), in `partition_rows` order."""
    return partitions.groupby("parent", sort=True, observed=True).tail(int(per_parent)).reset_index(drop=True)
