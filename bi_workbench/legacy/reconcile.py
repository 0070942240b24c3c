"""The migration checks: proof that every legacy row is accounted for and carried intact.

Four sections, each a list of findings; the reconciliation is ``ok`` when every
finding is:

accounting
    Per legacy table: legacy rows = migrated + merged + quarantined (per reason),
    with no row unexplained, none both mapped and quarantined, and no bookkeeping
    entry whose legacy row has vanished. After phase 5 dropped the legacy tables,
    the accounting it passed (kept in the ledger) stands in for it.
values
    Per legacy table, column by column: rows and a checksum of each carried
    column on both sides (a sum of 64-bit hashes of key and value, see `values`),
    the legacy side after the documented transformations, and the rows where the
    two differ (``legacy/sql/values_*.sql``).
integrity
    Foreign keys and orphans in the new tables, dangling or multiplied mappings
    (``legacy/sql/integrity.sql``); email identities, re-derived from the legacy rows by
    an implementation independent of the migration's (`identity_check`).
views
    Each compatibility view diffed row by row against its legacy table, for the
    rows that survived (``legacy/sql/view_*.sql``, `compat`).

The legacy side is read in its carried form (`bi_workbench.legacy.carry`: values the new
schema, its indexes or pandas cannot carry are NULL there, and must be kept whole in
``legacy_id_map.legacy_row``), the same rules the phases apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..database.connection import raise_work_mem
from ..database.lanes import lock_relations, run_in_lanes
from ..errors import MigrationError
from ..schema.bookkeeping import legacy_id_map, migration_quarantine
from ..schema.sqlfiles import read_sql
from .compat import compared_view
from .identity_check import expected_user_email, identity_findings
from .values import SQL_PACKAGE, compared_values
from .phases import (
    ASSESSMENTS,
    DROP_PHASE,
    SOURCES,
    USERS,
    LegacySource,
    clock,
    completed_phases,
    existing_tables,
    fetch_rows,
    get_phase,
    last_details,
)
from .contract import tier2_users

SECTIONS = {
    "accounting": "Accounting (legacy rows = migrated + merged + quarantined)",
    "values": "Carried values (legacy vs new, column by column)",
    "integrity": "Integrity of the new tables and the bookkeeping",
    "views": "Compatibility views (row by row against the legacy tables)",
}


#: Compatibility views: (view, legacy table it stands in for, .sql file of its legacy side, phase creating it).
COMPAT_VIEWS = (
    ("tier2_users_compat", USERS, "view_tier2_users_compat.sql", 4),
    ("onboarding_assessments_compat", ASSESSMENTS, "view_onboarding_assessments_compat.sql", 4),
)


@dataclass(frozen=True)
class Finding:
    """One check: its section, what it looked at, whether it passed, a one-line summary, the numbers."""

    section: str
    name: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {"name": self.name, "ok": self.ok, "summary": self.summary, "details": self.details}


@dataclass(frozen=True)
class Reconciliation:
    """Every finding of one check run; ``ok`` when all passed."""

    findings: tuple[Finding, ...]
    checked_at: datetime
    legacy_dropped: bool = False

    @property
    def ok(self) -> bool:
        """Return True when no finding reports an unexplained difference."""
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        """Return the findings that failed."""
        return [f for f in self.findings if not f.ok]

    def section(self, name: str) -> list[Finding]:
        """Return the findings of one section."""
        return [f for f in self.findings if f.section == name]

    def finding(self, section: str, name: str) -> Finding:
        """Return the finding called ``name`` in ``section`` (KeyError if there is none)."""
        for f in self.findings:
            if f.section == section and f.name == name:
                return f
        raise KeyError(f"{section}: {name}")

    def to_dict(self) -> dict[str, Any]:
        """Return the whole reconciliation as JSON-ready data."""
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "legacy_dropped": self.legacy_dropped,
            "problems": len(self.problems),
            "sections": {name: [f.to_dict() for f in self.section(name)] for name in SECTIONS},
        }

    def render(self) -> str:
        """Return a readable text report, one line per finding, failures marked FAIL."""
        verdict = "OK" if self.ok else f"FAILED ({len(self.problems)} problem(s))"
        lines = [f"Migration check: {verdict}  (checked at {self.checked_at:%Y-%m-%d %H:%M:%S %Z})"]
        for name, title in SECTIONS.items():
            findings = self.section(name)
            if not findings:
                continue
            lines.append("")
            lines.append(title)
            for f in findings:
                lines.append(f"  {'ok  ' if f.ok else 'FAIL'}  {f.summary}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def reconcile(connection: Connection, *, beside: Connection | None = None) -> Reconciliation:
    """Run every check on ``connection``; return the Reconciliation.

    ``beside``: another connection whose transaction sees ``connection``'s snapshot
    (`database.snapshot.sharing_snapshot`, as `migrate.check` opens it); the checks are
    then shared between the two and run at the same time, on two server processes, and
    ``connection`` first locks every table and view in ACCESS SHARE mode, to the end of its
    transaction (`database.lanes`: a schema change waits for the check, never the check for it).
    Writes nothing but a temporary table (the expected addresses), dropped at the end of
    the transaction, and gives the transactions' sorts and hashes `database.connection.WORK_MEM`
    each. Raises MigrationError, in one line, when the database fails a check's query.
    """
    lanes = [lane for lane in (connection, beside) if lane is not None]
    with failing_as_migration_error():
        for lane in lanes:
            raise_work_mem(lane, transaction=True)  # the caller's engine may be any
            if beside is not None:  # the lanes are the parallelism: a parallel plan in each oversubscribes the cores
                lane.execute(sa.select(sa.func.set_config("max_parallel_workers_per_gather", "0", True)))
        if beside is not None:
            lock_relations(connection)
        present = {t.name for t in existing_tables(connection, tuple(s.table for s in SOURCES))}
        done = completed_phases(connection)
        dropped = not present and DROP_PHASE in done
        checks = _checks(present, done, dropped, _estimated_rows(connection))
        found = _run_checks(checks, lanes)
        return Reconciliation(tuple(f for findings in found for f in findings), clock(connection),
                              legacy_dropped=dropped)


@contextmanager
def failing_as_migration_error() -> Iterator[None]:
    """Turn the database's error in a check into one MigrationError naming its first line."""
    try:
        yield
    except (psycopg.Error, sa.exc.DBAPIError) as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = (str(cause).strip().splitlines() or [type(exc).__name__])[0]
        raise MigrationError(f"the migration check could not run: {first_line}") from exc


