"""The security-relevant catalog of the schema: read it, rehearse its repair, repair it.

What the Alembic comparison in `drift` cannot see: row-level security flags
(enabled, forced), policies and their expressions, privileges of every role
(tables, views, sequences, columns, functions, the schema), view options
(``security_invoker``), view definitions, CHECK expressions, triggers and
whether they are enabled, and function definitions; and, outside the schema,
what the tenancy keeps (`tenant_roles.role_state`): the grants of the guarded
large-object and advisory-lock functions, objects owned by the analysts'
roles, and those roles' settings.

The expected state is never written down a second time: it is what a repair
leaves, and a repair is (1) ``sql/repair/clean_slate.sql``, which takes all of
the above away, (2) the upgrades of the revisions that declare them, run again
in order (`REDECLARING_REVISIONS`: they are idempotent, and run the .sql files
of ``schema/sql/``, the metrics layer's view DDL and `tenancy.apply_tenancy`), and (3) the model's CHECK
constraints (`tables.metadata`). `expected_state` rehearses that repair in a
savepoint and rolls it back, so a change to the .sql files, the revisions or
the model changes what is expected, with no list of objects to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import sqlalchemy as sa
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import AddConstraint

from ..errors import SchemaApplyError
from .sqlfiles import read_sql, run_sql_file
from .tables import metadata
from .tenancy import ANALYST_ROLE
from .tenant_roles import role_state

#: Revisions whose upgrade is idempotent and declares functions, views, triggers, policies or grants.
REDECLARING_REVISIONS = ("0002", "0005", "0007", "0008", "0010", "0014", "0016")
MIGRATIONS = Path(__file__).with_name("migrations")
PACKAGE = "bi_workbench.schema"
NOT_VALIDATED = " [not validated]"

State = dict[tuple[str, str], str]


def live_state(connection: Connection) -> State:
    """Return {(kind, target): state} of the schema's security-relevant catalog as the database has it."""
    rows = connection.exec_driver_sql(read_sql(PACKAGE, "repair/catalog_state.sql"))
    return {(kind, target): state for kind, target, state in rows} | role_state(connection, ANALYST_ROLE)


def expected_state(connection: Connection) -> State:
    """Return the state a repair would leave, rehearsed in a savepoint that is rolled back."""
    savepoint = connection.begin_nested()
    try:
        _apply(connection, validate=False)
        want = live_state(connection)
    finally:
        savepoint.rollback()
    # The rehearsal adds the model's CHECKs NOT VALID (no table scan); a real repair validates them.
    return {key: value.removesuffix(NOT_VALIDATED) if _is_model_check(key) else value for key, value in want.items()}


def differences(connection: Connection, ignore_tables: frozenset[str] = frozenset()) -> Iterator[tuple[str, str, str]]:
    """Yield (kind, target, detail) for every object whose catalog state differs from what a repair leaves.

    For ``ignore_tables`` (tables that may sit beside the schema) and their
    sequences, what a repair would add is not expected (rules like "every
    sequence of the schema" reach them too, but they are not the schema's);
    what they have beyond it (a grant someone added) is still reported.
    """
    ignored = _with_owned_sequences(connection, ignore_tables)
    have = live_state(connection)
    try:
        want = expected_state(connection)
        want = {key: value for key, value in want.items() if key in have or _relation(key) not in ignored}
    except SchemaApplyError as exc:
        # e.g. a table the .sql files name is gone: the structural differences say which
        yield "uncomparable rights and policies", "schema", f"{exc}; fix the other differences first"
        return
    for key in sorted(have.keys() | want.keys()):
        kind, target = key
        if key not in have:
            yield f"missing {kind}", target, _short(want[key])
        elif key not in want:
            yield f"extra {kind}", target, _short(have[key])
        elif have[key] != want[key]:
            yield f"different {kind}", target, f"database has {_short(have[key])}; model has {_short(want[key])}"


