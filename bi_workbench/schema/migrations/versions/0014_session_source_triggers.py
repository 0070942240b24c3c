"""The triggers that keep user_sessions.first_source what the analytics events say.

Runs ``session_sources.sql`` (``bi_workbench/schema/sql/``): on every insert,
update, delete and truncate of analytics_events, and every insert or update of
user_sessions, the sessions concerned get the first source, by name, of the
events their user logged in them. Idempotent (CREATE OR REPLACE, DROP ... IF
EXISTS before CREATE), so the catalog repair runs it again
(`schema.catalog.REDECLARING_REVISIONS`).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

from bi_workbench.schema.sqlfiles import run_sql_file

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TRIGGERS = (("session_sources_added", "analytics_events"), ("session_sources_updated", "analytics_events"),
            ("session_sources_deleted", "analytics_events"), ("session_sources_emptied", "analytics_events"),
            ("session_sources_of_new_sessions", "user_sessions"), ("session_source_guard", "user_sessions"),
            ("session_source_guard_update", "user_sessions"))
FUNCTIONS = ("session_sources_added()", "session_sources_changed()", "session_sources_emptied()",
             "session_sources_of_new_sessions()", "session_source_guard()", "recompute_session_sources(uuid[])",
             "session_first_source(uuid, uuid)")


def upgrade() -> None:
    run_sql_file(op.get_bind(), "bi_workbench.schema", "session_sources.sql")


def downgrade() -> None:
    for name, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
