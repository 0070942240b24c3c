"""The events and audit report (notebook ``05_events_audit``): the event store's volumes and health, the audit trail.

The report's selection is resolved once (`bi_workbench.domain.analytics.report_bounds`,
a `bi_workbench.metrics.Bounds`) and passed to every function, with the report's
own ``aggregate_type`` (streams of that aggregate type only). The selected events
are `bi_workbench.metrics.selected_rows` of the ``store_event`` entity: an event
belongs to its own organization, else to every organization its user is a member
of (migrated assessment events carry no organization, so an organization's
members' assessment events are its own); its industry is its user's, compared
case- and space-insensitively; nothing after the bound counts. The audit trail
uses the same rules (a change is its acting user's).

Two checks are properties of the whole store and ignore the selection but say so:
the replay (`replay_check` replays every stream, then reports on the selected
ones) and the global order (`global_order`). Partitions are storage: only the
period applies.

Everything here only reads: `read_only_engine` gives an engine (and
`read_only_connection` a connection) whose transactions PostgreSQL refuses to
write in, so a report cannot change what it reports on, nor the sections it
computes ahead (`sections`). Functions take an SQLAlchemy Connection (and never
open one, except `read_only_connection`); a selection without data gives empty
frames with the same columns.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import metrics
from ..errors import InvalidParameterError
from ..events.consistency import COLUMNS as MISMATCH_COLUMNS
from ..events.consistency import replay_streams
from ..events.recorder import PostgresRecorder
from ..metrics.entities import ENTITIES
from ..schema import tables as t
from ..schema.sqlfiles import read_sql
from .analytics import _text
from .report_selection import checked

#: The monthly-partitioned tables whose partitions `partition_rows` counts.
PARTITIONED_TABLES = ("audit_log", "analytics_events")
#: At most this many months in `monthly_table`.
MONTHS_SHOWN = 12
#: The report's headline numbers (metric names): events appended, and the aggregates whose streams they are.
HEADLINES = ("store_events", "assessments", "levers", "simulations")
#: (metric, dimension) of the key findings' breakdown: the events by aggregate type.
SHARE = ("store_events", "aggregate_type")
#: An audited change, owned by the organizations of the user who made it (the rules of `bi_workbench.metrics`).
AUDIT_CHANGE = ENTITIES["audit_change"]

MONTH_COLUMNS = ["month", "complete", "aggregate_type", "events"]
TYPE_COLUMNS = ["aggregate_type", "event_type", "events", "aggregates", "first_event", "last_event"]
REPLAY_COLUMNS = ["aggregate_type", "aggregates", "events", "mismatched_aggregates", "consistent_share"]
SNAPSHOT_COLUMNS = ["aggregate_type", "aggregates", "with_snapshot", "coverage", "longest_stream",
                    "mean_events_to_replay", "max_events_to_replay"]
ORDER_COLUMNS = ["events", "first_position", "last_position", "missing_positions", "gaps", "out_of_time_order"]
GAP_COLUMNS = ["after_position", "next_position", "missing"]
AUDIT_COLUMNS = ["table_name", "operation", "changes", "records", "users", "first_change", "last_change"]
PARTITION_COLUMNS = ["parent", "partition", "month", "rows"]
PARTITION_SUMMARY_COLUMNS = ["parent", "partitions_with_rows", "rows", "first_month", "last_month", "rows_in_default"]


def read_only_engine(engine: Engine | None = None) -> Engine:
    """Return ``engine`` (default `bi_workbench.get_engine()`) whose transactions are READ ONLY: any write raises."""
    if engine is None:
        from ..database import get_engine

        engine = get_engine()
    return engine.execution_options(postgresql_readonly=True)


def read_only_connection(engine: Engine | None = None) -> Connection:
    """Return a connection (to close when done) of `read_only_engine`: any write raises an error.

    Example: ``conn = read_only_connection(); conn.execute(sa.text("DELETE FROM events"))`` raises
    ``sqlalchemy.exc.InternalError`` (cannot execute DELETE in a read-only transaction).
    """
    return read_only_engine(engine).connect()


def sections(bounds: metrics.Bounds, aggregate_type=None) -> dict[str, Callable[[Connection], object]]:
    """Return the report's sections that read the most, {name: function of a Connection}, in the report's order.

    For `bi_workbench.reports.prefetch` (on a `read_only_engine`), which computes them while
    the report shows the others: replay (`replay_check`, of ``aggregate_type`` when given)
    and partitions (`partition_rows`); neither depends on the other.
    """
    return {"replay": lambda conn: replay_check(conn, bounds, aggregate_type),
            "partitions": lambda conn: partition_rows(conn, bounds)}


def selected_events(bounds: metrics.Bounds, aggregate_type=None, *, grain=None):
    """Return the SELECT of the event store's events in the selection (of ``aggregate_type`` when given)."""
    kind = _text(aggregate_type, "aggregate_type")
    where = None if kind is None else (lambda r: r.c.aggregate_type == kind)
    return metrics.selected_rows("store_event", bounds, grain=grain, where=where)


