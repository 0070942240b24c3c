"""Report runs as leases: an owner and an expiry, an ``abandoned`` status, a slot claim that abandoned runs free.

Each statement checks first, so it changes nothing on a database built by
revision 0001 from a model that has these already.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE report_runs ADD COLUMN IF NOT EXISTS owner text")
    op.execute("ALTER TABLE report_runs ADD COLUMN IF NOT EXISTS lease_expires_at timestamptz")
    op.execute("ALTER TABLE report_runs DROP CONSTRAINT IF EXISTS ck_report_runs_status_known")
    op.execute("ALTER TABLE report_runs ADD CONSTRAINT ck_report_runs_status_known "
               "CHECK (status IN ('succeeded', 'failed', 'running', 'abandoned'))")
    op.execute("ALTER TABLE report_runs DROP CONSTRAINT IF EXISTS uq_report_runs_report_schedule_name_slot")
    op.execute("CREATE UNIQUE INDEX IF NOT EXISTS uq_report_runs_slot_claim ON report_runs (report, schedule_name, slot) "
               "WHERE status <> 'abandoned'")
    op.execute("CREATE INDEX IF NOT EXISTS ix_report_runs_running ON report_runs (lease_expires_at) "
               "WHERE status = 'running'")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_report_runs_running")
    op.execute("DROP INDEX IF EXISTS uq_report_runs_slot_claim")
    op.execute("DELETE FROM report_runs WHERE status = 'abandoned'")
    op.execute("ALTER TABLE report_runs ADD CONSTRAINT uq_report_runs_report_schedule_name_slot "
               "UNIQUE (report, schedule_name, slot)")
    op.execute("ALTER TABLE report_runs DROP CONSTRAINT IF EXISTS ck_report_runs_status_known")
    op.execute("ALTER TABLE report_runs ADD CONSTRAINT ck_report_runs_status_known "
               "CHECK (status IN ('succeeded', 'failed', 'running'))")
    op.execute("ALTER TABLE report_runs DROP COLUMN IF EXISTS lease_expires_at")
    op.execute("ALTER TABLE report_runs DROP COLUMN IF EXISTS owner")
