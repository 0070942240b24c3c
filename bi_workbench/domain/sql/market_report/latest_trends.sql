-- The most recent business trends (blank industry or source = 'unknown'): created_at, industry,
-- title, source.
SELECT t.created_at, coalesce(nullif(btrim(t.industry), ''), 'unknown') AS industry, t.title,
       coalesce(nullif(btrim(t.source), ''), 'unknown') AS source
FROM business_trends t
WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR lower(btrim(t.industry)) = lower(btrim(CAST(:industry AS text))))
ORDER BY t.created_at DESC, t.id
LIMIT CAST(:limit AS integer)
