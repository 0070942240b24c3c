"""The schema's plan for Citus (distributed PostgreSQL), as data, and the rules Citus imposes on it.

Every table is one of:

* `Distributed` by a column, in a colocation group: its shards are spread over the
  workers by a hash of that column, and tables of one group keep equal values on
  the same worker (joins and foreign keys on that column stay local);
* `Reference`: one copy on every node (small, global or read everywhere);
* `Local`: a plain table on the coordinator only (bookkeeping nobody joins at scale).

The rules (Citus' own, checkable without Citus): a distributed table's primary key
and every unique constraint or unique index contain its distribution column; its
distribution column exists and is NOT NULL; a foreign key between two distributed
tables joins the two distribution columns and the tables share a colocation group;
a reference table refers to no distributed or local table; a local table refers to
no distributed one. `findings` evaluates them on SQLAlchemy tables, either the model
(`schema/tables.py`) or tables reflected from a live database. Where the current
schema breaks a rule, the finding is listed in `KNOWN_EXCEPTIONS` with the change
it needs; `docs/scaling.md` explains the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Distributed:
    """Hash-distributed on ``column``; tables with the same ``colocation`` group share shard placement."""

    column: str
    colocation: str


@dataclass(frozen=True)
class Reference:
    """Replicated to every node: ``why`` it is small, global or joined from everywhere."""

    why: str


@dataclass(frozen=True)
class Local:
    """Kept on the coordinator only: ``why`` nothing needs it distributed."""

    why: str


Placement = Distributed | Reference | Local

#: The colocation group of everything a user owns: distributed by the owning user.
BY_USER = "users"
#: The event store: an aggregate's events and snapshots stay together.
BY_AGGREGATE = "aggregates"
#: The audit trail: a record's history stays together.
BY_RECORD = "audit"

_DIMENSION = "one row per user or organization; every distributed table's foreign keys point at it"
_GLOBAL = "global content shared by every tenant, written rarely"
_BOOKKEEPING = "migration or run bookkeeping, written by one process and never joined to tenant data at scale"
_LEGACY = "legacy contract table, read once by the migration and then dropped"

PLAN: dict[str, Placement] = {
    "users": Reference(_DIMENSION + "; email stays unique across the platform"),
    "organizations": Reference(_DIMENSION + "; slug stays unique"),
    "organization_members": Reference("the ownership rule and every tenant policy join through it, so each node "
                                      "needs all of it; one row per membership, written rarely"),
    "tenant_logins": Reference("current_tenant() reads it in every tenant policy, on whichever node runs the shard "
                               "query; one row per organization"),
    "assessment_invitations": Reference("looked up by invitation token by someone who is not the inviter; "
                                        "the token stays unique; a few rows per organization"),
    "business_trends": Reference(_GLOBAL),
    "news_feed": Reference(_GLOBAL),
    "subscriptions": Distributed("user_id", BY_USER),
    "email_subscriptions": Distributed("user_id", BY_USER),
    "user_sessions": Distributed("user_id", BY_USER),
    "session_sources": Distributed("user_id", BY_USER),
    "assessments": Distributed("user_id", BY_USER),
    "assessment_scores": Distributed("user_id", BY_USER),
    "rubric_scores": Distributed("user_id", BY_USER),
    "market_insights": Distributed("user_id", BY_USER),
    "engagement_intelligence": Distributed("user_id", BY_USER),
    "growth_levers": Distributed("user_id", BY_USER),
    "simulations": Distributed("user_id", BY_USER),
    "growth_progress": Distributed("user_id", BY_USER),
    "dashboard_widgets": Distributed("user_id", BY_USER),
    "analytics_events": Distributed("user_id", BY_USER),
    "analytics_event_days": Distributed("user_id", BY_USER),
    "notifications": Distributed("user_id", BY_USER),
    "team_messages": Distributed("sender_id", BY_USER),
    "events": Distributed("aggregate_id", BY_AGGREGATE),
    "snapshots": Distributed("aggregate_id", BY_AGGREGATE),
    "audit_log": Distributed("record_id", BY_RECORD),
    "legacy_id_map": Local(_BOOKKEEPING),
    "migration_quarantine": Local(_BOOKKEEPING),
    "migration_ledger": Local(_BOOKKEEPING),
    "report_runs": Local(_BOOKKEEPING),
    "schema_version": Local("Alembic's revision of the schema"),
    "tier2_users": Local(_LEGACY),
    "onboarding_assessments": Local(_LEGACY),
    "assessment_scoring_results": Local(_LEGACY),
    "enhanced_market_insights": Local(_LEGACY),
    "realtime_business_trends": Local(_LEGACY),
    "realtime_marketing_playbook": Local(_LEGACY),
}


@dataclass(frozen=True, order=True)
class Finding:
    """A rule the plan breaks: ``table``, the constraint, index or column (``what``), and the ``rule``."""

    table: str
    what: str
    rule: str


def findings(tables: Iterable[sa.Table], plan: dict[str, Placement] = PLAN) -> list[Finding]:
    """Return every break of the Citus rules by ``tables`` under ``plan``, sorted.

    ``tables``: the model's (``metadata.tables.values()``) or tables reflected from a live
    database. A table missing from the plan is a finding too (rule ``unclassified``).
    Example::

        >>> findings([metadata.tables["assessments"]])[0]
        Finding(table='assessments', what='column user_id', rule='distribution column may be NULL')
    """
    found: list[Finding] = []
    for table in tables:
        placement = plan.get(table.name)
        if placement is None:
            found.append(Finding(table.name, "table", "unclassified"))
        elif isinstance(placement, Distributed):
            found += _distributed(table, placement)
        found += _foreign_keys(table, placement, plan)
    return sorted(found)


def _distributed(table: sa.Table, placement: Distributed) -> list[Finding]:
    column = placement.column
    if column not in table.c:
        return [Finding(table.name, f"column {column}", "distribution column missing")]
    found = [] if not table.c[column].nullable else [Finding(table.name, f"column {column}", "distribution column may be NULL")]
    for name, columns in _unique_keys(table):
        if column not in columns:
            found.append(Finding(table.name, name, f"unique key without {column}"))
    return found


def _unique_keys(table: sa.Table) -> list[tuple[str, set[str]]]:
    """(name, column names) of the primary key, unique constraints and unique indexes (expressions by their text)."""
    keys = [(str(c.name), {col.name for col in c.columns}) for c in table.constraints
            if isinstance(c, (sa.PrimaryKeyConstraint, sa.UniqueConstraint)) and c.columns]
    for index in table.indexes:
        if index.unique:
            keys.append((str(index.name), {getattr(e, "name", None) or str(e) for e in index.expressions}))
    return keys


def _foreign_keys(table: sa.Table, placement: Placement | None, plan: dict[str, Placement]) -> list[Finding]:
    found = []
    for fk in table.foreign_key_constraints:
        target = plan.get(fk.referred_table.name)
        if placement is None or target is None:
            continue  # the unclassified table is already a finding
        rule = _foreign_key_rule(fk, placement, target)
        if rule:
            found.append(Finding(table.name, str(fk.name), rule))
    return found


def _foreign_key_rule(fk: sa.ForeignKeyConstraint, placement: Placement, target: Placement) -> str | None:
    if isinstance(target, Reference):
        return None  # anything may refer to a reference table
    if isinstance(placement, Reference):
        return f"reference table refers to a {type(target).__name__.lower()} table"
    if isinstance(placement, Local):
        return "local table refers to a distributed table" if isinstance(target, Distributed) else None
    if isinstance(target, Local):
        return "distributed table refers to a local table"
    pairs = {(element.parent.name, element.column.name) for element in fk.elements}
    if placement.colocation != target.colocation:
        return "foreign key between colocation groups"
    if (placement.column, target.column) not in pairs:
        return f"foreign key without the distribution columns ({placement.column} -> {target.column})"
    return None


_SURROGATE = ("primary key is the surrogate id alone: it becomes (user_id, id) before distribution; ids stay "
              "globally unique in practice (gen_random_uuid)")
_PARTITIONED = ("primary key is (id, created_at) for the monthly partitions: it becomes (user_id, id, created_at); "
                "Citus distributes a partitioned table with its partitions")
_NULLABLE_OWNER = ("rows without a user are allowed today (migrated and system rows): the column becomes NOT NULL "
                   "once those rows are given the platform's system user")
_USER_TABLES = ("subscriptions", "email_subscriptions", "user_sessions", "assessments",
                "market_insights", "engagement_intelligence", "growth_levers", "simulations", "growth_progress",
                "dashboard_widgets", "analytics_events", "notifications")

#: Findings of the current schema, each with the change it needs before distribution (see docs/scaling.md).
KNOWN_EXCEPTIONS: dict[Finding, str] = {
    **{Finding(t, f"pk_{t}", "unique key without user_id"): _SURROGATE
       for t in (*_USER_TABLES, "analytics_event_days") if t != "analytics_events"},
    Finding("analytics_events", "pk_analytics_events", "unique key without user_id"): _PARTITIONED,
    **{Finding(t, "column user_id", "distribution column may be NULL"): _NULLABLE_OWNER
       for t in (*_USER_TABLES, "analytics_event_days")},
    Finding("team_messages", "pk_team_messages", "unique key without sender_id"): _SURROGATE.replace("user_id", "sender_id"),
    Finding("team_messages", "column sender_id", "distribution column may be NULL"): _NULLABLE_OWNER,
    Finding("user_sessions", "uq_user_sessions_session_token", "unique key without user_id"):
        "a session token must be unique platform-wide: it becomes UNIQUE (user_id, session_token) and a token "
        "carries its user id, or tokens are checked in the application",
    Finding("assessment_scores", "column user_id", "distribution column missing"):
        "a score reaches its user only through its assessment: add user_id (copied from the assessment)",
    Finding("assessment_scores", "fk_assessment_scores_assessment_id_assessments",
            "foreign key without the distribution columns (user_id -> user_id)"):
        "becomes FOREIGN KEY (user_id, assessment_id) REFERENCES assessments (user_id, id)",
    Finding("session_sources", "column user_id", "distribution column missing"):
        "a session's source reaches its user only through the session: add user_id (the session's) to the key",
    Finding("rubric_scores", "column user_id", "distribution column missing"):
        "a rubric score reaches its user only through its assessment, like assessment_scores: add user_id",
    Finding("rubric_scores", "fk_rubric_scores_assessment_id_assessments",
            "foreign key without the distribution columns (user_id -> user_id)"):
        "becomes FOREIGN KEY (user_id, assessment_id) REFERENCES assessments (user_id, id)",
    Finding("growth_progress", "fk_growth_progress_lever_id_growth_levers",
            "foreign key without the distribution columns (user_id -> user_id)"):
        "becomes FOREIGN KEY (user_id, lever_id) REFERENCES growth_levers (user_id, id)",
    Finding("events", "pk_events", "unique key without aggregate_id"):
        "primary key becomes (aggregate_id, id)",
    Finding("events", "uq_events_position", "unique key without aggregate_id"):
        "the global position of followers cannot be one sequence across shards: followers read per shard "
        "(position unique per aggregate_id shard) or from logical replication; the (aggregate, version) guard "
        "itself already contains aggregate_id",
    Finding("snapshots", "pk_snapshots", "unique key without aggregate_id"): "primary key becomes (aggregate_id, id)",
    Finding("audit_log", "pk_audit_log", "unique key without record_id"):
        "primary key becomes (record_id, id, created_at)",
    Finding("audit_log", "column record_id", "distribution column may be NULL"):
        "audit rows of statements without a record get a nil record id",
}


def citus_statements(plan: dict[str, Placement] = PLAN) -> list[str]:
    """Return the Citus calls that place the tables as ``plan`` says: reference tables, then each
    colocation group (its first table starts the group); local tables need none.

    Example::

        >>> citus_statements()[0]
        "SELECT create_reference_table('users');"
    """
    statements = [f"SELECT create_reference_table('{name}');" for name, p in plan.items() if isinstance(p, Reference)]
    first_of_group: dict[str, str] = {}
    for name, placement in distributed_tables(plan).items():
        colocate = first_of_group.setdefault(placement.colocation, name)
        target = "'none'" if colocate == name else f"'{colocate}'"
        statements.append(f"SELECT create_distributed_table('{name}', '{placement.column}', colocate_with => {target});")
    return statements


def distributed_tables(plan: dict[str, Placement] = PLAN) -> dict[str, Distributed]:
    """Return the distributed tables of ``plan`` with their placement.

    Example::

        >>> distributed_tables()["events"]
        Distributed(column='aggregate_id', colocation='aggregates')
    """
    return {name: p for name, p in plan.items() if isinstance(p, Distributed)}
