"""Rendering reports: check everything first, then render on a Dask cluster and file each run in its own folder.

`prepare` validates the reports and parameters against the catalog and the
database before any cell runs (nothing is written if anything is wrong).
`render` then:

1. recovers the runs that dead processes left ``running`` (`lease.recover`);
2. connects to the cluster (`executor.dask_client`: a local one of processes,
   or ``--cluster tcp://HOST:8786``) before claiming anything;
3. records each run (claiming its schedule slot) as a lease that a heartbeat
   keeps alive, and names its own folder,
   ``<output>/<name>/<YYYY-MM-DD>/run-<id>/`` (`outputs.run_folder`);
4. sends one task per run to the workers (`worker.render_task`), each with a
   per-cell and an overall time limit;
5. publishes what each task returns into the run's folder with one rename
   (``<name>.ipynb`` and ``<name>.html``, or ``failed.ipynb``, and ``run.json``),
   closes the run in the history table (a database that cannot be reached
   then is a warning, not a failure: the next command closes the run from its
   ``run.json``), and records it for the index, per parameter set;
6. rewrites ``<output>/index.html``.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..errors import WorkbenchError
from ..schema.apply import require_schema
from . import catalog, executor, history, index, lease, outputs, worker
from .catalog import Report
from .kernel import BATCH_ENV, kernel_environment
from .parameters import check_database, split_for_reports, to_notebook, validate


@dataclass(frozen=True)
class RenderOptions:
    """Where notebooks are read and reports written, where they render, and the time limits (seconds).

    ``cluster`` is a Dask scheduler address (``tcp://HOST:8786``); None starts
    a local cluster of ``workers`` processes. ``lease_seconds`` is how long a
    run counts as alive without a heartbeat.
    """

    notebooks_dir: Path = Path("notebooks")
    output_dir: Path = Path("reports")
    workers: int = 2
    cell_timeout: int = 600
    run_timeout: int = 1800
    show_code: bool = False
    progress: bool = True
    cluster: str | None = None
    lease_seconds: float = lease.DEFAULT_LEASE_SECONDS


@dataclass(frozen=True)
class RunRequest:
    """One report to render with its typed parameters, the schedule slot that asked for it, and its tenant.

    ``tenant`` is (organization id, user id): the kernel then reads as that
    organization's member (`kernel.kernel_environment`); None reads as the
    command does.
    """

    report: Report
    parameters: dict[str, Any]
    schedule_name: str | None = None
    slot: datetime | None = None
    tenant: tuple[str, str] | None = None

    def notebook_parameters(self) -> dict[str, Any]:
        """Return the parameters as notebook literals (what papermill injects and the history records)."""
        return {k: to_notebook(v) for k, v in self.parameters.items()}


@dataclass
class RunResult:
    """What became of one request: status ``succeeded``, ``failed`` or ``skipped`` (slot already claimed).

    ``folder`` is the run's own folder; ``outputs`` maps ``ipynb``/``html`` or
    ``error_notebook`` to files in it; ``note`` is a warning that did not fail
    the run (its history row could not be closed).
    """

    report: str
    status: str
    parameters: dict[str, Any]
    run_id: int | None = None
    schedule_name: str | None = None
    slot: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    error: str | None = None
    folder: Path | None = None
    note: str | None = None

    def describe(self) -> str:
        """Return one line for the terminal: report, status and where the output (or the error) is."""
        note = f" [warning: {self.note}]" if self.note else ""
        if self.status == "succeeded":
            return f"{self.report}: succeeded -> {_shown(self.outputs.get('html'))}{note}"
        if self.status == "skipped":
            return f"{self.report}: skipped (slot {self.slot} of schedule {self.schedule_name} already claimed)"
        kept = self.outputs.get("error_notebook")
        where = f"; error notebook {_shown(kept)}" if kept else "; no notebook was kept"
        return f"{self.report}: FAILED ({self.error}){where}{note}"


def _shown(path: Path | None):
    """A path as the user gave the output folder: relative to the working folder when it is under it."""
    if path is None:
        return None
    try:
        return Path(path).relative_to(Path.cwd())
    except ValueError:
        return path


def prepare(engine: Engine, names: list[str], raw: dict[str, Any], *, all_reports: bool = False,
            notebooks_dir: Path = Path("notebooks")) -> list[RunRequest]:
    """Return the validated requests for ``names`` (or every report with a notebook) and raw parameters.

    Raises before anything runs: unknown report or parameter, a value of the
    wrong type or not allowed, a missing notebook, an unreachable database or
    one without the schema, an organization that does not exist.
    """
    chosen = _choose(names, all_reports, Path(notebooks_dir))
    values = split_for_reports(chosen, raw)
    requests = [RunRequest(r, validate(r, values[r.name])) for r in chosen]
    check_requests(engine, requests)
    return requests


def _choose(names: list[str], all_reports: bool, notebooks_dir: Path) -> list[Report]:
    if all_reports:
        chosen = [r for r in catalog.reports() if (notebooks_dir / r.notebook).is_file()]
        if not chosen:
            raise WorkbenchError(f"no report notebook found in {notebooks_dir}; `bi-workbench report list` names them.")
        return chosen
    if not names:
        raise WorkbenchError("name the reports to render (`bi-workbench report list`), or give --all.")
    chosen = [catalog.get(n) for n in dict.fromkeys(names)]
    for r in chosen:
        if not (notebooks_dir / r.notebook).is_file():
            raise WorkbenchError(f"report {r.name}: its notebook {notebooks_dir / r.notebook} does not exist.")
    return chosen


def check_requests(engine: Engine, requests: list[RunRequest]) -> None:
    """Raise unless the database answers, holds the schema, and has every row the parameters name."""
    with engine.connect() as conn:
        require_schema(conn)
        for request in requests:
            check_database(request.report, request.parameters, conn)


def render(engine: Engine, requests: list[RunRequest], options: RenderOptions = RenderOptions(), *,
           kernel_engine: Engine | None = None) -> list[RunResult]:
    """Render ``requests`` on the cluster; return one RunResult per request, in order, and rewrite index.html.

    ``engine`` records the runs; the kernels connect with ``kernel_engine``'s URL (default: ``engine``'s),
    e.g. a tenant login's (`bi_workbench.database.tenancy.tenant_engine`). Raises ConfigurationError
    before claiming anything if the cluster cannot be reached.
    """
    lease.recover(engine)
    results: dict[int, RunResult] = {}
    if requests:
        with executor.dask_client(options.cluster, min(options.workers, len(requests))) as client, \
                lease.Heartbeat(engine, options.lease_seconds) as heartbeat:
            claimed = []
            for position, request in enumerate(requests):
                result = _claim(engine, request, options)
                if result.run_id is None:
                    results[position] = result
                else:
                    heartbeat.add(result.run_id)
                    claimed.append((position, request, result))
            results.update(_run_all(client, engine, claimed, options, heartbeat, kernel_engine or engine))
    index.write_index(Path(options.output_dir))
    return [results[position] for position in range(len(requests))]


def _claim(engine: Engine, request: RunRequest, options: RenderOptions) -> RunResult:
    started = datetime.now(timezone.utc)
    day = _output_date(request, started)
    run_id = history.start_run(
        engine, request.report.name, request.notebook_parameters(), schedule_name=request.schedule_name,
        slot=request.slot, owner=lease.owner_id(), lease_seconds=options.lease_seconds,
        folder=lambda rid: outputs.run_folder(options.output_dir, request.report.name, day, rid))
    status = "failed" if run_id is not None else "skipped"
    folder = outputs.run_folder(options.output_dir, request.report.name, day, run_id) if run_id is not None else None
    return RunResult(request.report.name, status, request.notebook_parameters(), run_id, request.schedule_name,
                     request.slot, started_at=started, folder=folder)


def _output_date(request: RunRequest, started: datetime) -> date:
    # A scheduled run is filed under its slot's date (in the schedule's time zone), whenever it ran.
    return request.slot.date() if request.slot else started.astimezone().date()


def _run_all(client, engine: Engine, claimed: list, options: RenderOptions, heartbeat,
             kernel_engine: Engine) -> dict[int, RunResult]:
    from distributed import as_completed
    from tqdm import tqdm

    done: dict[int, RunResult] = {}
    futures = {}
    for position, request, result in claimed:
        job = build_job(request, result.run_id, result.folder, kernel_engine, options)
        key = f"render-{request.report.name}-run{result.run_id}-{uuid.uuid4().hex[:8]}"
        futures[client.submit(worker.render_task, job, key=key, pure=False)] = (position, request, result)
    with tqdm(total=len(futures), desc="rendering", unit="report", disable=not options.progress, file=sys.stderr) as bar:
        for future in as_completed(list(futures), loop=client.loop):
            position, request, result = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a task the cluster gave up on (its workers kept dying)
                outcome = {"status": "failed", "error": f"the cluster could not render it: {worker.describe_error(exc)}"}
            done[position] = _file(engine, request, result, outcome, options)
            heartbeat.discard(result.run_id)
            bar.set_postfix_str(f"{result.report}: {result.status}")
            bar.update()
    return done


def build_job(request: RunRequest, run_id: int, folder: Path, kernel_engine: Engine,
              options: RenderOptions) -> dict[str, Any]:
    """Return the task's job: everything a worker on any machine needs to render ``request`` as run ``run_id``
    (whose output folder is ``folder``). The kernel connects with ``kernel_engine``'s URL.
    """
    notebook = Path(options.notebooks_dir) / request.report.notebook
    return {
        "run_id": run_id, "folder": str(Path(folder).absolute()), "notebook_source": notebook.read_text(encoding="utf-8"), "stem": request.report.name,
        "title": request.report.title, "parameters": request.notebook_parameters(),
        "mask_contacts": bool(request.parameters.get("mask_contacts", True)), "show_code": options.show_code,
        "cell_timeout": options.cell_timeout, "run_timeout": options.run_timeout,
        "environment": _kernel_settings(kernel_engine, request.tenant),
    }


def _kernel_settings(engine: Engine, tenant: tuple[str, str] | None) -> dict[str, str]:
    if tenant is not None:
        from ..database.tenancy import tenant_engine

        engine = tenant_engine(engine, *tenant)  # the organization's login, so a worker needs no password store
    env = {"BI_WORKBENCH_DATABASE_URL": engine.url.render_as_string(hide_password=False), BATCH_ENV: "1"}
    # Plug-in catalogs (BI_WORKBENCH_REPORT_CATALOGS) import from where the command runs.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
    if os.environ.get(catalog.CATALOGS_ENV):
        env[catalog.CATALOGS_ENV] = os.environ[catalog.CATALOGS_ENV]
    env.update(kernel_environment(tenant))
    return env


_FILE_KEYS = {"ipynb": ".ipynb", "html": ".html", "json": ".json"}


def _file(engine: Engine, request: RunRequest, result: RunResult, outcome: dict, options: RenderOptions) -> RunResult:
    """Publish a finished task into the run's folder, close the run, record it for the index; return the result."""
    result.status, result.error = outcome["status"], outcome.get("error")
    result.started_at = outcome.get("started_at") or result.started_at
    files = outcome.get("files", {})
    if result.status == "succeeded":
        result.outputs = {key: result.folder / f"{request.report.name}{suffix}" for key, suffix in _FILE_KEYS.items()}
    elif worker.FAILED in files:
        result.outputs = {"error_notebook": result.folder / worker.FAILED}
    result.finished_at = datetime.now(timezone.utc)
    try:
        outputs.publish(result.folder, files, run_record(result, Path(options.output_dir)))
    except OSError as exc:  # disk full, permissions: a failed run with nothing half-written, never a stuck one
        result.status, result.outputs = "failed", {}
        result.error = f"the outputs could not be written to {result.folder}: {worker.describe_error(exc)}"
    _close(engine, result)
    try:
        index.record_run(Path(options.output_dir) / request.report.name, run_record(result, Path(options.output_dir)))
    except OSError as exc:
        result.note = "; ".join(filter(None, [result.note, f"the index could not be updated: {worker.describe_error(exc)}"]))
    return result


