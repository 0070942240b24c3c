"""Seeded databases and checks shared by the synthetic data tests (small scale, real PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bi_workbench.legacy.contract import LEGACY_TABLES
from bi_workbench.synthetic import PLATFORM_TABLES, seed_legacy, seed_platform
from tests.conftest import filled

#: A stand-in for the migration's first phase: one user per address, compared trimmed and case-blind.
MIGRATE_USERS = sa.text("""
    INSERT INTO users (id, email, first_name, last_name, created_at, updated_at)
    SELECT DISTINCT ON (lower(btrim(email)))
           u_id, btrim(email), coalesce(first_name, ''), coalesce(last_name, ''),
           created_at AT TIME ZONE 'UTC', created_at AT TIME ZONE 'UTC'
    FROM tier2_users
    ORDER BY lower(btrim(email)), created_at, u_id
""")


def migrate_users(connection) -> None:
    """Copy tier2_users into users the way the migration will (first registration of an address wins)."""
    connection.execute(MIGRATE_USERS)


RESTART_SEQUENCES = sa.text("""
    SELECT setval(format('%I.%I', schemaname, sequencename), min_value, false) FROM pg_sequences
""")


def restart_sequences(connection) -> None:
    """Restart every sequence, as in a fresh database (sequences ignore rollbacks, e.g. events.position)."""
    connection.execute(RESTART_SEQUENCES)


def checksums(connection, tables) -> dict[str, str]:
    """Return md5 of every row's text, in primary key order, per table."""
    sums = {}
    for table in tables:
        key = ", ".join(f"t.{c.name}" for c in table.primary_key.columns)
        query = f"SELECT md5(string_agg(t::text, '|' ORDER BY {key})) FROM {table.name} t"
        sums[table.name] = connection.exec_driver_sql(query).scalar()
    return sums


def seed_all(connection, seed: int = 42) -> dict[str, int]:
    """Seed the legacy tables, migrate the users, seed the platform; return rows written per table."""
    written = seed_legacy(connection, "small", seed, progress=False)
    migrate_users(connection)
    return written | seed_platform(connection, "small", seed, progress=False)


ALL_TABLES = LEGACY_TABLES + PLATFORM_TABLES


@pytest.fixture
def legacy_database(empty_database):
    """An Engine on a database holding the small legacy dataset (seed 42), committed."""
    return filled(empty_database, lambda conn: seed_legacy(conn, "small", 42, progress=False))


@pytest.fixture
def platform_database(schema_database):
    """An Engine on a database with the whole schema, the small legacy dataset, users and platform data."""
    return filled(schema_database, seed_all)
