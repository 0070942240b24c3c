"""Report schedules (``notebooks/schedules.toml``) and running what is due, safely from cron.

A schedule names a report, its parameters and a cron expression::

    [[schedule]]
    name = "users-daily"          # unique; with the report and the slot, the key of a run
    report = "01_users_orgs"
    cron = "0 6 * * *"            # every day at 06:00
    timezone = "Europe/Berlin"    # optional; the machine's local time zone if left out
    grace_minutes = 60            # optional; how late a slot may still be rendered
    parameters = { top_n = 20 }   # optional; the others keep their declared defaults

`due` gives, for each schedule, its latest slot (the latest time its cron
expression fires, at or before now) if that slot is at most ``grace_minutes``
old. `run_due` renders those, each slot claimed in ``report_runs`` before it
renders, so calling it every few minutes renders each slot once.
"""

from __future__ import annotations

import os
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine

from ..errors import ScheduleConfigError, WorkbenchError
from ..schema.apply import require_schema
from . import catalog, history
from .parameters import check_database, validate
from .render import RenderOptions, RunRequest, RunResult, render

DEFAULT_FILE = Path("notebooks/schedules.toml")
DEFAULT_GRACE_MINUTES = 60
_KEYS = {"name", "report", "cron", "timezone", "grace_minutes", "parameters", "enabled"}


@dataclass(frozen=True)
class Schedule:
    """One scheduled report: name, report, cron expression, raw parameters, time zone and grace period."""

    name: str
    report: str
    cron: str
    parameters: dict[str, Any] = field(default_factory=dict)
    timezone: str | None = None
    grace_minutes: int = DEFAULT_GRACE_MINUTES
    enabled: bool = True

    def zone(self):
        """Return the schedule's time zone (the machine's local one if none is set)."""
        return ZoneInfo(self.timezone) if self.timezone else datetime.now().astimezone().tzinfo

    def latest_slot(self, now: datetime) -> datetime:
        """Return the latest time at or before ``now`` when the cron expression fires (aware, in the schedule's zone)."""
        from croniter import croniter

        local = now.astimezone(self.zone()).replace(microsecond=0) + timedelta(seconds=1)
        return croniter(self.cron, local).get_prev(datetime)


def load_schedules(path: Path | str = DEFAULT_FILE) -> list[Schedule]:
    """Return the schedules in TOML file ``path``, checked (report, cron, time zone, parameter types)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleConfigError(f"no schedules file at {path}; create it (see bi_workbench/reports/schedule.py).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleConfigError(f"{path} is not valid TOML: {exc}") from None
    entries = data.get("schedule", [])
    if not isinstance(entries, list):
        raise ScheduleConfigError(f"{path}: write each schedule as a [[schedule]] table.")
    schedules = [_schedule(path, position, entry) for position, entry in enumerate(entries, 1)]
    names = [s.name for s in schedules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScheduleConfigError(f"{path}: schedule names must be unique; repeated: {', '.join(duplicates)}.")
    return schedules


def _schedule(path: Path, position: int, entry: dict) -> Schedule:
    label = f"{path}: schedule {entry.get('name', f'#{position}')!s}"
    unknown = sorted(set(entry) - _KEYS)
    missing = sorted({"name", "report", "cron"} - set(entry))
    if unknown or missing:
        raise ScheduleConfigError(f"{label}: " + "; ".join(
            filter(None, [unknown and f"unknown key(s) {', '.join(unknown)}", missing and f"missing {', '.join(missing)}"])))
    try:
        schedule = Schedule(**entry)
        _check(schedule)
    except (WorkbenchError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise ScheduleConfigError(f"{label}: {exc}") from None
    return schedule


def _check(schedule: Schedule) -> None:
    from croniter import croniter

    if not croniter.is_valid(schedule.cron):
        raise ValueError(f"{schedule.cron!r} is not a cron expression (minute hour day month weekday)")
    schedule.zone()
    if not isinstance(schedule.grace_minutes, int) or schedule.grace_minutes < 1:
        raise ValueError("grace_minutes must be a whole number of minutes, 1 or more")
    validate(catalog.get(schedule.report), schedule.parameters)


def due(schedules: list[Schedule], now: datetime) -> list[tuple[Schedule, datetime]]:
    """Return (schedule, slot) for every enabled schedule whose latest slot is at most its grace period old."""
    now = now if now.tzinfo else now.astimezone()
    found = []
    for schedule in schedules:
        slot = schedule.latest_slot(now)
        if schedule.enabled and now - slot <= timedelta(minutes=schedule.grace_minutes):
            found.append((schedule, slot))
    return found


def run_due(engine: Engine, schedules: list[Schedule], now: datetime | None = None,
            options: RenderOptions = RenderOptions()) -> list[RunResult]:
    """Render every due slot not rendered yet; return the results (``skipped`` for slots already claimed).

    A schedule whose parameters no longer pass (an organization deleted since)
    is recorded as a failed run for its slot, without rendering.
    """
    now = now or datetime.now().astimezone()
    with engine.connect() as conn:
        require_schema(conn)
    requests, refused = [], []
    for schedule, slot in due(schedules, now):
        report = catalog.get(schedule.report)
        request = RunRequest(report, validate(report, schedule.parameters), schedule.name, slot)
        try:
            _require_notebook(report, options)
            with engine.connect() as conn:
                check_database(report, request.parameters, conn)
        except WorkbenchError as exc:
            refused.append(_refuse(engine, request, str(exc)))
            continue
        requests.append(request)
    return refused + (render(engine, requests, options) if requests else [])


def _require_notebook(report, options: RenderOptions) -> None:
    if not (Path(options.notebooks_dir) / report.notebook).is_file():
        raise WorkbenchError(f"report {report.name}: its notebook {Path(options.notebooks_dir) / report.notebook} does not exist.")


def _refuse(engine: Engine, request: RunRequest, error: str) -> RunResult:
    run_id = history.start_run(engine, request.report.name, request.notebook_parameters(),
                               schedule_name=request.schedule_name, slot=request.slot)
    status = "skipped" if run_id is None else "failed"
    if run_id is not None:
        history.finish_run(engine, run_id, "failed", {}, error)
    return RunResult(request.report.name, status, request.notebook_parameters(), run_id,
                     request.schedule_name, request.slot, error=error)


def crontab_line(every_minutes: int, schedules_file: Path, options: RenderOptions, environment: str = "") -> str:
    """Return the crontab line that calls `bi-workbench report schedule` every ``every_minutes`` minutes."""
    minute = "*" if every_minutes == 1 else f"*/{every_minutes}"
    here = Path.cwd()
    args = [
        sys.executable, "-m", "bi_workbench.cli", "report", "schedule",
        "--schedules", str(_absolute(schedules_file, here)),
        "--notebooks", str(_absolute(options.notebooks_dir, here)),
        "--output", str(_absolute(options.output_dir, here)), "--no-progress",
    ]
    log = _absolute(options.output_dir, here) / "schedule.log"
    return (f"{minute} * * * * cd {shlex.quote(str(here))} && {environment}"
            f"{shlex.join(args)} >> {shlex.quote(str(log))} 2>&1")


def _absolute(path: Path | str, here: Path) -> Path:
    return Path(os.path.normpath(here / Path(path).expanduser()))
