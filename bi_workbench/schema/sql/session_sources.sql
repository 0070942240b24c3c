-- A session's source: the first, by name, of the sources of the analytics events
-- its own user logged in it (`bi_workbench.domain.analytics.session_lengths` by
-- source). Kept on user_sessions.first_source by the triggers below, so sessions
-- group by source without grouping every analytics event (10M at large scale).
--
-- Only an event of the session's own user counts: an event naming somebody
-- else's session (session_id is no foreign key) changes nothing there.
--
-- Writes to analytics_events go through the partitioned table itself: its
-- statement triggers do not fire for a statement that names one partition (the
-- analyst role may write neither). user_sessions.first_source cannot be set by
-- hand: an insert or update that sets it is overruled by what the events say.

-- The source of one session, from its events (one index probe per partition).
CREATE OR REPLACE FUNCTION session_first_source(session uuid, owner uuid)
RETURNS text
LANGUAGE sql STABLE AS $fn$
    SELECT min(source) FROM analytics_events WHERE session_id = session AND user_id = owner
$fn$;

-- Added events can only lower a session's source: one grouped pass over the
-- statement's new rows, and a write only where the source changes.
CREATE OR REPLACE FUNCTION session_sources_added()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE user_sessions AS s SET first_source = f.source
      FROM (SELECT session_id, user_id, min(source) AS source FROM added_events
             WHERE session_id IS NOT NULL GROUP BY session_id, user_id) AS f
     WHERE s.id = f.session_id AND s.user_id = f.user_id AND f.source IS NOT NULL
       AND (s.first_source IS NULL OR s.first_source > f.source);
    RETURN NULL;
END
$fn$;

-- Sessions recomputed from their events, written only where the source changes.
CREATE OR REPLACE FUNCTION recompute_session_sources(sessions uuid[])
RETURNS void
LANGUAGE sql AS $fn$
    UPDATE user_sessions AS s SET first_source = f.source
      FROM (SELECT id, session_first_source(id, user_id) AS source FROM user_sessions WHERE id = ANY (sessions)) AS f
     WHERE s.id = f.id AND s.first_source IS DISTINCT FROM f.source
$fn$;

-- Updated or deleted events: the sessions they were or are in, from the events left.
CREATE OR REPLACE FUNCTION session_sources_changed()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM recompute_session_sources(ARRAY(SELECT session_id FROM old_events UNION SELECT session_id FROM new_events));
    ELSE
        PERFORM recompute_session_sources(ARRAY(SELECT DISTINCT session_id FROM old_events));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION session_sources_emptied()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE user_sessions SET first_source = NULL WHERE first_source IS NOT NULL;
    RETURN NULL;
END
$fn$;

-- Sessions added after their events: their source from the events already there.
CREATE OR REPLACE FUNCTION session_sources_of_new_sessions()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE user_sessions AS s SET first_source = f.source
      FROM (SELECT e.session_id, min(e.source) AS source
              FROM analytics_events AS e JOIN added_sessions AS n ON e.session_id = n.id AND e.user_id = n.user_id
             GROUP BY e.session_id) AS f
     WHERE s.id = f.session_id AND f.source IS NOT NULL;
    RETURN NULL;
END
$fn$;

-- A session's own writes: a value set by hand gives way to the events' (the
-- triggers above write from one level down, and are let through).
CREATE OR REPLACE FUNCTION session_source_guard()
RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.first_source := NULL;  -- the statement trigger after the insert reads the events
    ELSE
        NEW.first_source := session_first_source(NEW.id, NEW.user_id);
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER session_sources_added AFTER INSERT ON analytics_events
    REFERENCING NEW TABLE AS added_events FOR EACH STATEMENT EXECUTE FUNCTION session_sources_added();
CREATE OR REPLACE TRIGGER session_sources_updated AFTER UPDATE ON analytics_events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION session_sources_changed();
CREATE OR REPLACE TRIGGER session_sources_deleted AFTER DELETE ON analytics_events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION session_sources_changed();
CREATE OR REPLACE TRIGGER session_sources_emptied AFTER TRUNCATE ON analytics_events
    FOR EACH STATEMENT EXECUTE FUNCTION session_sources_emptied();
CREATE OR REPLACE TRIGGER session_sources_of_new_sessions AFTER INSERT ON user_sessions
    REFERENCING NEW TABLE AS added_sessions FOR EACH STATEMENT EXECUTE FUNCTION session_sources_of_new_sessions();
CREATE OR REPLACE TRIGGER session_source_guard BEFORE INSERT ON user_sessions
    FOR EACH ROW WHEN (NEW.first_source IS NOT NULL) EXECUTE FUNCTION session_source_guard();
CREATE OR REPLACE TRIGGER session_source_guard_update BEFORE UPDATE ON user_sessions
    FOR EACH ROW WHEN (NEW.first_source IS DISTINCT FROM OLD.first_source OR NEW.id IS DISTINCT FROM OLD.id
                       OR NEW.user_id IS DISTINCT FROM OLD.user_id)
    EXECUTE FUNCTION session_source_guard();

-- Called only by the triggers above, which run with the rights of whoever writes the tables.
REVOKE ALL ON FUNCTION session_first_source(uuid, uuid), recompute_session_sources(uuid[]), session_sources_added(),
    session_sources_changed(), session_sources_emptied(), session_sources_of_new_sessions(), session_source_guard()
    FROM PUBLIC;
