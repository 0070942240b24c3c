"""The legacy migration: every rule of each phase, transactions, idempotency, order, phase 5,
and the seed's own migration functions failing on the same data where ours do not."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.errors import MigrationError, MigrationOrderError, ReconciliationFailedError
from bi_workbench.legacy import migrate as migration
from bi_workbench.legacy import phases
from bi_workbench.legacy.contract import LEGACY_TABLES, tier2_users
from bi_workbench.legacy.migrate import check, migrate
from bi_workbench.schema import drift
from bi_workbench.schema.bookkeeping import legacy_id_map, migration_ledger, migration_quarantine

from . import legacy_data as data
from .legacy_data import counts, fingerprint, write_legacy

NEW_TABLES = ("users", "assessments", "assessment_scores", "market_insights", "business_trends",
              "engagement_intelligence")
LEGACY_NAMES = frozenset(t.name for t in LEGACY_TABLES)
SEED_FUNCTIONS = Path(__file__).with_name("seed_migration_functions.sql")


@pytest.fixture
def another_database(databases, schema_template):
    """A second fresh database holding the schema (for comparisons across databases)."""
    url = databases.create(template=schema_template)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


def rows(engine, sql: str, **params) -> list[dict]:
    """Return the rows of a query as dicts."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def mapping(engine, legacy_table: str) -> dict[str, dict]:
    """Return {legacy_id: map row} of one legacy table."""
    with engine.connect() as conn:
        result = conn.execute(sa.select(legacy_id_map).where(legacy_id_map.c.legacy_table == legacy_table))
        return {r.legacy_id: dict(r._mapping) for r in result}


def quarantine(engine, legacy_table: str) -> dict[str, dict]:
    """Return {legacy_id: quarantine row} of one legacy table."""
    with engine.connect() as conn:
        result = conn.execute(
            sa.select(migration_quarantine).where(migration_quarantine.c.legacy_table == legacy_table))
        return {r.legacy_id: dict(r._mapping) for r in result}


# --- the whole run ---------------------------------------------------------------------


def test_every_legacy_row_is_migrated_merged_or_quarantined_and_the_check_passes(migrated):
    result = check(migrated)
    assert result.ok, result.render()
    for table, (legacy, moved, merged, quarantined) in data.EXPECTED_ACCOUNTING.items():
        numbers = result.finding("accounting", table).details
        assert (numbers["legacy_rows"], numbers["migrated"], numbers["merged"], numbers["quarantined"]) == (
            legacy, moved, merged, quarantined), table
    assert counts(migrated, *NEW_TABLES) == {
        "users": 5, "assessments": 5, "assessment_scores": 7, "market_insights": 4, "business_trends": 3,
        "engagement_intelligence": 2,
    }


def test_each_phase_is_recorded_in_the_ledger_with_the_rows_it_wrote(legacy_database):
    results = migrate(legacy_database)
    assert [(r.phase, r.name, r.status) for r in results] == [
        (1, "users", "completed"), (2, "assessments", "completed"), (3, "intelligence", "completed"),
        (4, "compatibility_views", "completed")]
    ledger = rows(legacy_database, "SELECT phase, name, rows, status, started_at, finished_at FROM migration_ledger ORDER BY id")
    assert [(r["phase"], r["status"]) for r in ledger] == [(1, "completed"), (2, "completed"), (3, "completed"), (4, "completed")]
    assert ledger[0]["rows"] == {"users": 5, "legacy_id_map": 8, "migration_quarantine": 1}
    assert ledger[1]["rows"] == {"assessments": 5, "assessment_scores": 7, "legacy_id_map": 12, "migration_quarantine": 7}
    assert all(r["started_at"] <= r["finished_at"] for r in ledger)
    assert results[0].rows == ledger[0]["rows"]


def test_the_migrated_database_matches_the_schema_model(migrated):
    with migrated.connect() as conn:
        assert drift.compare(conn, ignore_tables=LEGACY_NAMES) == []


# --- phase 1: users --------------------------------------------------------------------


