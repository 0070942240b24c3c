"""Rendering reports: check everything first, then run the notebooks in parallel and file the results.

`prepare` validates the reports and parameters against the catalog and the
database before any cell runs (nothing is written if anything is wrong).
`render` then, for each request: records the run (claiming its schedule slot),
runs the notebook in a worker process (`worker`) with a per-cell and an overall
time limit, and files the outputs:

- success: ``<output>/<name>/<YYYY-MM-DD>/<name>.ipynb`` and ``.html``, moved
  into place atomically, only once both exist;
- failure: the error notebook in ``<output>/<name>/failed/<stamp>.ipynb``; the
  last good report stays where it was.

The run is closed in the history table and the folder's manifest, and
``<output>/index.html`` is rewritten.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ..errors import WorkbenchError
from ..schema.apply import require_schema
from . import catalog, history, index, worker
from .catalog import Report
from .kernel import BATCH_ENV
from .parameters import check_database, split_for_reports, to_notebook, validate


@dataclass(frozen=True)
class RenderOptions:
    """Where notebooks are read and reports written, how many run at once, and their time limits (seconds)."""

    notebooks_dir: Path = Path("notebooks")
    output_dir: Path = Path("reports")
    workers: int = 2
    cell_timeout: int = 600
    run_timeout: int = 1800
    show_code: bool = False
    progress: bool = True


@dataclass(frozen=True)
class RunRequest:
    """One report to render with its typed parameters, and the schedule slot that asked for it (if any)."""

    report: Report
    parameters: dict[str, Any]
    schedule_name: str | None = None
    slot: datetime | None = None

    def notebook_parameters(self) -> dict[str, Any]:
        """Return the parameters as notebook literals (what papermill injects and the history records)."""
        return {k: to_notebook(v) for k, v in self.parameters.items()}


@dataclass
class RunResult:
    """What became of one request: status ``succeeded``, ``failed`` or ``skipped`` (slot already claimed)."""

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

    def describe(self) -> str:
        """Return one line for the terminal: report, status and where the output (or the error) is."""
        if self.status == "succeeded":
            return f"{self.report}: succeeded -> {self.outputs.get('html')}"
        if self.status == "skipped":
            return f"{self.report}: skipped (slot {self.slot} of schedule {self.schedule_name} already claimed)"
        return f"{self.report}: FAILED ({self.error}); error notebook {self.outputs.get('error_notebook')}"


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
    """Render ``requests`` in parallel; return one RunResult per request, in order, and rewrite index.html.

    ``engine`` records the runs; the kernels connect with ``kernel_engine``'s URL (default: ``engine``'s),
    e.g. a tenant login's (`bi_workbench.database.tenancy.tenant_engine`).
    """
    claimed, results = [], {}
    for position, request in enumerate(requests):
        run_id = history.start_run(engine, request.report.name, request.notebook_parameters(),
                                   schedule_name=request.schedule_name, slot=request.slot)
        if run_id is None:
            results[position] = RunResult(request.report.name, "skipped", request.notebook_parameters(),
                                          schedule_name=request.schedule_name, slot=request.slot)
        else:
            claimed.append((position, request, run_id))
    results.update(_run_all(engine, claimed, options, kernel_engine or engine))
    index.write_index(Path(options.output_dir))
    return [results[position] for position in range(len(requests))]


def _run_all(engine: Engine, claimed: list, options: RenderOptions, kernel_engine: Engine) -> dict[int, RunResult]:
    from tqdm import tqdm

    done = {}
    if not claimed:
        return done
    database_url = kernel_engine.url.render_as_string(hide_password=False)
    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool, \
            tqdm(total=len(claimed), desc="rendering", unit="report", disable=not options.progress, file=sys.stderr) as bar:
        futures = {pool.submit(_render_one, engine, request, run_id, database_url, options): position
                   for position, request, run_id in claimed}
        for future in as_completed(futures):
            result = future.result()
            done[futures[future]] = result
            bar.set_postfix_str(f"{result.report}: {result.status}")
            bar.update()
    return done


def _render_one(engine: Engine, request: RunRequest, run_id: int, database_url: str, options: RenderOptions) -> RunResult:
    report_dir = Path(options.output_dir) / request.report.name
    report_dir.mkdir(parents=True, exist_ok=True)
    result = RunResult(request.report.name, "failed", request.notebook_parameters(), run_id,
                       request.schedule_name, request.slot, started_at=datetime.now(timezone.utc))
    work = Path(tempfile.mkdtemp(prefix=".run-", dir=report_dir))
    try:
        outcome = _run_worker(request, work, database_url, options)
        result.status, result.error = outcome["status"], outcome.get("error")
        result.outputs = _file_outputs(request, result, work, report_dir)
    except Exception as exc:  # noqa: BLE001 - filing failed (disk full, permissions): a failed run, never a stuck one
        result.status, result.error = "failed", worker.describe_error(exc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.finished_at = datetime.now(timezone.utc)
    history.finish_run(engine, run_id, result.status, {k: str(v) for k, v in result.outputs.items()}, result.error)
    index.record_run(report_dir, _manifest_entry(result, Path(options.output_dir)))
    return result


def _run_worker(request: RunRequest, work: Path, database_url: str, options: RenderOptions) -> dict:
    """Run the worker process for ``request``; return its result dict (a failure if it died or ran too long)."""
    job = {
        "notebook": str((Path(options.notebooks_dir) / request.report.notebook).resolve()),
        "workdir": str(work), "stem": request.report.name, "title": request.report.title,
        "parameters": request.notebook_parameters(), "mask_contacts": bool(request.parameters.get("mask_contacts", True)),
        "show_code": options.show_code, "cell_timeout": options.cell_timeout,
    }
    (work / "job.json").write_text(json.dumps(job))
    try:
        done = subprocess.run([sys.executable, "-m", "bi_workbench.reports.worker", str(work / "job.json")],
                              env=_worker_environment(database_url), capture_output=True, text=True,
                              timeout=options.run_timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"stopped after the overall time limit of {options.run_timeout} s"}
    try:
        return json.loads((work / worker.RESULT).read_text())
    except (OSError, ValueError):
        last = (done.stderr or "").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"status": "failed", "error": f"the rendering process died: {last[0][:300]}"}


def _worker_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["BI_WORKBENCH_DATABASE_URL"] = database_url
    env[BATCH_ENV] = "1"
    # Plug-in catalogs (BI_WORKBENCH_REPORT_CATALOGS) import from where the command runs.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    return env


def _file_outputs(request: RunRequest, result: RunResult, work: Path, report_dir: Path) -> dict[str, Path]:
    """Move the run's files into place; return {"ipynb", "html"} or {"error_notebook"} paths."""
    stem = request.report.name
    if result.status == "succeeded":
        dated = report_dir / _output_date(request, result).isoformat()
        dated.mkdir(parents=True, exist_ok=True)
        for suffix in (".ipynb", ".html", ".json"):
            os.replace(work / f"{stem}{suffix}", dated / f"{stem}{suffix}")
        return {"ipynb": dated / f"{stem}.ipynb", "html": dated / f"{stem}.html", "json": dated / f"{stem}.json"}
    return _keep_error_notebook(request, result, work, report_dir)


