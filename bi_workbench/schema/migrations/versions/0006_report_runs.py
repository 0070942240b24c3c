"""The run history of rendered reports: report_runs.

Created from the model (`bi_workbench.schema.report_runs`) with checkfirst, so
a database whose revision 0001 already built it from a newer model upgrades
cleanly.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from bi_workbench.schema.report_runs import REPORT_TABLES
from bi_workbench.schema.tables import metadata

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=list(REPORT_TABLES), checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=list(REPORT_TABLES), checkfirst=True)