def test_one_user_per_address_compared_case_and_space_insensitively(migrated):
    users = {r["id"]: r for r in rows(migrated, "SELECT * FROM users")}
    # ANN_2 is the earliest of the three 'ann@example.com' rows; BOB_A wins the tie on u_id.
    assert set(users) == {data.ANN_2, data.BOB_A, data.CAT, data.DAN, data.FAY}
    assert users[data.ANN_2]["email"] == "Ann@Example.COM"  # trimmed, letter case as typed
    assert users[data.ANN_2]["last_name"] == "Lee-Smith"  # the survivor keeps its own values
    assert users[data.BOB_A]["email"] == "BOB@example.com"

    users_map = mapping(migrated, "tier2_users")
    assert {k: (v["new_id"], v["outcome"], v["reason"]) for k, v in users_map.items() if v["outcome"] == "merged"} == {
        str(data.ANN_1): (data.ANN_2, "merged", "duplicate email"),
        str(data.ANN_3): (data.ANN_2, "merged", "duplicate email"),
        str(data.BOB_B): (data.BOB_A, "merged", "duplicate email"),
    }
    # A merged row's own values survive nowhere else, so its whole row is kept.
    assert users_map[str(data.ANN_3)]["legacy_row"]["first_name"] == "A."
    assert all(v["new_id"] == data.uid(k[-3:]) for k, v in users_map.items() if v["outcome"] == "migrated")


def test_a_blank_email_is_quarantined_with_the_whole_row(migrated):
    quarantined = quarantine(migrated, "tier2_users")
    assert list(quarantined) == [str(data.EVE)]
    row = quarantined[str(data.EVE)]
    assert (row["reason"], row["phase"]) == ("invalid: blank email", 1)
    assert row["legacy_row"] == {**{c.name: None for c in tier2_users.columns}, "u_id": str(data.EVE), "email": "   ",
                                 "first_name": "Eve", "last_name": "Blank", "created_at": "2024-05-05T05:05:05"}


def test_missing_names_become_empty_strings_and_nobody_is_dropped_for_them(migrated):
    names = {r["id"]: (r["first_name"], r["last_name"]) for r in rows(migrated, "SELECT id, first_name, last_name FROM users")}
    assert names[data.CAT] == ("", "")  # NULL and '   '
    assert names[data.DAN] == ("Dan", "")


def test_naive_legacy_timestamps_are_read_as_utc_whatever_the_session_time_zone(legacy_database):
    with legacy_database.connect() as conn:
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" SET timezone TO \'Pacific/Auckland\'')
        conn.commit()
    legacy_database.dispose()
    migrate(legacy_database)
    created = {r["id"]: r["created_at"] for r in rows(legacy_database, "SELECT id, created_at FROM users")}
    assert created[data.ANN_2] == datetime(2023, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert created[data.FAY] == datetime(2024, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert created[data.DAN] is None  # NULL stays NULL: no time is invented
    assert check(legacy_database).ok


def test_an_address_already_registered_on_the_platform_absorbs_the_legacy_rows(legacy_database):
    with legacy_database.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, email, first_name, last_name) "
                             "VALUES (:id, 'fay@example.ORG', 'Fay', 'O.')"), {"id": data.uid("fa7")})
    migrate(legacy_database)
    fay = mapping(legacy_database, "tier2_users")[str(data.FAY)]
    assert (fay["new_id"], fay["outcome"], fay["reason"]) == (data.uid("fa7"), "merged", "email already registered")
    insights = rows(legacy_database, "SELECT m.legacy_id, i.user_id, i.industry FROM market_insights i "
                                     "JOIN legacy_id_map m ON m.new_id = i.id ORDER BY 1")
    # Insight 2 had no industry and the platform user has none either: 'unknown'.
    assert [tuple(r.values()) for r in insights if r["legacy_id"] in ("2", "6")] == [
        ("2", data.uid("fa7"), "unknown"), ("6", data.uid("fa7"), "Healthcare")]
    assert check(legacy_database).ok


# --- phase 2: assessments and scores ------------------------------------------------------


