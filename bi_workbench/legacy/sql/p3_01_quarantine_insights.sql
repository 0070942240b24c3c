-- Phase 3, step 1: market insights that cannot move, quarantined whole.
--
-- Their orphans (no user id / user quarantined / user not found) were quarantined just
-- before (bi_workbench/legacy/books.py, `orphans`). Reason: 'invalid: confidence_score
-- outside 0-100' (the legacy percentage, scaled and rounded, would break the 0-1 scale).
-- The quarantine entries are written by bi_workbench/legacy/books.py (rows with a reason).
SELECT e.id AS legacy_key,
       CASE WHEN e.confidence_score IS NOT NULL AND round(e.confidence_score / 100, 2) NOT BETWEEN 0 AND 1
            THEN 'invalid: confidence_score outside 0-100'
       END AS reason
FROM carried_enhanced_market_insights e
