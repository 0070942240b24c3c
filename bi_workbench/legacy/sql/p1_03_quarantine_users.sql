-- Phase 1, step 3: a legacy user whose address cannot be a user's is quarantined whole.
--
-- The address is the person's identity (and unique in users), so there is no user
-- without one: 'invalid: blank email' when nothing is left after trimming (NULL, spaces,
-- tabs, CR/LF, NO-BREAK SPACEs, ... by the identity rule of step 1), 'invalid: email
-- longer than 2000 bytes' when the btree indexes on users.email could not hold it.
WITH quarantined AS (
    INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase)
    SELECT 'tier2_users', t.u_id::text,
           coalesce(t.legacy_row, (SELECT to_jsonb(o) FROM tier2_users o WHERE o.u_id = t.u_id)), i.problem, 1
    FROM carried_tier2_users t
    JOIN legacy_email_identity i ON i.u_id = t.u_id
    WHERE i.problem IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'tier2_users' AND m.legacy_id = t.u_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'tier2_users' AND q.legacy_id = t.u_id::text)
    RETURNING 1
)
SELECT jsonb_build_object('migration_quarantine', count(*)) AS counts FROM quarantined;
