"""A report's sections computed ahead, a few at a time, while the notebook shows the earlier ones.

A dashboard tool sends all of a dashboard's queries at once (Superset, Cube); a report
notebook runs its cells one after the other, and most of a report's sections do not
depend on one another. `prefetch` starts each named section, a function of a
Connection, on `WORKERS` threads, each section on a connection of its own from the
report's engine (a tenant's engine stays the tenant's), in the order given, so the
server works on the next sections while the kernel draws the figures of the earlier
ones. ``sections[name]`` waits for that section and returns its value, or raises its
error in the cell that reads it.

Closing a Prefetch cancels the sections not started and the statement each running
section has on the server, and a closed section's next statement raises instead of
running; its connection is discarded, never handed back to the pool where a late cancel
could reach another query. The kernel keeps one at a time: a new one (as a redraw of
the report's controls starts, `bi_workbench.reports.redraw`) closes the one before
first, as do an interrupt while a cell waits and the kernel's exit. A section's value is
computed once: to compute it again, run the cell that starts the prefetch again.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import CancelledError, Future, TimeoutError
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..database.lanes import cancel_statement

#: Sections computed at once, beside what the kernel's own cells query meanwhile: the server's
#: two cores on this project's reference machine.
WORKERS = 2

#: How often a cell waiting for a section checks whether its prefetch was closed meanwhile (seconds).
_POLL_S = 0.1

#: This kernel's open Prefetch (one report per kernel).
_current: "Prefetch | None" = None
_current_lock = threading.Lock()


class Prefetch(Mapping):
    """The sections of one report, computed on ``workers`` connections of ``engine`` in the order given.

    A read-only mapping: ``prefetch[name]`` blocks until the section is done and returns its
    value (or raises its exception); ``in``, ``len`` and iteration are over the names and
    never wait; ``get`` is not offered (a section's KeyError would pass for a missing name).
    """

    def __init__(self, engine: Engine, sections: Mapping[str, Callable[[Connection], Any]], *,
                 workers: int = WORKERS):
        if not isinstance(engine, Engine):
            raise TypeError(f"prefetch needs an Engine (each section takes a connection of its own), "
                            f"not {type(engine).__name__}")
        self._engine = engine
        self._futures = {name: Future() for name in sections}
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        for name, compute in sections.items():
            self._pending.put((name, compute))
        self._running: dict[int, Connection] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        # Daemon threads: a kernel shutting down never waits for a section nobody will read.
        self._threads = [threading.Thread(target=self._work, name=f"prefetch-{n}", daemon=True)
                         for n in range(max(1, min(workers, len(self._futures))))]
        for thread in self._threads:
            thread.start()

    def __getitem__(self, name: str) -> Any:
        future = self._futures[name]
        try:
            return self._result(future)
        except CancelledError:
            raise RuntimeError(f"the section {name!r} was cancelled when its prefetch was closed; "
                               "run the cell that starts the prefetch again") from None
        except KeyboardInterrupt:
            self.close()
            raise

    def _result(self, future: Future) -> Any:
        # Closed, a section still busy in Python (or between a cursor's fetches) is not waited for.
        while True:
            try:
                return future.result(timeout=_POLL_S)
            except TimeoutError:
                if self._closed.is_set():
                    raise CancelledError from None

    def __contains__(self, name: object) -> bool:
        return name in self._futures

    def get(self, name, default=None):
        """Not offered: read ``prefetch[name]`` (a section's own KeyError must not look like a missing name)."""
        raise TypeError("read a section as prefetch[name]; get() would turn its KeyError into the default")

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def done(self, name: str) -> bool:
        """Whether the section ``name`` has finished (with a value or an error) or was cancelled."""
        return self._futures[name].done()

    def close(self) -> None:
        """Cancel the sections not started and the statements still running; idempotent, never raises."""
        self._closed.set()
        for future in self._futures.values():
            future.cancel()  # a section already running is not cancelled here, but on the server below
        with self._lock:  # held while cancelling: a worker cannot hand its connection back meanwhile
            for conn in self._running.values():
                cancel_statement(conn)

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _work(self) -> None:
        while not self._closed.is_set():
            try:
                name, compute = self._pending.get_nowait()
            except queue.Empty:
                return
            future = self._futures[name]
            if not future.set_running_or_notify_cancel():
                continue
            try:
                value = self._compute(compute)
                if self._closed.is_set():  # finished after the close: it reads as cancelled, as it was
                    raise CancelledError
            except BaseException as exc:  # noqa: BLE001 - raised again in the cell that reads the section
                # Closed meanwhile: whatever the cancel raised (QueryCanceled, ...), it reads as cancelled.
                future.set_exception(CancelledError() if self._closed.is_set() else exc)
            else:
                future.set_result(value)

    def _compute(self, compute: Callable[[Connection], Any]) -> Any:
        conn = self._engine.connect()
        try:
            with self._lock:
                self._running[threading.get_ident()] = conn
            sa.event.listen(conn, "before_cursor_execute", self._refuse_when_closed)
            if self._closed.is_set():  # closed before it could see this connection to cancel it
                raise CancelledError
            return compute(conn)
        finally:
            with self._lock:
                self._running.pop(threading.get_ident(), None)
                if self._closed.is_set():  # a cancel sent to it may still arrive: never reuse it
                    conn.invalidate()
            conn.close()

    def _refuse_when_closed(self, *_args) -> None:
        # A cancel that reaches the server between two statements is lost: the next one must not start.
        if self._closed.is_set():
            raise CancelledError


def prefetch(engine: Engine, sections: Mapping[str, Callable[[Connection], Any]], *,
             workers: int = WORKERS) -> Prefetch:
    """Start computing ``sections`` ({name: function of a Connection}) and return their `Prefetch`.

    The kernel's previous Prefetch, if any, is closed first (its sections are out of date: a
    redraw starts a new one). Example, in a report notebook::

        sections = reports.prefetch(engine, {"mix": lambda conn: event_mix(conn, bounds)})
        mix = sections["mix"]   # waits for it, or raises its error
    """
    global _current
    with _current_lock:
        if _current is not None:
            _current.close()
        _current = Prefetch(engine, sections, workers=workers)
        return _current


@atexit.register
def _close_current() -> None:
    """Close the kernel's Prefetch at exit: its statements would otherwise run on, read by nobody."""
    with _current_lock:
        if _current is not None:
            _current.close()

