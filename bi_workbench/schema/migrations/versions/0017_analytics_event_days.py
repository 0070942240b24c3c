"""The rollup analytics_event_days: the analytics events per UTC day, user and organization.

Creates the table where missing (a database whose revision 0001 built it from a
newer model already has it) and counts every day from the events once; from then on
the triggers of revision 0016 keep it. They are declared again here, before the
count, since a downgrade past this revision drops them with the table. Its tenant
policy is the events' own (`entities.ROLLUPS`).

Revision ID: 0017
Revises: 0016
"""

from alembic import op

from bi_workbench.schema.sqlfiles import drop_read_model, start_read_model
from bi_workbench.schema.tables import analytics_event_days, metadata

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[analytics_event_days], checkfirst=True)
    start_read_model(op.get_bind(), "analytics_event_days.sql", "analytics_event_days",
                     "SELECT refresh_analytics_event_days()")


def downgrade() -> None:
    drop_read_model(op.get_bind(), analytics_event_days)
