"""The `bi-workbench` command: a thin layer over the Python API.

Expected failures (`WorkbenchError`) become one line on stderr and a non-zero
exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from functools import wraps

import click

from . import __version__
from .database import connection as db
from .errors import ConfigurationError, SchemaDriftError, WorkbenchError
from .schema import apply, drift
from .settings import load_settings


def _fail_cleanly(command):
    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SchemaDriftError as exc:
            click.echo(f"error: {exc}:", err=True)
            for difference in exc.differences:
                click.echo(f"  - {difference}", err=True)
            sys.exit(exc.exit_code)
        except WorkbenchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return run


class _Context:
    def __init__(self, database_url: str | None):
        self.settings = load_settings(database_url)

    def engine(self):
        return db.create_engine(db.resolve_url(self.settings))

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
def cli(ctx, database_url):
    """Analytics workbench for the BI platform: database, migration, loaders and reports."""
    ctx.obj = _Context(database_url)


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
    """Print the database URL for psql and other libpq clients (starting the embedded server if needed)."""
    url = db.resolve_url(obj.settings).set(drivername="postgresql")
    click.echo(url.render_as_string(hide_password=False))


@db_group.command("init")
@click.option("--months-ahead", default=apply.DEFAULT_MONTHS_AHEAD, show_default=True, type=click.IntRange(0, 120),
              help="Monthly partitions to create ahead of the current month.")
@click.pass_obj
@_fail_cleanly
def db_init(obj, months_ahead):
    """Create the schema, or upgrade an existing one in place (idempotent)."""
    before, after = apply.init_schema(obj.engine(), months_ahead=months_ahead)
    if before == after:
        click.echo(f"schema is up to date (revision {after})")
    else:
        click.echo(f"schema {'created' if before is None else f'upgraded from revision {before}'} to revision {after}")


@db_group.command("check")
@click.pass_obj
@_fail_cleanly
def db_check(obj):
    """Compare the live database with the schema model; exit non-zero on any drift."""
    with obj.engine().connect() as conn:
        apply.require_schema(conn)
        drift.check(conn, ignore_tables=_known_foreign_tables())
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
@click.pass_obj
@_fail_cleanly
def db_refresh(obj):
    """Refresh the materialized read models without blocking readers."""
    apply.refresh_read_models(obj.engine())
    click.echo("materialized views refreshed")


@cli.command("demo")
@click.pass_obj
@_fail_cleanly
def demo(obj):
    """The main job: start the database, apply the schema and check it."""
    engine = obj.engine()
    _before, after = apply.init_schema(engine)
    with engine.connect() as conn:
        drift.check(conn, ignore_tables=_known_foreign_tables())
    click.echo(f"database ready at {engine.url.render_as_string(hide_password=True)} (schema revision {after})")


def _known_foreign_tables() -> frozenset[str]:
    """Tables that may sit beside the schema without being drift: the legacy contract's."""
    try:
        from .legacy.contract import LEGACY_TABLES
    except ImportError:
        return frozenset()
    return frozenset(t.name for t in LEGACY_TABLES)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="bi-workbench")


if __name__ == "__main__":
    main()
