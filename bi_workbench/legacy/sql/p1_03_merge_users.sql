-- Phase 1, step 3: map every other legacy row of a person to the user that survived.
--
-- A row whose address has the key (identity rule, step 1) of a user gets outcome 'merged':
-- reason 'duplicate email' when that user came from tier2_users (step 1 chose the
-- survivor), 'email already registered' when the user signed up on the platform.
-- The merged row's whole legacy row is kept in legacy_id_map.legacy_row, since its
-- own values (phone, title, ...) survive nowhere else. Its assessments, scores and
-- insights follow the map to the survivor in phases 2 and 3.
-- The legacy_id_map entries are written by bi_workbench/legacy/books.py.
SELECT t.u_id AS legacy_key,
       k.user_id AS new_id,
       CASE WHEN EXISTS (SELECT 1 FROM legacy_id_map s
                         WHERE s.legacy_table = 'tier2_users' AND s.legacy_id = k.user_id::text
                           AND s.outcome = 'migrated')
            THEN 'duplicate email'
            ELSE 'email already registered' END AS reason
FROM carried_tier2_users t
JOIN legacy_email_identity i ON i.u_id = t.u_id
JOIN user_email_identity k ON k.email_key = i.email_key
WHERE i.problem IS NULL