@dataclass(frozen=True)
class _Check:
    """One independent check: its findings from a connection in the reconciliation's snapshot.

    ``addresses``: reads (True) or fills ("fills") the expected addresses, a temporary table of
    the identity check's own session, so it runs on the first connection, the filling one first.
    ``rows``: the planner's estimate of the legacy rows it compares row by row (0: it counts),
    so that the longest checks start first and the lanes end together.
    """

    run: Callable[[Connection], list[Finding]]
    addresses: bool | str = False
    rows: float = 0


def _checks(present: set[str], done: dict, dropped: bool, rows: dict[str, float]) -> list[_Check]:
    """The checks in the order of their findings: accounting and values per table, integrity, views.

    ``rows``: the estimated rows of each legacy table (`_estimated_rows`). The integrity
    check reads every new table: it weighs as much as the largest legacy table.
    """
    checks = [_Check(lambda c: [_dropped_accounting(c)])] if dropped else [
        check for source in SOURCES for check in _table_checks(source, present, rows.get(source.name, 0))]
    checks.append(_Check(_integrity_findings, rows=max(rows.values(), default=0)))
    checks.append(_Check(lambda c: _identity_findings(c, tier2_present=tier2_users.name in present), "fills"))
    if not dropped:
        checks += [_Check(lambda c, v=view: [_view_finding(c, *v, present, done)], _reads_addresses(view[2]),
                          rows.get(view[1].name, 0)) for view in COMPAT_VIEWS]
    return checks


def _table_checks(source: LegacySource, present: set[str], rows: float) -> list[_Check]:
    """The accounting and carried-values checks of one legacy table (one failing finding if it is gone)."""
    if source.name not in present:
        missing = Finding("accounting", source.name, False, f"{source.name}: legacy table not found")
        return [_Check(lambda _c: [missing])]
    return [_Check(lambda c: [_accounting_finding(source, account(c, source))]),
            _Check(lambda c: [_values_finding(c, source)], _reads_addresses(source.values_check), rows)]


def _estimated_rows(connection: Connection) -> dict[str, float]:
    """Return the planner's row estimate of each legacy table present (pg_class.reltuples; 0 if never analyzed)."""
    c = sa.table("pg_class", sa.column("oid"), sa.column("relname"), sa.column("reltuples"))
    tables = [sa.func.to_regclass(sa.cast(sa.literal(source.name), sa.Text)) for source in SOURCES]
    found = connection.execute(sa.select(c.c.relname, sa.func.greatest(c.c.reltuples, 0)).where(c.c.oid.in_(tables)))
    return {name: float(rows) for name, rows in found}