def test_assessments_keep_their_ids_follow_the_surviving_user_and_store_responses_as_the_seed(migrated):
    assessments = {r["id"]: r for r in rows(migrated, "SELECT * FROM assessments")}
    assert set(assessments) == {data.A1, data.A2, data.A3, data.A4, data.A8}
    a1 = assessments[data.A1]
    assert a1["user_id"] == data.ANN_2  # ANN_1 was merged into ANN_2
    assert a1["metadata"] == {"source": "onboarding_assessments", "legacy_id": str(data.A1),
                              "legacy_user_id": str(data.ANN_1)}
    assert (a1["assessment_type"], a1["status"]) == ("onboarding", "completed")
    assert a1["completed_at"] == a1["created_at"] == datetime(2024, 1, 10, 10, tzinfo=UTC)
    answers = ("growth_metrics", "gtm_strategy", "differentiator", "brand_perception", "tech_stack",
               "process_discipline", "acquisition_channels", "retention_strategy", "decision_bottlenecks",
               "future_success", "benchmark_preferences", "unresolved_issue", "business_priorities",
               "business_overview", "tech_maturity", "team_alignment", "funding_status", "growth_pace",
               "final_confirmation", "strategy_decision_method")
    assert a1["responses"] == {**dict.fromkeys(answers), "growth_pace": "FAST", "tech_maturity": " basic ",
                               "funding_status": "Series C", "growth_metrics": "MRR, churn\nand NPS",
                               "friction_points": ["slow sales", "churn"]}
    assert assessments[data.A2]["responses"]["friction_points"] is None
    assert assessments[data.A3]["responses"]["friction_points"] == []
    assert assessments[data.A8]["created_at"] is None
    reason = mapping(migrated, "onboarding_assessments")[str(data.A1)]["reason"]
    assert reason == "user merged: re-pointed to the surviving user"


def test_each_scoring_result_becomes_one_score_on_the_assessment_it_scored(migrated):
    scores = rows(migrated, "SELECT m.legacy_id, s.id, s.assessment_id, s.overall_score, s.confidence_score, "
                            "s.category_scores, s.recommendations, s.next_steps FROM assessment_scores s "
                            "JOIN legacy_id_map m ON m.new_id = s.id AND m.legacy_table = 'assessment_scoring_results'")
    assert {int(r["legacy_id"]): r["assessment_id"] for r in scores} == data.SCORE_MATCH
    assert len(scores) == len(data.SCORE_MATCH)  # never multiplied
    by_id = {int(r["legacy_id"]): r for r in scores}
    assert (by_id[2]["overall_score"], by_id[2]["confidence_score"]) == (Decimal("3.46"), Decimal("0.56"))
    assert (by_id[2]["category_scores"], by_id[2]["recommendations"], by_id[2]["next_steps"]) == (
        {"growth": 3.5}, ["Hire", "Focus"], [])
    assert by_id[1]["id"] == rows(migrated, "SELECT md5('assessment_scoring_results:1')::uuid AS id")[0]["id"]
    reasons = {int(k): v["reason"] for k, v in mapping(migrated, "assessment_scoring_results").items()}
    assert reasons[3] == "matched to the earliest assessment after it (none before)"
    assert [k for k, v in reasons.items() if v] == [3]


def test_orphans_and_unscorable_rows_are_quarantined_whole_with_the_reason(migrated):
    assessments = quarantine(migrated, "onboarding_assessments")
    assert {k: v["reason"] for k, v in assessments.items()} == {
        str(data.A5): "orphan: user not found",
        str(data.A6): "orphan: no user id",
        str(data.A7): "orphan: user quarantined",
    }
    assert assessments[str(data.A5)]["legacy_row"]["u_id"] == str(data.NOBODY)
    assert assessments[str(data.A5)]["legacy_row"]["growth_pace"] == "flat"
    scores = quarantine(migrated, "assessment_scoring_results")
    assert {int(k): v["reason"] for k, v in scores.items()} == data.SCORE_QUARANTINE
    assert scores["10"]["legacy_row"]["score"] == 7.5
    assert all(v["phase"] == 2 for v in scores.values())


# --- phase 3: intelligence ------------------------------------------------------------------


def test_market_insights_scale_confidence_fill_the_industry_and_follow_the_survivor(migrated):
    found = rows(migrated, "SELECT m.legacy_id, i.user_id, i.industry, i.confidence_score::text AS confidence "
                           "FROM market_insights i JOIN legacy_id_map m ON m.new_id = i.id "
                           "AND m.legacy_table = 'enhanced_market_insights'")
    assert {int(r["legacy_id"]): (r["industry"], r["confidence"]) for r in found} == data.INSIGHT_EXPECTED
    assert {int(r["legacy_id"]): r["user_id"] for r in found}[1] == data.ANN_2
    assert {int(k): v["reason"] for k, v in quarantine(migrated, "enhanced_market_insights").items()} == (
        data.INSIGHT_QUARANTINE)


