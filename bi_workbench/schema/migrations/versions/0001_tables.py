"""The 23 tables of the platform schema, with default partitions for the monthly-partitioned ones.

This baseline builds the tables from the model (`bi_workbench.schema.tables`).
Later revisions change tables with explicit, idempotent operations (``ADD
COLUMN IF NOT EXISTS`` and the like), so a database created by this revision
at any later model still upgrades cleanly.

Revision ID: 0001
Revises:
"""

from alembic import op

from bi_workbench.schema.tables import MONTHLY_PARTITIONED, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind)
    for table in MONTHLY_PARTITIONED:
        op.execute(f"CREATE TABLE IF NOT EXISTS {table.name}_default PARTITION OF {table.name} DEFAULT")


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