def _reads_addresses(sql_file: str) -> bool:
    """Whether the legacy SQL file ``sql_file`` reads the identity check's expected addresses."""
    return expected_user_email.name in read_sql(SQL_PACKAGE, sql_file)


def _run_checks(checks: list[_Check], lanes: list[Connection]) -> list[list[Finding]]:
    """Run ``checks`` on the connections ``lanes`` (`database.lanes.run_in_lanes`); return their findings in order.

    The first lane runs the checks of the expected addresses first (the filling one before
    the reading ones); then every lane takes the longest remaining check until none is left.
    """
    own = sorted((i for i, check in enumerate(checks) if check.addresses), key=lambda i: checks[i].addresses != "fills")
    rest = sorted((i for i, check in enumerate(checks) if not check.addresses), key=lambda i: -checks[i].rows)
    return run_in_lanes([check.run for check in checks], lanes, first=own, rest=rest)


# --- accounting ----------------------------------------------------------------


def account(connection: Connection, source: LegacySource) -> dict[str, Any]:
    """Return how the rows of one legacy table are accounted for.

    Keys: legacy_rows, migrated, merged, quarantined (total), by_reason
    ({reason: rows}), unexplained, both (mapped and quarantined), vanished
    (bookkeeping entries whose legacy row is gone).
    """
    key = sa.cast(source.table.c[source.key], sa.Text)
    m, q = (sa.select(book).where(book.c.legacy_table == source.name).subquery(name)
            for book, name in ((legacy_id_map, "m"), (migration_quarantine, "q")))
    counts = _counts(connection, sa.select(key.label("legacy_id")).subquery("l"), m, q)
    by_reason = connection.execute(
        sa.select(q.c.reason, sa.func.count())
        .select_from(q.join(source.table, key == q.c.legacy_id))
        .group_by(q.c.reason)
        .order_by(q.c.reason)
    ).all()
    vanished = counts.pop("vanished")
    return {**counts, "by_reason": {reason: n for reason, n in by_reason}, "vanished": vanished}


def _counts(connection: Connection, rows, m, q) -> dict[str, int]:
    """Return `account`'s counts but by_reason, in one pass over the legacy keys ``rows`` beside their
    bookkeeping entries ``m`` and ``q``, either side missing (an entry without its legacy row is vanished)."""
    joined = rows.join(m, m.c.legacy_id == rows.c.legacy_id, full=True).join(
        q, q.c.legacy_id == sa.func.coalesce(rows.c.legacy_id, m.c.legacy_id), full=True)
    present, gone = rows.c.legacy_id.is_not(None), rows.c.legacy_id.is_(None)
    mapped, quarantined = m.c.legacy_id.is_not(None), q.c.legacy_id.is_not(None)
    count = sa.func.count()
    return dict(connection.execute(
        sa.select(
            count.filter(present).label("legacy_rows"),
            count.filter(present, m.c.outcome == "migrated").label("migrated"),
            count.filter(present, m.c.outcome == "merged").label("merged"),
            count.filter(present, quarantined).label("quarantined"),
            count.filter(present, ~mapped, ~quarantined).label("unexplained"),
            count.filter(present, mapped, quarantined).label("both"),
            (count.filter(gone, mapped) + count.filter(gone, quarantined)).label("vanished"),
        ).select_from(joined)
    ).one()._mapping)


def unexplained_rows(connection: Connection, source: LegacySource) -> int:
    """Return how many rows of ``source`` are neither mapped nor quarantined."""
    return account(connection, source)["unexplained"]


def _accounting_finding(source: LegacySource, a: dict[str, Any]) -> Finding:
    """Return the accounting Finding of one legacy table from its ``account`` numbers."""
    ok = (a["unexplained"] == 0 and a["both"] == 0 and a["vanished"] == 0
          and a["legacy_rows"] == a["migrated"] + a["merged"] + a["quarantined"])
    reasons = ", ".join(f"{reason}: {n}" for reason, n in a["by_reason"].items())
    summary = (f"{source.name}: {a['legacy_rows']} legacy rows = {a['migrated']} migrated + {a['merged']} merged"
               f" + {a['quarantined']} quarantined" + (f" ({reasons})" if reasons else ""))
    trouble = [f"{a[k]} {label}" for k, label in
               (("unexplained", "unexplained"), ("both", "both mapped and quarantined"),
                ("vanished", "bookkeeping entries whose legacy row is gone")) if a[k]]
    if trouble:
        summary += "; " + ", ".join(trouble)
    return Finding("accounting", source.name, ok, summary, a)


