"""`migrate` and `demo` when the server dies under them: one line, nothing lost, the next run recovers."""

import shutil
from pathlib import Path

from bi_workbench.database import create_engine
from bi_workbench.reports import catalog
from tests.faults.conftest import assert_one_line, fingerprint

REPO = Path(__file__).resolve().parents[2]


def test_kill_9_of_the_server_during_migrate_then_a_plain_rerun_completes(workbench, demo_engine):
    code, _, err = workbench.run("seed", "--scale", "small", "--seed", "42", "--legacy-only")
    assert code == 0, err
    migrating = workbench.start("migrate")
    # a phase holds the migration's advisory lock for its whole transaction
    workbench.wait_until("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted)", migrating)
    workbench.kill_server()
    _, err = migrating.communicate(timeout=300)
    assert_one_line(migrating.returncode, err)
    code, out, err = workbench.run("migrate")
    assert code == 0, err
    code, out, err = workbench.run("migrate", "check")
    assert code == 0, out + err
    engine = create_engine(workbench.url)
    try:
        ours, reference = fingerprint(engine), fingerprint(demo_engine)
    finally:
        engine.dispose()
    # The migration's own tables are as after an uninterrupted build (the platform seed never ran here).
    for table in ("tier2_users", "onboarding_assessments", "users", "assessments", "assessment_scores",
                  "legacy_id_map", "migration_quarantine", "market_insights", "business_trends"):
        assert ours[table][0] == reference[table][0], table


def test_the_server_killed_while_demo_renders_is_one_line_and_no_report_is_called_good(workbench, tmp_path):
    output = tmp_path / "reports"
    demo = workbench.start("demo", "--notebooks", str(REPO / "notebooks"), "--output", str(output), "--workers", "2",
                           cwd=tmp_path)
    workbench.wait_until("SELECT to_regclass('report_runs') IS NOT NULL "
                         "AND EXISTS (SELECT 1 FROM report_runs WHERE status = 'running')", demo, timeout=900)
    workbench.kill_server()
    out, err = demo.communicate(timeout=900)
    assert_one_line(demo.returncode, err)
    index = (output / "index.html").read_text() if (output / "index.html").exists() else ""
    # Reports that finished before the kill may say so; not every one of them.
    assert index.count('<span class="status succeeded">') < len(catalog.reports()), index
    assert sum(": succeeded ->" in line for line in out.splitlines()) < len(catalog.reports()), out
    shutil.rmtree(output, ignore_errors=True)
    code, out, err = workbench.run("db", "status")  # the next command finds and restarts nothing by itself
    assert code == 0 and "stopped" in out, out + err
