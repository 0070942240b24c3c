-- One user's dashboard from the read model.
SELECT * FROM user_dashboard_summary WHERE user_id = :user_id;