def _close(engine: Engine, result: RunResult) -> None:
    paths = {"folder": str(result.folder), **{k: str(v) for k, v in result.outputs.items()}}
    try:
        history.finish_run(engine, result.run_id, result.status, paths, result.error, started_at=result.started_at)
    except Exception as exc:  # noqa: BLE001 - the database went away: the next command closes it from run.json
        result.note = (f"run #{result.run_id} could not be closed in the history ({worker.describe_error(exc)}); "
                       "the next report command closes it from its run.json")


def run_record(result: RunResult, output_dir: Path) -> dict[str, Any]:
    """Return the record of a finished run: what ``run.json`` holds and the index shows (links relative to the output)."""
    def relative(path):
        return os.path.relpath(path, Path(output_dir).absolute()) if path else None

    return {
        "run_id": result.run_id, "report": result.report, "status": result.status, "parameters": result.parameters,
        "schedule": result.schedule_name, "slot": result.slot.isoformat() if result.slot else None,
        "started_at": result.started_at.astimezone().isoformat(timespec="seconds"),
        "finished_at": result.finished_at.astimezone().isoformat(timespec="seconds"),
        "folder": relative(result.folder), "html": relative(result.outputs.get("html")),
        "ipynb": relative(result.outputs.get("ipynb")), "json": relative(result.outputs.get("json")),
        "error_notebook": relative(result.outputs.get("error_notebook")),
        "error": result.error, "paths": {k: str(v) for k, v in result.outputs.items()},
    }
