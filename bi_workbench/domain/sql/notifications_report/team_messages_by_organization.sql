-- The :n organizations with the most team messages: organization, slug, messages, to_a_recipient, read,
-- read_share, senders.
--
-- Parameters: :organization_id, :industry, :start, :end (NULL = all / open), :n
SELECT coalesce(o.name, '(no organization)') AS organization,
       o.slug,
       count(*) AS messages,
       count(x.recipient_id) AS to_a_recipient,
       count(*) FILTER (WHERE x.recipient_id IS NOT NULL AND (coalesce(x.is_read, false) OR x.read_at IS NOT NULL))
           AS read,
       CAST(count(*) FILTER (WHERE x.recipient_id IS NOT NULL AND (coalesce(x.is_read, false) OR x.read_at IS NOT NULL))
            AS float8) / nullif(count(x.recipient_id), 0) AS read_share,
       count(DISTINCT x.sender_id) AS senders
FROM team_messages x
LEFT JOIN users u ON u.id = x.sender_id
LEFT JOIN organizations o ON o.id = x.organization_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY o.id, o.name, o.slug
ORDER BY messages DESC, organization, o.slug
LIMIT :n
