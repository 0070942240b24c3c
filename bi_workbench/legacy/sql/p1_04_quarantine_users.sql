-- Phase 1, step 4: a legacy user whose address cannot be a user's is quarantined whole.
--
-- The address is the person's identity (and unique in users), so there is no user
-- without one: 'invalid: blank email' when nothing is left after trimming (NULL, spaces,
-- tabs, CR/LF, NO-BREAK SPACEs, ... by the identity rule of step 1), 'invalid: email
-- longer than 2000 bytes' when the btree indexes on users.email could not hold it.
-- The quarantine entries are written by bi_workbench/legacy/books.py.
SELECT t.u_id AS legacy_key, i.problem AS reason
FROM carried_tier2_users t
JOIN legacy_email_identity i ON i.u_id = t.u_id
