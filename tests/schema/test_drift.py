"""The drift check names every kind of difference between the database and the model."""

from importlib import resources

import pytest
import sqlalchemy as sa

from bi_workbench.errors import SchemaApplyError, SchemaDriftError
from bi_workbench.schema import catalog, drift, init_schema


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
        ("DROP INDEX ix_assessment_scores_latest_covering; CREATE INDEX ix_assessment_scores_latest_covering "
         "ON assessment_scores (assessment_id, created_at DESC NULLS LAST, id DESC) INCLUDE (bracket)",
         "different included columns: assessment_scores.ix_assessment_scores_latest_covering (database has (bracket), "
         "model has (overall_score, confidence_score, bracket))"),
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


# Each change an administrator (or an attacker with the owner's rights) could make
# by hand that weakens tenant isolation, the audit trail or a value scale, and the
# line `db check` must print for it.
SECURITY_DRIFT = [
    ("ALTER TABLE users DISABLE ROW LEVEL SECURITY",
     "different row-level security: users (database has disabled, forced; model has enabled, forced)"),
    ("ALTER TABLE assessments NO FORCE ROW LEVEL SECURITY",
     "different row-level security: assessments (database has enabled, not forced; model has enabled, forced)"),
    ("DROP POLICY tenant_isolation ON notifications", "missing policy: notifications.tenant_isolation"),
    ("ALTER POLICY tenant_isolation ON organizations USING (true)",
     "different policy: organizations.tenant_isolation (database has permissive for SELECT to PUBLIC using (true)"),
    ("CREATE POLICY peek ON assessments FOR SELECT USING (true)", "extra policy: assessments.peek"),
    ("ALTER POLICY tenant_insert ON simulations WITH CHECK (true)",
     "different policy: simulations.tenant_insert (database has permissive for INSERT to PUBLIC using () with check (true)"),
    ("ALTER VIEW organization_analytics RESET (security_invoker)",
     "different view option: organization_analytics (database has none; model has security_invoker=true)"),
    ("CREATE OR REPLACE VIEW user_dashboard_summary WITH (security_invoker = true) AS "
     "SELECT * FROM user_dashboard_summary WHERE false", "different view: user_dashboard_summary"),
    ("ALTER TABLE assessment_scores DROP CONSTRAINT ck_assessment_scores_overall_score_range, "
     "ADD CONSTRAINT ck_assessment_scores_overall_score_range CHECK (overall_score BETWEEN 0 AND 50)",
     "different check constraint: assessment_scores.ck_assessment_scores_overall_score_range "
     "(database has CHECK (((overall_score >= (0)::numeric) AND (overall_score <= (50)::numeric)))"),
    ("ALTER TABLE assessment_scores DROP CONSTRAINT ck_assessment_scores_overall_score_range",
     "missing check constraint: assessment_scores.ck_assessment_scores_overall_score_range"),
    ("ALTER TABLE users ADD CONSTRAINT ck_users_anything CHECK (true)", "extra check constraint: users.ck_users_anything"),
    ("GRANT SELECT ON migration_ledger TO bi_analyst", "extra grant: migration_ledger to bi_analyst (SELECT)"),
    ("GRANT DELETE ON organization_members TO bi_analyst",
     "different grant: organization_members to bi_analyst (database has DELETE, SELECT; model has SELECT)"),
    ("CREATE ROLE drift_probe_role", None),  # (setup for the next line; roles are server-wide)
    ("GRANT SELECT ON migration_ledger TO drift_probe_role", "extra grant: migration_ledger to drift_probe_role (SELECT)"),
    ("GRANT SELECT (email) ON users TO PUBLIC", "extra grant: users.email to PUBLIC (SELECT)"),
    ("GRANT CREATE ON SCHEMA public TO PUBLIC",
     "different grant: schema public to PUBLIC (database has CREATE, USAGE; model has USAGE)"),
    ("GRANT EXECUTE ON FUNCTION audit_row_change() TO PUBLIC", "extra grant: audit_row_change() to PUBLIC (EXECUTE)"),
    ("ALTER TABLE users DISABLE TRIGGER audit_trail",
     "different trigger: users.audit_trail (database has CREATE TRIGGER audit_trail AFTER INSERT OR DELETE OR UPDATE "
     "ON public.users FOR EACH ROW EXECUTE FUNCTION audit_row_change() [disabled]"),
    ("DROP TRIGGER audit_trail ON notifications", "missing trigger: notifications.audit_trail"),
    ("CREATE OR REPLACE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER "
     "AS $$ SELECT organization_id FROM organization_members LIMIT 1 $$", "different function: current_tenant()"),
    ("CREATE FUNCTION stray() RETURNS int LANGUAGE sql AS 'SELECT 1'", "extra function: stray()"),
    # Outside the schema: the guarded server functions, the analysts' roles' objects and settings.
    ("GRANT EXECUTE ON FUNCTION lo_from_bytea(oid, bytea) TO PUBLIC",
     "extra grant: pg_catalog.lo_from_bytea(oid, bytea) to PUBLIC (EXECUTE)"),
    ("GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO bi_analyst",
     "extra grant: pg_catalog.pg_advisory_lock(bigint) to bi_analyst (EXECUTE)"),
    ("SELECT lo_create(4242424); ALTER LARGE OBJECT 4242424 OWNER TO bi_analyst",
     "extra object owned by an analyst role: large object 4242424 owned by bi_analyst"),
    ("ALTER ROLE bi_analyst SET statement_timeout = 0",
     "extra role setting: bi_analyst in every database (statement_timeout=0)"),
    ("DO $$ BEGIN EXECUTE format('ALTER ROLE bi_analyst IN DATABASE %%I SET row_security = off', current_database()); "
     "END $$", "extra role setting: bi_analyst in t_"),
]


