-- The rollup analytics_event_days (bi_workbench/schema/tables.py): how many analytics events
-- each (UTC day, user, organization) has, NULL user or organization included; a key without
-- events has no row. Counts are additive, so every write is a delta: one aggregated upsert per
-- statement (a COPY of a million events is one statement) adds the inserted events and
-- subtracts the deleted ones (an UPDATE does both), and the rows left at 0 are deleted; a
-- TRUNCATE of the events empties it. Writes straight into one partition do not fire the
-- parent's statement triggers: `bi-workbench db refresh` recounts every day
-- (refresh_analytics_event_days()). Revision 0016 runs this file; it is idempotent.

-- The UTC day of an instant, as the timestamptz of its midnight (date_bin counts in absolute
-- time: the session's TimeZone does not move it).
CREATE OR REPLACE FUNCTION analytics_event_day(at timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_bin('1 day', at, TIMESTAMPTZ '2000-01-01 00:00:00+00');

-- Recount every day from the events, in the caller's transaction (readers see the old rows
-- until it commits). Writers' triggers wait for it (the lock conflicts with their upserts, not
-- with readers): a write committed between the recount and a trigger's upsert would otherwise
-- be counted twice, or its row collide with the recount's.
CREATE OR REPLACE FUNCTION refresh_analytics_event_days()
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    LOCK TABLE analytics_event_days IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM analytics_event_days;
    INSERT INTO analytics_event_days (day_start, user_id, organization_id, events)
    SELECT analytics_event_day(created_at), user_id, organization_id, count(*)
      FROM analytics_events GROUP BY 1, 2, 3;
END
$fn$;

-- One aggregated upsert per statement: the events it removed (old_events, of an UPDATE or
-- DELETE) subtracted and those it wrote (new_events, of an INSERT or UPDATE) added, each key
-- once (an upsert may not touch a row twice) and in key order, so two statements lock the keys
-- they share in the same order; then the keys left without events go. A key's row stays locked
-- until the writer commits: writers of the same day, user and organization wait for each other
-- (every event without a user and organization of one day shares a row), transactions that
-- write the same keys in opposite orders over several statements can deadlock, and a
-- REPEATABLE READ writer fails to serialize after another's commit on its key.
CREATE OR REPLACE FUNCTION analytics_event_days_changed()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format($sql$
        INSERT INTO analytics_event_days AS kept (day_start, user_id, organization_id, events)
        SELECT analytics_event_day(created_at), user_id, organization_id, sum(n)
          FROM (%s) AS delta GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (day_start, user_id, organization_id) DO UPDATE SET events = kept.events + EXCLUDED.events
    $sql$, CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT created_at, user_id, organization_id, 1 AS n FROM new_events'
        WHEN 'DELETE' THEN 'SELECT created_at, user_id, organization_id, -1 AS n FROM old_events'
        ELSE 'SELECT created_at, user_id, organization_id, -1 AS n FROM old_events
              UNION ALL SELECT created_at, user_id, organization_id, 1 FROM new_events' END);
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM analytics_event_days WHERE events <= 0;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION analytics_event_days_truncated()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- A TRUNCATE that names analytics_event_days too has emptied it already, and truncating it
    -- again inside that statement is refused (the table is in use by it).
    IF EXISTS (SELECT FROM analytics_event_days) THEN
        TRUNCATE analytics_event_days;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER analytics_event_days_insert AFTER INSERT ON analytics_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION analytics_event_days_changed();
CREATE OR REPLACE TRIGGER analytics_event_days_update AFTER UPDATE ON analytics_events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_event_days_changed();
CREATE OR REPLACE TRIGGER analytics_event_days_delete AFTER DELETE ON analytics_events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION analytics_event_days_changed();
CREATE OR REPLACE TRIGGER analytics_event_days_truncate AFTER TRUNCATE ON analytics_events
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_event_days_truncated();

-- Nobody but the owner runs these: the triggers run them for whoever writes the events.
REVOKE ALL ON FUNCTION analytics_event_day(timestamptz), refresh_analytics_event_days(),
    analytics_event_days_changed(), analytics_event_days_truncated() FROM PUBLIC;
