"""Audit trail triggers, tenant isolation by row-level security, and the bi_analyst role.

Runs ``audit.sql`` (``bi_workbench/schema/sql/``) and
`bi_workbench.schema.tenancy.apply_tenancy` (``tenancy.sql``, then the
policies and grants generated from the entities), all idempotent (CREATE OR
REPLACE, DROP ... IF EXISTS before CREATE, DO blocks for the role), so running
this revision on a database that already has them changes nothing.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from bi_workbench.schema.tenancy import apply_audit_and_tenancy

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_audit_and_tenancy(op.get_bind())


_DOWNGRADE = r"""
DO $do$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT tgrelid::regclass AS rel FROM pg_trigger
         WHERE tgname = 'audit_trail' AND tgfoid = to_regproc('audit_row_change')
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS audit_trail ON %s', r.rel);
    END LOOP;
    FOR r IN
        SELECT polrelid::regclass AS rel, polname FROM pg_policy
         WHERE polname IN ('tenant_isolation', 'tenant_read', 'tenant_insert', 'tenant_update')
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS %I ON %s', r.polname, r.rel);
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', r.rel);
    END LOOP;
    IF to_regclass('user_dashboard_summary') IS NOT NULL THEN
        ALTER VIEW user_dashboard_summary RESET (security_invoker);
    END IF;
    IF to_regclass('organization_analytics') IS NOT NULL THEN
        ALTER VIEW organization_analytics RESET (security_invoker);
    END IF;
    -- The role belongs to the whole server (other databases may use it): only
    -- this database's privileges are taken back, the role itself stays.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_analyst') THEN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM bi_analyst', current_schema());
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM bi_analyst', current_schema());
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM bi_analyst', current_schema());
    END IF;
END
$do$;
DROP FUNCTION IF EXISTS acting_user();
DROP FUNCTION IF EXISTS current_tenant();
DROP FUNCTION IF EXISTS audit_row_change();
"""


def downgrade() -> None:
    op.get_bind().connection.driver_connection.execute(_DOWNGRADE)
