"""The audit trail on a real PostgreSQL: triggers, acting user and session, switching it off, partitions."""

from __future__ import annotations

import ipaddress
import uuid

import pytest
import sqlalchemy as sa

from bi_workbench.errors import InvalidParameterError
from bi_workbench.events.audit import AUDITED_TABLES, acting_as, audit_trail, auditing_off, auditing_on

ACTOR = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
SESSION = uuid.UUID("00000000-0000-4000-8000-0000005e5510")


def _audit_rows(conn, table_name: str | None = None) -> list:
    query = "SELECT * FROM audit_log" + (" WHERE table_name = :t" if table_name else "") + " ORDER BY id"
    return conn.execute(sa.text(query), {"t": table_name}).mappings().all()


def _new_user(conn, email: str = "ann@example.com") -> uuid.UUID:
    return conn.execute(
        sa.text("INSERT INTO users (email, first_name, last_name) VALUES (:e, 'Ann', 'Lee') RETURNING id"), {"e": email}
    ).scalar_one()


def test_every_audited_table_has_the_shared_trigger_and_nothing_else_does(schema_database):
    with schema_database.connect() as conn:
        triggered = conn.execute(
            sa.text(
                "SELECT tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgfoid = 'audit_row_change'::regproc AND tgname = 'audit_trail'"
            )
        ).scalars().all()
        kinds = conn.execute(
            sa.text("SELECT DISTINCT tgtype FROM pg_trigger WHERE tgname = 'audit_trail' AND NOT tgisinternal")
        ).scalars().all()
    assert sorted(triggered) == sorted(AUDITED_TABLES)
    assert len(AUDITED_TABLES) == 16
    # ROW (1) + INSERT (4) + DELETE (8) + UPDATE (16), AFTER (no BEFORE bit 2)
    assert kinds == [1 | 4 | 8 | 16]


def test_insert_update_delete_write_audit_rows_with_values_and_the_acting_user(schema_database):
    with schema_database.begin() as conn:
        acting_as(conn, ACTOR, session_id=SESSION, ip="203.0.113.7", user_agent="pytest/notebook")
        user = _new_user(conn)
    with schema_database.begin() as conn:
        acting_as(conn, ACTOR, session_id=SESSION, ip="2001:db8::1", user_agent="pytest/notebook")
        conn.execute(sa.text("UPDATE users SET title = 'CFO', last_name = 'Li' WHERE id = :u"), {"u": user})
    with schema_database.begin() as conn:
        acting_as(conn, ACTOR)
        conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": user})
    with schema_database.connect() as conn:
        inserted, updated, deleted = _audit_rows(conn, "users")

    assert [row["operation"] for row in (inserted, updated, deleted)] == ["INSERT", "UPDATE", "DELETE"]
    assert {row["record_id"] for row in (inserted, updated, deleted)} == {user}
    assert {row["user_id"] for row in (inserted, updated, deleted)} == {ACTOR}

    assert inserted["old_values"] is None
    assert inserted["new_values"]["id"] == str(user)
    assert inserted["new_values"]["email"] == "ann@example.com"
    assert inserted["new_values"]["title"] is None
    assert inserted["session_id"] == SESSION
    assert inserted["ip_address"] == ipaddress.ip_address("203.0.113.7")
    assert inserted["user_agent"] == "pytest/notebook"

    # An UPDATE keeps only the keys that changed, before and after.
    assert updated["old_values"] == {"title": None, "last_name": "Lee"}
    assert updated["new_values"] == {"title": "CFO", "last_name": "Li"}
    assert updated["ip_address"] == ipaddress.ip_address("2001:db8::1")

    assert deleted["new_values"] is None
    assert deleted["old_values"]["email"] == "ann@example.com" and deleted["old_values"]["title"] == "CFO"
    assert (deleted["session_id"], deleted["ip_address"], deleted["user_agent"]) == (None, None, None)


def test_without_an_acting_user_the_row_is_still_audited_with_no_actor(schema_database):
    with schema_database.begin() as conn:
        user = _new_user(conn)
    with schema_database.connect() as conn:
        (row,) = _audit_rows(conn)
    assert (row["table_name"], row["operation"], row["record_id"]) == ("users", "INSERT", user)
    assert (row["user_id"], row["session_id"], row["ip_address"], row["user_agent"]) == (None, None, None, None)