def _dropped_accounting(connection: Connection) -> Finding:
    """Return the accounting Finding that stands in once phase 5 dropped the legacy tables."""
    details = last_details(connection, get_phase(DROP_PHASE)) or {}
    before = details.get("reconciliation") or {}
    dropped = details.get("dropped") or {}
    ok = bool(before.get("ok"))
    summary = (f"legacy tables dropped by phase {DROP_PHASE} ({sum(dropped.values())} rows in {len(dropped)} tables); "
               f"the check then was {'ok' if ok else 'NOT ok'} (at {before.get('checked_at', 'unknown time')})")
    return Finding("accounting", "legacy tables dropped", ok, summary,
                   {"dropped": dropped, "accounting": before.get("sections", {}).get("accounting", [])})


# --- carried values --------------------------------------------------------------


def _values_finding(connection: Connection, source: LegacySource) -> Finding:
    """Return the carried-values Finding of one legacy table (one entry per column in its details)."""
    compared = compared_values(connection, source)
    columns = {row["column_name"]: _column(row) for row in compared}
    bad = {name: c for name, c in columns.items() if not c["ok"]}
    rows = max((c["legacy_rows"] for c in columns.values()), default=0)
    target = f"{source.name} -> {source.new_table.name}"
    if bad:
        listed = "; ".join(f"{name}: {c['differing_rows']} row(s) differ (e.g. {', '.join(c['examples'])})"
                           for name, c in bad.items())
        summary = f"{target}: {len(bad)} of {len(columns)} columns differ over {rows} rows: {listed}"
    else:
        summary = f"{target}: {len(columns)} columns agree over {rows} rows"
    return Finding("values", source.name, not bad, summary, {"columns": columns})


def _column(row: dict[str, Any]) -> dict[str, Any]:
    """Return one column's comparison as JSON-ready data, with its verdict under ``ok``."""
    ok = (row["legacy_rows"] == row["new_rows"] and row["legacy_checksum"] == row["new_checksum"]
          and row["differing_rows"] == 0)
    return {
        "ok": ok,
        "legacy_rows": row["legacy_rows"],
        "new_rows": row["new_rows"],
        "legacy_checksum": row["legacy_checksum"],
        "new_checksum": row["new_checksum"],
        "differing_rows": row["differing_rows"],
        "examples": list(row["examples"] or []),
    }


# --- integrity and views -----------------------------------------------------------


def _integrity_findings(connection: Connection) -> list[Finding]:
    """Return one Finding per integrity check of ``integrity.sql``."""
    findings = []
    for row in fetch_rows(connection, "integrity.sql"):
        examples = list(row["examples"] or [])
        summary = f"{row['name']}: {row['problem_rows']}" + (f" (e.g. {', '.join(examples)})" if examples else "")
        findings.append(Finding("integrity", row["name"], row["problem_rows"] == 0, summary,
                                {"problem_rows": row["problem_rows"], "examples": examples}))
    return findings


def _identity_findings(connection: Connection, tier2_present: bool) -> list[Finding]:
    """Return one integrity Finding per email identity check (see `identity_check`)."""
    findings = []
    for name, problems, examples in identity_findings(connection, tier2_present):
        summary = f"{name}: {problems}" + (f" (e.g. {', '.join(examples)})" if examples else "")
        findings.append(Finding("integrity", name, problems == 0, summary,
                                {"problem_rows": problems, "examples": examples}))
    return findings


def _view_finding(connection: Connection, view: str, source: LegacySource, sql_file: str, phase: int,
                  present: set[str], done: dict) -> Finding:
    """Return the Finding of one compatibility view (not created yet is fine until phase ``phase`` has run)."""
    legacy = source.name
    exists = connection.execute(sa.select(sa.func.to_regclass(view))).scalar() is not None
    if not exists:
        ran = phase in done
        summary = (f"{view}: missing although phase {phase} ran" if ran
                   else f"{view}: not created yet (phase {phase})")
        return Finding("views", view, not ran, summary, {"exists": False})
    if legacy not in present:
        return Finding("views", view, False, f"{view}: legacy table {legacy} not found", {})
    row = compared_view(connection, view, source, sql_file)
    row = dict(row, examples=list(row["examples"] or []), exists=True)
    ok = row["only_in_legacy"] == 0 and row["only_in_view"] == 0 and row["legacy_rows"] == row["view_rows"]
    if ok:
        summary = f"{view}: {row['view_rows']} rows agree with {legacy}"
    else:
        summary = (f"{view}: {row['only_in_legacy']} row(s) only in {legacy}, "
                   f"{row['only_in_view']} only in the view"
                   f" (of {row['legacy_rows']} legacy rows; e.g. {', '.join(row['examples'])})")
    return Finding("views", view, ok, summary, row)
