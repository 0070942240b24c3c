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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..database.connection import raise_work_mem
from ..errors import MigrationError
from ..schema.bookkeeping import legacy_id_map, migration_quarantine
from .compat import compared_view
from .identity_check import identity_findings
from .values import compared_values
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


def reconcile(connection: Connection) -> Reconciliation:
    """Run every check on ``connection``; return the Reconciliation.

    Writes nothing but a temporary table (the expected addresses), dropped at the end of the
    transaction, and gives the transaction's sorts and hashes `database.connection.WORK_MEM` each.
    """
    try:
        raise_work_mem(connection, transaction=True)  # the caller's engine may be any
        present = {t.name for t in existing_tables(connection, tuple(s.table for s in SOURCES))}
        done = completed_phases(connection)
        dropped = not present and DROP_PHASE in done
        findings: list[Finding] = []
        identities = _identity_findings(connection, tier2_present=tier2_users.name in present)
        if dropped:
            findings.append(_dropped_accounting(connection))
        else:
            for source in SOURCES:
                if source.name not in present:
                    findings.append(Finding("accounting", source.name, False,
                                            f"{source.name}: legacy table not found"))
                    continue
                findings.append(_accounting_finding(source, account(connection, source)))
                findings.append(_values_finding(connection, source))
        findings += _integrity_findings(connection) + identities
        if not dropped:
            findings += _view_findings(connection, present, done)
        return Reconciliation(tuple(findings), clock(connection), legacy_dropped=dropped)
    except (psycopg.Error, sa.exc.DBAPIError) as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = (str(cause).strip().splitlines() or [type(exc).__name__])[0]
        raise MigrationError(f"the migration check could not run: {first_line}") from exc


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


def _view_findings(connection: Connection, present: set[str], done: dict) -> list[Finding]:
    """Return one Finding per compatibility view (not created yet is fine until phase 4 has run)."""
    findings = []
    for view, source, sql_file, phase in COMPAT_VIEWS:
        legacy = source.name
        exists = connection.execute(sa.select(sa.func.to_regclass(view))).scalar() is not None
        if not exists:
            ran = phase in done
            summary = (f"{view}: missing although phase {phase} ran" if ran
                       else f"{view}: not created yet (phase {phase})")
            findings.append(Finding("views", view, not ran, summary, {"exists": False}))
            continue
        if legacy not in present:
            findings.append(Finding("views", view, False, f"{view}: legacy table {legacy} not found", {}))
            continue
        row = compared_view(connection, view, source, sql_file)
        row = dict(row, examples=list(row["examples"] or []), exists=True)
        ok = row["only_in_legacy"] == 0 and row["only_in_view"] == 0 and row["legacy_rows"] == row["view_rows"]
        if ok:
            summary = f"{view}: {row['view_rows']} rows agree with {legacy}"
        else:
            summary = (f"{view}: {row['only_in_legacy']} row(s) only in {legacy}, "
                       f"{row['only_in_view']} only in the view"
                       f" (of {row['legacy_rows']} legacy rows; e.g. {', '.join(row['examples'])})")
        findings.append(Finding("views", view, ok, summary, row))
    return findings
