"""The triggers that keep the rollup analytics_event_days: ``sql/analytics_event_days.sql``.

Declares `refresh_analytics_event_days` (recount every day from the events) and the
statement triggers on analytics_events that add and subtract each statement's events
per UTC day, user and organization in the transaction of the write. Idempotent, so the
catalog's repair runs it again (`catalog.REDECLARING_REVISIONS`). The table comes with
revision 0017 (PL/pgSQL resolves it when a trigger first runs); the triggers are kept only where
the table is (`sqlfiles.declare_read_model`): a database that revision 0001 built
from the newer model has it, one upgraded again after a downgrade gets them from 0017.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

from bi_workbench.schema.sqlfiles import declare_read_model, drop_read_model_triggers

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    declare_read_model(op.get_bind(), "bi_workbench.schema", "analytics_event_days.sql", "analytics_event_days")


def downgrade() -> None:
    drop_read_model_triggers(op.get_bind(), "analytics_event_days")
    for function in ("analytics_event_days_changed()", "analytics_event_days_truncated()",
                     "refresh_analytics_event_days()", "analytics_event_day(timestamptz)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
