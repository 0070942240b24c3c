-- The latest created_at of lever plans, milestones, simulations and subscriptions (NULL when all are empty).
--
-- Parameters: no parameters
SELECT greatest((SELECT max(created_at) FROM growth_levers), (SELECT max(created_at) FROM growth_progress),
                (SELECT max(created_at) FROM simulations), (SELECT max(created_at) FROM subscriptions))
