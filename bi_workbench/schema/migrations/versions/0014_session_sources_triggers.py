"""The triggers that keep the read model session_sources: ``sql/session_sources.sql``.

Declares `refresh_session_sources` (recount sessions from their analytics events)
and the statement triggers on analytics_events that keep the first source of each
session in the transaction of every write. Idempotent, so the catalog's repair runs
it again (`catalog.REDECLARING_REVISIONS`). The table comes with revision 0015
(PL/pgSQL resolves it when a trigger first runs); the triggers are kept only where
the table is (`sqlfiles.declare_read_model`): a database that revision 0001 built
from the newer model has it, one upgraded again after a downgrade gets them from 0015.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

from bi_workbench.schema.sqlfiles import declare_read_model, drop_read_model_triggers

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    declare_read_model(op.get_bind(), "bi_workbench.schema", "session_sources.sql", "session_sources")


def downgrade() -> None:
    drop_read_model_triggers(op.get_bind(), "session_sources")
    for function in ("session_sources_inserted()", "session_sources_changed()", "session_sources_truncated()",
                     "refresh_session_sources(uuid[])"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