@pytest.mark.parametrize("change, expected", [c for c in SECURITY_DRIFT if c[1]], ids=[c[1].split(" (")[0] for c in SECURITY_DRIFT if c[1]])
def test_security_drift_is_reported_and_db_init_repairs_it(schema_database, change, expected):
    with schema_database.begin() as conn:
        conn.execute(sa.text("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drift_probe_role') "
                             "THEN CREATE ROLE drift_probe_role; END IF; END $$"))
        conn.exec_driver_sql(change)
    with schema_database.connect() as conn:
        found = [str(d) for d in drift.compare(conn)]
    assert found and found[0].startswith(expected), found
    # nothing else is reported but that object (a new function also carries PUBLIC's default EXECUTE)
    assert all(expected.split(": ", 1)[1].split(" ")[0] in line for line in found), found
    init_schema(schema_database)
    with schema_database.connect() as conn:
        assert drift.compare(conn) == []


def test_the_check_leaves_the_database_as_it_was(schema_database):
    with schema_database.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE users DISABLE ROW LEVEL SECURITY; GRANT SELECT ON migration_ledger TO bi_analyst")
    with schema_database.connect() as conn:
        before = catalog.live_state(conn)
        assert len(drift.compare(conn)) == 2
        assert catalog.live_state(conn) == before
    with schema_database.connect() as conn:  # and in a new session, after the rehearsal's rollback
        assert conn.execute(sa.text("SELECT relrowsecurity FROM pg_class WHERE oid = 'users'::regclass")).scalar() is False


def test_repair_refuses_a_model_check_the_data_violates(schema_database):
    with schema_database.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE growth_progress DROP CONSTRAINT ck_growth_progress_progress_percentage_range")
        conn.exec_driver_sql("SET LOCAL bi_workbench.audit = 'off'; "
                             "INSERT INTO growth_progress (milestone, progress_percentage) VALUES ('m', 250)")
        before = catalog.live_state(conn)
    with pytest.raises(SchemaApplyError, match="ck_growth_progress_progress_percentage_range.*violated"):
        with schema_database.begin() as conn:
            catalog.repair(conn)
    with schema_database.connect() as conn:
        assert catalog.live_state(conn) == before  # the failed repair was rolled back whole


def test_every_revision_that_declares_catalog_objects_is_run_again_by_the_repair():
    versions = resources.files("bi_workbench.schema").joinpath("migrations", "versions")
    sources = {entry.name[:4]: entry.read_text() for entry in versions.iterdir() if entry.name.endswith(".py")}
    upgrades = {revision: source.split("def upgrade", 1)[1].split("def downgrade")[0]
                for revision, source in sources.items()}
    # every revision but those that build tables, columns or indexes (the model's, compared directly) declares
    # catalog objects
    model = ("create_all", ".create(bind", "ADD COLUMN", "CREATE INDEX")
    declaring = {revision for revision, body in upgrades.items() if not any(word in body for word in model)}
    assert declaring == set(catalog.REDECLARING_REVISIONS)
    sql_files = {entry.name for entry in resources.files("bi_workbench.schema").joinpath("sql").iterdir()
                 if entry.name.endswith(".sql")}
    tenancy = resources.files("bi_workbench.schema").joinpath("tenancy.py").read_text()
    assert all(any(name in upgrades[r] for r in declaring) or name in tenancy for name in sql_files)


def test_tables_beside_the_schema_are_not_expected_to_follow_its_rules_but_grants_on_them_are_reported(schema_database):
    with schema_database.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE tier2_users (id serial PRIMARY KEY, email text)")
        ignored = frozenset({"tier2_users"})
        # "GRANT USAGE ON ALL SEQUENCES" would reach its sequence: not drift
        assert drift.compare(conn, ignore_tables=ignored) == []
        conn.exec_driver_sql("GRANT SELECT ON tier2_users TO bi_analyst")
        assert [str(d) for d in drift.compare(conn, ignore_tables=ignored)] == [
            "extra grant: tier2_users to bi_analyst (SELECT)"]
