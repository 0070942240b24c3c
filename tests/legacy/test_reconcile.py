"""The migration checks: they pass on a faithful migration and catch every kind of unexplained difference."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.database.snapshot import sharing_snapshot
from bi_workbench.legacy import reconcile as reconciling
from bi_workbench.legacy.migrate import check
from bi_workbench.legacy.reconcile import SECTIONS, reconcile

from . import legacy_data as data


def execute(engine, sql: str, **params) -> None:
    """Run one statement and commit."""
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def failed(result) -> set[tuple[str, str]]:
    """Return (section, name) of every failing finding."""
    return {(f.section, f.name) for f in result.problems}


def test_a_faithful_migration_passes_every_check(migrated):
    result = check(migrated)
    assert result.ok, result.render()
    assert not result.legacy_dropped
    assert {f.section for f in result.findings} == set(SECTIONS)
    assert len(result.section("accounting")) == len(result.section("values")) == 6
    assert len(result.section("views")) == 2


def test_before_migrating_every_legacy_row_is_unexplained(legacy_database):
    result = check(legacy_database)
    assert not result.ok
    for table, (legacy, *_rest) in data.EXPECTED_ACCOUNTING.items():
        finding = result.finding("accounting", table)
        assert (finding.ok, finding.details["unexplained"]) == (False, legacy)
    views = result.section("views")
    assert all(f.ok and "not created yet" in f.summary for f in views)


def test_the_report_renders_as_text_and_as_json(migrated):
    execute(migrated, "UPDATE users SET title = 'Boss' WHERE id = :id", id=data.FAY)
    result = check(migrated)
    text = result.render()
    assert text.splitlines()[0].startswith("Migration check: FAILED (2 problem(s))")
    assert "FAIL  tier2_users -> users: 1 of 19 columns differ over 5 rows: title: 1 row(s) differ" in text
    assert str(data.FAY) in text
    as_json = json.loads(json.dumps(result.to_dict()))
    assert as_json["ok"] is False and as_json["problems"] == 2
    columns = as_json["sections"]["values"][0]["details"]["columns"]
    assert columns["title"]["legacy_checksum"] != columns["title"]["new_checksum"]
    assert columns["email"]["legacy_checksum"] == columns["email"]["new_checksum"]


TAMPERING = {
    "a new value changed after the migration": (
        "UPDATE users SET first_name = 'Anne' WHERE id = '{ANN_2}'",
        {("values", "tier2_users"), ("views", "tier2_users_compat")}),
    "a legacy value changed after the migration": (
        "UPDATE onboarding_assessments SET growth_pace = 'flat' WHERE o_id = '{A2}'",
        {("values", "onboarding_assessments"), ("views", "onboarding_assessments_compat")}),
    "a quarantined row released without being migrated": (
        "DELETE FROM migration_quarantine WHERE legacy_table = 'assessment_scoring_results' AND legacy_id = '7'",
        {("accounting", "assessment_scoring_results")}),
    "a migrated row deleted": (
        "DELETE FROM market_insights WHERE industry = 'unknown'",
        {("values", "enhanced_market_insights"),
         ("integrity", "legacy_id_map rows whose new row is missing")}),
    "a score moved to another assessment": (
        "UPDATE assessment_scores SET assessment_id = '{A2}' WHERE assessment_id = '{A1}'",
        {("values", "assessment_scoring_results")}),
    "two legacy rows mapped to one new row": (
        "UPDATE legacy_id_map SET new_id = (SELECT new_id FROM legacy_id_map WHERE legacy_table = "
        "'realtime_business_trends' AND legacy_id = '1') WHERE legacy_table = 'realtime_business_trends' "
        "AND legacy_id = '2'",
        {("values", "realtime_business_trends"),
         ("integrity", "new rows made from more than one legacy row (multiplied)"),
         ("integrity", "migrated business trends missing from legacy_id_map")}),
    "a legacy row added after the migration": (
        "INSERT INTO realtime_marketing_playbook (insight) VALUES ('late')",
        {("accounting", "realtime_marketing_playbook")}),
    "a migrated legacy row deleted from the legacy table": (
        "DELETE FROM realtime_business_trends WHERE id = 3",
        {("accounting", "realtime_business_trends"), ("values", "realtime_business_trends")}),
    "a legacy row both migrated and quarantined": (
        "INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase) "
        "VALUES ('tier2_users', '{FAY}', '{{}}', 'test', 1)",
        {("accounting", "tier2_users"), ("integrity", "legacy rows both mapped and quarantined")}),
    "a merged duplicate pointing at another person": (
        "UPDATE legacy_id_map SET new_id = '{FAY}' WHERE legacy_id = '{BOB_B}'",
        # BOB_B's score now "belongs" to FAY, who has no assessment it could score.
        {("integrity", "legacy users on a user with another address (Unicode identity)"),
         ("values", "assessment_scoring_results")}),
    "a stored email padded with a tab after the migration": (
        "UPDATE users SET email = email || chr(9) WHERE id = '{FAY}'",
        {("integrity", "users whose email is stored untrimmed"), ("values", "tier2_users"),
         ("views", "tier2_users_compat")}),
    "a platform user added with a migrated address in another Unicode case": (
        "INSERT INTO users (email, first_name, last_name) VALUES (U&'\\FF26AY@EXAMPLE.ORG', 'F', 'O')",
        {("integrity", "users sharing one address (Unicode identity)")}),

    "a migrated assessment losing its user": (
        "UPDATE assessments SET user_id = NULL WHERE id = '{A3}'",
        {("values", "onboarding_assessments"), ("views", "onboarding_assessments_compat"),
         ("integrity", "migrated assessments without a user"), ("values", "assessment_scoring_results")}),
    "a compatibility view dropped after phase 4": (
        "DROP VIEW onboarding_assessments_compat",
        {("views", "onboarding_assessments_compat")}),
    "a compatibility view rewritten": (
        "CREATE OR REPLACE VIEW tier2_users_compat AS SELECT id AS u_id, lower(email) AS email, first_name, "
        "last_name, phone, title, company, company_size, revenue_range, industry, timezone, linkedin_url, "
        "profile_pic_url, agreed_terms, agreed_marketing, role, created_at AT TIME ZONE 'UTC' AS created_at, "
        "updated_at AT TIME ZONE 'UTC' AS updated_at FROM users",
        {("views", "tier2_users_compat")}),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_every_unexplained_difference_fails_the_check(migrated, case):
    statement, expected = TAMPERING[case]
    names = {name: getattr(data, name) for name in ("ANN_2", "A1", "A2", "A3", "FAY", "BOB_B")}
    with migrated.begin() as conn:
        conn.exec_driver_sql(statement.format(**names))
    result = check(migrated)
    assert not result.ok
    assert failed(result) == expected, result.render()


def test_a_changed_value_is_located_by_column_and_row(migrated):
    execute(migrated, "UPDATE market_insights SET confidence_score = 0.74 WHERE confidence_score = 0.75")
    finding = check(migrated).finding("values", "enhanced_market_insights")
    bad = {name: column for name, column in finding.details["columns"].items() if not column["ok"]}
    assert list(bad) == ["confidence_score"]
    assert (bad["confidence_score"]["differing_rows"], bad["confidence_score"]["examples"]) == (1, ["1"])
    assert bad["confidence_score"]["legacy_rows"] == bad["confidence_score"]["new_rows"] == 4


def test_rows_the_platform_wrote_itself_are_not_differences(migrated):
    execute(migrated, "INSERT INTO users (email, first_name, last_name) VALUES ('new@example.com', 'N', 'U')")
    execute(migrated, "INSERT INTO assessments (user_id, assessment_type) VALUES (:id, 'onboarding')", id=data.FAY)
    execute(migrated, "INSERT INTO business_trends (title, insight) VALUES ('t', 'i')")
    result = check(migrated)
    assert result.ok, result.render()


def test_the_check_reads_one_consistent_snapshot_and_writes_nothing(migrated):
    from .legacy_data import fingerprint

    before = fingerprint(migrated)
    check(migrated)
    assert fingerprint(migrated) == before


def test_a_columns_checksums_bind_each_value_to_its_row(migrated):
    def columns():
        return check(migrated).finding("values", "tier2_users").details["columns"]

    before = columns()
    assert all(c["legacy_checksum"] == c["new_checksum"] for c in before.values())
    # The same titles on the new side, each on the other's row: a checksum of the values alone would not change.
    execute(migrated, "UPDATE users SET title = CASE WHEN id = :fay THEN NULL ELSE 'CEO' END WHERE id IN (:fay, :cat)",
            fay=data.FAY, cat=data.CAT)
    after = columns()
    assert after["title"]["legacy_checksum"] == before["title"]["legacy_checksum"]
    assert after["title"]["new_checksum"] != before["title"]["new_checksum"]
    assert (after["title"]["differing_rows"], after["title"]["examples"]) == (2, sorted([str(data.CAT), str(data.FAY)]))
    assert [name for name, c in after.items() if c["legacy_checksum"] != c["new_checksum"]] == ["title"]


def test_a_row_a_compatibility_view_repeats_is_one_row_only_in_the_view(migrated):
    with migrated.begin() as conn:
        conn.exec_driver_sql("ALTER VIEW tier2_users_compat RENAME TO tier2_users_compat_once")
        conn.exec_driver_sql(f"CREATE VIEW tier2_users_compat AS SELECT * FROM tier2_users_compat_once UNION ALL "
                             f"SELECT * FROM tier2_users_compat_once WHERE u_id = '{data.FAY}'")
    finding = check(migrated).finding("views", "tier2_users_compat")
    assert not finding.ok
    assert {k: finding.details[k] for k in ("only_in_legacy", "only_in_view", "examples")} == {
        "only_in_legacy": 0, "only_in_view": 1, "examples": [str(data.FAY)]}
    assert finding.details["view_rows"] == finding.details["legacy_rows"] + 1


def _findings(result) -> list[tuple]:
    return [(f.section, f.name, f.ok, f.summary, json.dumps(f.details, sort_keys=True, default=str))
            for f in result.findings]


@pytest.mark.parametrize("case", ["a stored email padded with a tab after the migration",
                                  "a legacy value changed after the migration", "a migrated row deleted"])
def test_the_checks_shared_between_two_connections_find_what_one_connection_finds(migrated, case):
    statement, _expected = TAMPERING[case]
    with migrated.begin() as conn:
        conn.exec_driver_sql(statement.format(**{name: getattr(data, name) for name in ("ANN_2", "A2", "FAY")}))
    with migrated.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        alone = reconcile(conn)
        with sharing_snapshot(migrated, conn) as beside:
            shared = reconcile(conn, beside=beside)
    assert not alone.ok
    assert _findings(shared) == _findings(alone)


def test_the_check_runs_on_two_server_processes_and_the_address_checks_on_the_one_that_filled_them(
        migrated, monkeypatch):
    ran = []
    planned = reconciling._checks

    def traced(*args):
        def run(conn, check):
            ran.append((check.addresses, conn.connection.dbapi_connection.info.backend_pid))
            return check.run(conn)
        return [dataclasses.replace(c, run=lambda conn, c=c: run(conn, c)) for c in planned(*args)]

    monkeypatch.setattr(reconciling, "_checks", traced)
    assert check(migrated).ok
    assert len({pid for _addresses, pid in ran}) == 2
    address_checks = [(addresses, pid) for addresses, pid in ran if addresses]
    assert address_checks[0][0] == "fills" and len(address_checks) == 3    # the tier2 values and view read them
    assert len({pid for _addresses, pid in address_checks}) == 1


def test_the_check_runs_on_one_connection_when_the_pool_gives_no_second(migrated):
    single = create_engine(migrated.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        result = check(single)
    finally:
        single.dispose()
    assert result.ok and _findings(result) == _findings(check(migrated))
