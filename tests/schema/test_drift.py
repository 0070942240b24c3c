"""The drift check names every kind of difference between the database and the model."""

import pytest
import sqlalchemy as sa

from bi_workbench.errors import SchemaDriftError
from bi_workbench.schema import drift


@pytest.mark.parametrize(
    "change, expected",
    [
        ("DROP TABLE team_messages", "missing table: team_messages"),
        ("CREATE TABLE stray (x int)", "extra table: stray"),
        ("ALTER TABLE users DROP COLUMN phone", "missing column: users.phone"),
        ("ALTER TABLE users ADD COLUMN nickname text", "extra column: users.nickname"),
        ("ALTER TABLE users ALTER COLUMN phone TYPE varchar(20)", "different type: users.phone"),
        ("ALTER TABLE users ALTER COLUMN title SET NOT NULL", "different nullable: users.title"),
        ("ALTER TABLE users ALTER COLUMN role SET DEFAULT 'admin'", "different default: users.role (database has 'admin'::text, model has user)"),
        ("DROP INDEX ix_users_company", "missing index: users.ix_users_company"),
        ("CREATE INDEX ix_users_title ON users (title)", "extra index: users.ix_users_title"),
        ("ALTER TABLE events DROP CONSTRAINT uq_events_aggregate_id_aggregate_type_version",
         "missing constraint: events.uq_events_aggregate_id_aggregate_type_version"),
        ("ALTER TABLE assessments DROP CONSTRAINT fk_assessments_user_id_users", "missing foreign key: assessments."),
        ("ALTER TABLE assessment_scores DROP CONSTRAINT ck_assessment_scores_overall_score_range",
         "missing check constraint: assessment_scores.ck_assessment_scores_overall_score_range"),
        ("DROP VIEW organization_analytics", "missing view: organization_analytics"),
        ("DROP MATERIALIZED VIEW assessment_analytics_summary", "missing materialized view: assessment_analytics_summary"),
        ("DROP FUNCTION ensure_partitions_ahead(integer)", "missing function: ensure_partitions_ahead"),
        ("DROP TABLE analytics_events_default", "missing default partition: analytics_events_default"),
    ],
)
def test_each_kind_of_drift_is_reported(schema_database, change, expected):
    with schema_database.begin() as conn:
        conn.execute(sa.text(change))
        found = [str(d) for d in drift.compare(conn)]
    assert any(line.startswith(expected) for line in found), found


def test_partitions_and_ignored_tables_are_not_drift(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("SELECT ensure_monthly_partitions('audit_log'::regclass, DATE '2020-01-01', DATE '2020-12-01')"))
        conn.execute(sa.text("CREATE TABLE tier2_users (u_id uuid)"))
        assert drift.compare(conn, ignore_tables=frozenset({"tier2_users"})) == []


def test_check_raises_with_every_difference(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_users_company; ALTER TABLE users ADD COLUMN x int"))
        with pytest.raises(SchemaDriftError, match="2 place") as info:
            drift.check(conn)
    assert [d.kind for d in info.value.differences] == ["extra column", "missing index"]


def test_live_columns_reads_a_view_in_column_order(schema_database):
    with schema_database.connect() as conn:
        columns = drift.live_columns(conn, "user_dashboard_summary")
    assert list(columns)[:3] == ["user_id", "email", "first_name"]
    assert columns["total_assessments"] == "bigint"
