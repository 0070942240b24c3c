"""assessment_analytics_summary counts every assessment, scored or not, as the ``assessments`` metric does.

It joined the latest score of each assessment, so assessments without a score
were left out of ``total_assessments`` while the dashboard views counted them.
The read models are generated again from `bi_workbench.metrics.read_models`.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from bi_workbench.metrics import read_models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_models.recreate(op.execute)


def downgrade() -> None:
    """Nothing to undo: the earlier definition counted fewer rows of the same columns."""
