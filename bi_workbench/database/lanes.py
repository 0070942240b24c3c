"""Read-only work shared between connections on one snapshot, as ``pg_dump --jobs`` shares a dump.

The first connection (the leader) locks every table and view it may read before the work
starts, so it never waits for a lock again. The other lanes wait at most
`LANE_LOCK_TIMEOUT` for a lock: a lane can only wait that long behind a schema change
queued behind the leader's locks, and the leader, finishing its own work, would never let
that change through (a wait PostgreSQL's deadlock detector cannot see, since the lanes wait
for one another in Python). Such a lane rolls back, releasing its locks, and hands its
task back to the leader; a lane with no task left rolls back at once too, so that no schema
change queues behind an idle lane and the leader behind the change. A failing task or an
interrupt stops every lane: the lanes take no further task and their running statements
are cancelled on the server.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import suppress
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: How long a lane other than the leader waits for a lock before handing its task back.
LANE_LOCK_TIMEOUT = "1s"

#: How long a cancel waits for the server to take it (a lost server must not hold up an interrupt for 30 s).
CANCEL_TIMEOUT_S = 3.0

#: The relations the leader locks: tables, partitioned tables and views of the search path's schemas.
_LOCKED_KINDS = ("r", "p", "v")


def lock_relations(connection: Connection) -> int:
    """Take ACCESS SHARE on every table and view of the search path's schemas it may read; return how many.

    In ``connection``'s transaction (held to its end, as pg_dump's leader holds them); waits
    like any query for a schema change already holding a conflicting lock.
    """
    c = sa.table("pg_class", sa.column("oid"), sa.column("relname"), sa.column("relkind"),
                 sa.column("relnamespace"))
    n = sa.table("pg_namespace", sa.column("oid"), sa.column("nspname"))
    names = connection.execute(
        sa.select(sa.func.format("%I.%I", n.c.nspname, c.c.relname))
        .join_from(c, n, c.c.relnamespace == n.c.oid)
        .where(n.c.nspname == sa.func.any(sa.func.current_schemas(False)), c.c.relkind.in_(_LOCKED_KINDS),
               sa.func.has_table_privilege(c.c.oid, "SELECT"))
        .order_by(c.c.oid)).scalars().all()
    if names:  # the names are the server's own quoting (format %I) of catalog names
        connection.exec_driver_sql(f"LOCK TABLE {', '.join(names)} IN ACCESS SHARE MODE")
    return len(names)


def run_in_lanes(tasks: Sequence[Callable[[Connection], Any]], lanes: Sequence[Connection], *,
                 first: Sequence[int], rest: Sequence[int]) -> list[Any]:
    """Run ``tasks`` on the connections ``lanes`` at once, one thread each; return their results in order.

    ``lanes``: connections sharing one snapshot (`database.snapshot.sharing_snapshot`), the
    leader first; its transaction holds `lock_relations`. ``first``: indexes of the tasks the
    leader runs before any other, in that order (work on its session's temporary tables);
    ``rest``: the others, taken by whichever lane is free, in that order. Raises the first
    error a task raised; the other lanes' statements are cancelled.
    """
    for lane in lanes[1:]:
        lane.execute(sa.select(sa.func.set_config("lock_timeout", LANE_LOCK_TIMEOUT, True)))
    results: list[Any] = [None] * len(tasks)
    queue, handed_back, stop = deque(rest), deque(), threading.Event()

    def run(lane: Connection, own: Sequence[int]) -> None:
        try:
            for i in own:
                if stop.is_set():
                    return
                results[i] = tasks[i](lane)
            while not stop.is_set():
                try:
                    i = queue.popleft()
                except IndexError:  # none left (another lane may have taken the last one)
                    return
                try:
                    results[i] = tasks[i](lane)
                except (sa.exc.DBAPIError, psycopg.Error) as exc:
                    if lane is lanes[0] or not isinstance(getattr(exc, "orig", exc), psycopg.errors.LockNotAvailable):
                        raise
                    handed_back.append(i)
                    return
        finally:
            if lane is not lanes[0]:
                _release(lane)  # an idle lane's locks would let a schema change queue in the leader's way

    if len(lanes) == 1:
        run(lanes[0], first)
        return results
    with ThreadPoolExecutor(len(lanes), thread_name_prefix="lane") as pool:
        running = [pool.submit(run, lane, first if n == 0 else []) for n, lane in enumerate(lanes)]
        try:
            done, _ = wait(running, return_when=FIRST_EXCEPTION)
            failed = [f for f in running if f in done and f.exception() is not None]
            if failed:
                raise failed[0].exception()
        except BaseException:
            stop.set()
            for lane in lanes:
                cancel_statement(lane)
            raise
    for i in handed_back:
        results[i] = tasks[i](lanes[0])
    return results


def cancel_statement(lane: Connection) -> None:
    """Ask the server to cancel the statement ``lane`` runs, if any (a no-op between statements).

    Best effort, on the way out of a failure: a lane whose connection is already lost is left alone.
    """
    with suppress(sa.exc.SQLAlchemyError, psycopg.Error):
        dbapi = None if lane.closed or lane.invalidated else lane.connection.dbapi_connection
        if dbapi is not None and not dbapi.closed:
            dbapi.cancel_safe(timeout=CANCEL_TIMEOUT_S)


def _release(lane: Connection) -> None:
    """Roll back ``lane``'s transaction, releasing its locks (best effort, as `cancel_statement`)."""
    with suppress(sa.exc.SQLAlchemyError, psycopg.Error):
        transaction = lane.get_transaction()
        if transaction is not None and transaction.is_active:
            transaction.rollback()
