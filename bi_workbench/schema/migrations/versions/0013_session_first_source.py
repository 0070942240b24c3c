"""A session's source kept on the session: the column user_sessions.first_source, filled.

Sessions by source (`domain.analytics.session_lengths`) grouped every analytics
event of the selected sessions to find each one's first source: 9 s at large scale
(10M events). The column holds it instead; revision 0014 adds the triggers that
keep it (``session_sources.sql``). Where the column is new, the existing sessions
are filled here in one grouped pass, before those triggers exist (their guard
would recompute each row on its own). It checks first, so it changes nothing on
a database built by revision 0001 from a model that has the column.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from bi_workbench.schema.drift import live_columns

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE user_sessions AS s SET first_source = f.source
  FROM (SELECT session_id, user_id, min(source) AS source FROM analytics_events
         WHERE session_id IS NOT NULL GROUP BY session_id, user_id) AS f
 WHERE s.id = f.session_id AND s.user_id = f.user_id AND s.first_source IS DISTINCT FROM f.source
"""


def upgrade() -> None:
    if "first_source" not in live_columns(op.get_bind(), "user_sessions"):
        op.execute("ALTER TABLE user_sessions ADD COLUMN first_source text")
        op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("ALTER TABLE user_sessions DROP COLUMN IF EXISTS first_source")
