"""The rollup analytics_event_days: the analytics events per UTC day, user and organization.

Creates the table where missing (a database whose revision 0001 built it from a
newer model already has it) and counts every day from the events once; from then on
the triggers of revision 0016 keep it. They are declared again here, before the
count, since a downgrade past this revision drops them with the table. Its tenant
policy is the events' own (`entities.ROLLUPS`).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from bi_workbench.schema.sqlfiles import declare_read_model, drop_read_model_triggers
from bi_workbench.schema.tables import analytics_event_days, metadata

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[analytics_event_days], checkfirst=True)
    # Its triggers again (a downgrade past this revision dropped them), before the count: no write is missed.
    declare_read_model(bind, "bi_workbench.schema", "analytics_event_days.sql", "analytics_event_days")
    bind.execute(sa.text("SELECT refresh_analytics_event_days()"))


def downgrade() -> None:
    bind = op.get_bind()
    drop_read_model_triggers(bind, "analytics_event_days")
    metadata.drop_all(bind=bind, tables=[analytics_event_days], checkfirst=True)
