"""Schedules: what is due, each slot rendered once across repeated calls, the crontab line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bi_workbench.errors import ScheduleConfigError
from bi_workbench.reports.schedule import Schedule, crontab_line, due, load_schedules, run_due

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
    ('[[schedule]]\nname = "a"\nreport = "nope"\ncron = "0 6 * * *"\n', "no report named 'nope'"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\n', "missing cron"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\nwhen = 1\n', "unknown key(s) when"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\nparameters = { top_n = "x" }\n',
     "parameter top_n='x' is not an integer"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\ntimezone = "Mars/Olympus"\n', "Mars/Olympus"),
    ('[[schedule]]\nname = "a"\nreport = "01_users_orgs"\ncron = "0 6 * * *"\n' * 2, "repeated: a"),
    ("[[schedule]\n", "is not valid TOML"),
])
def test_a_malformed_schedule_is_one_line_naming_file_and_entry(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ScheduleConfigError) as error:
        load_schedules(path)
    assert message in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_due_report_renders_once_across_two_calls_and_a_non_due_one_not_at_all(report_database, render_options, tmp_path):
    path = _write(tmp_path, _entry("counts-morning", "example_counts", "0 6 * * *", '{ as_of = "2024-02-29" }')
                  + _entry("users-evening", "example_users", "0 18 * * *"))
    options = render_options()
    schedules = load_schedules(path)
    first = run_due(report_database, schedules, NOW, options)
    second = run_due(report_database, schedules, NOW + timedelta(minutes=5), options)
    assert [(r.report, r.status) for r in first] == [("example_counts", "succeeded")]
    assert [(r.report, r.status) for r in second] == [("example_counts", "skipped")]
    with report_database.connect() as conn:
        rows = conn.execute(sa.text("SELECT report, schedule_name, slot, status, parameters FROM report_runs")).all()
    assert rows == [("example_counts", "counts-morning", datetime(2024, 3, 1, 6, 0, tzinfo=UTC), "succeeded",
                     {"as_of": "2024-02-29", "mask_contacts": True, "sleep_seconds": 0.0})]
    # The slot's date names the folder, whenever it is rendered.
    assert (options.output_dir / "example_counts" / "2024-03-01" / "example_counts.html").exists()
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


def test_the_crontab_line_calls_the_schedule_command_with_absolute_paths(tmp_path, render_options):
    line = crontab_line(5, Path("notebooks/schedules.toml"), render_options(), "BI_WORKBENCH_PORT=55433 ")
    assert line.startswith("*/5 * * * * cd ")
    assert "BI_WORKBENCH_PORT=55433 " in line and "-m bi_workbench.cli report schedule --schedules /" in line
    assert f"--output {tmp_path / 'reports'}" in line and ">> " in line and line.endswith("schedule.log 2>&1")
