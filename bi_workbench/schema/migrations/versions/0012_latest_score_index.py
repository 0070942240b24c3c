"""An assessment's scores indexed in the order that makes one its latest.

Every assessment metric reads each assessment's latest score (greatest created_at,
NULL last, then greatest id: `metrics.compile.latest_score_order`). With assessment_id
indexed alone, each such read sorted all scores (on disk at large scale, once per
parallel worker); this index gives them in that order. It leads with assessment_id,
so it replaces the single-column index. Each statement checks first, so it changes
nothing on a database built by revision 0001 from a model that has it already.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_assessment_scores_assessment_id_latest "
               "ON assessment_scores (assessment_id, created_at DESC NULLS LAST, id DESC)")
    op.execute("DROP INDEX IF EXISTS ix_assessment_scores_assessment_id")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_assessment_scores_assessment_id ON assessment_scores (assessment_id)")
    op.execute("DROP INDEX IF EXISTS ix_assessment_scores_assessment_id_latest")
