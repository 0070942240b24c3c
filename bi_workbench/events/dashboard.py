"""Reads for the application: a user's dashboard and assessment data (new schema first, then legacy)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql


def _query(name: str) -> sa.TextClause:
    return sa.text(read_sql("bi_workbench.events", name))


def get_user_dashboard(conn: Connection, user_id: uuid.UUID) -> dict | None:
    """Return the user's row of `user_dashboard_summary` as a dict, or None for an unknown user."""
    row = conn.execute(_query("user_dashboard.sql"), {"user_id": user_id}).mappings().first()
    return dict(row) if row else None


def get_assessment_data(conn: Connection, user_id: uuid.UUID, assessment_type: str = "onboarding") -> dict | None:
    """Return the user's latest assessment of the type with its latest score, in the legacy shape.

    Reads the new schema first; when it has nothing and the legacy tables are
    still present (an onboarding assessment not migrated yet), reads them.
    ``source`` says which answered; None when neither has one.
    """
    params = {"user_id": user_id, "assessment_type": assessment_type}
    row = conn.execute(_query("assessment_data_new.sql"), params).mappings().first()
    if row is None and assessment_type == "onboarding" and _has_legacy_tables(conn):
        row = conn.execute(_query("assessment_data_legacy.sql"), params).mappings().first()
    return dict(row) if row else None


def _has_legacy_tables(conn: Connection) -> bool:
    return conn.execute(_query("legacy_tables_present.sql")).scalar()
