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

from alembic import op

from bi_workbench.schema.sqlfiles import drop_read_model, start_read_model
from bi_workbench.schema.tables import metadata, session_sources

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), tables=[session_sources], checkfirst=True)
    start_read_model(op.get_bind(), "session_sources.sql", "session_sources", "SELECT refresh_session_sources()")


def downgrade() -> None:
    drop_read_model(op.get_bind(), session_sources)
