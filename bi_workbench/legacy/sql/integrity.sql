-- Integrity of the new tables and of the bookkeeping after the migration: one row per
-- check, (name, rows that break it, up to five example ids). Every count must be 0.
-- Email identities are checked in Python (bi_workbench/legacy/identity_check.py): the
-- server's lower() folds only ASCII letters in the C locale.
SELECT 'assessments whose user_id names no user' AS name, count(*) AS problem_rows,
       (array_agg(a.id::text ORDER BY a.id))[1:5] AS examples
FROM assessments a
WHERE a.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)
UNION ALL
SELECT 'migrated assessments without a user', count(*), (array_agg(a.id::text ORDER BY a.id))[1:5]
FROM assessments a
WHERE a.metadata @> '{"source": "onboarding_assessments"}' AND a.user_id IS NULL
UNION ALL
SELECT 'assessment_scores whose assessment_id names no assessment', count(*), (array_agg(s.id::text ORDER BY s.id))[1:5]
FROM assessment_scores s
WHERE s.assessment_id IS NULL OR NOT EXISTS (SELECT 1 FROM assessments a WHERE a.id = s.assessment_id)
UNION ALL
SELECT 'market_insights whose user_id names no user', count(*), (array_agg(i.id::text ORDER BY i.id))[1:5]
FROM market_insights i
WHERE i.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id)
UNION ALL
SELECT 'engagement_intelligence whose user_id names no user', count(*), (array_agg(e.id::text ORDER BY e.id))[1:5]
FROM engagement_intelligence e
WHERE e.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)
UNION ALL
SELECT 'legacy_id_map rows whose new row is missing', count(*),
       (array_agg(m.legacy_table || ':' || m.legacy_id ORDER BY m.legacy_table, m.legacy_id))[1:5]
FROM legacy_id_map m
WHERE NOT CASE m.new_table
          WHEN 'users' THEN EXISTS (SELECT 1 FROM users n WHERE n.id = m.new_id)
          WHEN 'assessments' THEN EXISTS (SELECT 1 FROM assessments n WHERE n.id = m.new_id)
          WHEN 'assessment_scores' THEN EXISTS (SELECT 1 FROM assessment_scores n WHERE n.id = m.new_id)
          WHEN 'market_insights' THEN EXISTS (SELECT 1 FROM market_insights n WHERE n.id = m.new_id)
          WHEN 'business_trends' THEN EXISTS (SELECT 1 FROM business_trends n WHERE n.id = m.new_id)
          WHEN 'engagement_intelligence' THEN EXISTS (SELECT 1 FROM engagement_intelligence n WHERE n.id = m.new_id)
          ELSE false END
UNION ALL
SELECT 'new rows made from more than one legacy row (multiplied)', count(*),
       (array_agg(d.new_table || ':' || d.new_id ORDER BY d.new_table, d.new_id))[1:5]
FROM (SELECT m.new_table, m.new_id::text AS new_id FROM legacy_id_map m WHERE m.outcome = 'migrated'
      GROUP BY m.new_table, m.new_id HAVING count(*) > 1) d
UNION ALL
SELECT 'legacy rows both mapped and quarantined', count(*),
       (array_agg(m.legacy_table || ':' || m.legacy_id ORDER BY m.legacy_table, m.legacy_id))[1:5]
FROM legacy_id_map m
JOIN migration_quarantine q ON q.legacy_table = m.legacy_table AND q.legacy_id = m.legacy_id
UNION ALL
SELECT 'migrated assessments missing from legacy_id_map', count(*), (array_agg(a.id::text ORDER BY a.id))[1:5]
FROM assessments a
WHERE a.metadata @> '{"source": "onboarding_assessments"}'
  AND NOT EXISTS (SELECT 1 FROM legacy_id_map m WHERE m.legacy_table = 'onboarding_assessments'
                                        AND m.legacy_id = a.metadata->>'legacy_id' AND m.new_id = a.id)
UNION ALL
SELECT 'migrated business trends missing from legacy_id_map', count(*), (array_agg(b.id::text ORDER BY b.id))[1:5]
FROM business_trends b
WHERE b.metadata @> '{"source": "realtime_business_trends"}'
  AND NOT EXISTS (SELECT 1 FROM legacy_id_map m WHERE m.legacy_table = 'realtime_business_trends'
                                        AND m.legacy_id = b.metadata->>'legacy_id' AND m.new_id = b.id);
