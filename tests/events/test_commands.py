"""The write API: every command writes its rows and its event together; the simulation lifecycle."""

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain.simulation import SimulationInputs
from bi_workbench.errors import InvalidParameterError, NotFoundError, SimulationFailedError
from bi_workbench.events import commands
from bi_workbench.events.consistency import check_consistency
from bi_workbench.events.store import EventStore
from bi_workbench.schema.tables import simulations, users

BASE = {"months": 24, "starting_customers": 120, "arpa": 400.0, "acquisition_mean": 9.0, "churn_rate": 0.04,
        "expansion_rate": 0.003, "expansion_sd": 0.002, "target_mrr": 70_000.0, "paths": 4_000}


def _user(conn):
    return conn.execute(users.insert().values(email="sim@example.com", first_name="Sim", last_name="Ulation")
                        .returning(users.c.id)).scalar_one()


def test_run_simulation_stores_running_then_completed(schema_database, monkeypatch):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    seen = {}
    real = commands.simulate

    def spying_simulate(inputs, seed):
        with schema_database.connect() as other:  # another session sees the committed 'running' row
            seen["status"] = other.execute(sa.select(simulations.c.status)).scalar_one()
        return real(inputs, seed)

    monkeypatch.setattr(commands, "simulate", spying_simulate)
    with schema_database.connect() as conn:
        simulation_id = commands.run_simulation(conn, user_id, None, BASE, seed=11)
    assert seen["status"] == "running"
    with schema_database.connect() as conn:
        row = conn.execute(sa.select(simulations).where(simulations.c.id == simulation_id)).one()
    assert row.status == "completed" and row.completed_at is not None and row.user_id == user_id
    assert row.simulation_type == "growth_monte_carlo"
    assert row.input_data == SimulationInputs.from_dict(BASE).to_dict()
    assert row.output_data == real(BASE, 11).summary()
    assert row.metadata["seed"] == 11 and row.metadata["engine"] == "numpy"
    with schema_database.connect() as conn:
        assert EventStore().load(conn, simulation_id, "simulation") == ({"simulation_type": "growth_monte_carlo",
                                                                        "status": "completed"}, 2)


def test_run_simulation_marks_failures_with_the_error(schema_database):
    with schema_database.connect() as conn:
        with pytest.raises(SimulationFailedError, match="churn_rate must be a monthly rate between 0 and 1") as info:
            commands.run_simulation(conn, None, None, {**BASE, "churn_rate": 1.5}, seed=1)
        row = conn.execute(sa.select(simulations).where(simulations.c.id == info.value.simulation_id)).one()
    assert isinstance(info.value.__cause__, InvalidParameterError)
    assert row.status == "failed" and row.completed_at is not None and row.output_data is None
    assert row.metadata["error_type"] == "InvalidParameterError" and "churn_rate" in row.metadata["error"]
    assert row.input_data["churn_rate"] == 1.5


def test_run_simulation_records_a_failure_inside_the_computation(schema_database, monkeypatch):
    def broken(inputs, seed):
        raise FloatingPointError("overflow in month 7")

    monkeypatch.setattr(commands, "simulate", broken)
    with schema_database.connect() as conn:
        with pytest.raises(SimulationFailedError, match="overflow in month 7"):
            commands.run_simulation(conn, None, None, BASE, seed=None)
        row = conn.execute(sa.select(simulations)).one()
    assert row.status == "failed" and row.metadata["error"] == "overflow in month 7"
    with schema_database.connect() as conn:
        kinds = conn.execute(sa.text("SELECT event_type FROM events WHERE aggregate_id = :s ORDER BY version"),
                             {"s": row.id}).scalars().all()
    assert kinds == ["simulation_started", "simulation_failed"]
    assert isinstance(row.metadata["seed"], int)


def test_run_simulation_refuses_a_connection_inside_a_transaction(schema_database):
    with schema_database.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        with pytest.raises(InvalidParameterError, match="no open transaction"):
            commands.run_simulation(conn, None, None, BASE, seed=1)