def _output_date(request: RunRequest, result: RunResult):
    # A scheduled run is filed under its slot's date (in the schedule's time zone), whenever it ran.
    return request.slot.date() if request.slot else result.started_at.astimezone().date()


def _keep_error_notebook(request: RunRequest, result: RunResult, work: Path, report_dir: Path) -> dict[str, Path]:
    source = work / worker.FAILED
    if not source.exists() and (work / worker.EXECUTING).exists():
        # The worker was stopped mid-run: keep what it had executed, masked like any output.
        worker._keep_failed({"mask_contacts": bool(request.parameters.get("mask_contacts", True))}, work / worker.EXECUTING)
    if not source.exists():
        return {}
    failed = report_dir / "failed"
    failed.mkdir(exist_ok=True)
    target = failed / f"{result.started_at.astimezone():%Y-%m-%dT%H%M%S}-run{result.run_id}.ipynb"
    os.replace(source, target)
    return {"error_notebook": target}


def _manifest_entry(result: RunResult, output_dir: Path) -> dict[str, Any]:
    def relative(path):
        return os.path.relpath(path, output_dir) if path else None

    return {
        "run_id": result.run_id, "status": result.status, "parameters": result.parameters,
        "schedule": result.schedule_name, "slot": result.slot.isoformat() if result.slot else None,
        "started_at": result.started_at.astimezone().isoformat(timespec="seconds"),
        "finished_at": result.finished_at.astimezone().isoformat(timespec="seconds"),
        "html": relative(result.outputs.get("html")), "ipynb": relative(result.outputs.get("ipynb")),
        "json": relative(result.outputs.get("json")),
        "error_notebook": relative(result.outputs.get("error_notebook")), "error": result.error,
    }