def repair(connection: Connection) -> list[tuple[str, str, str]]:
    """Bring the schema's security-relevant catalog back to the model, in the connection's transaction.

    Returns the differences it repaired (none: nothing was touched). CHECK
    constraints that differ are added again validated, so a row violating the
    model's CHECK makes the repair fail (SchemaApplyError) instead of hiding.
    """
    found = list(differences(connection))
    if found:
        drifted = {target.split(".", 1)[0] for kind, target, _ in found if kind.endswith(" check constraint")}
        _apply(connection, validate=True, check_tables=drifted)
        _recount_kept(connection, found)
    return found


#: The read models triggers keep, and the statement that recounts each from the events.
KEPT_BY_TRIGGERS = {"session_sources": "SELECT refresh_session_sources()",
                    "analytics_event_days": "SELECT refresh_analytics_event_days()"}


def _recount_kept(connection: Connection, found) -> None:
    """Recount a read model whose trigger or function the repair restored: writes made without it were missed."""
    for name, recount in KEPT_BY_TRIGGERS.items():
        if any(name in target for kind, target, _ in found if "trigger" in kind or "function" in kind):
            connection.execute(sa.text(recount))


def _apply(connection: Connection, *, validate: bool, check_tables: set[str] | None = None) -> None:
    """Clean slate, the declaring .sql files, the model's CHECKs (of ``check_tables``, or of every table)."""
    try:
        run_sql_file(connection, PACKAGE, "repair/clean_slate.sql")
        _redeclare(connection)
        _replace_checks(connection, validate=validate, only=check_tables)
    except (DBAPIError, psycopg.Error) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise SchemaApplyError(f"repairing the schema's rights, policies and checks failed: {reason}") from None


def _redeclare(connection: Connection) -> None:
    """Run the upgrades of `REDECLARING_REVISIONS` again, in order, on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    with Operations.context(MigrationContext.configure(connection)):
        for revision in REDECLARING_REVISIONS:
            script.get_revision(revision).module.upgrade()


def _replace_checks(connection: Connection, *, validate: bool, only: set[str] | None) -> None:
    """Drop every local CHECK of the model's tables (or of ``only`` those) and add the model's own again."""
    live = set(sa.inspect(connection).get_table_names())
    preparer = connection.dialect.identifier_preparer
    for table in metadata.sorted_tables:
        if table.name not in live or (only is not None and table.name not in only):
            continue
        names = connection.execute(
            sa.text("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) AND contype = 'c' AND conislocal"),
            {"t": preparer.quote(table.name)},
        ).scalars().all()
        for name in names:
            connection.exec_driver_sql(f"ALTER TABLE {preparer.quote(table.name)} DROP CONSTRAINT {preparer.quote(name)}")
        for check in _checks(table):
            # isolate_from_table=False: the default would drop the CHECK from later CREATE TABLEs of the model
            statement = str(AddConstraint(check, isolate_from_table=False).compile(dialect=connection.dialect))
            connection.exec_driver_sql(statement + ("" if validate else " NOT VALID"))


def _checks(table: sa.Table) -> list[sa.CheckConstraint]:
    return [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]


def _is_model_check(key: tuple[str, str]) -> bool:
    kind, target = key
    return kind == "check constraint" and target.split(".", 1)[0] in metadata.tables


def _with_owned_sequences(connection: Connection, tables: frozenset[str]) -> frozenset[str]:
    if not tables:
        return frozenset()
    owned = connection.execute(sa.text(
        "SELECT s.relname FROM pg_class AS s JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        "AND d.deptype IN ('a', 'i') JOIN pg_class AS t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND t.relname = ANY(:tables) AND t.relnamespace = current_schema()::regnamespace"
    ), {"tables": sorted(tables)}).scalars()
    return frozenset(tables) | frozenset(owned)


def _relation(key: tuple[str, str]) -> str:
    """The relation an entry is about (targets read "rel", "rel.x" or "rel to role")."""
    return key[1].split(" to ", 1)[0].split(".", 1)[0]


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
