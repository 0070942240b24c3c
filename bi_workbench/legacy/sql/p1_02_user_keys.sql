-- Phase 1, step 2: the identity keys of the users step 1 created, for step 3 (the later rows
-- of the same person merge into them). user_email_identity holds the keys of the users that
-- existed before the phase (bi_workbench/legacy/identity.py); a survivor keeps its u_id as users.id.
INSERT INTO user_email_identity (email_key, user_id)
SELECT i.email_key, i.u_id
FROM legacy_email_identity i
JOIN legacy_id_map m ON m.legacy_table = 'tier2_users' AND m.legacy_id = i.u_id::text
WHERE m.outcome = 'migrated';
