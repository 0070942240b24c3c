-- Phase 2, step 2: scoring results that cannot become assessment scores, quarantined whole.
--
-- Their orphans (no user id / user quarantined / user not found) were quarantined just
-- before (bi_workbench/legacy/books.py, `orphans`), so every row read names a user.
-- Reasons, the first that applies:
-- * 'invalid: score outside 0-5' / 'invalid: confidence outside 0-1': the value rounded
--   to the new columns' two decimals breaks their scale (NaN included);
-- * 'unmatched: user has no onboarding assessment': the person (after merging) has no
--   migrated onboarding assessment the result could belong to.
-- The quarantine entries are written by bi_workbench/legacy/books.py (rows with a reason).
SELECT s.id AS legacy_key,
       CASE WHEN s.score IS NOT NULL AND round(s.score, 2) NOT BETWEEN 0 AND 5
            THEN 'invalid: score outside 0-5'
            WHEN s.confidence IS NOT NULL AND round(s.confidence, 2) NOT BETWEEN 0 AND 1
            THEN 'invalid: confidence outside 0-1'
            WHEN NOT EXISTS (
                     SELECT 1 FROM assessments a
                     WHERE a.user_id = um.new_id AND a.assessment_type = 'onboarding'
                       AND a.metadata->>'source' = 'onboarding_assessments')
            THEN 'unmatched: user has no onboarding assessment'
       END AS reason
FROM carried_assessment_scoring_results s
JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = s.user_id::text
