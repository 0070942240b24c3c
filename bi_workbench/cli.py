"""The `bi-workbench` command: a thin layer over the Python API.

Expected failures (`WorkbenchError`) become one line on stderr and a non-zero
exit code, and so do the driver errors that stand for one (a lost connection,
a full disk, a missing schema: `connection.explain_database_error`) and the
operating system's (a folder that cannot be written); anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from functools import wraps

import click
import psycopg
from sqlalchemy.exc import SQLAlchemyError

from . import __version__
from .database import connection as db
from .errors import ConfigurationError, MigrationError, SchemaDriftError, WorkbenchError
from .schema import apply, drift
from .settings import TENANT_ENV, load_settings

#: Commands that run as the tenant under BI_WORKBENCH_TENANT; every other one needs the owner and is refused.
TENANT_COMMANDS = frozenset({"db url", "lab", "app", "report run", "report list", "report new", "notebooks init"})


def _fail_cleanly(command):
    @wraps(command)
    def run(*args, **kwargs):
        try:
            _refuse_owner_commands_under_tenant()
            return command(*args, **kwargs)
        except SchemaDriftError as exc:
            click.echo(f"error: {exc}:", err=True)
            for difference in exc.differences:
                click.echo(f"  - {difference}", err=True)
            sys.exit(exc.exit_code)
        except WorkbenchError as exc:
            _exit_with(exc)
        except (SQLAlchemyError, psycopg.Error) as exc:
            expected = db.explain_database_error(exc)
            if expected is None:
                raise
            _exit_with(expected)
        except BrokenPipeError:
            # The reader went away (`report history | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}; nothing further was done.", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("error: interrupted; the step in progress was rolled back.", err=True)
            sys.exit(130)

    return run


def _exit_with(error: WorkbenchError):
    click.echo(f"error: {' '.join(str(error).split())}", err=True)  # one line, whatever the message held
    sys.exit(error.exit_code)


def _refuse_owner_commands_under_tenant() -> None:
    context = click.get_current_context()
    obj = context.find_object(_Context)
    if obj is None or obj.settings.tenant is None:
        return
    if context.command_path.partition(" ")[2] not in TENANT_COMMANDS:
        raise ConfigurationError(f"`{context.command_path}` needs the database owner and does not run as a tenant; "
                                 f"unset {TENANT_ENV} to run it (as a tenant: {', '.join(sorted(TENANT_COMMANDS))}).")


class _Context:
    def __init__(self, database_url: str | None):
        self.settings = load_settings(database_url)

    def engine(self):
        """The engine of the database in force, as whoever its URL names (the owner, unless a tenant URL)."""
        return db.create_engine(db.resolve_url(self.settings))

    def tenant_engine(self):
        """Under BI_WORKBENCH_TENANT, the tenant login's engine (see `tenant_engine`); else None."""
        if self.settings.tenant is None:
            return None
        from .database.tenancy import tenant_engine

        return tenant_engine(self.engine(), *self.settings.tenant)

    def client_url(self):
        """The URL clients and notebook kernels get: the tenant login's under a tenant, never the owner's."""
        tenant = self.tenant_engine()
        return tenant.url if tenant is not None else db.resolve_url(self.settings)

    def embedded(self, action: str):
        if not self.settings.uses_embedded_server:
            raise ConfigurationError(
                f"a database URL is set, so there is no embedded server to {action}; "
                "unset BI_WORKBENCH_DATABASE_URL / --database-url to manage the embedded one."
            )
        return db.embedded_server(self.settings)


@click.group()
@click.version_option(__version__, prog_name="bi-workbench")
@click.option("--database-url", envvar="BI_WORKBENCH_DATABASE_URL", default=None,
              help="PostgreSQL URL to use instead of the embedded server (env: BI_WORKBENCH_DATABASE_URL).")
@click.pass_context
@_fail_cleanly
def cli(ctx, database_url):
    """Analytics workbench for the BI platform: database, migration, loaders and reports."""
    try:
        ctx.obj = _Context(database_url)  # validates BI_WORKBENCH_TENANT before any command runs
    except WorkbenchError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


@cli.group("db")
def db_group():
    """Manage the database: embedded server, schema, drift check, maintenance."""


@db_group.command("start")
@click.pass_obj
@_fail_cleanly
def db_start(obj):
    """Start the embedded PostgreSQL server (initialising it on first use)."""
    db.resolve_url(obj.settings)
    click.echo(obj.embedded("start").status().describe())


