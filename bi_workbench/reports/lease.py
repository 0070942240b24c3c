"""A run is a lease: who holds it, keeping it alive while rendering, and recovering the runs of the dead.

The owner of a run is ``host:pid:start`` of the process that claimed it (the
process start time tells a reused PID apart). While a render goes on, a
`Heartbeat` thread extends the leases of its runs. `recover`, called by every
command that renders, closes each ``running`` run whose lease has expired or
whose owner is a process of this machine that no longer exists:

- if the run had published its folder (it died after that, or could not
  reach the database to close it), the run is closed with the status its
  ``run.json`` records;
- otherwise it is closed as ``abandoned``, which frees its schedule slot to be
  claimed again while within its grace period, and its staging and work
  folders on this machine are removed.
"""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from . import history, outputs, worker

#: How long a run counts as alive without a heartbeat (seconds), and how often the heartbeat beats.
DEFAULT_LEASE_SECONDS = 120.0


def owner_id() -> str:
    """Return this process's owner label: ``host:pid:start time`` (start time in whole seconds since the epoch)."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> int | None:
    import psutil

    try:
        return int(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def owner_is_gone(owner: str | None) -> bool:
    """Return True when ``owner`` is a process of this machine that no longer runs (False: alive or elsewhere)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    now_started = _start_time(int(pid))
    return now_started is None or (started.isdigit() and abs(now_started - int(started)) > 1)


@dataclass
class Heartbeat:
    """Extends the leases of the runs in ``run_ids`` every ``lease_seconds / 4`` until stopped (a context manager).

    A heartbeat that cannot reach the database is skipped, never fatal: the run
    goes on, and the next beat tries again.
    """

    engine: Engine
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    run_ids: set[int] = field(default_factory=set)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._beat, name="report-run-heartbeat", daemon=True)

    def add(self, run_id: int) -> None:
        """Keep ``run_id``'s lease alive."""
        with self._lock:
            self.run_ids.add(run_id)

    def discard(self, run_id: int) -> None:
        """Stop extending ``run_id``'s lease (it is being closed)."""
        with self._lock:
            self.run_ids.discard(run_id)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 4):
            with self._lock:
                ids = list(self.run_ids)
            try:
                history.extend_leases(self.engine, ids, self.lease_seconds)
            except Exception:  # noqa: BLE001 - an unreachable database must not stop the renders
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Recovered:
    """One dead run that `recover` closed: its id, report, the status it was given, and folders removed."""

    run_id: int
    report: str
    status: str
    removed: int

    def describe(self) -> str:
        """Return one line for the terminal."""
        return f"run #{self.run_id} of {self.report} was left running by a process that is gone: marked {self.status}"


def recover(engine: Engine) -> list[Recovered]:
    """Close every dead ``running`` run (see the module docstring); return what was closed.

    Raises the schema's own one-line errors on a database without the schema.
    """
    from ..schema.apply import require_schema

    with engine.connect() as conn:
        require_schema(conn)
    sweep_work_folders()
    found = []
    for run in history.running_runs(engine):
        if not (run["expired"] or owner_is_gone(run["owner"])):
            continue
        folder = run["output_paths"].get("folder")
        record = outputs.read_record(folder) if folder else None
        if record is not None and record.get("status") in ("succeeded", "failed"):
            paths = {k: v for k, v in record.get("paths", {}).items() if v}
            closed = history.finish_run(engine, run["id"], record["status"], paths, record.get("error"))
            status, removed = record["status"], 0
        else:
            why = "its lease expired" if run["expired"] else f"its process ({run['owner']}) is gone"
            closed = history.finish_run(engine, run["id"], "abandoned", {"folder": folder} if folder else {},
                                        f"abandoned: {why} before the run was closed")
            status, removed = "abandoned", _remove_leftovers(run["id"], folder)
        if closed:
            found.append(Recovered(run["id"], run["report"], status, removed))
    return found


def sweep_work_folders() -> int:
    """Remove this user's work folders whose rendering process is gone (a Dask worker killed mid-render:
    its task re-ran elsewhere, but its folder, which holds the job and its database URL, stayed); return how many."""
    root = worker.work_root()
    removed = 0
    for path in root.glob("run-*") if root.is_dir() else ():
        try:
            owner = (path / worker.OWNER).read_text()
        except OSError:
            continue  # being created, or not a render's
        if owner_is_gone(owner):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _remove_leftovers(run_id: int, folder: str | None) -> int:
    removed = outputs.remove_staging(folder) if folder else 0
    root = worker.work_root()
    if folder and root.is_dir():  # a run claimed without a folder never had a work folder
        for path in root.glob(f"{worker.work_prefix(run_id, folder)}*"):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


__all__ = ["DEFAULT_LEASE_SECONDS", "Heartbeat", "Recovered", "owner_id", "owner_is_gone", "recover",
           "sweep_work_folders"]
