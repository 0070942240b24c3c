-- news_feed items ranked by relevance_score (highest first), then recency.
--
-- :limit         how many items
-- :category      one category (compared case-insensitively); NULL = all
-- :industry      items tagged with this industry (metadata.tags, case-insensitive); NULL = all
-- :since, :until half-open range [since, until) of published_at (created_at when not published)
--
-- Items without a relevance score come after every scored one; ties go to the
-- most recent, then to the id, so the order is stable.
SELECT CAST(row_number() OVER (ORDER BY n.relevance_score DESC NULLS LAST,
                                   coalesce(n.published_at, n.created_at) DESC NULLS LAST, n.id) AS integer) AS rank,
       n.id,
       n.title,
       n.url,
       n.source,
       n.category,
       CAST(n.relevance_score AS float8) AS relevance_score,
       coalesce(n.published_at, n.created_at) AS published_at
FROM news_feed n
WHERE coalesce(n.published_at, n.created_at) >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND coalesce(n.published_at, n.created_at) < coalesce(CAST(:until AS timestamptz), 'infinity')
  AND (CAST(:category AS text) IS NULL OR lower(btrim(n.category)) = lower(btrim(CAST(:category AS text))))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1
                  FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(n.metadata -> 'tags') = 'array'
                                                      THEN n.metadata -> 'tags' ELSE '[]' END) AS tag
                  WHERE lower(btrim(tag)) = lower(btrim(CAST(:industry AS text)))))
ORDER BY rank
LIMIT CAST(:limit AS integer);