def test_trends_and_playbook_move_whole_with_no_invented_signal_score(migrated):
    trends = {r["legacy_id"]: r for r in rows(
        migrated, "SELECT metadata->>'legacy_id' AS legacy_id, title, insight, source, created_at FROM business_trends")}
    assert (trends["2"]["title"], trends["2"]["insight"], trends["2"]["source"]) == ("", "An untitled trend", None)
    assert (trends["3"]["insight"], trends["3"]["created_at"]) == ("", None)
    playbook = rows(migrated, "SELECT signal_score, engagement_metrics, recommendations, insights "
                              "FROM engagement_intelligence ORDER BY created_at")
    assert [r["signal_score"] for r in playbook] == [None, None]
    assert playbook[0]["engagement_metrics"] == {"playbook_insight": "Send the webinar recap within 24h"}
    assert playbook[0]["recommendations"] == ["Review marketing playbook insights"]


# --- phase 4: compatibility views ------------------------------------------------------------


def test_the_compatibility_views_return_the_legacy_rows_that_survived(migrated):
    user = rows(migrated, "SELECT * FROM tier2_users_compat WHERE u_id = :id", id=data.ANN_2)[0]
    assert (user["email"], user["created_at"]) == ("Ann@Example.COM", datetime(2023, 6, 1, 8, 0, 0, 123456))
    assessment = rows(migrated, "SELECT * FROM onboarding_assessments_compat WHERE o_id = :id", id=data.A2)[0]
    assert (assessment["u_id"], assessment["growth_pace"], assessment["friction_points"]) == (
        data.ANN_2, "steady", None)
    assert check(migrated).finding("views", "onboarding_assessments_compat").details["view_rows"] == 5


# --- transactions, idempotency, order ----------------------------------------------------------


def test_a_second_run_changes_nothing(migrated):
    before = fingerprint(migrated)
    results = migrate(migrated)
    assert [r.status for r in results] == ["unchanged"] * 4
    assert all(not any(r.rows.values()) for r in results)
    assert fingerprint(migrated) == before


def test_new_ids_are_the_same_for_the_same_legacy_data(migrated, another_database):
    with another_database.begin() as conn:
        write_legacy(conn)
    migrate(another_database)
    for table in NEW_TABLES + ("legacy_id_map",):
        ids = "SELECT new_table, new_id::text AS id FROM legacy_id_map" if table == "legacy_id_map" else f"SELECT id FROM {table}"
        assert sorted(map(str, rows(migrated, ids))) == sorted(map(str, rows(another_database, ids))), table


def test_legacy_rows_added_later_are_picked_up_by_running_the_phases_again(migrated):
    late_user, late_assessment = data.uid("a04"), data.uid("1a09")
    with migrated.begin() as conn:
        write_legacy(conn, {
            tier2_users: [dict(u_id=late_user, email="ANN@example.com ", first_name="Ann",
                               created_at=data.ts("2025-01-01 00:00:00"))],
            data.onboarding_assessments: [dict(o_id=late_assessment, u_id=late_user,
                                               created_at=data.ts("2025-01-02 00:00:00"))],
        })
    with pytest.raises(MigrationOrderError, match="1 are neither"):
        migrate(migrated, phase=2)
    results = migrate(migrated)
    assert [r.status for r in results] == ["completed", "completed", "unchanged", "unchanged"]
    assert mapping(migrated, "tier2_users")[str(late_user)]["new_id"] == data.ANN_2
    assert rows(migrated, "SELECT user_id FROM assessments WHERE id = :id", id=late_assessment) == [{"user_id": data.ANN_2}]
    assert check(migrated).ok


def test_a_phase_refuses_to_run_before_the_phases_it_depends_on(legacy_database):
    before = fingerprint(legacy_database)
    with pytest.raises(MigrationOrderError, match=r"phase 2 \(assessments\) needs phase 1 \(users\) first"):
        migrate(legacy_database, phase=2)
    migrate(legacy_database, phase=1)
    with pytest.raises(MigrationOrderError, match=r"phase 4 .* needs phase 2"):
        migrate(legacy_database, phase=4)
    with pytest.raises(MigrationError, match="no migration phase 7"):
        migrate(legacy_database, phase=7)
    assert counts(legacy_database, "assessments")["assessments"] == 0
    assert before != fingerprint(legacy_database)  # phase 1 did run


def test_a_database_without_the_legacy_tables_is_a_clear_error(schema_database):
    with pytest.raises(MigrationError, match="legacy table.*tier2_users"):
        migrate(schema_database)


