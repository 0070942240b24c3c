"""The fast read path: Arrow record batches from PostgreSQL through ADBC (binary COPY, parsed in C++).

The ADBC PostgreSQL driver reads a query without parameters as
``COPY (query) TO STDOUT (FORMAT BINARY)`` and parses the stream into Arrow in
C++, which is about as fast as reading the raw COPY bytes. A query *with*
parameters cannot go through COPY (COPY takes none), so the driver would fall
back to a slower, fully buffered protocol.

To keep filter values bound, never written into SQL text, and still use
COPY, every bound parameter of the SQLAlchemy statement is moved into a
transaction-local setting: the value is sent as a bound parameter of
``SELECT set_config('bi_workbench.p1', $1, true)``, and the query reads it
back as ``CAST(current_setting('bi_workbench.p1') AS <type>)``. The cast is
the type's own input function, so a value can only ever be a value; the
planner treats ``current_setting`` as stable, so indexes and partition
pruning still apply. The transaction is rolled back at the end, which clears
the settings.
"""

from __future__ import annotations

import atexit
import datetime as dt
import decimal
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors

from ..database import tenancy

from ..errors import DatabaseUnavailableError, WorkbenchError

SETTING_PREFIX = "bi_workbench.p"
#: Arrow batches of about this many bytes come back from the driver.
BATCH_BYTES = 16 * 1024 * 1024

try:  # optional at import time so the normal path works without it
    import adbc_driver_postgresql.dbapi as adbc_dbapi
except ImportError:  # pragma: no cover - adbc-driver-postgresql is a dependency
    adbc_dbapi = None

_DIALECT = PGDialect_psycopg(paramstyle="numeric_dollar")


class FastPathUnavailableError(WorkbenchError):
    """The Arrow read path cannot be used (its driver is missing)."""


def available() -> bool:
    """Return whether the ADBC PostgreSQL driver is installed.

    Example::

        >>> available()
        True
    """
    return adbc_dbapi is not None


def unparameterized(statement: sa.Select) -> tuple[str, list[tuple[str, str]]]:
    """Return (SQL without parameters, [(setting name, value as text)]) for ``statement``.

    Each bound parameter becomes ``CAST(current_setting('bi_workbench.pN') AS type)``;
    the values are returned separately, to be bound to ``set_config`` calls.

    Example::

        >>> sql, settings = unparameterized(sa.select(users.c.id).where(users.c.email == "a@b.c"))
        >>> settings
        [('bi_workbench.p1', 'a@b.c')]
    """
    settings: list[tuple[str, str]] = []

    def replace(element):
        if not isinstance(element, sa.BindParameter):
            return None
        if element.expanding:
            raise WorkbenchError("internal error: the fast path cannot move an expanding IN parameter; use = ANY(array)")
        value = element.effective_value
        type_ = _cast_type(element.type, value)
        if value is None:
            return sa.cast(sa.null(), type_)
        name = f"{SETTING_PREFIX}{len(settings) + 1}"
        settings.append((name, _text(value, element.type)))
        return sa.cast(sa.func.current_setting(sa.literal_column(f"'{name}'")), type_)

    rewritten = visitors.replacement_traverse(statement, {}, replace)
    compiled = rewritten.compile(dialect=_DIALECT)
    if compiled.binds:
        raise WorkbenchError(f"internal error: parameters left in the fast-path query: {sorted(compiled.binds)}")
    return str(compiled), settings


def _cast_type(type_: sa.types.TypeEngine, value) -> sa.types.TypeEngine:
    if isinstance(type_, sa.JSON.JSONPathType):
        return pg.ARRAY(sa.Text)
    if isinstance(type_, sa.JSON.JSONIndexType) or isinstance(type_, sa.types.NullType):
        if isinstance(value, bool):
            return sa.Boolean()
        if isinstance(value, int):
            return sa.BigInteger()
        if isinstance(value, float):
            return pg.DOUBLE_PRECISION()
        return sa.Text()
    return type_


