-- One row on the selection's subscriptions in [:start, :end): customers, unpriced, arpa, new_subscriptions,
-- new_arpa, cancellations, seconds_at_risk.
--
-- Parameters: :organization_id, :industry (NULL = all), :start, :end (the window), :prices (jsonb of
-- {plan: {billing_cycle: monthly price}})
WITH chosen AS (
    SELECT t.status, t.created_at,
           CASE WHEN t.status = 'canceled' THEN t.updated_at END AS canceled_at,
           CAST(CAST(:prices AS jsonb) -> t.plan ->> coalesce(t.billing_cycle, 'monthly') AS float8) AS price
    FROM subscriptions t
    WHERE t.created_at < CAST(:end AS timestamptz)
      AND (CAST(:organization_id AS uuid) IS NULL OR EXISTS (
           SELECT 1 FROM organization_members m
           WHERE m.organization_id = CAST(:organization_id AS uuid) AND m.user_id = t.user_id))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.industry = CAST(:industry AS text)))
),
flagged AS (
    SELECT *, (status = 'active' OR (status = 'canceled' AND canceled_at >= CAST(:end AS timestamptz))) AS active
    FROM chosen
)
SELECT count(*) FILTER (WHERE active) AS customers,
       count(*) FILTER (WHERE active AND price IS NULL) AS unpriced,
       avg(price) FILTER (WHERE active) AS arpa,
       count(*) FILTER (WHERE created_at >= CAST(:start AS timestamptz)) AS new_subscriptions,
       avg(price) FILTER (WHERE created_at >= CAST(:start AS timestamptz)) AS new_arpa,
       count(*) FILTER (WHERE canceled_at >= CAST(:start AS timestamptz)
                          AND canceled_at < CAST(:end AS timestamptz)) AS cancellations,
       coalesce(sum(extract(epoch FROM least(coalesce(canceled_at, CAST(:end AS timestamptz)), CAST(:end AS timestamptz))
                                      - greatest(created_at, CAST(:start AS timestamptz))))
                FILTER (WHERE coalesce(canceled_at, CAST(:end AS timestamptz)) > CAST(:start AS timestamptz)), 0)
           AS seconds_at_risk
FROM flagged
