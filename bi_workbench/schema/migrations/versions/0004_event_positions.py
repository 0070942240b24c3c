"""A global position on events for followers, and the dashboard's latest-activity index.

Idempotent: a database that revision 0001 built from a model that already has
them is left as it is.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS position bigint GENERATED ALWAYS AS IDENTITY")
    op.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'uq_events_position') THEN "
        "ALTER TABLE events ADD CONSTRAINT uq_events_position UNIQUE (position); END IF; END $$"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_analytics_events_user_id_created_at ON analytics_events (user_id, created_at DESC)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_analytics_events_user_id_created_at")
    op.execute("ALTER TABLE events DROP COLUMN IF EXISTS position")
