-- Tenant isolation by row-level security.
--
-- A transaction names its tenant and acting user with two transaction-local
-- settings (bi_workbench.database.tenancy.tenant_transaction does it):
--   set_config('bi_workbench.organization_id', <org>, true)
--   set_config('bi_workbench.user_id', <user>, true)
-- current_tenant() returns that organization only if the acting user is a
-- member of it, else NULL, which equals nothing, so every policy below then
-- matches no row. Policies call it as (SELECT current_tenant()), an InitPlan
-- evaluated once per statement, not once per row.
--
-- Who is bound: RLS is ENABLEd and FORCEd, so the table owner is bound too
-- when it is not a superuser. Superusers and roles with BYPASSRLS are never
-- bound: the schema migration, the synthetic seed and the legacy migration
-- run as such a role and see every row. The role that applies the schema must
-- be one of those (a superuser, or BYPASSRLS): it owns current_tenant(), which
-- reads organization_members with its owner's rights, and an owner bound by
-- that table's own policy would recurse into current_tenant() for ever.
--
-- Analysts work as bi_analyst (NOLOGIN; SET LOCAL ROLE bi_analyst inside the
-- tenant transaction), which has privileges only on what RLS guards, on
-- global reference data (business_trends, news_feed) and on the two views,
-- which run with the caller's rights (security_invoker). Not granted:
-- audit_log (old/new values of every tenant), snapshots (aggregate state with
-- no tenant column), the materialized view assessment_analytics_summary
-- (cannot carry RLS; it aggregates all tenants), the migration bookkeeping
-- tables, and partitions of partitioned tables (reached through the parent,
-- which carries the policy; a partition queried directly would not).
--
-- Idempotent: every statement can run again on a database that has it.

-- The tenant of this transaction, if its acting user belongs to it. ----------
CREATE OR REPLACE FUNCTION current_tenant()
RETURNS uuid
LANGUAGE sql
STABLE
SECURITY DEFINER AS $fn$
    SELECT m.organization_id
      FROM organization_members AS m
     WHERE m.organization_id = NULLIF(current_setting('bi_workbench.organization_id', true), '')::uuid
       AND m.user_id = NULLIF(current_setting('bi_workbench.user_id', true), '')::uuid
$fn$;

DO $do$
BEGIN
    -- Pinned search_path, pg_temp last: no caller can shadow organization_members.
    EXECUTE format('ALTER FUNCTION current_tenant() SET search_path = %I, pg_temp', current_schema());
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
        RAISE WARNING 'tenancy: role % is neither superuser nor BYPASSRLS; tenant policies need the schema owner '
                      'to bypass row-level security (see tenancy.sql)', current_user;
    END IF;
END
$do$;

-- The analysts' role. Roles belong to the whole server, so it may exist already.
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_analyst') THEN
        CREATE ROLE bi_analyst NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
    END IF;
    -- A non-superuser applying the schema must be able to SET ROLE bi_analyst
    -- (tenant_transaction does); a superuser can without a grant.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper)
       AND NOT pg_has_role(current_user, 'bi_analyst', 'MEMBER') THEN
        EXECUTE format('GRANT bi_analyst TO %I', current_user);
    END IF;
END
$do$;

-- Policies. ---------------------------------------------------------------------
DO $do$
DECLARE
    t text;
    -- user-keyed tables: a row is visible for a user who is a member of the tenant
    user_keyed CONSTANT text[] := ARRAY['subscriptions', 'user_sessions', 'email_subscriptions'];
    member_of_tenant CONSTANT text :=
        'user_id IN (SELECT m.user_id FROM organization_members AS m WHERE m.organization_id = (SELECT current_tenant()))';
BEGIN
    -- Every table of this schema with an organization_id column (partitions
    -- excluded: they are reached through their parent).
    FOR t IN
        SELECT c.relname
          FROM pg_class AS c
          JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
         WHERE c.relnamespace = current_schema()::regnamespace
           AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR ALL '
                       'USING (organization_id = (SELECT current_tenant())) '
                       'WITH CHECK (organization_id = (SELECT current_tenant()))', t);
    END LOOP;

    -- The tenant itself.
    ALTER TABLE organizations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON organizations;
    CREATE POLICY tenant_isolation ON organizations FOR ALL
        USING (id = (SELECT current_tenant()))
        WITH CHECK (id = (SELECT current_tenant()));

    -- Users who are members of the tenant.
    ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON users;
    CREATE POLICY tenant_isolation ON users FOR ALL
        USING (id IN (SELECT m.user_id FROM organization_members AS m WHERE m.organization_id = (SELECT current_tenant())))
        WITH CHECK (id IN (SELECT m.user_id FROM organization_members AS m WHERE m.organization_id = (SELECT current_tenant())));
    FOREACH t IN ARRAY user_keyed LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR ALL USING (%2$s) WITH CHECK (%2$s)', t, member_of_tenant);
    END LOOP;

    -- Scores have no tenant column: they belong to the tenant of their assessment.
    ALTER TABLE assessment_scores ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON assessment_scores;
    CREATE POLICY tenant_isolation ON assessment_scores FOR ALL
        USING (EXISTS (SELECT 1 FROM assessments AS a
                        WHERE a.id = assessment_id AND a.organization_id = (SELECT current_tenant())))
        WITH CHECK (EXISTS (SELECT 1 FROM assessments AS a
                             WHERE a.id = assessment_id AND a.organization_id = (SELECT current_tenant())));
END
$do$;

-- Views read with the caller's rights, so the policies above apply through them
-- (PostgreSQL 15+). Without it a view runs with its owner's rights, and a
-- superuser owner bypasses RLS: every tenant's rows. CAUTION: CREATE OR REPLACE
-- VIEW resets the view's options, so whatever recreates these views must set
-- security_invoker again (or say WITH (security_invoker = true) itself);
-- tests/database/test_tenancy.py fails on any analyst-readable view without it.
ALTER VIEW user_dashboard_summary SET (security_invoker = true);
ALTER VIEW organization_analytics SET (security_invoker = true);

-- Privileges of bi_analyst. ---------------------------------------------------
DO $do$
DECLARE
    t text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO bi_analyst', current_schema());
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO bi_analyst', current_schema());
    -- Organization-scoped tables: read and write, as the policies allow.
    FOR t IN
        SELECT c.relname
          FROM pg_class AS c
          JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
         WHERE c.relnamespace = current_schema()::regnamespace
           AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition
           AND c.relname <> 'organization_members'
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bi_analyst', t);
    END LOOP;
END
$do$;
GRANT SELECT, INSERT, UPDATE, DELETE ON assessment_scores TO bi_analyst;
-- Membership is the key of isolation: an analyst who could add any user to
-- their organization would then read that user's rows. Read-only.
GRANT SELECT ON organization_members TO bi_analyst;
-- Users and organizations are created and removed by the platform, not by a
-- tenant (deleting a user would cascade into other tenants' memberships).
GRANT SELECT, UPDATE ON organizations, users, subscriptions, user_sessions, email_subscriptions TO bi_analyst;
-- Global reference data, the same for every tenant.
GRANT SELECT ON business_trends, news_feed TO bi_analyst;
GRANT SELECT ON user_dashboard_summary, organization_analytics TO bi_analyst;
REVOKE ALL ON assessment_analytics_summary, audit_log, snapshots FROM bi_analyst;