def _streams(bounds: metrics.Bounds, aggregate_type=None):
    """The streams (aggregate_type, aggregate_id) with an event in the selection, as a subquery."""
    events = selected_events(bounds, aggregate_type).subquery("selected")
    return sa.select(events.c.aggregate_type, events.c.aggregate_id).distinct().subquery("streams")


def _chosen_streams(bounds: metrics.Bounds, aggregate_type=None) -> dict:
    """The streams with an event in the selection, as the keyword arguments of
    `PostgresRecorder.per_stream`: for every stream up to the bound (`Selection.up_to_bound`),
    ``having`` one of the stream's events selected, so that each event is read once and no list of
    every stream is built and joined back; for any narrower selection ``among`` `_streams`, found by
    index."""
    if not bounds.selection.up_to_bound:
        return {"among": _streams(bounds, aggregate_type)}
    x, kind = t.events, _text(aggregate_type, "aggregate_type")
    selected = sa.and_(sa.true(), *bounds.where(ENTITIES["store_event"], x),
                       *([] if kind is None else [x.c.aggregate_type == kind]))
    return {"having": sa.func.coalesce(sa.func.bool_or(selected), False)}


def _rows(conn: Connection, name: str, params: dict) -> list[tuple]:
    """Return the rows of a schema query of ``bi_workbench/domain/sql/events_report/`` run with ``params``."""
    query = sa.text(read_sql("bi_workbench.domain", f"events_report/{name}.sql"))
    return [tuple(row) for row in checked(conn).execute(query, params)]


def _empty(columns: Sequence[str], dtypes: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in columns})


