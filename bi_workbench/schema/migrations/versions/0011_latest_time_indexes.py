"""Descending indexes on the time column of the dated entities that had none.

The metrics layer's "data up to" (`metrics.selection.latest_data_time`) reads the
latest time of every dated entity; without these it read all of users,
organizations, memberships, subscriptions, levers, sessions, messages and widgets
on every report (`bi-workbench bench` lists full scans). Each statement checks first, so it changes nothing on a database
built by revision 0001 from a model that has them already.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = (("users", "created_at"), ("organizations", "created_at"), ("organization_members", "joined_at"),
           ("subscriptions", "created_at"), ("growth_levers", "created_at"), ("user_sessions", "started_at"),
           ("team_messages", "created_at"), ("dashboard_widgets", "created_at"))


def upgrade() -> None:
    for table, column in INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_desc ON {table} ({column} DESC)")


def downgrade() -> None:
    for table, column in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_desc")
