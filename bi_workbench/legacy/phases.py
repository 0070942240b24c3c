"""The phases of the legacy migration, as data, and the machinery that runs one.

Each phase (seed section 4) is a list of steps (`Step`), run in order inside the caller's
transaction. A step that moves legacy rows declares the legacy table it reads and the
outcome it books (migrated, merged, quarantined, or the orphans' quarantine); its .sql file
in ``legacy/sql`` holds only what is particular to that table, one SELECT (the judgement,
the column mapping), and `books` writes the new rows, the ``legacy_id_map`` or
``migration_quarantine`` entries and the rows written per table, in one statement. Other
steps (views, ANALYZE) are scripts run as they are. The steps read the legacy rows from
``carried_<table>``, which holds only the rows neither mapped nor quarantined (the one rule
`carry.pending`): it is written so and pruned after every step that books rows of it,
which is what makes a phase idempotent.

The documented rules of each step are written at the top of its .sql file:

Phase 1, users (tier2_users -> users)
    One user per address by the identity rule of `bi_workbench.legacy.identity`
    (Unicode white space trimmed, NFKC and full case folding, computed in Python);
    the survivor is the row with the earliest created_at (NULL last), then the
    smallest u_id, and keeps its u_id as users.id; email stored trimmed; the other
    rows map to it as ``merged`` ('duplicate email', or 'email already registered'
    for a platform sign-up). NULL or blank names become ''. Naive timestamps are read
    as UTC; a NULL created_at stays NULL. An email blank after trimming is quarantined
    ('invalid: blank email'), one over 2000 bytes too.
Phase 2, assessments (onboarding_assessments -> assessments,
assessment_scoring_results -> assessment_scores)
    Assessments keep o_id as id, point at the mapped (surviving) user, responses as
    the seed built them, metadata {source, legacy_id, legacy_user_id}. A scoring
    result is matched to its person's latest onboarding assessment created at or
    before it, else the earliest after it; exactly one score per result, id
    ``md5('assessment_scoring_results:' || id)::uuid``.
Phase 3, intelligence (enhanced_market_insights -> market_insights,
realtime_business_trends -> business_trends, realtime_marketing_playbook ->
engagement_intelligence)
    Confidence percentages / 100; a NULL or blank industry becomes the user's, else
    'unknown'; signal_score NULL instead of the seed's overflowing 75.0; NULL or blank
    title / insight become ''. Ids ``md5('<legacy table>:' || id)::uuid``.
Phase 4, compatibility views
    ``tier2_users_compat`` and ``onboarding_assessments_compat`` as in the seed,
    returning naive UTC timestamps and SQL NULL friction points like the legacy tables.
Phase 5, drop the legacy tables
    Only when asked (``drop_legacy=True``) and only after the checks pass.

Orphans (a row whose user id names no migrated user; one rule, `books.orphans`) and
values that would break the new scales are quarantined whole, with the reason. Every phase reads its legacy
rows in their carried form (`bi_workbench.legacy.carry`): a value the new schema, its
indexes or pandas cannot carry (a timestamp outside 1678-2261, an indexed text over
2000 bytes, JSON nested deeper than 64 levels) is carried as NULL, and the whole legacy
row is kept in ``legacy_id_map`` with the reason; no single row can stop a phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ..errors import MigrationError
from ..schema import tables as new
from ..schema.bookkeeping import migration_ledger
from ..schema.sqlfiles import read_sql
from .books import prune, step_statement
from .carry import prepare_carried
from .contract import (
    assessment_scoring_results,
    enhanced_market_insights,
    onboarding_assessments,
    realtime_business_trends,
    realtime_marketing_playbook,
    tier2_users,
)
from .identity import prepare_identities

#: Package whose ``sql`` folder holds the step files.
SQL_PACKAGE = "bi_workbench.legacy"
#: Key of the advisory lock that keeps two migrations from running at once.
LOCK_KEY = 0x62695F6D  # "bi_m"
#: The phase that drops the legacy tables.
DROP_PHASE = 5


@dataclass(frozen=True)
class LegacySource:
    """A legacy table the migration moves: its key column, its phase and its new table."""

    table: Table
    key: str
    phase: int
    new_table: Table
    #: .sql file comparing the carried values, legacy vs new, column by column.
    values_check: str
    #: (legacy column, new column) where the names differ; other columns keep their name.
    renames: tuple[tuple[str, str], ...] = ()
    #: Columns that are an identity rather than a value (their own rules, see `identity`).
    identity: tuple[str, ...] = ()
    #: The column holding the legacy user a row belongs to (its orphans are quarantined, `books.orphans`).
    owner: str | None = None

    @property
    def name(self) -> str:
        """Return the legacy table's name (also its ``legacy_table`` in the bookkeeping)."""
        return self.table.name

    def target(self, column: str) -> str:
        """Return the name of the new table's column that ``column`` of the legacy table fills."""
        return dict(self.renames).get(column, column)