@db_group.command("stop")
@click.pass_obj
@_fail_cleanly
def db_stop(obj):
    """Stop the embedded PostgreSQL server cleanly."""
    click.echo(obj.embedded("stop").stop().describe())


@db_group.command("status")
@click.pass_obj
@_fail_cleanly
def db_status(obj):
    """Say where the database is, whether it answers, and its schema revision."""
    if obj.settings.uses_embedded_server:
        click.echo(f"embedded server: {db.embedded_server(obj.settings).status().describe()}")
        if not db.embedded_server(obj.settings).status().running:
            return
    engine = obj.engine()
    with engine.connect() as conn:
        revision = apply.current_revision(conn)
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"schema revision: {revision or 'none (run `bi-workbench db init`)'} (package head: {apply.head_revision()})")


@db_group.command("url")
@click.pass_obj
@_fail_cleanly
def db_url(obj):
    """Print the database URL for psql and other libpq clients (starting the embedded server if needed).

    Under BI_WORKBENCH_TENANT it is the tenant login's URL, never the owner's.
    """
    click.echo(obj.client_url().set(drivername="postgresql").render_as_string(hide_password=False))


@db_group.command("init")
@click.option("--months-ahead", default=apply.DEFAULT_MONTHS_AHEAD, show_default=True, type=click.IntRange(0, 120),
              help="Monthly partitions to create ahead of the current month.")
@click.pass_obj
@_fail_cleanly
def db_init(obj, months_ahead):
    """Create the schema, or upgrade an existing one in place; repair drifted rights, policies, triggers, checks.

    Also resets the analysts' roles (their settings, anything they own) and sets
    each tenant login's password back to the stored one.
    """
    engine = obj.engine()
    with engine.connect() as conn:
        at_head = apply.current_revision(conn) == apply.head_revision()
        drifted = drift.compare_catalog(conn, ignore_tables=_known_foreign_tables()) if at_head else []
    before, after = apply.init_schema(engine, months_ahead=months_ahead)
    from .database.tenant_logins import restore_passwords

    restore_passwords(engine)  # a login may have changed its own; the workbench's stored one is the login's
    if before == after:
        click.echo(f"schema is up to date (revision {after})")
    else:
        click.echo(f"schema {'created' if before is None else f'upgraded from revision {before}'} to revision {after}")
    for difference in drifted:
        click.echo(f"repaired {difference}")


@db_group.command("check")
@click.pass_obj
@_fail_cleanly
def db_check(obj):
    """Compare the live database with the schema model; exit non-zero on any drift."""
    from .schema.locking import with_lock_timeout

    def check(conn):  # the check rehearses the repair (in a savepoint it rolls back): it takes locks too
        apply.require_schema(conn)
        drift.check(conn, ignore_tables=_known_foreign_tables())

    with_lock_timeout(obj.engine(), check, what="db check")
    click.echo("schema matches the model")