POISON = {
    # phase: (table whose insert raises, what has been written in the phase before it)
    1: ("legacy_id_map", "NEW.outcome = 'merged'"),                      # step 2, after users were inserted
    2: ("assessment_scores", "true"),                                   # step 4, after assessments
    3: ("engagement_intelligence", "true"),                             # last step, after insights and trends
}


@pytest.mark.parametrize("phase", sorted(POISON))
def test_a_failure_half_way_through_a_phase_leaves_the_database_as_before_it(legacy_database, phase):
    table, condition = POISON[phase]
    if phase > 1:
        migrate(legacy_database, phase=1)
    if phase > 2:
        migrate(legacy_database, phase=2)
    with legacy_database.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN IF {condition} THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$")
        conn.exec_driver_sql(f"CREATE TRIGGER boom BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION boom()")
    before = fingerprint(legacy_database)
    with pytest.raises(MigrationError, match=rf"phase {phase} .*failed at step p{phase}_0\d.*injected failure.*rolled back"):
        migrate(legacy_database, phase=phase)
    assert fingerprint(legacy_database) == before
    with legacy_database.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER boom ON {table}")
    assert migrate(legacy_database, phase=phase)[0].status == "completed"


def test_a_failing_statement_after_ddl_leaves_no_view_behind(migrated, monkeypatch):
    with migrated.begin() as conn:
        conn.exec_driver_sql("DROP VIEW tier2_users_compat, onboarding_assessments_compat")
    before = fingerprint(migrated)
    views = phases.get_phase(4)
    failing = phases.Phase(4, views.name, views.description, views.sources, views.steps + (phases.Step("boom.sql"),))
    monkeypatch.setattr(migration, "get_phase", lambda n: failing if n == 4 else phases.get_phase(n))
    real_read_sql = phases.read_sql
    monkeypatch.setattr(phases, "read_sql", lambda package, name: "SELECT 1 / 0" if name == "boom.sql"
                        else real_read_sql(package, name))
    with pytest.raises(MigrationError, match="step boom.sql: division by zero"):
        migrate(migrated, phase=4)
    assert fingerprint(migrated) == before
    assert "view tier2_users_compat" not in before


def test_a_dry_run_reports_what_it_would_write_and_changes_nothing(legacy_database, another_database):
    before = fingerprint(legacy_database)
    dry = migrate(legacy_database, dry_run=True)
    assert fingerprint(legacy_database) == before
    assert [r.status for r in dry] == ["dry run"] * 4
    with another_database.begin() as conn:
        write_legacy(conn)
    real = migrate(another_database)
    assert [r.rows for r in dry] == [r.rows for r in real]
    assert "would write" in str(dry[0])


# --- phase 5 -------------------------------------------------------------------------------------


def test_phase_5_runs_only_when_asked_explicitly(migrated):
    with pytest.raises(MigrationOrderError, match="drop_legacy=True"):
        migrate(migrated, phase=5)
    migrate(migrated)
    with migrated.connect() as conn:
        assert LEGACY_NAMES <= set(sa.inspect(conn).get_table_names())


def test_phase_5_refuses_to_drop_while_a_check_fails(migrated):
    with migrated.begin() as conn:
        conn.execute(sa.text("UPDATE users SET phone = 'changed' WHERE id = :id"), {"id": data.FAY})
    with pytest.raises(ReconciliationFailedError, match="not dropped.*phone") as raised:
        migrate(migrated, phase=5, drop_legacy=True)
    assert not raised.value.reconciliation.ok
    with migrated.connect() as conn:
        assert LEGACY_NAMES <= set(sa.inspect(conn).get_table_names())


def test_phase_5_drops_the_legacy_tables_after_the_check_and_keeps_the_proof(migrated):
    dry = migrate(migrated, phase=5, drop_legacy=True, dry_run=True)
    assert dry[0].status == "dry run"
    with migrated.connect() as conn:
        assert LEGACY_NAMES <= set(sa.inspect(conn).get_table_names())

    result = migrate(migrated, phase=5, drop_legacy=True)[0]
    assert result.status == "completed"
    assert result.details["dropped"] == {t: n for t, (n, *_rest) in data.EXPECTED_ACCOUNTING.items()}
    with migrated.connect() as conn:
        assert not LEGACY_NAMES & set(sa.inspect(conn).get_table_names())
        ledger = conn.execute(sa.select(migration_ledger.c.details).where(migration_ledger.c.phase == 5)).scalar_one()
    assert ledger["reconciliation"]["ok"] is True

    after = check(migrated)
    assert after.ok and after.legacy_dropped, after.render()
    assert "dropped by phase 5 (39 rows in 6 tables)" in after.render()
    json.dumps(after.to_dict())

    before = fingerprint(migrated)
    again = migrate(migrated, drop_legacy=True)
    assert [r.status for r in again] == ["skipped", "skipped", "skipped", "unchanged", "unchanged"]
    assert fingerprint(migrated) == before


