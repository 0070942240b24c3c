"""Throwaway databases on the same server, for benchmarks that must not touch the user's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..errors import DatabaseUnavailableError
from .connection import create_engine


@contextmanager
def scratch_database(engine: Engine, prefix: str = "bench") -> Iterator[Engine]:
    """Yield an Engine on a new empty database beside ``engine``'s; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    preparer = admin.dialect.identifier_preparer
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {preparer.quote(name)}")
    except DBAPIError as exc:
        admin.dispose()
        raise DatabaseUnavailableError(
            f"cannot create a scratch database for the benchmark: {str(exc.orig).strip().splitlines()[0]}; "
            "the role needs CREATEDB."
        ) from None
    scratch = create_engine(engine.url.set(database=name))
    try:
        yield scratch
    finally:
        scratch.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {preparer.quote(name)} WITH (FORCE)")
        admin.dispose()