@dataclass(frozen=True)
class Step:
    """One step of a phase: its .sql file and, for a step that books legacy rows, which and how.

    ``source`` and ``outcome`` ('migrated', 'merged', 'quarantined' or 'orphans', see `books`)
    are set for a step that books the rows of one legacy table its file selects (no file for
    'orphans', a rule of its own); a step without them runs its file as a script as is.
    """

    file: str | None
    source: LegacySource | None = None
    outcome: str | None = None

    @property
    def name(self) -> str:
        """Return the name an error gives the step: its file, else what it does."""
        return self.file or f"{self.outcome} of {self.source.name}"


@dataclass(frozen=True)
class Phase:
    """One phase of the migration: its number, name, the legacy tables it reads, its steps."""

    number: int
    name: str
    description: str
    sources: tuple[Table, ...]
    steps: tuple[Step, ...]


USERS = LegacySource(tier2_users, "u_id", 1, new.users, "values_tier2_users.sql", identity=("email",))
ASSESSMENTS = LegacySource(onboarding_assessments, "o_id", 2, new.assessments, "values_onboarding_assessments.sql",
                           renames=(("friction_points", "responses"),), owner="u_id")
SCORES = LegacySource(assessment_scoring_results, "id", 2, new.assessment_scores,
                      "values_assessment_scoring_results.sql",
                      renames=(("score", "overall_score"), ("confidence", "confidence_score")), owner="user_id")
INSIGHTS = LegacySource(enhanced_market_insights, "id", 3, new.market_insights, "values_enhanced_market_insights.sql",
                        owner="u_id")
TRENDS = LegacySource(realtime_business_trends, "id", 3, new.business_trends, "values_realtime_business_trends.sql",
                      renames=(("createdat", "created_at"),))
PLAYBOOK = LegacySource(realtime_marketing_playbook, "id", 3, new.engagement_intelligence,
                        "values_realtime_marketing_playbook.sql",
                        renames=(("createdat", "created_at"), ("insight", "insights")))

#: The legacy tables the migration moves, in phase order (the reconciliation is driven by this).
SOURCES: tuple[LegacySource, ...] = (USERS, ASSESSMENTS, SCORES, INSIGHTS, TRENDS, PLAYBOOK)

ANALYZE = Step("analyze.sql")

PHASES: tuple[Phase, ...] = (
    Phase(1, "users", "tier2_users -> users, one user per address",
          (tier2_users,),
          (ANALYZE, Step("p1_01_users.sql", USERS, "migrated"), Step("p1_02_user_keys.sql"),
           Step("p1_03_merge_users.sql", USERS, "merged"), Step("p1_04_quarantine_users.sql", USERS, "quarantined"))),
    Phase(2, "assessments", "onboarding_assessments -> assessments, assessment_scoring_results -> assessment_scores",
          (onboarding_assessments, assessment_scoring_results),
          (ANALYZE, Step(None, ASSESSMENTS, "orphans"), Step("p2_01_assessments.sql", ASSESSMENTS, "migrated"),
           ANALYZE, Step(None, SCORES, "orphans"), Step("p2_02_quarantine_scores.sql", SCORES, "quarantined"),
           Step("p2_03_scores.sql", SCORES, "migrated"))),
    Phase(3, "intelligence", "market insights, business trends, marketing playbook",
          (enhanced_market_insights, realtime_business_trends, realtime_marketing_playbook),
          (ANALYZE, Step(None, INSIGHTS, "orphans"), Step("p3_01_quarantine_insights.sql", INSIGHTS, "quarantined"),
           Step("p3_02_market_insights.sql", INSIGHTS, "migrated"),
           Step("p3_03_business_trends.sql", TRENDS, "migrated"),
           Step("p3_04_engagement_intelligence.sql", PLAYBOOK, "migrated"))),
    Phase(4, "compatibility_views", "tier2_users_compat and onboarding_assessments_compat",
          (), (Step("p4_01_compatibility_views.sql"),)),
    Phase(DROP_PHASE, "drop_legacy", "drop the legacy tables (after the checks pass)", (), ()),
)


def get_phase(number: int) -> Phase:
    """Return the phase numbered ``number``, or raise MigrationError naming the valid ones."""
    for phase in PHASES:
        if phase.number == number:
            return phase
    known = ", ".join(f"{p.number} ({p.name})" for p in PHASES)
    raise MigrationError(f"there is no migration phase {number!r}; the phases are {known}.")


