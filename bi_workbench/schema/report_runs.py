"""The run history of rendered reports, declared on the schema's own ``metadata``.

One row per attempt at rendering one report (`bi_workbench.reports`): its
parameters, the schedule and slot that asked for it (NULL for a run by hand),
its status, when it started and finished, the folder and files it wrote and the
error that stopped it.

A run is a lease: ``owner`` (``host:pid:process start``) holds it until
``lease_expires_at``, and extends it while it renders. A ``running`` run whose
lease has expired, or whose owner process is gone, is closed as ``abandoned``
by the next command (`bi_workbench.reports.history.reap_abandoned`).

The partial unique index on ``(report, schedule_name, slot)`` over the runs
that are not abandoned is what makes `bi-workbench report schedule` safe to
call from cron every few minutes: a slot is claimed with ``INSERT ... ON
CONFLICT DO NOTHING`` before rendering, so it is rendered once, and an
abandoned attempt frees its slot to be claimed again (within its grace
period). Runs by hand have NULL schedule and slot; NULLs are distinct, so they
never clash.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Table, Text, func, text

from sqlalchemy.dialects.postgresql import JSONB

from .tables import EMPTY_JSON, TIMESTAMPTZ, metadata

#: The states of a run: ``running``, then one of the others.
RUN_STATUSES = ("running", "succeeded", "failed", "abandoned")

report_runs = Table(
    "report_runs", metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("report", Text, nullable=False),
    # The parameters as passed to the notebook (dates and UUIDs as text).
    Column("parameters", JSONB, nullable=False, server_default=EMPTY_JSON),
    Column("schedule_name", Text),
    Column("slot", TIMESTAMPTZ),
    Column("status", Text, nullable=False, server_default="running"),
    Column("started_at", TIMESTAMPTZ, nullable=False, server_default=func.now()),
    Column("finished_at", TIMESTAMPTZ),
    # {"folder": the run's own folder, "ipynb", "html"} on success, {"folder", "error_notebook"} on failure.
    Column("output_paths", JSONB, nullable=False, server_default=EMPTY_JSON),
    Column("error", Text),
    # The lease: who renders the run, and until when it counts as alive without a heartbeat.
    Column("owner", Text),
    Column("lease_expires_at", TIMESTAMPTZ),
    CheckConstraint("status IN ('succeeded', 'failed', 'running', 'abandoned')", name="status_known"),
    CheckConstraint("(schedule_name IS NULL) = (slot IS NULL)", name="slot_with_schedule"),
    CheckConstraint("(status = 'running') = (finished_at IS NULL)", name="finished_when_done"),
    CheckConstraint("finished_at IS NULL OR finished_at >= started_at", name="finished_after_start"),
    # One live claim per slot; abandoned attempts free it.
    Index("uq_report_runs_slot_claim", "report", "schedule_name", "slot", unique=True,
          postgresql_where=text("status <> 'abandoned'")),
    # "The latest runs of this report" (history, index).
    Index(None, "report", "started_at"),
    # The reaper's look-up of live runs.
    Index("ix_report_runs_running", "lease_expires_at", postgresql_where=text("status = 'running'")),
)

REPORT_TABLES = (report_runs,)