# --- scale --------------------------------------------------------------------------------------


def test_the_synthetic_small_dataset_migrates_and_reconciles(schema_database, another_database):
    from bi_workbench.synthetic import seed_legacy

    for engine in (schema_database, another_database):
        with engine.begin() as conn:
            seed_legacy(conn, "small", 7, progress=False)
        migrate(engine)
    result = check(schema_database)
    assert result.ok, result.render()
    assert result.finding("accounting", "tier2_users").details["merged"] > 0
    assert fingerprint(schema_database).keys() == fingerprint(another_database).keys()
    for table in NEW_TABLES:
        ids = f"SELECT id FROM {table} ORDER BY id"
        assert rows(schema_database, ids) == rows(another_database, ids), table
    before = fingerprint(schema_database)
    migrate(schema_database)
    assert fingerprint(schema_database) == before


def test_the_medium_dataset_migrates_and_reconciles(schema_database):
    # How fast is `bi-workbench bench --only migration`'s figure, beside its baseline; here only correctness.
    from bi_workbench.synthetic import seed_legacy

    with schema_database.begin() as conn:
        written = seed_legacy(conn, "medium", 42, progress=False)
    assert written["tier2_users"] == 10_000
    migrate(schema_database)
    result = check(schema_database)
    assert result.ok, result.render()


# --- the seed's migration functions, on the same legacy rows ---------------------------------------


def load_seed_functions(engine) -> None:
    """Create the seed's migrate_user_data, migrate_assessments and migrate_intelligence_data."""
    with engine.begin() as conn:
        conn.connection.driver_connection.execute(SEED_FUNCTIONS.read_text(encoding="utf-8"))


def run_seed(engine, function: str) -> None:
    """Run one of the seed's functions in its own transaction (raising what it raises)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT {function}()")


def both_ways(ours, seeds, rows_by_table) -> None:
    """Write the same legacy rows into both databases and load the seed's functions into ``seeds``."""
    for engine in (ours, seeds):
        with engine.begin() as conn:
            write_legacy(conn, rows_by_table)
    load_seed_functions(seeds)


def person(u_id, email, **extra) -> dict:
    return dict(u_id=u_id, email=email, first_name="P", last_name="Q", created_at=data.ts("2024-01-01 00:00:00"),
                **extra)


def test_seed_drops_a_user_silently_on_a_repeated_address_where_we_merge(schema_database, another_database):
    first, second = data.uid("5e1"), data.uid("5e2")
    legacy = {
        tier2_users: [person(first, "dup@example.com"), person(second, "dup@example.com", phone="kept")],
        data.onboarding_assessments: [dict(o_id=data.uid("5ea"), u_id=second, created_at=data.ts("2024-02-01 00:00:00"))],
    }
    ours, seeds = schema_database, another_database
    both_ways(ours, seeds, legacy)

    run_seed(seeds, "migrate_user_data")  # no error ...
    assert counts(seeds, "users")["users"] == 1  # ... but one person is gone without a trace
    claimed = rows(seeds, "SELECT event_data FROM events WHERE event_type = 'user_migration_completed'")
    assert claimed == [{"event_data": {"migrated_count": 2}}]
    with pytest.raises(sa.exc.IntegrityError) as raised:  # and the dropped user's assessment has no user
        run_seed(seeds, "migrate_assessments")
    assert isinstance(raised.value.orig, psycopg.errors.ForeignKeyViolation)

    migrate(ours)
    assert mapping(ours, "tier2_users")[str(second)]["outcome"] == "merged"
    assert mapping(ours, "tier2_users")[str(second)]["legacy_row"]["phone"] == "kept"
    assert rows(ours, "SELECT user_id FROM assessments") == [{"user_id": first}]
    assert check(ours).ok


