"""Values the new schema, its indexes or pandas cannot carry: each kind set aside by one rule, the row
migrated with NULL and its whole legacy row kept with the reason; no row blocks a phase; the check
reconciles and pandas loads every migrated table."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.legacy import report
from bi_workbench.legacy.carry import indexed_text_columns, rules
from bi_workbench.legacy.migrate import check, migrate
from bi_workbench.legacy.phases import SOURCES
from bi_workbench.loaders import load
from bi_workbench.schema import tables as new

from . import legacy_data as data
from .legacy_data import write_legacy

#: Every legacy column a limit applies to, by kind (found from the schema, asserted here by hand).
EXPECTED_RULES = {
    "tier2_users": [("company", "indexed text"), ("industry", "indexed text"), ("role", "indexed text"),
                    ("created_at", "timestamp")],
    "onboarding_assessments": [("friction_points", "json depth"), ("created_at", "timestamp")],
    "assessment_scoring_results": [("bracket", "indexed text"), ("category_scores", "json depth"),
                                   ("created_at", "timestamp")],
    "enhanced_market_insights": [("industry", "indexed text"), ("market_size", "json depth"),
                                 ("growth_rate", "json depth"), ("competition", "json depth"),
                                 ("sentiment", "json depth"), ("data_sources", "json depth"),
                                 ("created_at", "timestamp")],
    "realtime_business_trends": [("industry", "indexed text"), ("createdat", "timestamp")],
    "realtime_marketing_playbook": [("createdat", "timestamp")],
}
MIGRATED_TABLES = ("users", "assessments", "assessment_scores", "market_insights", "business_trends",
                   "engagement_intelligence", "legacy_id_map", "migration_quarantine")


@pytest.fixture
def unfit(schema_database):
    """The awkward values of legacy_data.UNFIT_ROWS, migrated through phases 1-4."""
    with schema_database.begin() as conn:
        write_legacy(conn, data.UNFIT_ROWS)
    migrate(schema_database)
    return schema_database


def one(engine, sql: str, **params):
    """Return the single row of a query as a dict."""
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(sql), params).one()._mapping)


def kept(engine, legacy_table: str, legacy_id) -> dict:
    """Return the legacy_id_map entry of one legacy row."""
    return one(engine, "SELECT outcome, reason, legacy_row FROM legacy_id_map "
                       "WHERE legacy_table = :t AND legacy_id = :id", t=legacy_table, id=str(legacy_id))


# --- the rules, found from the schema -------------------------------------------------------


def test_every_indexed_text_timestamp_and_json_column_of_the_migrated_tables_has_its_rule():
    assert {s.name: [(r.column, r.kind) for r in rules(s)] for s in SOURCES} == EXPECTED_RULES
    assert indexed_text_columns(new.users) == {"email", "company", "industry", "role", "status"}
    assert indexed_text_columns(new.market_insights) == {"industry"}  # the GIN on sentiment holds any size


def test_a_new_index_brings_its_column_under_the_rule():
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Text), sa.Column("b", sa.Text),
                     sa.Column("c", sa.Text), sa.Index(None, "a"), sa.Index(None, "b", postgresql_using="gin"),
                     sa.UniqueConstraint("c"))
    assert indexed_text_columns(table) == {"a", "c"}


# --- each kind, with the right value ----------------------------------------------------------


def test_timestamps_outside_what_pandas_holds_are_carried_as_null_with_the_reason(unfit):
    assert one(unfit, "SELECT created_at FROM users WHERE id = :id", id=data.INF_USER) == {"created_at": None}
    assert one(unfit, "SELECT created_at FROM users WHERE id = :id", id=data.OLD_USER) == {"created_at": None}
    assert one(unfit, "SELECT created_at FROM users WHERE id = :id", id=data.EDGE_USER) == {
        "created_at": datetime(1678, 1, 1, tzinfo=UTC)}  # the first instant carried
    entry = kept(unfit, "tier2_users", data.INF_USER)
    assert entry["outcome"] == "migrated"
    assert "created_at set aside: outside 1678-01-01 to 2262-01-01 (the range pandas can hold)" in entry["reason"]
    assert entry["legacy_row"]["created_at"] == "infinity"
    for table, key, column, value in (
        ("assessments", data.DEEP_FRICTION, "created_at", None),          # year 3000
        ("assessments", data.INF_ASSESSMENT, "completed_at", None),
        ("assessments", data.NULL_FRICTION, "created_at", datetime(2261, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("business_trends", "md5('realtime_business_trends:1')::uuid", "created_at", None),
        ("business_trends", "md5('realtime_business_trends:2')::uuid", "created_at",
         datetime(2261, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("engagement_intelligence", "md5('realtime_marketing_playbook:1')::uuid", "updated_at", None),
        ("market_insights", "md5('enhanced_market_insights:1')::uuid", "created_at", None),
    ):
        where = f"id = {key}" if isinstance(key, str) else "id = :id"
        assert one(unfit, f"SELECT {column} FROM {table} WHERE {where}", id=key) == {column: value}, (table, key)
    assert "createdat set aside" in kept(unfit, "realtime_marketing_playbook", 1)["reason"]


def test_an_indexed_text_too_long_for_its_index_is_carried_as_null_and_does_not_stop_the_phase(unfit):
    user = one(unfit, "SELECT company, role, industry FROM users WHERE id = :id", id=data.INF_USER)
    assert user == {"company": None, "role": None, "industry": "SaaS"}
    assert one(unfit, "SELECT company FROM users WHERE id = :id", id=data.EDGE_USER) == {"company": data.EDGE_COMPANY}
    entry = kept(unfit, "tier2_users", data.INF_USER)
    assert entry["reason"].startswith("company set aside: longer than 2000 bytes (the limit of its index); "
                                      "role set aside: longer than 2000 bytes")
    assert len(entry["legacy_row"]["company"]) == 10_000_000  # nothing lost
    assert one(unfit, "SELECT industry FROM users WHERE id = :id", id=data.OLD_USER) == {"industry": None}
    # A market insight's industry set aside follows the rule for a missing one: the user's.
    assert one(unfit, "SELECT industry FROM market_insights") == {"industry": "SaaS"}
    assert one(unfit, "SELECT bracket FROM assessment_scores WHERE id = md5('assessment_scoring_results:4')::uuid") == {
        "bracket": None}
    assert one(unfit, "SELECT industry FROM business_trends WHERE title = 'Big industry'") == {"industry": None}


def test_json_nested_too_deep_for_a_parser_is_carried_as_null_and_kept_as_text(unfit):
    scores = {int(r["legacy_id"]): r["category_scores"] for r in _rows(
        unfit, "SELECT m.legacy_id, s.category_scores FROM assessment_scores s "
               "JOIN legacy_id_map m ON m.new_id = s.id")}
    assert scores[1] is None and scores[3] is None
    assert scores[2] == _nested_list(64)  # the deepest carried
    entry = kept(unfit, "assessment_scoring_results", 1)
    assert "category_scores set aside: JSON nested deeper than 64 levels" in entry["reason"]
    assert entry["legacy_row"]["category_scores"] == data.nested(3000)  # its text, as a JSON string
    assessment = one(unfit, "SELECT responses FROM assessments WHERE id = :id", id=data.DEEP_FRICTION)
    assert assessment["responses"]["friction_points"] is None
    insight = one(unfit, "SELECT market_size, sentiment FROM market_insights")
    assert insight == {"market_size": None, "sentiment": None}


def test_a_quarantined_row_with_a_value_too_deep_stays_readable(unfit):
    with unfit.connect() as conn:
        examples = report.quarantine_examples(conn)
    row = examples.set_index("legacy_id").loc["5", "legacy_row"]
    assert row["category_scores"] == data.nested(3000)
    assert examples.set_index("legacy_id").loc["5", "reason"] == "orphan: user not found"


def test_json_null_friction_points_reconcile_and_let_the_legacy_tables_be_dropped(unfit):
    view = one(unfit, "SELECT friction_points FROM onboarding_assessments_compat WHERE o_id = :id",
               id=data.NULL_FRICTION)
    assert view == {"friction_points": None}
    result = check(unfit)
    assert result.ok, result.render()
    dropped = migrate(unfit, drop_legacy=True)[-1]
    assert (dropped.phase, dropped.status) == (5, "completed")
    assert check(unfit).ok


def test_every_awkward_row_is_accounted_for_and_a_second_run_changes_nothing(unfit):
    result = check(unfit)
    assert result.ok, result.render()
    accounting = {f.name: (f.details["migrated"], f.details["quarantined"]) for f in result.section("accounting")}
    assert accounting == {"tier2_users": (3, 0), "onboarding_assessments": (3, 0),
                          "assessment_scoring_results": (4, 1), "enhanced_market_insights": (1, 0),
                          "realtime_business_trends": (2, 0), "realtime_marketing_playbook": (1, 0)}
    assert [r.status for r in migrate(unfit)] == ["unchanged"] * 4


def test_the_check_fails_when_a_row_set_aside_lost_its_kept_legacy_row(unfit):
    with unfit.begin() as conn:
        conn.execute(sa.text("UPDATE legacy_id_map SET legacy_row = NULL WHERE legacy_id = :id"),
                     {"id": str(data.INF_USER)})
    finding = check(unfit).finding("values", "tier2_users")
    assert not finding.ok
    assert [name for name, c in finding.details["columns"].items() if not c["ok"]] == ["legacy_row kept"]


@pytest.mark.parametrize("fast", [False, True], ids=["psycopg", "arrow"])
def test_pandas_loads_every_migrated_table(unfit, fast):
    frames = {table: load(table, engine=unfit, fast=fast) for table in MIGRATED_TABLES}
    users = frames["users"].set_index("id")
    assert pd.isna(users.loc[data.INF_USER, "created_at"])
    assert users.loc[data.EDGE_USER, "created_at"].year == 1678
    assert frames["assessment_scores"]["created_at"].notna().sum() == 3  # the -infinity one is NULL
    assert len(frames["business_trends"]) == 2


def _rows(engine, sql: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def _nested_list(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_a_permanent_table_named_like_a_temporary_one_is_left_alone(schema_database):
    with schema_database.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE carried_tier2_users (note text)")
        conn.exec_driver_sql("INSERT INTO carried_tier2_users VALUES ('mine')")
        write_legacy(conn, {data.tier2_users: data.UNFIT_USERS})
    migrate(schema_database)
    assert check(schema_database).ok
    assert _rows(schema_database, "SELECT note FROM public.carried_tier2_users") == [{"note": "mine"}]
