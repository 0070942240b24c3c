-- Phase 1, step 3: a legacy user with a blank email cannot become a user: the address
-- (NULL or spaces only) is the person's identity (and unique in users), so the row is
-- quarantined whole.
WITH quarantined AS (
    INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase)
    SELECT 'tier2_users', t.u_id::text, to_jsonb(t), 'invalid: blank email', 1
    FROM tier2_users t
    WHERE coalesce(btrim(t.email), '') = ''
      AND NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'tier2_users' AND m.legacy_id = t.u_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'tier2_users' AND q.legacy_id = t.u_id::text)
    RETURNING 1
)
SELECT jsonb_build_object('migration_quarantine', count(*)) AS counts FROM quarantined;
