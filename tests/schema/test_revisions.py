"""Every revision leaves a database that takes writes: upgraded to it from nothing, or downgraded to it from the head.

A read model kept by triggers (session_sources, analytics_event_days) gets its triggers
with its table and loses them with it, so no revision has a trigger writing into a table
that is not there; upgraded again, the read models count what was written without them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from bi_workbench.schema import tables as t
from bi_workbench.schema.apply import _alembic_config, current_revision, init_schema

REVISIONS = [s.revision for s in reversed(list(ScriptDirectory.from_config(_alembic_config()).walk_revisions()))]
AT = dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc)


def write_event(engine) -> None:
    """Insert, move and delete one analytics event, each in its own transaction (each fires the triggers)."""
    event = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(sa.insert(t.analytics_events).values(id=event, event_type="page_view", created_at=AT))
    with engine.begin() as conn:
        conn.execute(sa.update(t.analytics_events).where(t.analytics_events.c.id == event)
                     .values(created_at=AT + dt.timedelta(days=1)))
    with engine.begin() as conn:
        conn.execute(sa.delete(t.analytics_events).where(t.analytics_events.c.id == event))


@pytest.mark.parametrize("revision", REVISIONS)
def test_each_revision_upgraded_to_takes_writes(empty_database, revision):
    init_schema(empty_database, revision=revision)
    write_event(empty_database)
    with empty_database.connect() as conn:
        assert current_revision(conn) == revision


def test_each_revision_downgraded_to_takes_writes(schema_database):
    for revision in reversed(REVISIONS[:-1]):
        with schema_database.begin() as conn:
            command.downgrade(_alembic_config(conn), revision)
            assert current_revision(conn) == revision
        write_event(schema_database)


@pytest.mark.parametrize("down, up", [("0013", "0014"), ("0015", "0016")])
def test_upgraded_again_to_the_triggers_revision_alone_it_takes_writes(schema_database, down, up):
    # the triggers' revision runs without its table (dropped by the downgrade): it must not leave triggers
    with schema_database.begin() as conn:
        command.downgrade(_alembic_config(conn), down)
    with schema_database.begin() as conn:
        command.upgrade(_alembic_config(conn), up)
    write_event(schema_database)


@pytest.mark.parametrize("revision", ["0013", "0014", "0016"])
def test_upgraded_again_the_read_models_have_their_triggers_and_count_what_was_written_without(
        schema_database, revision):
    # 0013 has neither read model; 0014 and 0016 have the functions of one but not its table
    with schema_database.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)
    session = uuid.uuid4()
    with schema_database.begin() as conn:  # no trigger keeps a read model here
        conn.execute(sa.insert(t.analytics_events).values(event_type="signup", created_at=AT, session_id=session))
    with schema_database.begin() as conn:  # the revisions alone: no repair after them (as `init_schema` runs)
        command.upgrade(_alembic_config(conn), "head")
    with schema_database.begin() as conn:
        conn.execute(sa.insert(t.analytics_events).values(event_type="signup", created_at=AT, source="api"))
        days = conn.execute(sa.select(t.analytics_event_days.c.day_start, t.analytics_event_days.c.events)).all()
        sources = conn.execute(sa.select(t.session_sources.c.session_id, t.session_sources.c.source)).all()
    assert days == [(AT.replace(hour=0), 2)]  # counted by the upgrade, then by the trigger
    assert sources == [(session, "web")]
