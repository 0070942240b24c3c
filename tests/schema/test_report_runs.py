"""Revision 0009 upgrades a run history of the earlier shape to runs as leases, and the result matches the model."""

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from bi_workbench.schema import drift, head_revision, init_schema
from bi_workbench.schema.apply import _alembic_config

_EARLIER_SHAPE = [
    "DROP INDEX uq_report_runs_slot_claim",
    "DROP INDEX ix_report_runs_running",
    "ALTER TABLE report_runs DROP COLUMN owner, DROP COLUMN lease_expires_at",
    "ALTER TABLE report_runs DROP CONSTRAINT ck_report_runs_status_known",
    "ALTER TABLE report_runs ADD CONSTRAINT ck_report_runs_status_known CHECK (status IN ('succeeded', 'failed', 'running'))",
    "ALTER TABLE report_runs ADD CONSTRAINT uq_report_runs_report_schedule_name_slot UNIQUE (report, schedule_name, slot)",
]


def test_revision_0009_turns_the_earlier_run_history_into_leases_that_match_the_model(schema_database):
    before = ScriptDirectory.from_config(_alembic_config()).get_revision("0009").down_revision
    with schema_database.begin() as conn:
        for statement in _EARLIER_SHAPE:
            conn.exec_driver_sql(statement)
        conn.execute(sa.text("UPDATE schema_version SET version_num = :v"), {"v": before})
        conn.execute(sa.text("INSERT INTO report_runs (report, schedule_name, slot, status, finished_at) "
                             "VALUES ('r', 's', '2024-03-01 06:00+00', 'succeeded', now())"))
    assert init_schema(schema_database) == (before, head_revision())
    with schema_database.connect() as conn:
        drift.check(conn)                                                   # raises on any difference
    with schema_database.begin() as conn:
        conn.execute(sa.text("UPDATE report_runs SET status = 'abandoned'"))  # the new status is allowed
        conn.execute(sa.text("INSERT INTO report_runs (report, schedule_name, slot) VALUES ('r', 's', '2024-03-01 06:00+00')"))
    with pytest.raises(sa.exc.IntegrityError), schema_database.begin() as conn:   # one live claim per slot
        conn.execute(sa.text("INSERT INTO report_runs (report, schedule_name, slot) VALUES ('r', 's', '2024-03-01 06:00+00')"))
