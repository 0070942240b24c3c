"""Tenant logins: one login role per organization, bound to it in tenant_logins; policies from the entities.

Creates ``tenant_logins`` (if a newer model's revision 0001 did not already),
then re-runs ``audit.sql`` (the actor of a tenant login's writes is the
verified login; only a superuser or BYPASSRLS session may switch auditing off)
and `bi_workbench.schema.tenancy.apply_tenancy` (``current_tenant()`` reads
the login, the policies follow the metrics layer's ownership rule with
counted memberships, least privileges for ``bi_analyst``). All idempotent;
`init_schema` re-applies the tenancy after every upgrade too.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from bi_workbench.schema.tenancy import apply_audit_and_tenancy

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_audit_and_tenancy(op.get_bind())


def downgrade() -> None:
    # Nothing to undo: tenant_logins belongs to the model (revision 0001 builds it on a new
    # database), current_tenant() reads it, and the earlier revisions' tenancy.sql needs it.
    # The logins' roles belong to the server; `bi-workbench tenant remove` drops them.
    pass
