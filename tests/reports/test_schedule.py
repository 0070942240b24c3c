"""Schedules: checked entry by entry, slots across daylight-saving changes, each slot rendered once across
repeated calls (and again after an abandoned attempt within grace), the crontab line."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bi_workbench.errors import ScheduleConfigError
from bi_workbench.reports.schedule import (
    Schedule, crontab_line, due, load_schedules, read_schedules, run_due, write_cron_environment,
)

ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc
NOW = datetime(2024, 3, 1, 6, 7, tzinfo=UTC)


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "schedules.toml"
    path.write_text(text)
    return path


def _entry(name: str, report: str, cron: str, parameters: str = "") -> str:
    """One [[schedule]] table of a schedules file, in UTC; ``parameters`` an inline TOML table."""
    lines = ["[[schedule]]", f'name = "{name}"', f'report = "{report}"', f'cron = "{cron}"', 'timezone = "UTC"']
    return "\n".join(lines + ([f"parameters = {parameters}"] if parameters else [])) + "\n"


def test_the_projects_schedules_file_is_valid():
    schedules = load_schedules(ROOT / "notebooks" / "schedules.toml")
    assert schedules and all(s.cron and s.report for s in schedules)


def test_the_latest_slot_is_due_within_its_grace_period_only():
    daily = Schedule("daily", "01_users_orgs", "0 6 * * *", timezone="UTC")
    evening = Schedule("evening", "01_users_orgs", "0 18 * * *", timezone="UTC")
    off = Schedule("off", "01_users_orgs", "0 6 * * *", timezone="UTC", enabled=False)
    assert due([daily, evening, off], NOW) == [(daily, datetime(2024, 3, 1, 6, 0, tzinfo=daily.zone()))]
    assert due([daily], NOW + timedelta(minutes=61)) == []
    assert daily.latest_slot(datetime(2024, 3, 1, 6, 0, tzinfo=UTC)) == datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def test_a_schedules_time_zone_decides_when_it_fires():
    berlin = Schedule("berlin", "01_users_orgs", "0 7 * * *", timezone="Europe/Berlin")
    assert berlin.latest_slot(NOW).astimezone(UTC) == datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "message"), [
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "every day"\n', "'every day' is not a cron expression"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * * *"\n', "'0 6 * * * *' is not a cron expression"),
    ('[[schedule]]\nname = "a"\nreport = "nope"\ncron = "0 6 * * *"\n', "no report named 'nope'"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\n', "missing cron"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\nwhen = 1\n', "unknown key(s) when"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\nparameters = { top_n = "x" }\n',
     "parameter top_n = 'x' must be a whole number"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\ntimezone = "Mars/Olympus"\n', "Mars/Olympus"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\n' * 2, "'a' is repeated"),
    ("[[schedule]\n", "is not valid TOML"),
])
def test_a_malformed_schedule_is_one_line_naming_file_and_entry(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ScheduleConfigError) as error:
        load_schedules(path)
    assert message in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)


GOOD = '[[schedule]]\nname = "good"\nreport = "03_market_intelligence"\ncron = "0 6 * * *"\n'


@pytest.mark.parametrize(("entry", "message"), [
    ("parameters = { min_confidence = nan }", "parameter min_confidence = nan must be a finite number"),
    ("parameters = { min_confidence = inf }", "parameter min_confidence = inf must be a finite number"),
    ("parameters = { min_confidence = -inf }", "parameter min_confidence = -inf must be a finite number"),
    ('parameters = { mask_contacts = "yes" }', "parameter mask_contacts = 'yes' must be true or false"),
    ("parameters = { mask_contacts = 1 }", "parameter mask_contacts = 1 must be true or false"),
    ('parameters = { min_confidence = "0.5" }', "parameter min_confidence = '0.5' must be a finite number"),
    ("parameters = { min_confidence = 1.5 }", "min_confidence"),
    ("parameters = { min_conf = 0.5 }", "has no parameter 'min_conf'"),
    ("grace_minutes = true", "grace_minutes must be a whole number of minutes"),
    ("grace_minutes = 0.5", "grace_minutes must be a whole number of minutes"),
    ('enabled = "no"', "enabled must be true or false"),
    ("cron = 5", "cron must be a text in quotes"),
    ("parameters = 3", "parameters must be a table"),
])
def test_each_bad_entry_is_one_line_and_never_stops_the_others(tmp_path, entry, message):
    bad = f'[[schedule]]\nname = "bad"\nreport = "03_market_intelligence"\n{entry}\n'
    if not entry.startswith("cron"):
        bad += 'cron = "0 7 * * *"\n'
    path = _write(tmp_path, GOOD + bad + GOOD.replace('"good"', '"good-too"'))
    schedules, problems = read_schedules(path)
    assert [s.name for s in schedules] == ["good", "good-too"]
    (problem,) = problems
    assert problem.startswith(f"{path}: schedule bad: ") and message in problem and "\n" not in problem


def test_every_bad_entry_gets_its_own_line(tmp_path):
    text = GOOD + "".join(f'[[schedule]]\nname = "bad{i}"\nreport = "03_market_intelligence"\ncron = "0 7 * * *"\n'
                          f"parameters = {{ min_confidence = {value} }}\n" for i, value in enumerate(["nan", "inf"]))
    schedules, problems = read_schedules(_write(tmp_path, text))
    assert [s.name for s in schedules] == ["good"]
    assert [p.split(": schedule ")[1].split(":")[0] for p in problems] == ["bad0", "bad1"]


BERLIN = ZoneInfo("Europe/Berlin")


def _fired(schedule: Schedule, start: datetime, end: datetime, every=timedelta(minutes=5)) -> list[datetime]:
    """The distinct slots a caller every ``every`` from ``start`` to ``end`` finds due (as `report schedule` from cron)."""
    found, now, end = set(), start.astimezone(UTC), end.astimezone(UTC)   # step in real time, not wall-clock time
    while now < end:
        found.update(slot for _s, slot in due([schedule], now))
        now += every
    return sorted(found)


@pytest.mark.parametrize("day", [datetime(2026, 10, 25), datetime(2026, 3, 29), datetime(2026, 7, 1)])
def test_a_daily_schedule_fires_once_per_local_day_across_daylight_saving_changes(day):
    daily = Schedule("daily", "01_users_orgs", "30 2 * * *", timezone="Europe/Berlin", grace_minutes=90)
    start = day.replace(tzinfo=BERLIN)
    fired = _fired(daily, start, start + timedelta(days=1))
    assert len(fired) == 1 and fired[0].astimezone(BERLIN).date() == day.date()
    (slot,) = daily.slots(start, start + timedelta(days=1))
    assert slot == fired[0]


def test_the_daily_slot_in_the_autumn_repeated_hour_is_its_first_occurrence_and_the_spring_gap_is_after_the_change():
    daily = Schedule("daily", "01_users_orgs", "30 2 * * *", timezone="Europe/Berlin")
    autumn = daily.slots(datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN))
    assert autumn == [datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)]          # 02:30 CEST, not 02:30 CET again
    spring = daily.slots(datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
    assert spring == [datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)]            # 03:30 CEST: 02:30 does not exist


@pytest.mark.parametrize(("day", "hours"), [(datetime(2026, 10, 25), 25), (datetime(2026, 3, 29), 23),
                                            (datetime(2026, 7, 1), 24)])
def test_an_hourly_schedule_fires_once_per_real_hour(day, hours):
    hourly = Schedule("hourly", "01_users_orgs", "0 * * * *", timezone="Europe/Berlin", grace_minutes=30)
    start, end = day.replace(tzinfo=BERLIN), (day + timedelta(days=1)).replace(tzinfo=BERLIN)
    fired = _fired(hourly, start, end)
    assert len(fired) == hours == (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)
    gaps = {b - a for a, b in zip(fired, fired[1:])}
    assert gaps == {timedelta(hours=1)}                                            # one slot per real hour
    assert hourly.slots(start - timedelta(seconds=1), end - timedelta(seconds=1)) == fired


def test_a_due_report_renders_once_across_two_calls_and_a_non_due_one_not_at_all(report_database, render_options, tmp_path):
    path = _write(tmp_path, _entry("counts-morning", "example_counts", "0 6 * * *", '{ as_of = "2024-02-29" }')
                  + _entry("users-evening", "example_users", "0 18 * * *"))
    options = render_options()
    schedules = load_schedules(path)
    first = run_due(report_database, schedules, NOW, options)
    second = run_due(report_database, schedules, NOW + timedelta(minutes=5), options)
    assert [(r.report, r.status) for r in first] == [("example_counts", "succeeded")], first[0].error
    assert [(r.report, r.status) for r in second] == [("example_counts", "skipped")]
    with report_database.connect() as conn:
        rows = conn.execute(sa.text("SELECT report, schedule_name, slot, status, parameters FROM report_runs")).all()
    assert rows == [("example_counts", "counts-morning", datetime(2024, 3, 1, 6, 0, tzinfo=UTC), "succeeded",
                     {"as_of": "2024-02-29", "mask_contacts": True, "sleep_seconds": 0.0})]
    # The slot's date names the folder, whenever it is rendered.
    assert first[0].folder == (options.output_dir / "example_counts" / "2024-03-01" / f"run-{first[0].run_id}").absolute()
    assert (first[0].folder / "example_counts.html").exists()
    assert not (options.output_dir / "example_users").exists()


def test_a_slot_is_claimed_once_even_by_concurrent_callers(report_database):
    from concurrent.futures import ThreadPoolExecutor

    from bi_workbench.reports.history import start_run

    slot = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda _: start_run(report_database, "example_counts", {}, schedule_name="s", slot=slot),
                               range(8)))
    assert len([c for c in claims if c is not None]) == 1


def test_a_scheduled_report_whose_organization_is_gone_fails_its_slot_without_rendering(
        report_database, render_options, tmp_path):
    path = _write(tmp_path, _entry("gone", "example_users", "0 6 * * *",
                                   '{ organization_id = "00000000-0000-4000-8000-000000000000" }'))
    options = render_options()
    (result,) = run_due(report_database, load_schedules(path), NOW, options)
    assert result.status == "failed" and "names nothing in the database" in result.error
    (again,) = run_due(report_database, load_schedules(path), NOW, options)
    assert again.status == "skipped"
    assert not (options.output_dir / "example_users").exists()


def test_an_abandoned_slot_is_claimed_again_within_its_grace_period_only(report_database, render_options, tmp_path):
    from bi_workbench.reports.history import start_run

    path = _write(tmp_path, '[[schedule]]\nname = "counts"\nreport = "example_counts"\ncron = "0 6 * * *"\n'
                            'timezone = "UTC"\ngrace_minutes = 30\n')
    slot = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    dead = start_run(report_database, "example_counts", {}, schedule_name="counts", slot=slot,
                     owner="another-host:4242:1", lease_seconds=0)          # a claim whose renderer died, lease gone
    late = run_due(report_database, load_schedules(path), NOW + timedelta(minutes=30), render_options())
    assert late == []                                                       # past its grace: not caught up
    (retry,) = run_due(report_database, load_schedules(path), NOW, render_options())
    assert retry.status == "succeeded" and retry.run_id != dead
    with report_database.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, status, error FROM report_runs ORDER BY id")).all()
    assert [(r.id, r.status) for r in rows] == [(dead, "abandoned"), (retry.run_id, "succeeded")]
    assert rows[0].error.startswith("abandoned: its lease expired")
    (again,) = run_due(report_database, load_schedules(path), NOW, render_options())
    assert again.status == "skipped"


def test_the_crontab_line_escapes_percent_keeps_no_secret_and_logs_under_the_state_folder(
        tmp_path, render_options, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    secret = "postgresql://analyst:s3cr%et@db.example:5432/bi"
    environment = write_cron_environment({"BI_WORKBENCH_DATABASE_URL": secret, "BI_WORKBENCH_PORT": "55433"})
    output = tmp_path / "100%" / "reports"
    line = crontab_line(5, Path("notebooks/schedules.toml"), render_options(output_dir=output, cluster=None), environment)
    assert line.startswith("*/5 * * * * . ") and "s3cr" not in line and "analyst" not in line
    assert "-m bi_workbench.cli report schedule --schedules /" in line and "--workers 2" in line
    assert line.count("%") == line.count("\\%") >= 1                       # cron cuts a line at a bare %
    log = tmp_path / "state" / "bi-workbench" / "report-schedule.log"
    assert line.endswith(f">> {log} 2>&1") and log.parent.is_dir()
    assert environment.parent == tmp_path / "state" / "bi-workbench" and environment.name.startswith("cron-")
    other = write_cron_environment({"BI_WORKBENCH_DATA_DIR": "/elsewhere"})   # a line for another database
    assert other != environment and environment.exists()                     # keeps the first line's settings
    assert stat.S_IMODE(os.stat(environment).st_mode) == 0o600
    import subprocess

    sourced = subprocess.run(["sh", "-c", f'. {environment} && printf %s "$BI_WORKBENCH_DATABASE_URL"'],
                             capture_output=True, text=True, check=True).stdout
    assert sourced == secret
    with_cluster = crontab_line(5, Path("s.toml"), render_options(cluster="tcp://10.0.0.5:8786"), None)
    assert "--cluster tcp://10.0.0.5:8786" in with_cluster and " . " not in with_cluster
