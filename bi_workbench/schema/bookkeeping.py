"""Bookkeeping of the legacy migration, declared on the schema's own ``metadata``.

Three tables record what the migration (`bi_workbench.legacy`) did, so that
"nothing lost" can be proven at any time, even after the legacy tables are gone:

- ``legacy_id_map``: every legacy row that reached the new schema, and where:
  outcome ``migrated`` (it became that new row) or ``merged`` (it was folded
  into an existing new row, with the reason; the merged row's whole legacy
  row is kept in ``legacy_row`` since its own values survive nowhere else).
- ``migration_quarantine``: every legacy row that could not move, whole (as
  JSONB), with the reason and the phase that set it aside.
- ``migration_ledger``: one row per phase run that changed something (or
  completed the phase for the first time): when, and how many rows it wrote
  into each table.

Legacy ids are TEXT because the legacy keys differ in type (UUID, SERIAL);
they are written as ``key::text``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Identity,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from .tables import EMPTY_JSON, TIMESTAMPTZ, metadata

#: Outcomes of a legacy row that reached the new schema.
OUTCOMES = ("migrated", "merged")

legacy_id_map = Table(
    "legacy_id_map", metadata,
    Column("legacy_table", Text, nullable=False),
    Column("legacy_id", Text, nullable=False),
    Column("new_table", Text, nullable=False),
    Column("new_id", UUID(as_uuid=True), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("reason", Text),
    # The whole legacy row of a merged duplicate (NULL for migrated rows,
    # whose values are carried by the new row itself).
    Column("legacy_row", JSONB),
    Column("mapped_at", TIMESTAMPTZ, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("legacy_table", "legacy_id"),
    CheckConstraint("outcome IN ('migrated', 'merged')", name="outcome_known"),
    CheckConstraint("outcome = 'migrated' OR (reason IS NOT NULL AND legacy_row IS NOT NULL)", name="merged_explained"),
    # "Which legacy rows became this new row?" (and the multiplication check).
    Index(None, "new_table", "new_id"),
)

migration_quarantine = Table(
    "migration_quarantine", metadata,
    Column("legacy_table", Text, nullable=False),
    Column("legacy_id", Text, nullable=False),
    Column("legacy_row", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("phase", SmallInteger, nullable=False),
    Column("quarantined_at", TIMESTAMPTZ, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("legacy_table", "legacy_id"),
    Index(None, "reason"),
)

migration_ledger = Table(
    "migration_ledger", metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("phase", SmallInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("started_at", TIMESTAMPTZ, nullable=False),
    Column("finished_at", TIMESTAMPTZ, nullable=False),
    # {table: rows written by this run}
    Column("rows", JSONB, nullable=False, server_default=EMPTY_JSON),
    Column("status", Text, nullable=False),
    # Anything else worth keeping: phase 5 stores the reconciliation it passed.
    Column("details", JSONB, nullable=False, server_default=EMPTY_JSON),
    CheckConstraint("status IN ('completed')", name="status_known"),
    CheckConstraint("finished_at >= started_at", name="finished_after_start"),
    Index(None, "phase", "status"),
)

BOOKKEEPING_TABLES = (legacy_id_map, migration_quarantine, migration_ledger)