def _text(value, type_: sa.types.TypeEngine) -> str:
    """The PostgreSQL input text of ``value`` (parsed back by the type's input function)."""
    if isinstance(type_, sa.JSON) and not isinstance(type_, (sa.JSON.JSONPathType, sa.JSON.JSONIndexType)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "{" + ",".join("NULL" if v is None else '"' + _escape_element(_text(v, sa.Text())) + '"' for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (int, float, decimal.Decimal, uuid.UUID, str)):
        return str(value)
    return str(value)


def _escape_element(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def adbc_uri(engine: Engine) -> str:
    """Return the libpq URI of ``engine``'s database (for ADBC and ConnectorX).

    Example::

        >>> adbc_uri(create_engine("postgresql://ann@localhost:5432/bi"))
        'postgresql://ann@localhost:5432/bi'
    """
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class _ConnectionPool:
    """Idle ADBC connections per database URI: the driver reads the server's type catalogue when it
    connects (tens of milliseconds), so connections are reused. At most POOL_SIZE idle per URI."""

    POOL_SIZE = 4

    def __init__(self):
        self._idle: dict[str, list] = {}
        self._lock = threading.Lock()

    def take(self, uri: str):
        with self._lock:
            idle = self._idle.get(uri)
            if idle:
                return idle.pop(), True
        return adbc_dbapi.connect(uri), False

    def give_back(self, uri: str, connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(uri, [])
            if len(idle) < self.POOL_SIZE:
                idle.append(connection)
                return
        connection.close()

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001 - already gone
                    pass


_pool = _ConnectionPool()
atexit.register(_pool.clear)


def close_idle_connections() -> None:
    """Close the idle ADBC connections kept for reuse (they are also closed at exit); returns None.

    Example::

        >>> close_idle_connections()
    """
    _pool.clear()


@contextmanager
def record_batches(engine: Engine, statement: sa.Select) -> Iterator[pa.RecordBatchReader]:
    """Yield a RecordBatchReader of ``statement``'s rows read through ADBC (binary COPY).

    The connection is held as long as the context. Example::

        with record_batches(engine, sa.select(analytics_events)) as reader:
            for batch in reader:
                ...
    """
    if adbc_dbapi is None:
        raise FastPathUnavailableError("the fast path needs adbc-driver-postgresql; run `pip install adbc-driver-postgresql`")
    sql, settings = unparameterized(statement)
    tenant = engine.get_execution_options().get(tenancy.TENANT_OPTION)
    if tenant is not None:  # a tenant engine: the same context its SQLAlchemy transactions get
        settings = [(tenancy.TENANT_SETTING, tenant[0]), (tenancy.USER_SETTING, tenant[1]), *settings]
    uri = adbc_uri(engine)
    for attempt in (1, 2):
        try:
            connection, reused = _pool.take(uri)
        except Exception as exc:  # the driver's own error classes vary by version
            raise DatabaseUnavailableError(
                f"cannot connect through ADBC to {engine.url.render_as_string(hide_password=True)}: {_first_line(exc)}"
            ) from None
        try:
            cursor = connection.cursor()
            cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(BATCH_BYTES)})
            if settings:
                placeholders = ", ".join(f"set_config(${2 * i + 1}, ${2 * i + 2}, true)" for i in range(len(settings)))
                cursor.execute(f"SELECT {placeholders}", [part for pair in settings for part in pair])
                cursor.fetchall()
            if tenant is not None:
                cursor.execute(f"SET LOCAL ROLE {tenancy.ANALYST_ROLE}")
            cursor.execute(sql)
            reader = cursor.fetch_record_batch()
        except Exception:
            _discard(connection)
            if reused and attempt == 1:
                continue  # a pooled connection the server has closed since: retry on a new one
            raise
        break
    healthy = False
    try:
        yield reader
        healthy = True
    finally:
        try:
            reader.close()
            cursor.close()
            connection.rollback()  # also clears the transaction-local settings
        except Exception:  # noqa: BLE001 - a broken connection is simply not reused
            healthy = False
        if healthy:
            _pool.give_back(uri, connection)
        else:
            _discard(connection)


def _discard(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
