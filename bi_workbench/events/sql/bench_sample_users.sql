-- A deterministic sample of users, busiest first half, for latency benchmarks.
(SELECT user_id FROM analytics_events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT :half)
UNION ALL
(SELECT id FROM users ORDER BY md5(id::text) LIMIT :half);
