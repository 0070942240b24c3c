"""Rubric scores kept per assessment: rubric_scores, and assessments.responses_digest.

What the rubric gives each assessment's responses, filled by `db refresh` (and the
demo build) and read by the legacy comparison (`domain.rubric_scores`); a kept score
counts while its responses digest equals the assessment's, a stored generated column
(md5 of the responses' jsonb text) that PostgreSQL keeps on every write. Both are
created only where missing, so a database whose revision 0001 already built them
from a newer model upgrades cleanly; the table's tenant policy comes with the
others (`init_schema` applies the tenancy after every upgrade).

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from bi_workbench.schema.tables import metadata, rubric_scores

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


#: The model's generated column (`tables.assessments`), for a database built before it.
DIGEST = "responses_digest text GENERATED ALWAYS AS (md5(responses::text)) STORED"


def upgrade() -> None:
    op.execute(f"ALTER TABLE assessments ADD COLUMN IF NOT EXISTS {DIGEST}")
    metadata.create_all(op.get_bind(), tables=[rubric_scores], checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), tables=[rubric_scores], checkfirst=True)
    op.execute("ALTER TABLE assessments DROP COLUMN IF EXISTS responses_digest")
