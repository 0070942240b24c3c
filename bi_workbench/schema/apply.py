"""Applying the schema: create it on an empty database, upgrade an older one in place.

Every change runs in one transaction (PostgreSQL's DDL is transactional), so a
failure leaves the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..errors import SchemaApplyError, SchemaMissingError
from . import catalog
from .locking import LOCK_TIMEOUT, with_lock_timeout
from .tables import metadata
from .tenancy import apply_tenancy

VERSION_TABLE = "schema_version"
MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_MONTHS_AHEAD = 3


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest schema revision this package knows."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """Return the schema revision recorded in the database, or None if it has none."""
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


#: Transaction-scoped advisory lock key of `init_schema` ("bi_i"; the migration's is "bi_m").
INIT_LOCK_KEY = 0x62695F69


def init_schema(engine: Engine, *, revision: str = "head", months_ahead: int = DEFAULT_MONTHS_AHEAD) -> tuple[str | None, str]:
    """Create or upgrade the schema to ``revision`` in one transaction; return (before, after) revisions.

    Lock waits time out and the transaction is retried (`locking.with_lock_timeout`):
    LockBusyError names the session that kept the locks.

    On a schema already at the head it also repairs what `db check` reports
    of the security-relevant catalog (`catalog.repair`): row-level security,
    policies, grants, view options, triggers, functions and CHECKs.
    """
    def upgrade(conn: Connection) -> tuple[str | None, str]:
        # One init at a time: a second one waits, then finds the schema made (no lock_timeout on that wait).
        conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(INIT_LOCK_KEY)))
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        before = current_revision(conn)
        if before is None:
            _refuse_foreign_tables(conn)
        command.upgrade(_alembic_config(conn), revision)
        after = current_revision(conn)
        if after == head_revision():
            if before is not None:  # rights, policies, triggers, checks changed by hand since
                catalog.repair(conn)
            conn.execute(sa.text("SELECT ensure_partitions_ahead(:n)"), {"n": months_ahead})
            # Policies follow the entity declarations of this package, which may have
            # changed since the revision that last applied them; views recreated since
            # need security_invoker again.
            apply_tenancy(conn)
        return before, after

    try:
        before, after = with_lock_timeout(engine, upgrade, what="db init")
    except (DBAPIError, psycopg.Error) as exc:
        # .sql files run on the raw driver connection, so psycopg errors arrive unwrapped.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SchemaApplyError(f"applying the schema failed and was rolled back: {reason}") from None
    return before, after


def require_schema(connection: Connection) -> str:
    """Return the database's revision, or raise SchemaMissingError if it is missing or behind."""
    revision = current_revision(connection)
    if revision is None:
        raise SchemaMissingError("the database holds no bi-workbench schema; run `bi-workbench db init` first.")
    if revision != head_revision():
        raise SchemaMissingError(
            f"the database's schema is at revision {revision}, this package needs {head_revision()}; "
            "run `bi-workbench db init` to upgrade it."
        )
    return revision


def reset_schema(engine: Engine) -> None:
    """Drop everything in the public schema (data included) and recreate it empty."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def _refuse_foreign_tables(conn: Connection) -> None:
    # A database that already has some of our tables, but no version record,
    # was not made by this tool: creating over it would half-merge two schemas.
    existing = set(sa.inspect(conn).get_table_names())
    clash = sorted(existing & set(metadata.tables))
    if clash:
        raise SchemaApplyError(
            f"the database already has tables named like the workbench's ({', '.join(clash[:5])}"
            f"{', ...' if len(clash) > 5 else ''}) but no schema version; use an empty database or `bi-workbench db reset`."
        )


def ensure_partitions_ahead(engine: Engine, months_ahead: int = DEFAULT_MONTHS_AHEAD) -> int:
    """Create monthly partitions up to ``months_ahead`` months ahead; return how many were created.

    Raises LockBusyError when another session kept the partitioned tables locked through every retry.
    """
    def create(conn: Connection) -> int:
        require_schema(conn)
        return conn.execute(sa.text("SELECT ensure_partitions_ahead(:n)"), {"n": months_ahead}).scalar_one()

    return with_lock_timeout(engine, create, what="db partitions")


def refresh_read_models(engine: Engine) -> None:
    """Refresh the materialized read models concurrently (readers are not blocked), and recount every
    session's source (``session_sources``) and every day's analytics events (``analytics_event_days``), which
    triggers keep, but not for writes straight into a partition.

    Raises LockBusyError when another session kept a read model locked through every retry.
    """
    def refresh(conn: Connection) -> None:
        require_schema(conn)
        conn.execute(sa.text("SELECT refresh_analytics_views()"))
        for recount in catalog.KEPT_BY_TRIGGERS.values():
            conn.execute(sa.text(recount))

    with_lock_timeout(engine, refresh, what="db refresh")
