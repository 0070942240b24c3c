"""Report schedules (``notebooks/schedules.toml``) and running what is due, safely from cron.

A schedule names a report, its parameters and a cron expression::

    [[schedule]]
    name = "users-daily"          # unique; with the report and the slot, the key of a run
    report = "01_users_orgs"
    cron = "0 6 * * *"            # every day at 06:00
    timezone = "Europe/Berlin"    # optional; the machine's local time zone if left out
    grace_minutes = 60            # optional; how late a slot may still be rendered
    parameters = { top_n = 20 }   # optional; the others keep their declared defaults

`read_schedules` checks every entry when the file is read (keys, types: real
TOML booleans and finite numbers, the report, its parameters, the cron
expression, the time zone) and returns the good ones with one line per bad
entry: a bad entry never stops the others.

Slots are real instants. The cron expression is read in the schedule's local
wall-clock time (croniter) and each wall-clock time is placed in time with
`zoneinfo`:

- a time skipped by the spring change (02:30 on 2026-03-29 in Europe/Berlin)
  fires once, at the same distance after the change (03:30 CEST), and falls on
  the next hour's slot for an hourly schedule, so each real hour fires once;
- a time repeated by the autumn change (02:30 on 2026-10-25) fires at its first
  occurrence only, unless the expression fires every hour (hour field ``*``):
  then both real hours fire.

So a daily schedule fires once per local day, and an hourly one once per real hour.

`due` gives, for each schedule, its latest slot at or before now if that slot
is at most ``grace_minutes`` old. `run_due` renders those, each slot claimed in
``report_runs`` before it renders, so calling it every few minutes renders
each slot once; a slot whose run was abandoned (its process killed) is claimed
again while within its grace period.
"""

from __future__ import annotations

import hashlib
import math
import os
import shlex
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine

from ..errors import ScheduleConfigError, WorkbenchError
from ..schema.apply import require_schema
from . import catalog, history
from .parameters import check_database, to_notebook, validate
from .render import RenderOptions, RunRequest, RunResult, render

DEFAULT_FILE = Path("notebooks/schedules.toml")
DEFAULT_GRACE_MINUTES = 60
_KEYS = {"name", "report", "cron", "timezone", "grace_minutes", "parameters", "enabled"}
_TEXT_KEYS = ("name", "report", "cron", "timezone")
#: How far a daylight-saving change can move a wall-clock time (hours); bounds the search for the latest slot.
_MAX_SHIFT = timedelta(hours=3)


def local_zone():
    """Return the machine's time zone with its daylight-saving rules (``TZ``, else /etc/localtime), else a fixed offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as source:
            return ZoneInfo.from_file(source, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        return datetime.now().astimezone().tzinfo


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
        return ZoneInfo(self.timezone) if self.timezone else local_zone()

    def fires_every_hour(self) -> bool:
        """Return True when the expression's hour field takes every hour (then a repeated hour fires twice)."""
        from croniter import croniter

        hours = croniter(self.cron).expanded[1]
        return hours == ["*"] or len(set(hours)) == 24

    def instants(self, wall: datetime) -> list[datetime]:
        """Return the real instants at which naive wall-clock time ``wall`` fires.

        Each is aware with the fixed UTC offset in force then (``+02:00``), so
        it keeps its local date and compares by the real instant (datetimes of
        one ZoneInfo compare by wall-clock time, ignoring ``fold``).
        """
        zone = self.zone()
        first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return [_fixed(first)]
        placed = first.astimezone(timezone.utc).astimezone(zone)
        if placed.replace(tzinfo=None) != wall:
            return [_fixed(placed)]  # skipped by the spring change: the same distance after it
        return [_fixed(first), _fixed(second)] if self.fires_every_hour() else [_fixed(first)]

    def latest_slot(self, now: datetime) -> datetime:
        """Return the latest instant at or before ``now`` at which the schedule fires (see `instants`)."""
        from croniter import croniter

        now = now if now.tzinfo else now.astimezone()
        wall_now = now.astimezone(self.zone()).replace(tzinfo=None, microsecond=0)
        walls = croniter(self.cron, wall_now + _MAX_SHIFT + timedelta(seconds=1))
        best = None
        while True:
            wall = walls.get_prev(datetime)
            for instant in self.instants(wall):
                if instant <= now and (best is None or instant > best):
                    best = instant
            if best is not None and wall < wall_now - _MAX_SHIFT:
                return best

    def slots(self, start: datetime, end: datetime) -> list[datetime]:
        """Return every distinct slot in (``start``, ``end``], in order (aware datetimes)."""
        from croniter import croniter

        zone = self.zone()
        walls = croniter(self.cron, start.astimezone(zone).replace(tzinfo=None) - _MAX_SHIFT)
        found = set()
        while True:
            wall = walls.get_next(datetime)
            if wall > end.astimezone(zone).replace(tzinfo=None) + _MAX_SHIFT:
                return sorted(found)
            found.update(i for i in self.instants(wall) if start < i <= end)