def test_score_assessment_stores_the_score_and_its_event(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    created = commands.create_assessment(schema_database, user_id, "onboarding",
                                         {"growth_pace": " FAST", "tech_maturity": "basic"})
    result = commands.score_assessment(schema_database, created["id"])
    with schema_database.connect() as conn:
        stored = conn.execute(sa.text("SELECT overall_score, bracket FROM assessment_scores WHERE assessment_id = :a"),
                              {"a": created["id"]}).one()
        status = conn.execute(sa.text("SELECT status FROM assessments WHERE id = :a"), {"a": created["id"]}).scalar()
        state, version = EventStore().load(conn, created["id"], "assessment")
        assert check_consistency(conn).empty
    assert (float(stored.overall_score), stored.bracket) == (round(result["overall_score"], 2), result["bracket"])
    assert (status, state["status"], state["scores"], version) == ("completed", "completed", 1, 2)


def test_suggest_levers_writes_the_plan_and_its_event(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    lever_id = commands.suggest_levers(schema_database, user_id, category_scores={"growth": 1.5})
    with schema_database.connect() as conn:
        levers, priorities = conn.execute(sa.text("SELECT levers, priority_scores FROM growth_levers WHERE id = :l"),
                                          {"l": lever_id}).one()
        state, _ = EventStore().load(conn, lever_id, "growth_lever")
    assert state["levers"] == levers and set(priorities) == set(levers) and state["status"] == "suggested"


def test_commands_refuse_bad_input_and_unknown_rows_writing_nothing(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    with pytest.raises(InvalidParameterError, match="responses must be an object"):
        commands.create_assessment(schema_database, user_id, "onboarding", ["not", "an", "object"])
    with pytest.raises(NotFoundError, match="no user with id"):
        commands.create_assessment(schema_database, uuid.uuid4(), "onboarding", {})
    with pytest.raises(NotFoundError, match="no growth lever"):
        commands.change_lever_status(schema_database, uuid.uuid4(), "accepted")
    with pytest.raises(InvalidParameterError, match="not a lever status; allowed: suggested, accepted"):
        commands.change_lever_status(schema_database, uuid.uuid4(), "launched")
    with schema_database.connect() as conn:
        assert conn.execute(sa.text("SELECT (SELECT count(*) FROM assessments) + (SELECT count(*) FROM events)")).scalar() == 0


# --- NUL characters and non-finite numbers: refused by field name before any SQL -------------

_NUL, _NAN, _INF = "fast\x00", float("nan"), float("-inf")


def _bad_calls(user_id, lever_id):
    """(field named in the error, a call giving that field a value PostgreSQL cannot store or a non-number)."""
    return [
        ("assessment_type", lambda e: commands.create_assessment(e, user_id, _NUL, {})),
        ("responses['growth_pace']", lambda e: commands.create_assessment(e, user_id, "onboarding",
                                                                          {"growth_pace": _NUL})),
        ("responses['deep'][0]['x']", lambda e: commands.create_assessment(e, user_id, "onboarding",
                                                                           {"deep": [{"x": _NAN}]})),
        ("responses key 'a\\x00b'", lambda e: commands.create_assessment(e, user_id, "onboarding", {"a\x00b": 1})),
        ("metadata['score']", lambda e: commands.create_assessment(e, user_id, "onboarding", {}, metadata={"score": _INF})),
        ("category_scores['growth']", lambda e: commands.suggest_levers(e, user_id, category_scores={"growth": _NAN})),
        ("levers[0]", lambda e: commands.suggest_levers(e, user_id, levers=[_NUL])),
        ("status", lambda e: commands.change_lever_status(e, lever_id, "accepted\x00")),
        ("milestone", lambda e: commands.record_progress(e, lever_id, _NUL)),
        ("notes", lambda e: commands.record_progress(e, lever_id, "kick-off", notes=_NUL)),
        ("progress_percentage", lambda e: commands.record_progress(e, lever_id, "kick-off", progress_percentage=_NAN)),
        ("simulation_type", lambda e: commands.run_simulation(e, user_id, None, BASE, seed=1, simulation_type=_NUL)),
        ("inputs['arpa']", lambda e: commands.run_simulation(e, user_id, None, {**BASE, "arpa": _NAN}, seed=1)),
        ("inputs['levers'][0]", lambda e: commands.run_simulation(e, user_id, None, {**BASE, "levers": [_NUL]}, seed=1)),
        ("responses['k'][1]", lambda e: commands.create_assessment(e, user_id, "onboarding",
                                                                   {"k": pd.Series([1.0, _NAN])})),
        ("responses['k']", lambda e: commands.create_assessment(e, user_id, "onboarding", {"k": pd.NA})),
        ("user_id", lambda e: commands.create_assessment(e, "x\x00", "onboarding", {})),
        ("lever_id", lambda e: commands.record_progress(e, "x\x00", "kick-off")),
        ("organization_id", lambda e: commands.suggest_levers(e, user_id, organization_id="x\x00")),
        ("responses['big']", lambda e: commands.create_assessment(e, user_id, "onboarding", {"big": 10 ** 5000})),
        ("responses['deep'][0][0]", lambda e: commands.create_assessment(e, user_id, "onboarding",
                                                                      {"deep": _nested(3000)})),
    ]


def _nested(levels: int) -> list:
    outer = inner = []
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return outer


def test_nul_characters_and_non_finite_numbers_are_refused_by_field_before_any_sql(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    lever_id = commands.suggest_levers(schema_database, user_id)
    with schema_database.connect() as conn:
        before = conn.execute(sa.text("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM simulations)"
                                      " + (SELECT count(*) FROM assessments)")).scalar()
    statements = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(schema_database, "before_cursor_execute", record)
    try:
        for field, call in _bad_calls(user_id, lever_id):
            with pytest.raises(InvalidParameterError) as info:
                call(schema_database)
            assert str(info.value).startswith(field + (" " if "deep" not in field else "")), (field, str(info.value))
            assert any(what in str(info.value) for what in ("NUL character", "not a finite number", "missing value",
                                                            "too long", "nests deeper"))
            assert statements == [], (field, statements)
    finally:
        sa.event.remove(schema_database, "before_cursor_execute", record)
    with schema_database.connect() as conn:
        after = conn.execute(sa.text("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM simulations)"
                                     " + (SELECT count(*) FROM assessments)")).scalar()
    assert after == before
