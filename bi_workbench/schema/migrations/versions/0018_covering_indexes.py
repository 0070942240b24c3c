"""Covering indexes for the selections of assessments and their latest scores.

Every assessment report selects assessments by created_at, reading besides only their
owner, type, status and completion, and joins each one's latest score, reading its
overall and confidence scores and bracket. The rows are wide (the responses), so at
large scale these reads visited every heap page, once per section of a report. With
those columns in the indexes (INCLUDE) they are index-only scans. Each index replaces
the one with its keys (the seed's created_at index; revision 0012's latest-score index).
Each statement checks first, so it changes nothing on a database built by revision 0001
from a model that has them already.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

from bi_workbench.schema.tables import assessment_scores, assessments

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: (table, the covering index of the model, the index it replaces, that index's definition)
REPLACED = (
    (assessments, "ix_assessments_created_at_covering", "ix_assessments_created_at_desc", "(created_at DESC)"),
    (assessment_scores, "ix_assessment_scores_latest_covering", "ix_assessment_scores_assessment_id_latest",
     "(assessment_id, created_at DESC NULLS LAST, id DESC)"),
)


def _index(table, name):
    return next(index for index in table.indexes if index.name == name)


def upgrade() -> None:
    bind = op.get_bind()
    for table, covering, replaced, _definition in REPLACED:
        _index(table, covering).create(bind, checkfirst=True)
        op.execute(f"DROP INDEX IF EXISTS {replaced}")


def downgrade() -> None:
    for table, covering, replaced, definition in REPLACED:
        op.execute(f"CREATE INDEX IF NOT EXISTS {replaced} ON {table.name} {definition}")
        op.execute(f"DROP INDEX IF EXISTS {covering}")