def _fixed(moment: datetime) -> datetime:
    return moment.astimezone(timezone(moment.utcoffset()))


def read_schedules(path: Path | str = DEFAULT_FILE) -> tuple[list[Schedule], list[str]]:
    """Return (the good schedules, one line per bad entry) of TOML file ``path``.

    Raises ScheduleConfigError only when the file as a whole cannot be read
    (missing, not TOML, no list of ``[[schedule]]`` tables). A repeated name
    makes every entry of that name bad.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleConfigError(f"no schedules file at {path}; create it (see bi_workbench/reports/schedule.py).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleConfigError(f"{path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleConfigError(f"{path} is not valid TOML: {exc}") from None
    entries = data.get("schedule", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ScheduleConfigError(f"{path}: write each schedule as a [[schedule]] table.")
    names = [e.get("name") for e in entries]
    schedules, problems = [], []
    for position, entry in enumerate(entries, 1):
        label = f"{path}: schedule {entry.get('name', f'#{position}')!s}"
        try:
            if names.count(entry.get("name")) > 1:
                raise ValueError(f"schedule names must be unique; {entry.get('name')!r} is repeated")
            schedules.append(_schedule(entry))
        except (WorkbenchError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
            problems.append(f"{label}: {_one_line(exc)}")
    return schedules, problems


def load_schedules(path: Path | str = DEFAULT_FILE) -> list[Schedule]:
    """Return the schedules of ``path``; raise ScheduleConfigError naming the first bad entry (see `read_schedules`)."""
    schedules, problems = read_schedules(path)
    if problems:
        more = f" (and {len(problems) - 1} more bad entries)" if len(problems) > 1 else ""
        raise ScheduleConfigError(problems[0] + more)
    return schedules


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _schedule(entry: dict) -> Schedule:
    unknown = sorted(set(entry) - _KEYS)
    missing = sorted({"name", "report", "cron"} - set(entry))
    if unknown or missing:
        raise ValueError("; ".join(filter(None, [unknown and f"unknown key(s) {', '.join(unknown)}",
                                                  missing and f"missing {', '.join(missing)}"])))
    for key in _TEXT_KEYS:
        if key in entry and not isinstance(entry[key], str):
            raise ValueError(f"{key} must be a text in quotes, got {entry[key]!r}")
    if "enabled" in entry and not isinstance(entry["enabled"], bool):
        raise ValueError(f"enabled must be true or false (a TOML boolean), got {entry['enabled']!r}")
    grace = entry.get("grace_minutes", DEFAULT_GRACE_MINUTES)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 1:
        raise ValueError(f"grace_minutes must be a whole number of minutes, 1 or more, got {grace!r}")
    if not isinstance(entry.get("parameters", {}), dict):
        raise ValueError("parameters must be a table, e.g. parameters = { top_n = 20 }")
    schedule = Schedule(**entry)
    _check(schedule)
    return schedule


def _check(schedule: Schedule) -> None:
    from croniter import croniter

    # Five fields: croniter would read a sixth as seconds (a slot every few seconds) or a year.
    if len(schedule.cron.split()) != 5 or not croniter.is_valid(schedule.cron):
        raise ValueError(f"{schedule.cron!r} is not a cron expression (minute hour day month weekday)")
    schedule.zone()
    report = catalog.get(schedule.report)
    for name, value in schedule.parameters.items():
        _check_toml_value(report, name, value)
    validate(report, schedule.parameters)


_TOML_KINDS = {"bool": "true or false (a TOML boolean)", "int": "a whole number", "float": "a finite number",
               "str": "a text in quotes", "uuid": "a UUID in quotes", "date": "a date (2024-01-31)"}


def _check_toml_value(report: catalog.Report, name: str, value) -> None:
    """Raise ValueError unless ``value`` is a TOML value of the parameter's declared type (no coercion from text)."""
    parameter = report.parameter(name)
    if value is None:
        return
    kind = parameter.type
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        "str": isinstance(value, str), "uuid": isinstance(value, str),
        "date": isinstance(value, date) and not isinstance(value, datetime) or isinstance(value, str),
    }[kind]
    if not ok:
        raise ValueError(f"parameter {name} = {value!r} must be {_TOML_KINDS[kind]}")


def due(schedules: list[Schedule], now: datetime) -> list[tuple[Schedule, datetime]]:
    """Return (schedule, slot) for every enabled schedule whose latest slot is at most its grace period old."""
    now = now if now.tzinfo else now.astimezone()
    found = []
    for schedule in schedules:
        if not schedule.enabled:
            continue
        slot = schedule.latest_slot(now)
        if now - slot <= timedelta(minutes=schedule.grace_minutes):
            found.append((schedule, slot))
    return found


