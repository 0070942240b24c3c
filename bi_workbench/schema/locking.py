"""The owner's DDL never queues behind another session for long: a lock timeout, a few retries, then one line.

PostgreSQL queues lock requests: once a command waiting for an exclusive lock
(creating a partition, re-applying policies, refreshing a read model) is
behind a session that holds a table open (a tenant idle in a transaction),
every later reader queues behind that command too. So each attempt of an
owner's command sets ``lock_timeout`` (`LOCK_TIMEOUT`) for its transaction:
while it waits, others wait at most that long; when it times out, the
transaction is rolled back whole and tried again after a pause, `ATTEMPTS`
times in all. Then LockBusyError names the session that has held its locks
the longest: the one to end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..errors import LockBusyError

#: How long one attempt waits for a lock, and how many attempts a command makes (pausing 1 s, 2 s, ... between).
LOCK_TIMEOUT = "3s"
ATTEMPTS = 3
PAUSE_S = 1.0
#: SQLSTATE of "canceling statement due to lock timeout".
LOCK_NOT_AVAILABLE = "55P03"

T = TypeVar("T")

_HOLDER = sa.text(
    "SELECT a.pid, a.usename, a.state, to_char(coalesce(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS TZ') "
    "FROM pg_stat_activity AS a WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() "
    "AND EXISTS (SELECT 1 FROM pg_locks AS l WHERE l.pid = a.pid AND l.granted "
    "AND l.locktype IN ('relation', 'advisory', 'object')) "
    "ORDER BY a.xact_start NULLS LAST, a.backend_start LIMIT 1"
)


def with_lock_timeout(engine: Engine, work: Callable[[Connection], T], *, what: str) -> T:
    """Run ``work(connection)`` in a transaction of ``engine`` whose lock waits time out; retry; return its result.

    ``what`` names the command in the error. Raises LockBusyError after
    `ATTEMPTS` attempts that each timed out waiting for a lock (every attempt
    rolled back); any other error propagates as ``work`` raised it.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                return work(conn)
        except (DBAPIError, psycopg.Error) as exc:
            if not _timed_out(exc):
                raise
        if attempt < ATTEMPTS:
            time.sleep(PAUSE_S * attempt)
    raise LockBusyError(f"{what} could not take its locks ({ATTEMPTS} tries, {LOCK_TIMEOUT} each): "
                        f"{holder(engine)}; end that session or try again later (nothing was changed)")


def holder(engine: Engine) -> str:
    """Describe the session of this database holding locks the longest (pid, user, state, since when)."""
    with engine.connect() as conn:
        row = conn.execute(_HOLDER).first()
    if row is None:
        return "no session holds locks any more"
    pid, user, state, since = row
    return f"session {pid} of {user} ({state}, in its transaction since {since}) holds them"


def _timed_out(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it wraps) is a lock timeout."""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
