"""The run history of rendered reports, declared on the schema's own ``metadata``.

One row per rendering of one report (`bi_workbench.reports`): its parameters,
the schedule and slot that asked for it (NULL for a run by hand), its status
(``running`` -> ``succeeded`` or ``failed``), when it started and finished, the
files it wrote and the error that stopped it.

``UNIQUE (report, schedule_name, slot)`` is what makes `bi-workbench report
schedule` safe to call from cron every few minutes: a slot is claimed with
``INSERT ... ON CONFLICT DO NOTHING`` before rendering, so it is rendered once.
Runs by hand have NULL schedule and slot; NULLs are distinct, so they never clash.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import EMPTY_JSON, TIMESTAMPTZ, metadata

#: The states of a run, in order.
RUN_STATUSES = ("running", "succeeded", "failed")

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
    # {"ipynb": path, "html": path} on success, {"error_notebook": path} on failure.
    Column("output_paths", JSONB, nullable=False, server_default=EMPTY_JSON),
    Column("error", Text),
    UniqueConstraint("report", "schedule_name", "slot"),
    CheckConstraint("status IN ('succeeded', 'failed', 'running')", name="status_known"),
    CheckConstraint("(schedule_name IS NULL) = (slot IS NULL)", name="slot_with_schedule"),
    CheckConstraint("(status = 'running') = (finished_at IS NULL)", name="finished_when_done"),
    CheckConstraint("finished_at IS NULL OR finished_at >= started_at", name="finished_after_start"),
    # "The latest runs of this report" (history, index).
    Index(None, "report", "started_at"),
)

REPORT_TABLES = (report_runs,)
