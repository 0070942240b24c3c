"""Read models (dashboard views, analytics materialized view) and partition maintenance functions.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from bi_workbench.schema.sqlfiles import run_sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    run_sql_file(bind, "bi_workbench.schema", "partitions.sql")
    run_sql_file(bind, "bi_workbench.schema", "read_models.sql")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS refresh_analytics_views()")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS assessment_analytics_summary")
    op.execute("DROP VIEW IF EXISTS organization_analytics")
    op.execute("DROP VIEW IF EXISTS user_dashboard_summary")
    op.execute("DROP FUNCTION IF EXISTS ensure_partitions_ahead(integer)")
    op.execute("DROP FUNCTION IF EXISTS ensure_monthly_partitions(regclass, date, date)")
