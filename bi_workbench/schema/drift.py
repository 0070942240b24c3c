"""Schema awareness: compare a live database with the model and list every difference.

Tables, columns, types, nullability, server defaults, indexes, UNIQUE and
foreign keys are compared by Alembic's autogenerate; partitioning and the INCLUDE
columns of indexes (which Alembic does not compare) here; and the
security-relevant catalog (row-level security flags, policies and their
expressions, grants to any role, view options and definitions, CHECK
expressions, triggers and whether they are enabled, functions) by `catalog`,
against the state its repair (what `db init` runs) would leave.
The loaders use `live_columns` and `TableInfo` to know what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from ..errors import SchemaDriftError
from . import catalog
from .apply import VERSION_TABLE
from .sqlfiles import read_sql
from .tables import MONTHLY_PARTITIONED, metadata

VIEWS = ("user_dashboard_summary", "organization_analytics")
MATERIALIZED_VIEWS = ("assessment_analytics_summary",)


@dataclass(frozen=True, order=True)
class Difference:
    """One way the database differs from the model: what kind, on which object, and how."""

    kind: str
    target: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.target}" + (f" ({self.detail})" if self.detail else "")


def compare(connection: Connection, *, ignore_tables: frozenset[str] = frozenset()) -> list[Difference]:
    """Return every difference between the live database and the model, sorted."""
    partitions = set(connection.execute(sa.text("SELECT inhrelid::regclass::text FROM pg_inherits")).scalars())
    skip = partitions | set(ignore_tables) | {VERSION_TABLE}

    def include_name(name, type_, parent_names):
        return type_ != "table" or name not in skip

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
    )
    found = [_describe(diff) for diff in _flatten(compare_metadata(context, metadata))]
    found += _compare_partitioning(connection)
    found += _compare_included(connection)
    found += compare_catalog(connection, ignore_tables=frozenset(ignore_tables))
    return sorted(found)


def compare_catalog(connection: Connection, *, ignore_tables: frozenset[str] = frozenset()) -> list[Difference]:
    """Return only the differences of the security-relevant catalog (the ones `init_schema` repairs), sorted."""
    return sorted(Difference(*difference) for difference in catalog.differences(connection, ignore_tables))


def check(connection: Connection, *, ignore_tables: frozenset[str] = frozenset()) -> None:
    """Raise SchemaDriftError listing the differences if the database does not match the model."""
    differences = compare(connection, ignore_tables=ignore_tables)
    if differences:
        raise SchemaDriftError(f"the database differs from the schema model in {len(differences)} place(s)", differences)


def live_columns(connection: Connection, relation: str) -> dict[str, str]:
    """Return {column: SQL type} of a table or view as the database has it, in column order."""
    rows = connection.execute(
        sa.text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(:rel) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"rel": relation},
    )
    return dict(rows.all())


def _flatten(diffs):
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped per column
            yield from diff
        else:
            yield diff


def _describe(diff: tuple) -> Difference:
    op = diff[0]
    if op in ("add_table", "remove_table"):
        return Difference("missing table" if op == "add_table" else "extra table", diff[1].name)
    if op in ("add_column", "remove_column"):
        kind = "missing column" if op == "add_column" else "extra column"
        return Difference(kind, f"{diff[2]}.{diff[3].name}", str(diff[3].type))
    if op in ("add_index", "remove_index"):
        index = diff[1]
        kind = "missing index" if op == "add_index" else "extra index"
        return Difference(kind, f"{index.table.name}.{index.name}")
    if op in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        kind = ("missing " if op.startswith("add") else "extra ") + ("foreign key" if op.endswith("fk") else "constraint")
        return Difference(kind, f"{constraint.table.name}.{constraint.name}")
    if op.startswith("modify_"):
        _, _schema, table, column, _kw, live, model = diff
        return Difference(
            f"different {op[7:]}", f"{table}.{column}", f"database has {_render(live)}, model has {_render(model)}"
        )
    return Difference("other difference", str(diff))


def _render(value) -> str:
    """A type, nullability or server default as SQL-ish text."""
    arg = getattr(value, "arg", value)  # a DefaultClause wraps the default
    return getattr(arg, "text", None) or str(arg)


def _compare_partitioning(connection: Connection) -> list[Difference]:
    rows = connection.execute(
        sa.text(
            "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
            "JOIN pg_class c ON c.oid = p.partrelid WHERE c.relnamespace = current_schema()::regnamespace"
        )
    )
    live = dict(rows.all())
    found = []
    for table in MONTHLY_PARTITIONED:
        key = live.get(table.name)
        if key is None:
            found.append(Difference("not partitioned", table.name, "model: RANGE (created_at)"))
        elif key != "RANGE (created_at)":
            found.append(Difference("different partition key", table.name, f"database has {key}"))
        if connection.execute(sa.text("SELECT to_regclass(:n)"), {"n": f"{table.name}_default"}).scalar() is None:
            found.append(Difference("missing default partition", f"{table.name}_default"))
    return found


#: Per index: its table and its INCLUDE columns in order (indkey past the key columns; indkey counts from 0).
_INCLUDED = sa.text(
    "SELECT i.relname, t.relname, ARRAY(SELECT a.attname::text FROM generate_series(x.indnkeyatts, x.indnatts - 1) k(n) "
    "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n] ORDER BY k.n) "
    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
    "WHERE i.relname = ANY(:names) AND i.relnamespace = current_schema()::regnamespace"
)


def _compare_included(connection: Connection) -> list[Difference]:
    """The model's indexes whose INCLUDE columns the database's index of that name lacks or changes.

    Alembic compares an index's key columns only: an index created without its INCLUDE list
    would pass, and the index-only scans it exists for would read the table instead.
    """
    expected = {index.name: (table.name, list(index.dialect_options["postgresql"]["include"] or []))
                for table in metadata.tables.values() for index in table.indexes}
    live = connection.execute(_INCLUDED, {"names": list(expected)}).all()
    return [Difference("different included columns", f"{table}.{name}",
                       f"database has ({', '.join(found)}), model has ({', '.join(expected[name][1])})")
            for name, table, found in live if expected[name][0] == table and list(found) != expected[name][1]]


def index_findings(connection: Connection) -> dict[str, list[tuple]]:
    """Return index problems of the live schema: redundant, boolean-only, and missing on foreign keys."""
    return {
        name: [tuple(row) for row in connection.exec_driver_sql(read_sql("bi_workbench.schema", f"lint/{name}.sql"))]
        for name in ("redundant_indexes", "boolean_indexes", "unindexed_foreign_keys")
    }