@db_group.command("reset")
@click.option("--hard", is_flag=True, help="Embedded server only: delete its whole data directory and start afresh.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_fail_cleanly
def db_reset(obj, hard, yes):
    """Drop every table and all data, then create the schema again."""
    where = "the embedded server's data directory" if hard else "every table and all data in the database"
    if not yes:
        click.confirm(f"This deletes {where}. Continue?", abort=True)
    if hard:
        obj.embedded("reset").destroy()
    else:
        apply.reset_schema(obj.engine())
    _before, after = apply.init_schema(obj.engine())
    click.echo(f"database reset; schema at revision {after}")


@db_group.command("partitions")
@click.option("--months-ahead", default=apply.DEFAULT_MONTHS_AHEAD, show_default=True, type=click.IntRange(0, 120))
@click.pass_obj
@_fail_cleanly
def db_partitions(obj, months_ahead):
    """Create the monthly partitions of the partitioned tables N months ahead."""
    created = apply.ensure_partitions_ahead(obj.engine(), months_ahead)
    click.echo(f"{created} partition(s) created")


@db_group.command("refresh")
@click.option("--every", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Keep refreshing every SECONDS until interrupted (a scheduler that needs no pg_cron).")
@click.option("--crontab", is_flag=True, help="Print a crontab line that refreshes every 15 minutes, and exit.")
@click.pass_obj
@_fail_cleanly
def db_refresh(obj, every, crontab):
    """Refresh the materialized read models without blocking readers, and the kept rubric scores."""
    if crontab:
        from .reports.schedule import cron_line, write_cron_environment

        click.echo(cron_line(15, ["db", "refresh"], "db-refresh.log", write_cron_environment(_cron_settings(obj))))
        return
    from .pipeline import refresh

    engine = obj.engine()
    while True:
        refresh(engine)
        click.echo(f"read models and rubric scores refreshed at {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
        if every is None:
            return
        time.sleep(every)


@cli.group("events")
def events_group():
    """The event store: consistency of replayed streams with their tables."""


@events_group.command("check")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@_fail_cleanly
def events_check(obj, fmt):
    """Replay every aggregate and compare it with its table row; exit non-zero on any mismatch."""
    from .events.consistency import check_consistency

    with obj.engine().connect() as conn:
        apply.require_schema(conn)
        report = check_consistency(conn)
    if fmt == "json":
        click.echo(report.to_json(orient="records", default_handler=str))
    elif report.empty:
        click.echo("every event stream replays to its table row")
    else:
        click.echo(report.to_string(index=False))
    sys.exit(0 if report.empty else 1)


@cli.command("seed")
@click.option("--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", "seed", type=int, default=42, show_default=True, help="Same seed, same database.")
@click.option("--legacy-only", is_flag=True, help="Fill only the legacy tables (to migrate them yourself).")
@click.pass_obj
@_fail_cleanly
def seed_command(obj, scale, seed, legacy_only):
    """Fill the database with deterministic demo data: legacy tables, migration, platform activity."""
    from .pipeline import build_demo_database

    build = build_demo_database(obj.engine(), scale, seed, legacy_only=legacy_only, progress=sys.stderr.isatty())
    _echo_build(build)


@cli.group("migrate", invoke_without_command=True)
@click.option("--phase", type=click.IntRange(1, 5), default=None, help="Run only this phase (5 drops the legacy tables).")
@click.option("--dry-run", is_flag=True, help="Run and roll back, reporting what would be written.")
@click.option("--drop-legacy", is_flag=True, help="Also run phase 5: drop the legacy tables once the checks pass.")
@click.pass_context
@_fail_cleanly
def migrate_group(ctx, phase, dry_run, drop_legacy):
    """Migrate the legacy tables into the new schema, phase by phase (idempotent)."""
    if ctx.invoked_subcommand is not None:
        return
    from .legacy.migrate import migrate

    for result in migrate(ctx.obj.engine(), phase=phase, dry_run=dry_run, drop_legacy=drop_legacy):
        click.echo(str(result))


@migrate_group.command("check")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@_fail_cleanly
def migrate_check(obj, fmt):
    """Reconcile every legacy row with the new schema; exit non-zero on any unexplained difference."""
    import json

    from .legacy.migrate import check

    reconciliation = check(obj.engine())
    click.echo(json.dumps(reconciliation.to_dict(), indent=2, default=str) if fmt == "json" else reconciliation.render())
    sys.exit(0 if reconciliation.ok else 6)


@cli.command("bench")
@click.option("--only", "only", multiple=True,
              type=click.Choice(["loaders", "domain", "migration", "dashboard", "reports", "fanout", "partitioned"]),
              help="Run only this section (repeatable); default all.")
@click.option("--loader-rows", default=1_000_000, show_default=True, type=click.IntRange(1000))
@click.option("--partitioned-rows", default=10_000_000, show_default=True, type=click.IntRange(1000))
@click.option("--migration-scale", type=click.Choice(["small", "medium", "large"]), default="medium", show_default=True)
@click.option("--dashboard-scale", "dashboard_scales", multiple=True,
              type=click.Choice(["small", "medium", "large"]), help="Repeatable; default large.")
@click.option("--report-scale", "report_scales", multiple=True,
              type=click.Choice(["small", "medium", "large"]), help="Repeatable; default medium.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the figures as JSON to this file.")
@click.pass_obj
@_fail_cleanly
def bench_command(obj, only, loader_rows, partitioned_rows, migration_scale, dashboard_scales, report_scales,
                  json_path):
    """Measure every performance figure beside its baseline, on this machine, in one run (scratch databases)."""
    import json

    from .bench import SECTIONS, comparison_rows, render, run_benchmarks

    folder = os.path.dirname(os.path.abspath(json_path)) if json_path else None
    if folder is not None and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
        raise ConfigurationError(f"cannot write --json {json_path}: {folder} is not a writable folder")
    figures = run_benchmarks(obj.engine(), only or SECTIONS, loader_rows=loader_rows, migration_scale=migration_scale,
                             dashboard_scales=dashboard_scales or ("large",), partitioned_rows=partitioned_rows,
                             report_scales=report_scales or ("medium",),
                             say=lambda m: click.echo(m, err=True))
    rows = comparison_rows(figures)
    click.echo(render(rows))
    if json_path:
        try:
            with open(json_path, "w") as handle:
                json.dump({"figures": figures, "comparison": rows}, handle, indent=2, default=str)
        except OSError as exc:
            raise ConfigurationError(f"cannot write --json {json_path}: {exc.strerror}") from None


def _echo_build(build) -> None:
    click.echo(f"legacy rows: {sum(build.legacy_rows.values())} in {len(build.legacy_rows)} tables")
    for result in build.phases:
        click.echo(str(result))
    if build.platform_rows:
        click.echo(f"platform rows: {sum(build.platform_rows.values())} in {len(build.platform_rows)} tables")
    if build.reconciliation is not None:
        click.echo(f"migration check: {'OK' if build.reconciliation.ok else 'FAILED'}")


# --- reports: the `report` command group -----------------------------------------


_NOTEBOOKS_HELP = ("Folder of the report notebooks (env: BI_WORKBENCH_NOTEBOOKS_DIR; default: ./notebooks when "
                   "it holds them, else the ones shipped with the package).")


def _report_options(command):
    """The options every `report` command that renders shares: folders, parallelism, time limits."""
    options = [
        click.option("--notebooks", "notebooks_dir", default=None, envvar="BI_WORKBENCH_NOTEBOOKS_DIR",
                     type=click.Path(file_okay=False), help=_NOTEBOOKS_HELP),
        click.option("--output", "output_dir", default="reports", show_default=True, envvar="BI_WORKBENCH_REPORTS_DIR",
                     type=click.Path(file_okay=False), help="Folder the reports are written to (env: BI_WORKBENCH_REPORTS_DIR)."),
        click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32),
                     help="Worker processes of the local Dask cluster (reports rendered at once)."),
        click.option("--cluster", default=None, envvar="BI_WORKBENCH_CLUSTER", metavar="tcp://HOST:8786",
                     help="Render on the workers of this Dask scheduler instead of a local cluster (env: BI_WORKBENCH_CLUSTER)."),
        click.option("--cell-timeout", default=600, show_default=True, type=click.IntRange(1), metavar="SECONDS",
                     help="Time limit of each notebook cell."),
        click.option("--timeout", "run_timeout", default=1800, show_default=True, type=click.IntRange(1), metavar="SECONDS",
                     help="Time limit of a whole report."),
        click.option("--show-code", is_flag=True, help="Keep the code cells in the HTML (hidden by default)."),
        click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when it is a terminal)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _render_options(notebooks_dir, output_dir, workers, cluster, cell_timeout, run_timeout, show_code, progress):
    from pathlib import Path

    from .reports.render import RenderOptions

    from .jupyter import notebooks_dir as find_notebooks

    return RenderOptions(find_notebooks(notebooks_dir), Path(output_dir), workers, cell_timeout, run_timeout, show_code,
                         sys.stderr.isatty() if progress is None else progress, cluster=cluster)


def _recover_runs(engine) -> None:
    """Close the runs that dead processes left running (see bi_workbench.reports.lease), one note each."""
    from .reports.lease import recover

    for recovered in recover(engine):
        click.echo(f"note: {recovered.describe()}", err=True)


def _echo_report_results(results, output_dir) -> None:
    from pathlib import Path

    from .errors import ReportFailedError

    for result in results:
        click.echo(result.describe())
    index = Path(output_dir) / "index.html"
    if results:
        click.echo(f"index: {index}")
    failed = [r.report for r in results if r.status == "failed"]
    if failed:
        raise ReportFailedError(f"{len(failed)} of {len(results)} report(s) failed ({', '.join(failed)}); "
                                f"their last good reports were kept; see {index}", results)


@cli.group("report")
def report_group():
    """Report notebooks: list them, render them with parameters, render the scheduled ones, see the history."""


@report_group.command("list")
@click.option("--notebooks", "notebooks_dir", default=None, envvar="BI_WORKBENCH_NOTEBOOKS_DIR",
              type=click.Path(file_okay=False), help=_NOTEBOOKS_HELP)
@_fail_cleanly
def report_list(notebooks_dir):
    """List every report with its parameters: type, default, allowed values, help."""
    from .jupyter import notebooks_dir as find_notebooks
    from .reports import catalog

    folder = find_notebooks(notebooks_dir)
    for report in catalog.reports():
        missing = "" if (folder / report.notebook).is_file() else "  [notebook not written yet]"
        click.echo(f"{report.name}: {report.title}{missing}")
        for parameter in report.parameters:
            click.echo(f"    {parameter.describe()}")


@report_group.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "all_reports", is_flag=True, help="Render every report whose notebook exists.")
@click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="KEY VALUE",
              help="A parameter, e.g. -p as_of 2024-01-31 -p organization_id none (repeatable).")
