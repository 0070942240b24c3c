-- The read model session_sources (bi_workbench/schema/tables.py): the first source, by
-- name, of each session's analytics events: min(source) over the events whose session_id
-- is the session's, NULL when every one of them has none; a session without events has
-- no row. It is kept in the transaction of every write through analytics_events by
-- statement triggers with transition tables: one aggregated upsert per statement (a COPY
-- of a million events is one statement), a recount of the touched sessions on UPDATE and
-- DELETE, emptied with the events on TRUNCATE. Writes straight into one partition do not
-- fire the parent's statement triggers: `bi-workbench db refresh` recounts every session
-- (refresh_session_sources()). Revision 0014 runs this file; it is idempotent.

-- Recount the given sessions from the events (NULL: every session), in one statement:
-- rows of sessions left without events are deleted, the others set to their minimum.
CREATE OR REPLACE FUNCTION refresh_session_sources(sessions uuid[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    -- Dynamic SQL so that each call is planned for its own argument: the session_id
    -- index for a few sessions, one grouped pass for all of them.
    EXECUTE format($sql$
        WITH fresh AS MATERIALIZED (
            SELECT session_id, min(source) AS source FROM analytics_events
             WHERE session_id IS NOT NULL AND %1$s GROUP BY session_id
        ), gone AS (
            DELETE FROM session_sources AS kept
             WHERE %2$s AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.session_id = kept.session_id)
        )
        INSERT INTO session_sources AS kept (session_id, source) SELECT session_id, source FROM fresh
        ON CONFLICT (session_id) DO UPDATE SET source = EXCLUDED.source
         WHERE kept.source IS DISTINCT FROM EXCLUDED.source
    $sql$,
        CASE WHEN sessions IS NULL THEN 'true' ELSE 'session_id = ANY($1)' END,
        CASE WHEN sessions IS NULL THEN 'true' ELSE 'kept.session_id = ANY($1)' END)
    USING sessions;
END
$fn$;

CREATE OR REPLACE FUNCTION session_sources_inserted()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- LEAST skips NULLs as min() does: a NULL source never replaces a named one.
    INSERT INTO session_sources AS kept (session_id, source)
    SELECT session_id, min(source) FROM inserted_events WHERE session_id IS NOT NULL GROUP BY session_id
    ON CONFLICT (session_id) DO UPDATE SET source = LEAST(kept.source, EXCLUDED.source)
     WHERE kept.source IS DISTINCT FROM LEAST(kept.source, EXCLUDED.source);
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION session_sources_changed()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- An update may move an event between sessions: both the old and the new session are recounted.
    IF TG_OP = 'UPDATE' THEN
        PERFORM refresh_session_sources(ARRAY(
            SELECT session_id FROM old_events WHERE session_id IS NOT NULL
            UNION SELECT session_id FROM new_events WHERE session_id IS NOT NULL));
    ELSE
        PERFORM refresh_session_sources(ARRAY(
            SELECT DISTINCT session_id FROM old_events WHERE session_id IS NOT NULL));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION session_sources_truncated()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- A TRUNCATE that names session_sources too has emptied it already, and truncating it
    -- again inside that statement is refused (the table is in use by it).
    IF EXISTS (SELECT FROM session_sources) THEN
        TRUNCATE session_sources;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER session_sources_insert AFTER INSERT ON analytics_events
    REFERENCING NEW TABLE AS inserted_events FOR EACH STATEMENT EXECUTE FUNCTION session_sources_inserted();
CREATE OR REPLACE TRIGGER session_sources_update AFTER UPDATE ON analytics_events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION session_sources_changed();
CREATE OR REPLACE TRIGGER session_sources_delete AFTER DELETE ON analytics_events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION session_sources_changed();
CREATE OR REPLACE TRIGGER session_sources_truncate AFTER TRUNCATE ON analytics_events
    FOR EACH STATEMENT EXECUTE FUNCTION session_sources_truncated();

-- Nobody but the owner runs these: the triggers run them for whoever writes the events.
REVOKE ALL ON FUNCTION refresh_session_sources(uuid[]), session_sources_inserted(), session_sources_changed(),
    session_sources_truncated() FROM PUBLIC;