def prepare(connection: Connection, phase: Phase) -> None:
    """Write the temporary tables the phase's steps read: the carried rows of its legacy tables
    (`carry`, pending rows only) and, for phase 1, the identities of the addresses (`identity`)."""
    for source in SOURCES:
        if source.table in phase.sources:
            prepare_carried(connection, source, only_pending=True)
    if tier2_users in phase.sources:
        prepare_identities(connection)


def run_steps(connection: Connection, phase: Phase) -> dict[str, int]:
    """Prepare the phase's temporary tables, run its steps in the connection's transaction;
    return rows written per table.
    """
    prepare(connection, phase)
    written: dict[str, int] = {}
    for step in phase.steps:
        for table, rows in run_step(connection, phase, step).items():
            written[table] = written.get(table, 0) + rows
    return written


def run_step(connection: Connection, phase: Phase, step: Step) -> dict[str, int]:
    """Run one step; return the rows it wrote per table (empty for a step that returns none).

    A step that books rows of a legacy table then prunes its ``carried_<table>`` to the rows
    still pending (`books.prune`), so each later step reads only what is left to move.
    A database error becomes a MigrationError naming the phase and the step (`Step.name`); the
    caller's transaction is then rolled back by its context manager.
    """
    sql = read_sql(SQL_PACKAGE, step.file) if step.file else None
    try:
        if step.source is None:
            return _run_script(connection, sql)
        statement = step_statement(connection, sql, step.source, step.outcome, phase.number)
        counts = connection.execute(statement).scalar_one()
        prune(connection, step.source)
        return {table: int(rows) for table, rows in counts.items()}
    except (psycopg.Error, sa.exc.DBAPIError) as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = (str(cause).strip().splitlines() or [type(exc).__name__])[0]
        raise MigrationError(
            f"migration phase {phase.number} ({phase.name}) failed at step {step.name}: {first_line}; "
            "the phase was rolled back and the database is as it was before it."
        ) from exc


def _run_script(connection: Connection, sql: str) -> dict[str, int]:
    """Run a parameterless script as is; return the merged JSONB counts of its result sets (if any)."""
    # The raw psycopg cursor runs it without placeholder parsing, in the transaction the
    # SQLAlchemy connection has open.
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        return _counts(cursor)
    finally:
        cursor.close()


def _counts(cursor: psycopg.Cursor) -> dict[str, int]:
    """Return the merged JSONB counts of every result set the cursor holds."""
    counts: dict[str, int] = {}
    while True:
        if cursor.description is not None:
            for (row,) in cursor.fetchall():
                for table, rows in (row or {}).items():
                    counts[table] = counts.get(table, 0) + int(rows)
        if not cursor.nextset():
            return counts


def fetch_rows(connection: Connection, *names: str) -> list[dict[str, Any]]:
    """Run the read-only query made of the .sql files ``names``, joined in order; return its rows as dicts."""
    cursor = connection.connection.driver_connection.cursor(row_factory=dict_row)
    try:
        cursor.execute("\n".join(read_sql(SQL_PACKAGE, name) for name in names))
        return cursor.fetchall()
    finally:
        cursor.close()


def lock(connection: Connection) -> None:
    """Take the migration's transaction-scoped advisory lock (waits for a concurrent run)."""
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))


def clock(connection: Connection):
    """Return the database's wall-clock time (``clock_timestamp()``)."""
    return connection.execute(sa.select(sa.func.clock_timestamp())).scalar_one()


def completed_phases(connection: Connection) -> dict[int, Any]:
    """Return {phase number: when it last completed} from the ledger."""
    rows = connection.execute(
        sa.select(migration_ledger.c.phase, sa.func.max(migration_ledger.c.finished_at))
        .where(migration_ledger.c.status == "completed")
        .group_by(migration_ledger.c.phase)
    )
    return dict(rows.all())


def record(connection: Connection, phase: Phase, started_at, finished_at,
           rows: dict[str, int], details: dict | None = None) -> None:
    """Append one completed run of ``phase`` to the ledger."""
    connection.execute(
        migration_ledger.insert().values(
            phase=phase.number, name=phase.name, started_at=started_at, finished_at=finished_at,
            rows=rows, status="completed", details=details or {},
        )
    )


def last_details(connection: Connection, phase: Phase) -> dict | None:
    """Return the details of the latest completed run of ``phase``, or None if it never ran."""
    return connection.execute(
        sa.select(migration_ledger.c.details)
        .where(migration_ledger.c.phase == phase.number, migration_ledger.c.status == "completed")
        .order_by(migration_ledger.c.finished_at.desc(), migration_ledger.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def existing_tables(connection: Connection, tables: tuple[Table, ...]) -> list[Table]:
    """Return those of ``tables`` that exist in the database (on the search_path)."""
    return [t for t in tables if connection.execute(sa.select(sa.func.to_regclass(t.name))).scalar() is not None]