@click.option("--per-organization", is_flag=True,
              help="Render each report once per organization, each as a member (analyst) of that organization.")
@_report_options
@click.pass_obj
@_fail_cleanly
def report_run(obj, names, all_reports, parameters, per_organization, **options):
    """Render the named reports (or all) as notebook and HTML; exit non-zero if any fails.

    Each run gets its own folder, OUTPUT/<name>/<YYYY-MM-DD>/run-<id>/, holding
    <name>.ipynb and .html (or failed.ipynb) and run.json; the index shows the
    latest run and the last good one of each parameter set. Parameters are
    checked against the catalog and the database first.
    """
    from .reports.render import prepare, render

    if names and all_reports:
        raise ConfigurationError("give report names or --all, not both.")
    settings = _render_options(**options)
    engine = obj.engine()
    from .database.tenancy import connects_as_owner

    kernels = obj.tenant_engine()  # under a tenant the kernels get its login, the owner records the runs
    if kernels is not None and not connects_as_owner(engine):
        raise ConfigurationError("report runs are recorded in the owner's run history; as a tenant login, "
                                 "render with papermill, or ask the owner to run this command with "
                                 f"{TENANT_ENV} set.")
    if kernels is not None and per_organization:
        raise ConfigurationError(f"--per-organization chooses each run's tenant; unset {TENANT_ENV} to use it.")
    if per_organization and "organization_id" in dict(parameters):
        raise ConfigurationError("--per-organization chooses the organizations; do not also give -p organization_id.")
    requests = prepare(kernels or engine, list(names), dict(parameters), all_reports=all_reports,
                       notebooks_dir=settings.notebooks_dir)
    if kernels is not None:
        requests = _tenant_renderable(requests, named=not all_reports)
    _recover_runs(engine)
    if per_organization:
        from .reports.fanout import per_organization as fan_out

        fanout = fan_out(engine, requests, named=not all_reports)
        for line in fanout.left_out:
            click.echo(f"note: {line}", err=True)
        requests = fanout.requests
        if not requests:
            raise ConfigurationError("--per-organization found nothing to render: no organization has both an active "
                                     "member and a tenant login (`bi-workbench tenant add ORGANIZATION_ID`).")
    _echo_report_results(render(engine, requests, settings, kernel_engine=kernels), settings.output_dir)