def test_seed_misses_addresses_differing_in_case_where_we_find_one_person(schema_database, another_database):
    legacy = {tier2_users: [person(data.uid("ca1"), "Case@Example.com"), person(data.uid("ca2"), "case@example.com")]}
    ours, seeds = schema_database, another_database
    both_ways(ours, seeds, legacy)

    # On this schema (one address per person, case-insensitively) the seed's function fails ...
    with pytest.raises(sa.exc.IntegrityError) as raised:
        run_seed(seeds, "migrate_user_data")
    assert isinstance(raised.value.orig, psycopg.errors.UniqueViolation)
    assert "ix_users_email_lower" in str(raised.value.orig)
    # ... and on the seed's own (UNIQUE (email) only) it makes two users of one person.
    with seeds.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_users_email_lower")
    run_seed(seeds, "migrate_user_data")
    assert counts(seeds, "users")["users"] == 2

    migrate(ours)
    assert counts(ours, "users")["users"] == 1
    assert check(ours).ok


def test_seed_multiplies_scoring_results_where_we_keep_one_score_each(schema_database, another_database):
    user, early, late = data.uid("5c0"), data.uid("5ca"), data.uid("5cb")
    legacy = {
        tier2_users: [person(user, "scored@example.com")],
        data.onboarding_assessments: [dict(o_id=early, u_id=user, created_at=data.ts("2024-02-01 00:00:00")),
                                      dict(o_id=late, u_id=user, created_at=data.ts("2024-05-01 00:00:00"))],
        data.assessment_scoring_results: [dict(id=1, user_id=user, score=2.0, created_at=data.ts("2024-02-02 00:00:00")),
                                          dict(id=2, user_id=user, score=3.0, created_at=data.ts("2024-05-02 00:00:00"))],
    }
    ours, seeds = schema_database, another_database
    both_ways(ours, seeds, legacy)

    run_seed(seeds, "migrate_user_data")
    run_seed(seeds, "migrate_assessments")
    assert counts(seeds, "assessment_scores")["assessment_scores"] == 4  # 2 results x 2 assessments
    assert rows(seeds, "SELECT assessment_id, overall_score FROM assessment_scores ORDER BY 1, 2") == [
        {"assessment_id": a, "overall_score": Decimal(s)}
        for a, s in sorted([(early, "2.00"), (early, "3.00"), (late, "2.00"), (late, "3.00")])]

    migrate(ours)
    assert rows(ours, "SELECT assessment_id, overall_score FROM assessment_scores ORDER BY 2") == [
        {"assessment_id": early, "overall_score": Decimal("2.00")},
        {"assessment_id": late, "overall_score": Decimal("3.00")}]
    assert check(ours).ok


def test_seed_overflows_signal_score_and_rejects_missing_names_where_we_migrate(schema_database, another_database):
    legacy = {
        tier2_users: [dict(u_id=data.uid("0a1"), email="noname@example.com", first_name=None, last_name=None,
                           created_at=data.ts("2024-01-01 00:00:00"))],
        data.realtime_marketing_playbook: [dict(id=1, insight="Follow up", source="playbook",
                                                createdat=data.ts("2024-01-01 00:00:00"))],
    }
    ours, seeds = schema_database, another_database
    both_ways(ours, seeds, legacy)

    with pytest.raises(sa.exc.IntegrityError) as raised:
        run_seed(seeds, "migrate_user_data")
    assert isinstance(raised.value.orig, psycopg.errors.NotNullViolation)
    with pytest.raises(sa.exc.DataError) as raised:
        run_seed(seeds, "migrate_intelligence_data")
    assert isinstance(raised.value.orig, psycopg.errors.NumericValueOutOfRange)  # 75.0 into NUMERIC(3,2)

    migrate(ours)
    assert rows(ours, "SELECT first_name, last_name FROM users") == [{"first_name": "", "last_name": ""}]
    assert rows(ours, "SELECT signal_score FROM engagement_intelligence") == [{"signal_score": None}]
    assert check(ours).ok


def test_the_seed_functions_file_holds_the_seeds_text():
    seed = Path(__file__).resolve().parents[3] / "shared" / "seed" / "data-architecture.md"
    if not seed.exists():
        pytest.skip("the seed document is not beside the project")
    document = seed.read_text(encoding="utf-8")
    functions = re.findall(r"^CREATE OR REPLACE FUNCTION .*?^\$\$ LANGUAGE plpgsql;$",
                           SEED_FUNCTIONS.read_text(encoding="utf-8"), flags=re.M | re.S)
    assert len(functions) == 3
    for function in functions:
        assert function in document
