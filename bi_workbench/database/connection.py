"""One way to get a database connection everywhere: URL or embedded server, as an Engine."""

from __future__ import annotations

import json
import os
from functools import lru_cache

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from ..errors import ConfigurationError, DatabaseUnavailableError, SchemaMissingError, WorkbenchError
from ..settings import Settings, load_settings
from . import jsonvalues
from .embedded import EmbeddedServer
from .plans import PLAN_LOG_ENV, record_plans

_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
#: Memory each sort or hash of a query may use before it spills to disk (PostgreSQL's work_mem), for every
#: session of `create_engine` whose server allows less. The server's default, 4 MB, spills the grouping of a
#: few hundred thousand rows to temporary files; the reports group millions (a session of `create_engine` runs
#: one query at a time, so a few of them at once stay within a few hundred MB).
WORK_MEM = "64MB"


def embedded_server(settings: Settings) -> EmbeddedServer:
    """Return the embedded server described by ``settings`` (not started)."""
    return EmbeddedServer(settings.pgdata, settings.port)


def normalize_url(raw: str) -> URL:
    """Return ``raw`` as a SQLAlchemy URL on the psycopg 3 driver, or raise ConfigurationError."""
    form = "write it as postgresql://user:password@host:port/database"
    try:
        url = make_url(raw)
        port = url.port
    except (ArgumentError, ValueError) as exc:
        # ValueError: a port that is no integer ("host:abc"), or an unclosed IPv6 bracket ("[::1:5432").
        why = "" if isinstance(exc, ArgumentError) else (
            " (its IPv6 host lacks the closing ']')" if "[" in raw and "]" not in raw else " (its port is not a number)")
        raise ConfigurationError(f"{_redact(raw)!r} is not a database URL{why}; {form}.") from None
    if port is not None and not 1 <= port <= 65535:
        raise ConfigurationError(f"the database URL {_redact(raw)!r} has port {port}, outside 1-65535; {form}.")
    if url.drivername not in _SCHEMES:
        raise ConfigurationError(
            f"the database URL uses {url.drivername!r}; bi-workbench needs PostgreSQL: postgresql://user@host:port/database."
        )
    if not url.database:
        raise ConfigurationError(f"the database URL {url.render_as_string(hide_password=True)} names no database; add /database_name.")
    return url.set(drivername="postgresql+psycopg")


def resolve_url(settings: Settings | None = None, *, start: bool = True) -> URL:
    """Return the URL of the database in force, starting the embedded server if it is the one."""
    settings = settings or load_settings()
    if not settings.uses_embedded_server:
        return normalize_url(settings.database_url)
    server = embedded_server(settings)
    if start:
        server.start()
        _ensure_database(make_url(server.url("postgres")), settings.database)
    return make_url(server.url(settings.database))


def create_engine(url: URL | str, **kwargs) -> Engine:
    """Return an Engine on ``url`` after checking that the server answers."""
    url = normalize_url(url) if isinstance(url, str) else url
    # UUIDs, datetimes and Decimals inside JSONB values are written as text.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", jsonvalues.loads)
    engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
    sa.event.listen(engine, "connect", _raise_work_mem)
    check_reachable(engine)
    return engine


def raise_work_mem(cursor, *, transaction: bool) -> None:
    """Give each sort and hash `WORK_MEM` unless the setting is already higher, for the session or ``transaction``.

    ``cursor``: a psycopg cursor or a SQLAlchemy Connection (its ``exec_driver_sql``). For the
    transaction on an autocommit connection, the setting ends with this very statement.
    """
    run = getattr(cursor, "exec_driver_sql", None) or cursor.execute
    run(_RAISE_WORK_MEM, {"size": WORK_MEM, "local": transaction})


_RAISE_WORK_MEM = ("SELECT set_config('work_mem', %(size)s, %(local)s) "
                   "WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes(%(size)s)")


def _raise_work_mem(dbapi_connection, _record) -> None:
    """Give the new session `WORK_MEM` (the reports' groupings spill to disk in the default 4 MB)."""
    with dbapi_connection.cursor() as cursor:
        raise_work_mem(cursor, transaction=False)
    dbapi_connection.commit()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    engine = create_engine(url)
    if os.environ.get(PLAN_LOG_ENV):  # `bi-workbench bench` reads a report's query plans back
        record_plans(engine, os.environ[PLAN_LOG_ENV])
    return engine


def get_engine(database_url: str | None = None) -> Engine:
    """Return the shared Engine of the database in force (argument, environment, embedded).

    With BI_WORKBENCH_TENANT set, it is a tenant engine: every transaction sees
    only that organization (see `bi_workbench.database.tenancy`).
    """
    settings = load_settings(database_url)
    engine = _engine_for(resolve_url(settings).render_as_string(hide_password=False))
    if settings.tenant is None:
        return engine
    from .tenancy import tenant_engine

    return tenant_engine(engine, *settings.tenant)


def check_reachable(engine: Engine) -> None:
    """Raise DatabaseUnavailableError with the server's reason if ``engine`` cannot connect."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot connect to {where}: {_first_line(exc.orig)}; check the URL and that the server is running."
        ) from None
    except DBAPIError as exc:  # the driver refused the URL's options (e.g. ?sslmode=bogus)
        raise ConfigurationError(f"cannot use the database URL {where}: {_first_line(exc.orig)}.") from None


def _ensure_database(admin_url: URL, database: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}).scalar()
            if not exists:
                preparer = engine.dialect.identifier_preparer
                try:
                    conn.exec_driver_sql(f"CREATE DATABASE {preparer.quote(database)}")
                except DBAPIError as exc:
                    # A concurrent first start created it between our look and our CREATE: that is success.
                    if not isinstance(exc.orig, (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation)):
                        raise
    finally:
        engine.dispose()


def _json_dumps(value) -> str:
    return json.dumps(value, default=str)


def _first_line(error: BaseException | None) -> str:
    text = str(error or "unknown error").strip()
    return text.splitlines()[0] if text else "unknown error"


def _redact(raw: str) -> str:
    if "@" in raw and ":" in raw.split("@", 1)[0]:
        scheme_user, rest = raw.split("@", 1)
        return scheme_user.rsplit(":", 1)[0] + ":***@" + rest
    return raw


def explain_database_error(error: BaseException) -> WorkbenchError | None:
    """Return the expected failure a driver error stands for, as a one-line WorkbenchError, or None if it is a bug.

    Connectivity and resources (OperationalError: connection lost, server shut
    down or crashed, disk full, out of memory) become DatabaseUnavailableError;
    a missing table or function (the schema is absent or behind) becomes
    SchemaMissingError. Anything else (a syntax error is a bug) gives None.
    """
    orig = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    line = _first_line(orig)
    if isinstance(orig, psycopg.errors.DiskFull) or "No space left on device" in str(orig):
        return DatabaseUnavailableError(
            f"the database server's disk is full ({line}); the interrupted step was rolled back: "
            "free space, then run the command again."
        )
    if isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)) or isinstance(
        error, (OperationalError, sa.exc.InterfaceError)
    ):
        return DatabaseUnavailableError(
            f"the database stopped answering ({line}); the interrupted step was rolled back: "
            "check the server (`bi-workbench db status`) and run the command again."
        )
    if isinstance(orig, (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction, psycopg.errors.UndefinedColumn)):
        return SchemaMissingError(
            f"the database lacks part of the bi-workbench schema ({line}); run `bi-workbench db init`."
        )
    return None
