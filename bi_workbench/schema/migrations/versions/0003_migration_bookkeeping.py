"""Bookkeeping tables of the legacy migration: legacy_id_map, migration_quarantine, migration_ledger.

Created from the model (`bi_workbench.schema.bookkeeping`) with checkfirst, so
a database whose revision 0001 already built them from a newer model
upgrades cleanly.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from bi_workbench.schema.bookkeeping import BOOKKEEPING_TABLES
from bi_workbench.schema.tables import metadata

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=list(BOOKKEEPING_TABLES), checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(BOOKKEEPING_TABLES), checkfirst=True)
