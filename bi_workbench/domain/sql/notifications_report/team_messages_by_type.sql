-- Team messages per message type: message_type, messages, to_a_recipient, read, read_share,
-- median_hours_to_read.
--
-- Parameters: :organization_id, :industry, :start, :end (NULL = all / open)
SELECT coalesce(nullif(btrim(x.message_type), ''), 'unknown') AS message_type,
       count(*) AS messages,
       count(x.recipient_id) AS to_a_recipient,
       count(*) FILTER (WHERE x.recipient_id IS NOT NULL AND (coalesce(x.is_read, false) OR x.read_at IS NOT NULL))
           AS read,
       CAST(count(*) FILTER (WHERE x.recipient_id IS NOT NULL AND (coalesce(x.is_read, false) OR x.read_at IS NOT NULL))
            AS float8) / nullif(count(x.recipient_id), 0) AS read_share,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN x.read_at >= x.created_at
           THEN extract(epoch FROM x.read_at - x.created_at) / 3600.0 END) AS median_hours_to_read
FROM team_messages x
LEFT JOIN users u ON u.id = x.sender_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY 1
ORDER BY messages DESC, 1
