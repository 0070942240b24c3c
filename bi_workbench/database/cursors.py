"""Reading a whole result through a server-side cursor: planned for every row, fetched ahead.

A server-side cursor keeps one batch of rows in memory at a time. PostgreSQL plans a
cursor for its first rows (``cursor_tuple_fraction`` 0.1: nested loops and index scans
that start fast), a plan a reader of every row pays for many times over: the replay
check of the large demo (268,000 streams of 10M events) took 4.8 s with it, 3.3 s with
the plan of a query read whole. `every_row` declares the cursor with the fraction at 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait

import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Connection, CursorResult

_FRACTION = "cursor_tuple_fraction"


def every_row(conn: Connection, statement, batch: int, *, planner: Mapping[str, str] | None = None) -> CursorResult:
    """Execute ``statement`` on ``conn`` for reading every row; return its result, ``batch`` rows per fetch.

    In a transaction, a server-side cursor (SQLAlchemy's ``stream_results``) planned for
    reading every row: ``cursor_tuple_fraction`` is 1 while the cursor is declared, then
    the transaction's own value again; so are the ``planner`` settings (e.g.
    ``{"enable_hashjoin": "off"}`` for a plan that streams). On an autocommit connection,
    which holds no cursor between statements, a plain query fetched at once. ``batch``:
    rows per fetch (a positive integer). Database errors are SQLAlchemy's.
    """
    if conn.connection.driver_connection.autocommit:
        return conn.execute(statement)
    settings = {_FRACTION: "1", **(planner or {})}
    previous = {name: conn.execute(sa.select(sa.func.current_setting(name))).scalar() for name in settings}
    for name, value in settings.items():
        conn.execute(sa.select(sa.func.set_config(name, value, True)))
    try:
        result = conn.execute(statement.execution_options(stream_results=True))  # planned here, at DECLARE
    finally:
        # Also when the statement failed before the server saw it (an unbound parameter, Ctrl-C); a
        # transaction the failure aborted drops the settings itself, and would refuse the statement.
        if conn.connection.driver_connection.info.transaction_status == TransactionStatus.INTRANS:
            for name, value in previous.items():
                conn.execute(sa.select(sa.func.set_config(name, value, True)))
    return result.yield_per(batch)  # on the result: a text() statement's own yield_per option is not passed on


def prefetched(result: CursorResult) -> Iterator:
    """Yield the rows of a server-side cursor's result (`every_row`) while its next batch is fetched on a second thread.

    A server-side cursor computes a batch only when asked for it: fetched ahead,
    the server builds the next rows while Python works on these (two cores, not
    one after the other); two batches are in memory at once. The connection is used
    by the fetching thread alone until the generator ends: ended early (``break``,
    an error or Ctrl-C in the caller) it first waits for the fetch under way, at
    most one batch, then closes the result, and the transaction is the caller's again.
    A result fetched at once (`every_row` on an autocommit connection) is yielded as it is.
    """
    real = getattr(result, "_real_result", None) or result  # .mappings() and .scalars() wrap the cursor's result
    if not real.context.execution_options.get("stream_results"):
        yield from result
        return
    with ThreadPoolExecutor(1, thread_name_prefix="prefetch") as fetcher:
        batches = result.partitions()
        pending = fetcher.submit(next, batches, None)
        try:
            while (batch := pending.result()) is not None:
                pending = fetcher.submit(next, batches, None)
                yield from batch
        finally:
            wait([pending])
            result.close()
