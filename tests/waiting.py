"""Waiting in tests for a state another thread or session reaches, failing instead of hanging."""

from __future__ import annotations

import time

#: How long a test waits for a state it expects before it fails instead of hanging.
PATIENCE_S = 20


def backend_pid(conn) -> int:
    """Return the server process id of ``conn`` (a SQLAlchemy Connection)."""
    return conn.connection.dbapi_connection.info.backend_pid


def until(condition, what: str) -> None:
    """Return once ``condition()`` holds; raise AssertionError naming ``what`` after `PATIENCE_S`."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {PATIENCE_S} s for {what}")
        time.sleep(0.05)
