"""The triggers that keep the read model session_sources: ``sql/session_sources.sql``.

Declares `refresh_session_sources` (recount sessions from their analytics events)
and the statement triggers on analytics_events that keep the first source of each
session in the transaction of every write. Idempotent, so the catalog's repair runs
it again (`catalog.REDECLARING_REVISIONS`). The table comes with revision 0015
(PL/pgSQL resolves it when a trigger first runs).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

from bi_workbench.schema.sqlfiles import drop_read_model_triggers, run_sql_file

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(op.get_bind(), "bi_workbench.schema", "session_sources.sql")


def downgrade() -> None:
    drop_read_model_triggers(op.get_bind(), "session_sources")
    for function in ("session_sources_inserted()", "session_sources_changed()", "session_sources_truncated()",
                     "refresh_session_sources(uuid[])"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