def _tenant_renderable(requests: list, *, named: bool) -> list:
    """The requests a tenant may render: a platform-only report named is an error, left out of --all with a note."""
    platform = [r.report.name for r in requests if r.report.platform_only]
    if platform and named:
        raise ConfigurationError(f"report {platform[0]} reads the platform's own records and does not render as a "
                                 f"tenant; unset {TENANT_ENV} to render it as the platform analyst.")
    for name in platform:
        click.echo(f"note: report {name} reads the platform's own records; left out under {TENANT_ENV}.", err=True)
    return [r for r in requests if not r.report.platform_only]


@report_group.command("schedule")
@click.option("--schedules", "schedules_file", default="notebooks/schedules.toml", show_default=True,
              envvar="BI_WORKBENCH_SCHEDULES", type=click.Path(dir_okay=False), help="The schedules (env: BI_WORKBENCH_SCHEDULES).")
@click.option("--at", "at", default=None, metavar="ISO-TIME", help="Act as if it were this time (default: now).")
@click.option("--crontab", is_flag=True, help="Print the crontab line that calls this command, and exit.")
@click.option("--every", default=5, show_default=True, type=click.IntRange(1, 59), metavar="MINUTES",
              help="With --crontab: minutes between two calls.")
@_report_options
@click.pass_obj
@_fail_cleanly
def report_schedule(obj, schedules_file, at, crontab, every, **options):
    """Render the scheduled reports that are due, each slot once (safe to call from cron every few minutes).

    Each bad entry of the schedules file is one error line; the good ones still
    run, and the exit code is then non-zero.
    """
    from .errors import ScheduleConfigError
    from .reports.schedule import crontab_line, read_schedules, run_due, write_cron_environment

    settings = _render_options(**options)
    schedules, problems = read_schedules(schedules_file)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if crontab:
        environment = write_cron_environment(_cron_settings(obj))
        if environment:
            click.echo(f"note: the settings the line needs are in {environment} (readable only by you)", err=True)
        click.echo(crontab_line(every, schedules_file, settings, environment))
        return
    try:
        now = datetime.fromisoformat(at).astimezone() if at else None
    except ValueError:
        raise ConfigurationError(f"--at {at!r} is not a time; write it as 2024-01-31T06:00 (ISO 8601).") from None
    engine = obj.engine()
    _recover_runs(engine)
    results = run_due(engine, schedules, now, settings)
    if not results:
        click.echo(f"nothing due ({len(schedules)} schedule(s) in {schedules_file})")
    _echo_report_results(results, settings.output_dir)
    if problems:
        sys.exit(ScheduleConfigError.exit_code)


