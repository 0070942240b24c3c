SELECT * FROM seed_user_dashboard_summary WHERE user_id = :user_id;