def run_due(engine: Engine, schedules: list[Schedule], now: datetime | None = None,
            options: RenderOptions = RenderOptions()) -> list[RunResult]:
    """Render every due slot not rendered yet; return the results (``skipped`` for slots already claimed).

    A schedule whose parameters no longer pass (an organization deleted since)
    is recorded as a failed run for its slot, without rendering; the others go on.
    """
    now = now or datetime.now().astimezone()
    with engine.connect() as conn:
        require_schema(conn)
    requests, refused = [], []
    for schedule, slot in due(schedules, now):
        report = catalog.get(schedule.report)
        try:
            request = RunRequest(report, validate(report, schedule.parameters), schedule.name, slot)
            _require_notebook(report, options)
            with engine.connect() as conn:
                check_database(report, request.parameters, conn)
        except WorkbenchError as exc:
            refused.append(_refuse(engine, report, schedule, slot, str(exc)))
            continue
        requests.append(request)
    return refused + render(engine, requests, options)


def _require_notebook(report, options: RenderOptions) -> None:
    if not (Path(options.notebooks_dir) / report.notebook).is_file():
        raise WorkbenchError(f"report {report.name}: its notebook {Path(options.notebooks_dir) / report.notebook} does not exist.")


def _refuse(engine: Engine, report, schedule: Schedule, slot: datetime, error: str) -> RunResult:
    parameters = {k: to_notebook(v) for k, v in schedule.parameters.items()}
    run_id = history.start_run(engine, report.name, parameters, schedule_name=schedule.name, slot=slot)
    status = "skipped" if run_id is None else "failed"
    if run_id is not None:
        history.finish_run(engine, run_id, "failed", {}, error)
    return RunResult(report.name, status, parameters, run_id, schedule.name, slot, error=error)


# --- cron -----------------------------------------------------------------------------


def state_dir() -> Path:
    """Return the user's state folder of the workbench (platformdirs; ``$XDG_STATE_HOME/bi-workbench`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("bi-workbench"))


def write_cron_environment(settings: dict[str, str]) -> Path | None:
    """Write ``settings`` (the BI_WORKBENCH_* variables) to an env file readable only by the user; return its path.

    The file is ``<state folder>/cron-<digest>.env`` (one per set of settings, so a line
    written later for another database never moves an earlier line to it), mode
    0600, shell-quoted ``export`` lines that the crontab line sources, so no setting
    (a database URL with its password) is written into the crontab in clear.
    Returns None when there is nothing to write (the embedded server's defaults need no setting).
    """
    if not settings:
        return None
    text = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in sorted(settings.items()))
    path = state_dir() / f"cron-{hashlib.sha256(text.encode()).hexdigest()[:12]}.env"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)
    return path


def crontab_line(every_minutes: int, schedules_file: Path, options: RenderOptions,
                 environment_file: Path | None = None) -> str:
    """Return the crontab line that calls `bi-workbench report schedule` every ``every_minutes`` minutes
    (see `cron_line`; its log is ``<state folder>/report-schedule.log``)."""
    here = Path.cwd()
    args = [
        "report", "schedule",
        "--schedules", str(_absolute(schedules_file, here)),
        "--notebooks", str(_absolute(options.notebooks_dir, here)),
        "--output", str(_absolute(options.output_dir, here)), "--no-progress",
        *(["--cluster", options.cluster] if options.cluster else ["--workers", str(options.workers)]),
    ]
    return cron_line(every_minutes, args, "report-schedule.log", environment_file)


def cron_line(every_minutes: int, command: list[str], log_name: str, environment_file: Path | None = None) -> str:
    """Return a crontab line that runs ``bi-workbench COMMAND...`` every ``every_minutes`` minutes (1-59).

    It sources ``environment_file`` (see `write_cron_environment`) if given, so no
    setting stands in the crontab in clear; runs from the current folder with this
    Python; logs to ``<state folder>/<log_name>`` (its folder created now, since cron
    does not); every word is shell-quoted, and ``%`` (which cron turns into a newline) escaped.
    """
    minute = "*" if every_minutes == 1 else f"*/{every_minutes}"
    log = state_dir() / log_name
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    source = f". {shlex.quote(str(environment_file))} && " if environment_file else ""
    args = shlex.join([sys.executable, "-m", "bi_workbench.cli", *command])
    line = f"{source}cd {shlex.quote(str(Path.cwd()))} && {args} >> {shlex.quote(str(log))} 2>&1"
    return f"{minute} * * * * {line.replace('%', chr(92) + '%')}"


def _absolute(path: Path | str, here: Path) -> Path:
    return Path(os.path.normpath(here / Path(path).expanduser()))
