"""The read model session_sources: the first source of each session's analytics events.

Creates the table where missing (a database whose revision 0001 built it from a
newer model already has it) and counts every session from the events once; from
then on the triggers of revision 0014 keep it. They are declared again here,
before the count, since a downgrade past this revision drops them with the table.
Its tenant policy comes with the others (a session's owner reads it:
`entities.PARENT_ENTITY`).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from bi_workbench.schema.sqlfiles import declare_read_model, drop_read_model_triggers
from bi_workbench.schema.tables import metadata, session_sources

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, tables=[session_sources], checkfirst=True)
    # Its triggers again (a downgrade past this revision dropped them), before the count: no write is missed.
    declare_read_model(bind, "bi_workbench.schema", "session_sources.sql", "session_sources")
    bind.execute(sa.text("SELECT refresh_session_sources()"))


def downgrade() -> None:
    bind = op.get_bind()
    drop_read_model_triggers(bind, "session_sources")
    metadata.drop_all(bind=bind, tables=[session_sources], checkfirst=True)
