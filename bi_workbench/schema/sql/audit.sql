-- Audit trail: one AFTER ROW trigger function, shared by every table that holds
-- user data, writes one audit_log row per inserted, updated or deleted row.
--
-- Who did it:
-- - on a tenant login (bi-workbench tenant add; see tenancy.sql), the actor is
--   the verified login: user_agent starts with "[tenant login <role>]",
--   written here, and ip_address is the address the server saw
--   (inet_client_addr()). The acting user the workbench names
--   (bi_workbench.user_id) is recorded only if acting_user() finds them a
--   counted member of the login's organization (else NULL); within that
--   organization it is the login's claim, not a proof.
-- - on the owner's connections, from the transaction-local settings that
--   bi_workbench.events.audit.acting_as sets:
--   bi_workbench.user_id, bi_workbench.session_id, bi_workbench.ip, bi_workbench.user_agent
--
-- Bulk loads (synthetic seed, legacy migration) switch auditing off for their
-- own transaction with SET LOCAL bi_workbench.audit = 'off' (auditing_off()),
-- so a seeded database stays deterministic and a load is not doubled in size.
-- The switch works only for a session whose login is a superuser or BYPASSRLS
-- (the migration's own role): an analyst's 'off' is ignored.
--
-- audit_log is partitioned by month on created_at (= now(), the transaction's
-- start). The maintenance command makes partitions ahead
-- (ensure_partitions_ahead()); audit_log_default catches any month without
-- one, so an audited write never fails for a missing partition.
--
-- SECURITY DEFINER: the function writes audit_log with its owner's rights, so
-- the roles that write audited tables (bi_analyst) need, and get, no privilege
-- on audit_log itself: they can neither read other tenants' old/new values nor
-- forge or erase audit rows. search_path is pinned below (pg_temp last) so no
-- caller can shadow audit_log with a table of its own.

CREATE OR REPLACE FUNCTION audit_row_change()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER AS $fn$
DECLARE
    old_values jsonb;
    new_values jsonb;
    row_id text;
    privileged boolean;
    tenant_login boolean;
BEGIN
    SELECT r.rolsuper OR r.rolbypassrls INTO privileged FROM pg_roles AS r WHERE r.rolname = session_user;
    IF privileged AND current_setting('bi_workbench.audit', true) = 'off' THEN
        RETURN NULL;
    END IF;
    tenant_login := current_tenant() IS NOT NULL;

    IF TG_OP = 'INSERT' THEN
        new_values := to_jsonb(NEW);
        row_id := new_values ->> 'id';
    ELSIF TG_OP = 'DELETE' THEN
        old_values := to_jsonb(OLD);
        row_id := old_values ->> 'id';
    ELSE
        -- UPDATE: only the keys whose value changed, old and new side by side.
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, n.value)
          INTO old_values, new_values
          FROM jsonb_each(to_jsonb(OLD)) AS o
          JOIN jsonb_each(to_jsonb(NEW)) AS n ON n.key = o.key
         WHERE n.value IS DISTINCT FROM o.value;
        IF old_values IS NULL THEN
            RETURN NULL;  -- an UPDATE that changed nothing leaves no trace
        END IF;
        row_id := to_jsonb(NEW) ->> 'id';
    END IF;

    INSERT INTO audit_log (table_name, operation, record_id, old_values, new_values,
                           user_id, session_id, ip_address, user_agent)
    VALUES (
        TG_TABLE_NAME,
        TG_OP,
        -- every audited table has a UUID id; a table without one records NULL
        CASE WHEN row_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN row_id::uuid END,
        old_values,
        new_values,
        CASE WHEN tenant_login THEN acting_user()
             ELSE NULLIF(current_setting('bi_workbench.user_id', true), '')::uuid END,
        NULLIF(current_setting('bi_workbench.session_id', true), '')::uuid,
        CASE WHEN tenant_login THEN inet_client_addr()
             ELSE NULLIF(current_setting('bi_workbench.ip', true), '')::inet END,
        CASE WHEN tenant_login
             THEN format('[tenant login %s] %s', session_user, current_setting('bi_workbench.user_agent', true))
             ELSE NULLIF(current_setting('bi_workbench.user_agent', true), '') END
    );
    RETURN NULL;
END
$fn$;

DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION audit_row_change() SET search_path = %I, pg_temp', current_schema());
END
$do$;

-- Trigger functions cannot be called directly, but keep EXECUTE to the owner anyway.
REVOKE ALL ON FUNCTION audit_row_change() FROM PUBLIC;

-- One trigger per audited table. TRUNCATE is not row-level and is not audited.
DO $do$
DECLARE
    audited text[] := ARRAY[
        'users', 'organizations', 'organization_members', 'subscriptions',
        'assessments', 'assessment_scores', 'assessment_invitations',
        'growth_levers', 'growth_progress', 'simulations',
        'dashboard_widgets', 'notifications', 'team_messages', 'email_subscriptions',
        'market_insights', 'engagement_intelligence'
    ];
    t text;
BEGIN
    FOREACH t IN ARRAY audited LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS audit_trail ON %I', t);
        EXECUTE format('CREATE TRIGGER audit_trail AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION audit_row_change()', t);
    END LOOP;
END
$do$;
