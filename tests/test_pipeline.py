"""The demo pipeline keeps the report run history across a rebuild of the database."""

from __future__ import annotations

import sqlalchemy as sa

from bi_workbench.pipeline import kept_report_history
from bi_workbench.schema import init_schema
from bi_workbench.schema.apply import reset_schema
from bi_workbench.schema.report_runs import report_runs


def test_a_rebuild_keeps_every_report_run_and_new_runs_get_new_ids(schema_database):
    with schema_database.begin() as conn:
        conn.execute(report_runs.insert().values(report="01_users_orgs", status="succeeded", finished_at=sa.func.now(),
                                                 parameters={"industry": "SaaS"}))
        before = [dict(r._mapping) for r in conn.execute(sa.select(report_runs))]
    with kept_report_history(schema_database):
        reset_schema(schema_database)
        init_schema(schema_database)
    with schema_database.begin() as conn:
        after = [dict(r._mapping) for r in conn.execute(sa.select(report_runs))]
        new_id = conn.execute(report_runs.insert().values(report="02_assessments").returning(report_runs.c.id)).scalar()
    assert after == before
    assert new_id > before[0]["id"]


def test_a_build_cut_short_before_its_read_models_is_redone_by_a_rerun_which_ends_vacuumed(
        schema_database, monkeypatch):
    from bi_workbench import pipeline

    def the_server_dies(engine):
        raise sa.exc.OperationalError("REFRESH MATERIALIZED VIEW", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "refresh_read_models", the_server_dies)
        try:
            pipeline.build_demo_database(schema_database, "small", 42, progress=False)
        except sa.exc.OperationalError:
            pass
    with schema_database.connect() as conn:
        assert pipeline.interrupted_build(conn)           # the mark says the build is not whole
    build = pipeline.build_demo_database(schema_database, "small", 42, progress=False)
    assert build.reconciliation.ok and build.platform_rows
    with schema_database.connect() as conn:  # vacuumed after the load: every page of the big tables all-visible
        pages = conn.execute(sa.text(
            "SELECT c.relname, c.relpages, c.relallvisible FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid "
            "WHERE i.inhparent = 'analytics_events'::regclass AND c.relpages > 0 UNION ALL "
            "SELECT relname, relpages, relallvisible FROM pg_class "
            "WHERE relname IN ('assessments', 'assessment_scores', 'user_sessions', 'events')")).all()
    assert pages and all(visible == total for _name, total, visible in pages), pages
