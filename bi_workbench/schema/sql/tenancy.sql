-- Tenant isolation: the analysts' group role, the tenant function, and what no analyst may do.
--
-- The policies and the analysts' privileges are generated from the entity
-- declarations by bi_workbench.schema.tenancy (after this file runs), so the
-- ownership rule is written once (bi_workbench.metrics.ownership).
--
-- Who is bound: an organization's analyst connects as its own LOGIN role (a
-- tenant login, `bi-workbench tenant add`), NOINHERIT, member only of the
-- NOLOGIN group role bi_analyst, whose privileges it uses as its session's
-- default role. tenant_logins binds the login to one organization;
-- current_tenant() reads it for session_user, which no SET ROLE, RESET ROLE
-- or set_config can change (SET SESSION AUTHORIZATION needs a superuser
-- session). Every policy compares rows with (SELECT current_tenant()): an
-- InitPlan, evaluated once per statement.
--
-- Superusers and BYPASSRLS roles are never bound by row-level security: the
-- schema migration, the synthetic seed and the legacy migration run as one.
-- The role that applies the schema must be one (it owns current_tenant(),
-- which reads tenant_logins with its owner's rights).
--
-- Idempotent: every statement can run again on a database that has it.

-- The organization of this session's login, or NULL. --------------------------
CREATE OR REPLACE FUNCTION current_tenant()
RETURNS uuid
LANGUAGE sql
STABLE
SECURITY DEFINER AS $fn$
    SELECT t.organization_id FROM tenant_logins AS t WHERE t.role_name = session_user
$fn$;

DO $do$
BEGIN
    -- Pinned search_path, pg_temp last: no caller can shadow tenant_logins.
    EXECUTE format('ALTER FUNCTION current_tenant() SET search_path = %I, pg_temp', current_schema());
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
        RAISE WARNING 'tenancy: role % is neither superuser nor BYPASSRLS; tenant policies need the schema owner '
                      'to bypass row-level security (see tenancy.sql)', current_user;
    END IF;
END
$do$;

-- The analysts' group role. Roles belong to the whole server, so it may exist already.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_analyst') THEN
        CREATE ROLE bi_analyst NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS NOREPLICATION;
    END IF;
    -- Nothing may be reached through the group role but its own grants.
    -- Any role may set its own password (a tenant session as bi_analyst can): none, ever.
    ALTER ROLE bi_analyst NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS NOREPLICATION PASSWORD NULL;
END
$do$;

-- Views read with the caller's rights, so the policies apply through them
-- (PostgreSQL 15+). CAUTION: CREATE OR REPLACE VIEW resets the option; `db init`
-- runs this file again after every upgrade, and tests/database fails on any
-- analyst-readable view without it.
ALTER VIEW user_dashboard_summary SET (security_invoker = true);
ALTER VIEW organization_analytics SET (security_invoker = true);

-- Nothing left behind, nothing made: no TEMP tables (they would shadow the
-- platform's tables for the next user of a pooled session) and no CREATE in
-- the schema, for anyone but the owner. No function of the schema runs for
-- PUBLIC; bi_analyst gets EXECUTE on what its policies call.
DO $do$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM PUBLIC', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM bi_analyst', current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM bi_analyst', current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO bi_analyst', current_schema());
END
$do$;
GRANT EXECUTE ON FUNCTION current_tenant() TO bi_analyst;