def test_the_acting_user_is_transaction_local_and_does_not_leak_into_the_next_transaction(schema_database):
    engine = sa.create_engine(schema_database.url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            acting_as(conn, ACTOR, session_id=SESSION, ip="203.0.113.7", user_agent="first")
            _new_user(conn, "first@example.com")
        with engine.begin() as conn:  # the same pooled connection, a new transaction
            _new_user(conn, "second@example.com")
        with engine.connect() as conn:
            first, second = _audit_rows(conn)
    finally:
        engine.dispose()
    assert (first["user_id"], first["user_agent"]) == (ACTOR, "first")
    assert (second["user_id"], second["session_id"], second["ip_address"], second["user_agent"]) == (None,) * 4


def test_an_update_that_changes_nothing_leaves_no_audit_row(schema_database):
    with schema_database.begin() as conn:
        user = _new_user(conn)
        conn.execute(sa.text("UPDATE users SET email = email WHERE id = :u"), {"u": user})
    with schema_database.connect() as conn:
        assert [row["operation"] for row in _audit_rows(conn)] == ["INSERT"]


def test_auditing_off_writes_nothing_for_that_transaction_only(schema_database):
    with schema_database.begin() as conn:
        auditing_off(conn)
        acting_as(conn, ACTOR)
        user = _new_user(conn)
        organization = conn.execute(
            sa.text("INSERT INTO organizations (name, slug, owner_id) VALUES ('Acme', 'acme', :u) RETURNING id"), {"u": user}
        ).scalar_one()
        conn.execute(sa.text("UPDATE users SET title = 'CEO' WHERE id = :u"), {"u": user})
        conn.execute(sa.text("DELETE FROM organizations WHERE id = :o"), {"o": organization})
    with schema_database.connect() as conn:
        assert _audit_rows(conn) == []
    with schema_database.begin() as conn:  # the next transaction is audited again
        conn.execute(sa.text("UPDATE users SET title = 'CTO' WHERE id = :u"), {"u": user})
    with schema_database.connect() as conn:
        assert [(row["operation"], row["new_values"]) for row in _audit_rows(conn)] == [("UPDATE", {"title": "CTO"})]


def test_auditing_can_be_switched_back_on_within_the_transaction(schema_database):
    with schema_database.begin() as conn:
        auditing_off(conn)
        _new_user(conn, "quiet@example.com")
        auditing_on(conn)
        _new_user(conn, "loud@example.com")
    with schema_database.connect() as conn:
        assert [row["new_values"]["email"] for row in _audit_rows(conn)] == ["loud@example.com"]


def test_an_audited_write_in_a_month_without_a_partition_lands_in_the_default_partition(schema_database):
    with schema_database.begin() as conn:
        month = conn.execute(sa.text("SELECT 'audit_log_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')")).scalar()
        assert conn.execute(sa.text("SELECT to_regclass(:m)"), {"m": month}).scalar() is not None  # made ahead
        conn.exec_driver_sql(f"DROP TABLE {month}")
    with schema_database.begin() as conn:
        user = _new_user(conn)
    with schema_database.connect() as conn:
        where = conn.execute(sa.text("SELECT tableoid::regclass::text, record_id FROM audit_log")).all()
    assert where == [("audit_log_default", user)]
    with schema_database.begin() as conn:  # the maintenance command moves it into its month later
        assert conn.execute(sa.text("SELECT ensure_partitions_ahead(0)")).scalar() == 1
        assert conn.execute(sa.text("SELECT tableoid::regclass::text FROM audit_log")).scalar() == month


def test_the_audit_trail_reads_into_a_dataframe_filtered(schema_database):
    with schema_database.begin() as conn:
        acting_as(conn, ACTOR, ip="203.0.113.7")
        first = _new_user(conn, "one@example.com")
        _new_user(conn, "two@example.com")
        conn.execute(sa.text("UPDATE users SET title = 'VP' WHERE id = :u"), {"u": first})
    with schema_database.connect() as conn:
        everything = audit_trail(conn)
        one = audit_trail(conn, table_name="users", record_id=first)
        nobody = audit_trail(conn, user_id=uuid.uuid4())
        with pytest.raises(InvalidParameterError, match="audited tables"):
            audit_trail(conn, table_name="audit_log")
    assert len(everything) == 3 and len(nobody) == 0
    assert list(one["operation"]) == ["INSERT", "UPDATE"]
    assert one["new_values"].iloc[1] == {"title": "VP"}
    assert str(one["created_at"].dtype) == "datetime64[ns, UTC]" or str(one["created_at"].dtype).endswith(", UTC]")
    assert list(one["ip_address"]) == ["203.0.113.7", "203.0.113.7"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user_id": "not-a-uuid"}, "user_id must be a UUID"),
        ({"user_id": ACTOR, "session_id": 12}, "session_id must be a UUID"),
        ({"user_id": ACTOR, "ip": "999.1.1.1"}, "ip must be an IPv4 or IPv6 address"),
    ],
)
def test_acting_as_refuses_malformed_values(schema_database, kwargs, message):
    with schema_database.begin() as conn, pytest.raises(InvalidParameterError, match=message):
        acting_as(conn, **kwargs)
