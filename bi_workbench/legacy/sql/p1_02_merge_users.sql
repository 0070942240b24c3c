-- Phase 1, step 2: map every other legacy row of a person to the user that survived.
--
-- A row whose address has the key (identity rule, step 1) of a user gets outcome 'merged':
-- reason 'duplicate email' when that user came from tier2_users (step 1 chose the
-- survivor), 'email already registered' when the user signed up on the platform.
-- The merged row's whole legacy row is kept in legacy_id_map.legacy_row, since its
-- own values (phone, title, ...) survive nowhere else. Its assessments, scores and
-- insights follow the map to the survivor in phases 2 and 3.
WITH merged AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'tier2_users', t.u_id::text, 'users', k.user_id, 'merged',
           CASE WHEN EXISTS (SELECT 1 FROM legacy_id_map s
                             WHERE s.legacy_table = 'tier2_users' AND s.legacy_id = k.user_id::text
                               AND s.outcome = 'migrated')
                THEN 'duplicate email'
                ELSE 'email already registered' END,
           coalesce(t.legacy_row, (SELECT to_jsonb(o) FROM tier2_users o WHERE o.u_id = t.u_id))
    FROM carried_tier2_users t
    JOIN legacy_email_identity i ON i.u_id = t.u_id
    JOIN user_email_identity k ON k.email_key = i.email_key
    WHERE i.problem IS NULL
      AND NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'tier2_users' AND m.legacy_id = t.u_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'tier2_users' AND q.legacy_id = t.u_id::text)
    RETURNING 1
)
SELECT jsonb_build_object('legacy_id_map', count(*)) AS counts FROM merged;
