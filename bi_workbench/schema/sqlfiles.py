"""Named .sql files kept beside the code that runs them."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.engine import Connection


def read_sql(package: str, name: str) -> str:
    """Return the text of ``name`` in the ``sql`` folder of ``package``."""
    return resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")


def run_sql_file(connection: Connection, package: str, name: str) -> None:
    """Execute every statement of a named .sql file on ``connection`` (in its transaction)."""
    # The raw psycopg connection runs a parameterless multi-statement script as
    # is; going through SQLAlchemy would treat the '%' of format() as a placeholder.
    connection.connection.driver_connection.execute(read_sql(package, name))