@report_group.command("history")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.pass_obj
@_fail_cleanly
def report_history(obj, name, limit):
    """Show the latest report runs recorded in the database (of one report, or of all); runs that dead
    processes left running are closed first, as by every report command."""
    from .reports.history import describe_run, recent_runs

    engine = obj.engine()
    with engine.connect() as conn:
        apply.require_schema(conn)
    _recover_runs(engine)
    for run in recent_runs(engine, name, limit):
        click.echo(describe_run(run))


@report_group.command("new")
@click.argument("name")
@click.option("--notebooks", "notebooks_dir", default="notebooks", show_default=True, envvar="BI_WORKBENCH_NOTEBOOKS_DIR",
              type=click.Path(file_okay=False))
@_fail_cleanly
def report_new(name, notebooks_dir):
    """Write the skeleton notebook of catalog report NAME (parameters cell, setup, controls, provenance)."""
    from pathlib import Path

    import nbformat

    from .reports import catalog
    from .reports.notebooks import scaffold

    report = catalog.get(name)
    path = Path(notebooks_dir) / report.notebook
    if path.exists():
        raise ConfigurationError(f"{path} already exists; a skeleton never overwrites a notebook.")
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(scaffold(report), str(path))
    click.echo(f"wrote {path}")


@cli.command("demo")
@click.option("--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", "seed", type=int, default=42, show_default=True)
@_report_options
@click.pass_obj
@_fail_cleanly
def demo(obj, scale, seed, **options):
    """The main job: database, schema, demo data, migration and its check, every report rendered."""
    from .pipeline import build_demo_database
    from .reports.render import prepare, render

    from .pipeline import kept_report_history

    engine = obj.engine()
    with kept_report_history(engine, rebuild=obj.settings.uses_embedded_server):
        if obj.settings.uses_embedded_server:
            apply.reset_schema(engine)  # the embedded database is the workbench's own; a URL's is never wiped
        build = build_demo_database(engine, scale, seed, progress=sys.stderr.isatty())
    _echo_build(build)
    with engine.connect() as conn:
        drift.check(conn, ignore_tables=_known_foreign_tables())
    click.echo(f"database ready at {engine.url.render_as_string(hide_password=True)}")
    if build.reconciliation is not None and not build.reconciliation.ok:
        raise MigrationError("the migration check found unexplained differences; see `bi-workbench migrate check`.")
    settings = _render_options(**options)
    requests = prepare(engine, [], {}, all_reports=True, notebooks_dir=settings.notebooks_dir)
    _echo_report_results(render(engine, requests, settings), settings.output_dir)


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_interspersed_args": False}


