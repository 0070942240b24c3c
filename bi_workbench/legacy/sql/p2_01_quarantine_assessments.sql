-- Phase 2, step 1: onboarding assessments whose user is not a user are quarantined whole.
--
-- Phase 1 has mapped or quarantined every tier2_users row (phase 2 refuses to run
-- otherwise), so a u_id missing from legacy_id_map names either no legacy user at all
-- ('orphan: user not found'), a quarantined one ('orphan: user quarantined'), or
-- nobody ('orphan: no user id' for a NULL u_id). Legacy rows are read in their carried
-- form (bi_workbench/legacy/carry.py), whose legacy_row keeps a row with a value set aside
-- readable; other rows are kept as to_jsonb of the legacy row.
WITH quarantined AS (
    INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase)
    SELECT 'onboarding_assessments', o.o_id::text,
           coalesce(o.legacy_row, (SELECT to_jsonb(l) FROM onboarding_assessments l WHERE l.o_id = o.o_id)),
           CASE WHEN o.u_id IS NULL THEN 'orphan: no user id'
                WHEN EXISTS (SELECT 1 FROM migration_quarantine uq
                             WHERE uq.legacy_table = 'tier2_users' AND uq.legacy_id = o.u_id::text)
                THEN 'orphan: user quarantined'
                ELSE 'orphan: user not found' END,
           2
    FROM carried_onboarding_assessments o
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map um
                      WHERE um.legacy_table = 'tier2_users' AND um.legacy_id = o.u_id::text)
      AND NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'onboarding_assessments' AND m.legacy_id = o.o_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'onboarding_assessments' AND q.legacy_id = o.o_id::text)
    RETURNING 1
)
SELECT jsonb_build_object('migration_quarantine', count(*)) AS counts FROM quarantined;
