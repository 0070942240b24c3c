-- Rows of audit_log and analytics_events created in [:since, :until) per partition: parent, partition, rows.
--
-- Parameters: :since, :until (NULL = open). The partition is the name of the table holding the rows,
-- named once per partition, not once per row.
SELECT parent, CAST(CAST(tableoid AS regclass) AS text) AS partition, rows
FROM (
    SELECT 'audit_log' AS parent, t.tableoid, count(*) AS rows
    FROM audit_log t
    WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    GROUP BY t.tableoid
    UNION ALL
    SELECT 'analytics_events' AS parent, t.tableoid, count(*) AS rows
    FROM analytics_events t
    WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
    GROUP BY t.tableoid
) AS counted