def _frame(rows, columns: Sequence[str], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Return ``rows`` as a frame with ``columns`` typed by ``dtypes`` (the same columns when empty)."""
    rows = [tuple(r) for r in rows]
    frame = pd.DataFrame(rows, columns=list(columns)) if rows else _empty(columns, dtypes)
    return frame.astype(dict(dtypes))


def _utc_date(column):
    return sa.cast(sa.func.timezone("UTC", column), sa.Date)


# --- volumes ----------------------------------------------------------------------------------


def events_by_month(conn: Connection, bounds: metrics.Bounds, aggregate_type=None) -> pd.DataFrame:
    """Return the selected events per calendar month (UTC) and aggregate type: month (date), complete, aggregate_type, events.

    Sorted by month, then aggregate type; months without events are absent;
    ``complete`` is False for the month the bound cuts (its count is partial).
    Example: three assessment events in January 2025 -> the row (2025-01-01, True, "assessment", 3).
    """
    events = selected_events(bounds, aggregate_type, grain="month").subquery("selected")
    query = (sa.select(events.c.period, events.c.aggregate_type, sa.func.count())
             .group_by(events.c.period, events.c.aggregate_type).order_by(events.c.period, events.c.aggregate_type))
    found = pd.DataFrame(checked(conn).execute(query).all(), columns=["period", "aggregate_type", "events"])
    complete = metrics.period_complete(found["period"], "month", bounds)
    rows = zip([p.date() for p in pd.to_datetime(found["period"])], complete, found["aggregate_type"], found["events"])
    return _frame(rows, MONTH_COLUMNS, {"complete": "bool", "aggregate_type": "string", "events": "int64"})


def monthly_table(by_month: pd.DataFrame, months: int = MONTHS_SHOWN) -> pd.DataFrame:
    """Return the last ``months`` months of `events_by_month` wide: month, one column per aggregate type, total.

    Months are sorted ascending; aggregate types alphabetically; missing cells are 0.
    """
    if by_month.empty:
        return pd.DataFrame({"month": pd.Series(dtype="object"), "total": pd.Series(dtype="int64")})
    wide = by_month.drop(columns="complete").pivot_table(index="month", columns="aggregate_type", values="events", aggfunc="sum",
                                fill_value=0, observed=True).sort_index()
    wide = wide[sorted(wide.columns)].astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide = wide.tail(int(months)).reset_index()
    wide.columns.name = None
    return wide


def events_by_type(conn: Connection, bounds: metrics.Bounds, aggregate_type=None) -> pd.DataFrame:
    """Return the selected events per aggregate type and event type, sorted by both.

    Columns: aggregate_type, event_type, events, aggregates (distinct streams),
    first_event, last_event (UTC dates). Example: 346 assessments created ->
    the row ("assessment", "assessment_created", 346, 346, ...).
    """
    e = selected_events(bounds, aggregate_type).subquery("selected")
    # Counted per stream first: count(DISTINCT aggregate_id) would sort every event; grouped by stream the
    # events are hashed, and a type's streams are then its rows.
    kinds = (e.c.aggregate_type, e.c.event_type)
    per_stream = (sa.select(*kinds, e.c.aggregate_id, sa.func.count().label("n"),
                            sa.func.min(e.c.created_at).label("first"), sa.func.max(e.c.created_at).label("last"))
                  .group_by(*kinds, e.c.aggregate_id).subquery("per_stream"))
    p = per_stream.c
    query = (sa.select(p.aggregate_type, p.event_type, sa.func.sum(p.n), sa.func.count(p.aggregate_id),
                       sa.func.min(_utc_date(p.first)), sa.func.max(_utc_date(p.last)))
             .group_by(p.aggregate_type, p.event_type).order_by(p.aggregate_type, p.event_type))
    return _frame(checked(conn).execute(query), TYPE_COLUMNS,
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


def replay_check(conn: Connection, bounds: metrics.Bounds, aggregate_type=None) -> ReplayCheck:
    """Return the `ReplayCheck` of the streams with an event in the selection.

    Each selected stream is replayed whole (`bi_workbench.events.consistency.replay_streams`)
    and compared with its table row; the summary (aggregate_type, aggregates,
    events — whole streams —, mismatched_aggregates, consistent_share) and the
    mismatches (aggregate_type, aggregate_id, field, replayed, stored, problem;
    values as text; sorted) are those of the selected streams. On consistent data the
    mismatches are empty and consistent_share is 1.0.
    """
    found = replay_streams(checked(conn), **_chosen_streams(bounds, aggregate_type))
    mismatches = found.mismatches.copy()
    for column in ("field", "replayed", "stored", "problem"):
        mismatches[column] = mismatches[column].map(lambda v: None if v is None else str(v)).astype("string")
    mismatches["aggregate_type"] = mismatches["aggregate_type"].astype("string")
    mismatches["aggregate_id"] = mismatches["aggregate_id"].map(str).astype("string")
    mismatches = mismatches.sort_values(["aggregate_type", "aggregate_id", "field"], kind="stable",
                                        na_position="first").reset_index(drop=True)[MISMATCH_COLUMNS]
    summary = found.streams.copy()
    bad = mismatches.groupby("aggregate_type", observed=True)["aggregate_id"].nunique()
    summary["mismatched_aggregates"] = [int(bad.get(t, 0)) for t in summary["aggregate_type"]]
    summary["mismatched_aggregates"] = summary["mismatched_aggregates"].astype("int64")
    summary["consistent_share"] = [round(1 - b / a, 4) if a else math.nan
                                   for a, b in zip(summary["aggregates"], summary["mismatched_aggregates"])]
    summary["consistent_share"] = summary["consistent_share"].astype("float64")
    return ReplayCheck(summary=summary[REPLAY_COLUMNS], mismatches=mismatches)


def snapshot_coverage(conn: Connection, bounds: metrics.Bounds, aggregate_type=None) -> pd.DataFrame:
    """Return how snapshots shorten the replay of the selected streams, per aggregate type.

    Columns: aggregate_type, aggregates, with_snapshot, coverage (share with a
    snapshot), longest_stream (highest version), mean_events_to_replay and
    max_events_to_replay (events after the latest snapshot, the whole stream
    without one). Streams are whole, chosen by having an event in the selection.
    Example: 174 simulations of 2 events, 58 snapshotted at version 2 ->
    ("simulation", 174, 58, 0.3333, 2, 1.3333, 2).
    """
    frame = _frame(checked(conn).execute(_snapshot_query(_chosen_streams(bounds, aggregate_type))), SNAPSHOT_COLUMNS,
                   {"aggregate_type": "string", "aggregates": "int64", "with_snapshot": "int64", "coverage": "float64",
                    "longest_stream": "int64", "mean_events_to_replay": "float64", "max_events_to_replay": "int64"})
    return frame.round({"coverage": 4, "mean_events_to_replay": 4})


def _snapshot_query(chosen: dict):
    """Per aggregate type of the ``chosen`` streams (`_chosen_streams`): aggregates, with_snapshot, coverage,
    longest, mean/max events to replay.

    Each stream's latest snapshot: for the streams of a narrower selection (``among``) looked up by
    index per stream; for every stream up to the bound, every snapshot grouped once.
    """
    x, snap = t.events, t.snapshots
    versions = PostgresRecorder().per_stream(sa.func.max(x.c.version).label("version"), **chosen).subquery("versions")
    if "among" in chosen:
        latest = (sa.select(sa.func.max(snap.c.version).label("version"))
                  .where(snap.c.aggregate_type == versions.c.aggregate_type,
                         snap.c.aggregate_id == versions.c.aggregate_id).lateral("latest_snapshot"))
        joined = versions.join(latest, sa.true())  # max() of no snapshot is one row, NULL
    else:
        latest = (sa.select(snap.c.aggregate_type, snap.c.aggregate_id, sa.func.max(snap.c.version).label("version"))
                  .group_by(snap.c.aggregate_type, snap.c.aggregate_id).subquery("latest_snapshot"))
        joined = versions.outerjoin(latest, sa.and_(latest.c.aggregate_type == versions.c.aggregate_type,
                                                    latest.c.aggregate_id == versions.c.aggregate_id))
    after = versions.c.version - sa.func.coalesce(latest.c.version, 0)
    return (sa.select(versions.c.aggregate_type, sa.func.count(), sa.func.count(latest.c.version),
                      sa.cast(sa.func.count(latest.c.version), sa.Float) / sa.func.count(),
                      sa.func.max(versions.c.version), sa.cast(sa.func.avg(after), sa.Float), sa.func.max(after))
            .select_from(joined).group_by(versions.c.aggregate_type).order_by(versions.c.aggregate_type))


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


def audit_activity(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the audited changes per table and operation, sorted by both.

    Columns: table_name, operation (INSERT, UPDATE, DELETE), changes, records
    (distinct rows changed), users (distinct acting users), first_change,
    last_change (UTC dates). A change is its acting user's (`AUDIT_CHANGE`): an
    organization's changes are its members', an industry's its users'. Empty when
    nothing was audited, e.g. on data bulk-loaded with auditing off.
    """
    a = t.audit_log
    query = (sa.select(a.c.table_name, a.c.operation, sa.func.count(), sa.func.count(sa.distinct(a.c.record_id)),
                       sa.func.count(sa.distinct(a.c.user_id)), sa.func.min(_utc_date(a.c.created_at)),
                       sa.func.max(_utc_date(a.c.created_at)))
             .where(*bounds.where(AUDIT_CHANGE)).group_by(a.c.table_name, a.c.operation)
             .order_by(a.c.table_name, a.c.operation))
    return _frame(checked(conn).execute(query), AUDIT_COLUMNS,
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


def partition_rows(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the partitions of audit_log and analytics_events that hold rows of the period, with their rows.

    Partitions are storage: only the period applies (since, until and the bound), not
    the organization or the industry.

    Columns: parent, partition, month (the first day of the partition's month;
    NULL for the default partition), rows. Sorted by parent, then month (the
    default partition last). Partitions without rows are left out, so the result
    does not depend on how far ahead partitions were made.
    Example: 48 events in July 2023 -> ("analytics_events", "analytics_events_2023_07", 2023-07-01, 48).
    """
    months = {partition: (parent, month)
              for parent, partition, month in _rows(conn, "partitions", {"parents": list(PARTITIONED_TABLES)})}
    counted = _rows(conn, "partition_counts", {"since": bounds.start, "until": bounds.end})
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
