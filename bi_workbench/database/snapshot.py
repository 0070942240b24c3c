"""A second connection that sees exactly what a transaction sees, as ``pg_dump --jobs`` shares one snapshot.

`pg_export_snapshot` names the snapshot of a REPEATABLE READ transaction; a transaction of
another session that begins with ``SET TRANSACTION SNAPSHOT`` reads the same rows for as
long as it lasts (the exporting transaction has to stay open until the import). Read-only
work split over such connections runs on several server processes at once and still
answers as one transaction would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

#: The form of a snapshot id as the server exports it (hex words joined by dashes).
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(?:-[0-9A-F]+)+")


@contextmanager
def sharing_snapshot(engine: Engine, connection: Connection, *,
                     or_none: bool = False) -> Iterator[Connection | None]:
    """Yield a new connection of ``engine`` whose transaction sees ``connection``'s snapshot.

    ``connection``: in a REPEATABLE READ or SERIALIZABLE transaction, open until the
    context ends. Its own uncommitted writes are not part of the snapshot. The yielded
    connection's transaction is rolled back at the end (unless the caller did already).
    Raises the driver's error (a DBAPIError) when a connection fails or the server refuses
    the snapshot; with ``or_none``, a new connection the server or the pool refuses (too
    many clients) yields None instead, and the caller works on ``connection`` alone.
    """
    try:
        other = engine.connect()
    except (sa.exc.DBAPIError, sa.exc.TimeoutError):
        if not or_none:
            raise
        other = None
    if other is None:
        yield None
        return
    with other.execution_options(isolation_level="REPEATABLE READ"):
        transaction = other.begin()
        try:
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            if not _SNAPSHOT_ID.fullmatch(snapshot):
                raise ValueError(f"unexpected snapshot id from the server: {snapshot!r}")
            # A utility statement takes no parameters; the id was checked to be the server's hex form.
            other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield other
        finally:
            if transaction.is_active:
                transaction.rollback()
