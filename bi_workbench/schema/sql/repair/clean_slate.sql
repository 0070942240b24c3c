-- The first half of repairing the catalog (bi_workbench.schema.catalog.repair):
-- take away every security-relevant setting of the current schema that the
-- idempotent revisions (catalog.REDECLARING_REVISIONS) set, so that running
-- them again leaves exactly what they declare, and nothing added beside it:
--   row-level security flags and policies, privileges of every role but the
--   owner (tables, views, sequences, columns, functions, the schema itself),
--   view options, user triggers, and the functions nothing else depends on.
-- Runs in the caller's transaction; `db check` runs it in a savepoint that it
-- rolls back, `db init` commits it together with the re-applied files.

DO $do$
DECLARE
    r record;
    here CONSTANT regnamespace := current_schema()::regnamespace;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS rel FROM pg_class AS c
         WHERE c.relnamespace = here AND c.relkind IN ('r', 'p') AND (c.relrowsecurity OR c.relforcerowsecurity)
    LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', r.rel);
    END LOOP;

    FOR r IN
        SELECT p.polname, p.polrelid::regclass AS rel FROM pg_policy AS p
          JOIN pg_class AS c ON c.oid = p.polrelid
         WHERE c.relnamespace = here
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.rel);
    END LOOP;

    -- Table, view and sequence privileges (PUBLIC included: by default it has none on them).
    FOR r IN
        SELECT DISTINCT c.oid::regclass AS rel, a.grantee FROM pg_class AS c, aclexplode(c.relacl) AS a
         WHERE c.relnamespace = here AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', r.rel,
                       CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;

    FOR r IN
        SELECT DISTINCT c.oid::regclass AS rel, att.attname, a.grantee
          FROM pg_class AS c
          JOIN pg_attribute AS att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
         CROSS JOIN LATERAL aclexplode(att.attacl) AS a
         WHERE c.relnamespace = here
    LOOP
        EXECUTE format('REVOKE ALL (%I) ON %s FROM %s', r.attname, r.rel,
                       CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;

    -- Functions: back to PostgreSQL's default (EXECUTE for PUBLIC); the files revoke what they must.
    FOR r IN
        SELECT DISTINCT p.oid::regprocedure AS fn, a.grantee FROM pg_proc AS p, aclexplode(p.proacl) AS a
         WHERE p.pronamespace = here AND p.prokind IN ('f', 'p') AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM %s', r.fn,
                       CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS fn FROM pg_proc AS p
         WHERE p.pronamespace = here AND p.prokind IN ('f', 'p') AND p.proacl IS NOT NULL
    LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO PUBLIC', r.fn);
    END LOOP;

    -- The schema: every role but its owner loses its privileges, except PUBLIC's USAGE (the default).
    FOR r IN
        SELECT DISTINCT a.grantee FROM pg_namespace AS n, aclexplode(n.nspacl) AS a
         WHERE n.oid = here AND a.grantee <> n.nspowner
    LOOP
        IF r.grantee = 0 THEN
            EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
        ELSE
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', current_schema(), pg_get_userbyid(r.grantee));
        END IF;
    END LOOP;

    -- View options (security_invoker, security_barrier, check_option); a materialized
    -- view's storage parameters are tuning, not security, and are left alone.
    FOR r IN
        SELECT c.oid::regclass AS rel FROM pg_class AS c
         WHERE c.relnamespace = here AND c.relkind = 'v' AND c.reloptions IS NOT NULL
    LOOP
        EXECUTE format('ALTER VIEW %s RESET (%s)', r.rel,
                       (SELECT string_agg(split_part(o, '=', 1), ', ')
                          FROM pg_class AS c2, unnest(c2.reloptions) AS o WHERE c2.oid = r.rel));
    END LOOP;

    -- User triggers (not those of constraints, not the clones a partition inherits).
    FOR r IN
        SELECT t.tgname, t.tgrelid::regclass AS rel FROM pg_trigger AS t
          JOIN pg_class AS c ON c.oid = t.tgrelid
         WHERE c.relnamespace = here AND NOT t.tgisinternal AND t.tgparentid = 0
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
    END LOOP;

    -- Functions, now that no policy or trigger uses them: the files create
    -- theirs again, so one they do not declare shows up as extra. One that
    -- something else still depends on (a column default, a view) stays.
    FOR r IN
        SELECT p.oid::regprocedure AS fn FROM pg_proc AS p
         WHERE p.pronamespace = here AND p.prokind IN ('f', 'p')
           AND NOT EXISTS (SELECT 1 FROM pg_depend AS d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        BEGIN
            EXECUTE format('DROP ROUTINE %s', r.fn);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            NULL;
        END;
    END LOOP;
END
$do$;
