"""The migration checks as DataFrames, for the migration-checks notebook and its report."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..schema.bookkeeping import migration_quarantine
from .reconcile import SECTIONS, Reconciliation


def findings_frame(reconciliation: Reconciliation) -> pd.DataFrame:
    """Return one row per finding: section title, check, ok, summary."""
    rows = [{"section": SECTIONS[f.section], "check": f.name, "ok": f.ok, "summary": f.summary}
            for f in reconciliation.findings]
    return pd.DataFrame(rows, columns=["section", "check", "ok", "summary"])


def accounting_frame(reconciliation: Reconciliation) -> pd.DataFrame:
    """Return per legacy table: legacy rows, migrated, merged, quarantined, unexplained, and whether it reconciles."""
    columns = ["legacy_table", "legacy_rows", "migrated", "merged", "quarantined", "unexplained", "reconciles"]
    rows = [
        {"legacy_table": f.name, **{k: f.details.get(k) for k in columns[1:-1]}, "reconciles": f.ok}
        for f in reconciliation.section("accounting")
    ]
    return pd.DataFrame(rows, columns=columns)


def quarantine_by_reason(connection: Connection) -> pd.DataFrame:
    """Return the quarantined legacy rows counted by legacy table and reason, largest first."""
    q = migration_quarantine
    query = (
        sa.select(q.c.legacy_table, q.c.reason, sa.func.count().label("rows"))
        .group_by(q.c.legacy_table, q.c.reason)
        .order_by(sa.func.count().desc(), q.c.legacy_table, q.c.reason)
    )
    return pd.DataFrame(connection.execute(query).all(), columns=["legacy_table", "reason", "rows"])


def quarantine_examples(connection: Connection, per_reason: int = 3) -> pd.DataFrame:
    """Return up to ``per_reason`` quarantined rows per (table, reason), smallest legacy id first."""
    q = migration_quarantine
    ranked = sa.select(
        q.c.legacy_table, q.c.reason, q.c.legacy_id, q.c.legacy_row,
        sa.func.row_number().over(partition_by=(q.c.legacy_table, q.c.reason), order_by=q.c.legacy_id).label("n"),
    ).subquery()
    query = (sa.select(ranked.c.legacy_table, ranked.c.reason, ranked.c.legacy_id, ranked.c.legacy_row)
             .where(ranked.c.n <= per_reason).order_by(ranked.c.legacy_table, ranked.c.reason, ranked.c.legacy_id))
    return pd.DataFrame(connection.execute(query).all(), columns=["legacy_table", "reason", "legacy_id", "legacy_row"])
