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


def select_columns(connection: Connection, select: str) -> list[str]:
    """Return the output column names of ``select`` (a read-only query), in order.

    Asked of the server by planning it under ``LIMIT 0``: no row is read. ``select`` may
    end with a line comment; it must not modify data (a data-modifying CTE would run).
    """
    return list(connection.exec_driver_sql(f"SELECT * FROM (\n{select}\n) AS q LIMIT 0").keys())


#: The statements a read model's triggers follow; its trigger on each is named ``<read model>_<statement>``.
TRIGGERED_STATEMENTS = ("insert", "update", "delete", "truncate")


def drop_read_model_triggers(connection: Connection, read_model: str, source: str = "analytics_events") -> None:
    """Drop the statement triggers on ``source`` that keep ``read_model`` (those that exist).

    A revision that drops a read model's table drops its triggers first: left behind, they would
    write into a table that is no longer there, and every write to ``source`` would fail.
    """
    for statement in TRIGGERED_STATEMENTS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {read_model}_{statement} ON {source}")


def declare_read_model(connection: Connection, package: str, sql_file: str, read_model: str) -> None:
    """Run ``sql_file`` (a read model's functions and triggers, idempotent); keep its triggers only beside its table.

    The revision that declares the functions may run without the table (a database upgraded again
    after a downgrade dropped it): triggers writing into no table would fail every write to the events.
    """
    run_sql_file(connection, package, sql_file)
    if connection.exec_driver_sql(f"SELECT to_regclass('{read_model}') IS NULL").scalar():
        drop_read_model_triggers(connection, read_model)


def start_read_model(connection: Connection, sql_file: str, read_model: str, recount: str) -> None:
    """Declare a read model's triggers beside its table just created, then count it once with ``recount``.

    The triggers first (`declare_read_model`): they lock the events' table, so no write
    commits between the count and them. ``recount``: the read model's refresh, e.g.
    ``SELECT refresh_session_sources()``.
    """
    declare_read_model(connection, "bi_workbench.schema", sql_file, read_model)
    connection.exec_driver_sql(recount)


def drop_read_model(connection: Connection, table) -> None:
    """Drop a read model (a Table of the model) and, first, the triggers that keep it (`drop_read_model_triggers`)."""
    drop_read_model_triggers(connection, table.name)
    table.drop(connection, checkfirst=True)
