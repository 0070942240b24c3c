-- The default as_of of the analytics reports: the latest created_at of analytics_events
-- or users (NULL when both are empty), so reports on fixed data do not move with the clock.
SELECT greatest((SELECT max(created_at) FROM analytics_events), (SELECT max(created_at) FROM users)) AS as_of;