@cli.command("lab", context_settings=_PASS_THROUGH)
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
@_fail_cleanly
def lab(obj, jupyter_args):
    """Open JupyterLab on the notebooks; kernels use the live database and have %sql. Jupyter's options pass through."""
    from . import jupyter

    url = obj.client_url().render_as_string(hide_password=False)  # a tenant's kernels get its login
    command = jupyter.lab_command(jupyter.notebooks_dir(), jupyter_args)
    click.echo(f"JupyterLab on the notebooks; kernels use {db.normalize_url(url).render_as_string(hide_password=True)}")
    os.execvpe(command[0], command, jupyter.kernel_environment(url))


@cli.command("app", context_settings={"ignore_unknown_options": True})
@click.argument("name", required=False)
@click.option("--port", default=8866, show_default=True, type=click.IntRange(1024, 65535))
@click.argument("voila_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
@_fail_cleanly
def app(obj, name, port, voila_args):
    """Serve the report notebooks (or report NAME) as web apps with live widgets and hidden code (Voilà)."""
    from . import jupyter

    url = obj.client_url().render_as_string(hide_password=False)  # a tenant's kernels get its login
    command = jupyter.app_command(jupyter.notebooks_dir(), name, port, voila_args)
    click.echo(f"serving {'every report' if name is None else name} on 127.0.0.1:{port}; "
               "open the address with its access token that Voilà prints below", err=True)
    os.execvpe(command[0], command, jupyter.kernel_environment(url, interactive=True))


@cli.group("notebooks")
def notebooks_group():
    """The report notebooks: copy them out to edit or run them from a folder of your own."""


@notebooks_group.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace notebooks that exist in FOLDER already.")
@_fail_cleanly
def notebooks_init(folder, overwrite):
    """Copy the report notebooks shipped with the package into FOLDER."""
    from . import jupyter

    written = jupyter.copy_notebooks(folder, overwrite=overwrite)
    click.echo(f"wrote {len(written)} files to {folder}; use them with BI_WORKBENCH_NOTEBOOKS_DIR={folder}")


# --- tenants: the `tenant` command group --------------------------------------------


@cli.group("tenant")
def tenant_group():
    """Tenant logins: one database login per organization, bound to it (row-level security)."""


@tenant_group.command("add")
@click.argument("organization_id")
@click.pass_obj
@_fail_cleanly
def tenant_add(obj, organization_id):
    """Create ORGANIZATION_ID's tenant login (or renew its password) and store the password for the workbench."""
    from .database.tenant_logins import add_login, store_path

    login = add_login(obj.engine(), organization_id)
    click.echo(f"tenant login {login.role} for {login.organization_name} ({login.organization_id}); "
               f"password stored in {store_path()}")
    click.echo(f"use it: {TENANT_ENV}={login.organization_id} bi-workbench lab")


@tenant_group.command("list")
@click.pass_obj
@_fail_cleanly
def tenant_list(obj):
    """List the tenant logins: organization, login role, since when, whether this user holds its password."""
    from .database.tenant_logins import list_logins

    logins = list_logins(obj.engine())
    for login in logins:
        stored = "password stored" if login.password_stored else "no password here (run `tenant add` to renew)"
        click.echo(f"{login.organization_id}  {login.organization_name}  {login.role}  "
                   f"since {login.created_at:%Y-%m-%d}  {stored}")
    if not logins:
        click.echo("no tenant logins (`bi-workbench tenant add ORGANIZATION_ID` makes one)")


@tenant_group.command("remove")
@click.argument("organization_id")
@click.pass_obj
@_fail_cleanly
def tenant_remove(obj, organization_id):
    """Drop ORGANIZATION_ID's tenant login (ending its sessions) and forget its password."""
    from .database.tenant_logins import remove_login

    click.echo(f"tenant login {remove_login(obj.engine(), organization_id)} removed")


def _cron_settings(obj: "_Context") -> dict[str, str]:
    """The settings in force, for the env file a crontab line sources (cron starts bare): this shell's
    BI_WORKBENCH_* variables, and the database URL also when it came from --database-url."""
    import os

    settings = {k: v for k, v in os.environ.items() if k.startswith("BI_WORKBENCH_")}
    if obj.settings.database_url is not None:
        settings["BI_WORKBENCH_DATABASE_URL"] = obj.settings.database_url
    return settings


def _known_foreign_tables() -> frozenset[str]:
    """Tables that may sit beside the schema without being drift: the legacy contract's."""
    from .legacy.contract import LEGACY_TABLES

    return frozenset(t.name for t in LEGACY_TABLES)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="bi-workbench")


if __name__ == "__main__":
    main()
