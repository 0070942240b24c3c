"""The audit trail: who changed which row, from where, and what it was before and after.

A trigger (``audit_row_change()``, ``bi_workbench/schema/sql/audit.sql``) on
every table that holds user data writes one ``audit_log`` row per inserted,
updated or deleted row. It reads the acting user, session, client address and
user agent from transaction-local settings, which `acting_as` sets:

    with engine.begin() as conn:
        acting_as(conn, user_id, session_id=session, ip="203.0.113.7", user_agent="notebook")
        conn.execute(...)          # audited as that user

`tenant_transaction` sets the acting user already (the same ``bi_workbench.user_id``).
Bulk loads call `auditing_off` first: their transaction writes no audit rows.
Everything here is transaction-local (``set_config(..., true)``): it ends with
the transaction and never leaks into the next use of a pooled connection.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.tables import audit_log

#: Tables whose row changes are audited (each has the ``audit_trail`` trigger).
AUDITED_TABLES = (
    "users", "organizations", "organization_members", "subscriptions",
    "assessments", "assessment_scores", "assessment_invitations",
    "growth_levers", "growth_progress", "simulations",
    "dashboard_widgets", "notifications", "team_messages", "email_subscriptions",
    "market_insights", "engagement_intelligence",
)
#: Transaction-local settings the audit trigger reads.
SETTINGS = {
    "user_id": "bi_workbench.user_id",
    "session_id": "bi_workbench.session_id",
    "ip": "bi_workbench.ip",
    "user_agent": "bi_workbench.user_agent",
}
AUDIT_SWITCH = "bi_workbench.audit"


def _uuid_text(value, name: str) -> str:
    if value is None:
        return ""
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameterError(f"{name} must be a UUID, got {value!r}") from None


def _ip_text(value) -> str:
    if value is None:
        return ""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        try:
            return str(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            raise InvalidParameterError(f"ip must be an IPv4 or IPv6 address, got {value!r}") from None


def acting_as(connection: Connection, user_id, session_id=None, ip=None, user_agent: str | None = None) -> None:
    """Record ``user_id`` (and session, client address, user agent) as the actor of this transaction's writes.

    The settings are transaction-local: call this inside the transaction whose
    writes it describes. ``None`` clears a value. Inside a `tenant_transaction`,
    pass the same user: the tenant check reads the acting user too.
    """
    values = {
        "user_id": _uuid_text(user_id, "user_id"),
        "session_id": _uuid_text(session_id, "session_id"),
        "ip": _ip_text(ip),
        "user_agent": "" if user_agent is None else str(user_agent),
    }
    connection.execute(
        sa.text(
            "SELECT " + ", ".join(f"set_config('{setting}', :{key}, true)" for key, setting in SETTINGS.items())
        ),
        values,
    )


def auditing_off(connection: Connection) -> None:
    """Write no audit rows for the rest of this transaction (bulk loads: synthetic seed, legacy migration)."""
    connection.execute(sa.text(f"SELECT set_config('{AUDIT_SWITCH}', 'off', true)"))


def auditing_on(connection: Connection) -> None:
    """Audit this transaction's writes again after `auditing_off`."""
    connection.execute(sa.text(f"SELECT set_config('{AUDIT_SWITCH}', 'on', true)"))


def audit_trail(
    connection: Connection,
    *,
    table_name: str | None = None,
    record_id=None,
    user_id=None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Return audit rows, oldest first, as a DataFrame (old/new values as dicts), filtered as given.

    ``since`` is inclusive, ``until`` exclusive; both bound ``created_at``, so
    only the partitions of that range are read.
    """
    if table_name is not None and table_name not in AUDITED_TABLES:
        raise InvalidParameterError(f"table_name must be one of the audited tables ({', '.join(AUDITED_TABLES)}), got {table_name!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InvalidParameterError(f"limit must be a positive integer, got {limit!r}")
    query = sa.select(audit_log).order_by(audit_log.c.created_at, audit_log.c.id)
    if table_name is not None:
        query = query.where(audit_log.c.table_name == table_name)
    if record_id is not None:
        query = query.where(audit_log.c.record_id == uuid.UUID(_uuid_text(record_id, "record_id")))
    if user_id is not None:
        query = query.where(audit_log.c.user_id == uuid.UUID(_uuid_text(user_id, "user_id")))
    if since is not None:
        query = query.where(audit_log.c.created_at >= pd.Timestamp(since).to_pydatetime())
    if until is not None:
        query = query.where(audit_log.c.created_at < pd.Timestamp(until).to_pydatetime())
    if limit is not None:
        query = query.limit(limit)
    rows = connection.execute(query)
    frame = pd.DataFrame(rows.all(), columns=list(rows.keys()))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["id"] = frame["id"].astype("int64")
    for column in ("table_name", "operation", "user_agent"):
        frame[column] = frame[column].astype("string")
    frame["ip_address"] = frame["ip_address"].map(lambda v: None if v is None else str(v)).astype("string")
    return frame
