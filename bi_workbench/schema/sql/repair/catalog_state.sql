-- The security-relevant catalog state of the current schema, one row per object:
-- (kind, target, state). bi_workbench.schema.catalog compares the live state
-- with the state a repair leaves (rehearsed in a savepoint) to find drift.
-- Privileges are read through acldefault() so "never granted" and "granted the
-- defaults explicitly" read the same; the owner's own privileges are left out.
WITH here AS (SELECT current_schema()::regnamespace AS nsp),
role_name(oid, name) AS (SELECT 0::oid, 'PUBLIC' UNION ALL SELECT oid, rolname::text FROM pg_roles),
relation_grants AS (
    SELECT c.relname || ' to ' || g.name AS target,
           string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN ' (grantable)' ELSE '' END, ', '
                      ORDER BY a.privilege_type) AS state
      FROM pg_class AS c
     CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) AS a
      JOIN role_name AS g ON g.oid = a.grantee
     WHERE c.relnamespace = (SELECT nsp FROM here) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND a.grantee <> c.relowner
     GROUP BY c.relname, g.name
),
column_grants AS (
    SELECT c.relname || '.' || att.attname || ' to ' || g.name AS target,
           string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS state
      FROM pg_class AS c
      JOIN pg_attribute AS att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
     CROSS JOIN LATERAL aclexplode(att.attacl) AS a
      JOIN role_name AS g ON g.oid = a.grantee
     WHERE c.relnamespace = (SELECT nsp FROM here)
     GROUP BY c.relname, att.attname, g.name
),
routine_grants AS (
    SELECT p.oid::regprocedure::text || ' to ' || g.name AS target,
           string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS state
      FROM pg_proc AS p
     CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
      JOIN role_name AS g ON g.oid = a.grantee
     WHERE p.pronamespace = (SELECT nsp FROM here) AND p.prokind IN ('f', 'p') AND a.grantee <> p.proowner
     GROUP BY p.oid, g.name
),
schema_grants AS (
    SELECT 'schema ' || n.nspname || ' to ' || g.name AS target,
           string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS state
      FROM pg_namespace AS n
     CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
      JOIN role_name AS g ON g.oid = a.grantee
     WHERE n.oid = (SELECT nsp FROM here) AND a.grantee <> n.nspowner
     GROUP BY n.nspname, g.name
)
SELECT 'row-level security' AS kind, c.relname::text AS target,
       CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END
       || CASE WHEN c.relforcerowsecurity THEN ', forced' ELSE ', not forced' END AS state
  FROM pg_class AS c
 WHERE c.relnamespace = (SELECT nsp FROM here) AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'policy', c.relname || '.' || p.polname,
       CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END
       || ' for ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                   WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
       || ' to ' || (SELECT string_agg(g.name, ', ' ORDER BY g.name) FROM role_name AS g WHERE g.oid = ANY (p.polroles))
       || ' using (' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ')'
       || ' with check (' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') || ')'
  FROM pg_policy AS p
  JOIN pg_class AS c ON c.oid = p.polrelid
 WHERE c.relnamespace = (SELECT nsp FROM here)
UNION ALL
SELECT 'grant', target, state FROM relation_grants
UNION ALL
SELECT 'grant', target, state FROM column_grants
UNION ALL
SELECT 'grant', target, state FROM routine_grants
UNION ALL
SELECT 'grant', target, state FROM schema_grants
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, c.relname,
       pg_get_viewdef(c.oid)
  FROM pg_class AS c
 WHERE c.relnamespace = (SELECT nsp FROM here) AND c.relkind IN ('v', 'm')
UNION ALL
SELECT 'view option', c.relname, coalesce(array_to_string(c.reloptions, ', '), 'none')
  FROM pg_class AS c
 WHERE c.relnamespace = (SELECT nsp FROM here) AND c.relkind = 'v'
UNION ALL
SELECT 'trigger', c.relname || '.' || t.tgname,
       pg_get_triggerdef(t.oid)
       || CASE t.tgenabled WHEN 'D' THEN ' [disabled]' WHEN 'R' THEN ' [replica only]' WHEN 'A' THEN ' [always]'
                           ELSE ' [enabled]' END
  FROM pg_trigger AS t
  JOIN pg_class AS c ON c.oid = t.tgrelid
 WHERE c.relnamespace = (SELECT nsp FROM here) AND NOT t.tgisinternal AND t.tgparentid = 0
UNION ALL
SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid)
  FROM pg_proc AS p
 WHERE p.pronamespace = (SELECT nsp FROM here) AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'check constraint', c.relname || '.' || k.conname,
       regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', '')
       || CASE WHEN k.convalidated THEN '' ELSE ' [not validated]' END
  FROM pg_constraint AS k
  JOIN pg_class AS c ON c.oid = k.conrelid
 WHERE c.relnamespace = (SELECT nsp FROM here) AND k.contype = 'c' AND k.conislocal AND NOT c.relispartition
