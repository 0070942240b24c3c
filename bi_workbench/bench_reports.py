"""The report sections of `bi-workbench bench`: every report against the floor, and the fan-out on 1 and 2 workers.

`floor_figures` renders each report beside a trivial notebook, the same way,
and lists the full scans in each report's query plans (its docstring says how).

For the fan-out, one small report is rendered once per organization (each as that
organization's analyst, `bi_workbench.reports.fanout`) on a scratch copy of the
small demo database, first on a local Dask cluster of one worker process, then
of two; each cluster is started before its clock starts. The figure is the
wall time of each and their ratio (1 worker / 2 workers: 2.0 is perfect
scaling; a machine with fewer free cores than workers gives less).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from .database.scratch import scratch_database

FANOUT_REPORT = "01_users_orgs"
FANOUT_ORGANIZATIONS = 4


def reports_fanout(engine: Engine, *, report: str = FANOUT_REPORT, organizations: int = FANOUT_ORGANIZATIONS,
                   notebooks_dir: Path = Path("notebooks"), workers: Sequence[int] = (1, 2)) -> dict:
    """Return the seconds to render ``report`` for ``organizations`` organizations on each worker count, and the ratio.

    Returns ``{"report", "organizations", "seconds": {workers: s}, "failed": {workers: n}, "ratio"}``
    where ``ratio`` is seconds on the first worker count over seconds on the last.
    The first ``organizations`` organizations with a member get a tenant login
    for the run (removed afterwards). Raises the renderer's errors (no such
    report or notebook, database unreachable).
    """
    from .pipeline import build_demo_database
    from .reports.fanout import per_organization
    from .reports.render import prepare

    from .database.tenant_logins import add_login, remove_login
    from .reports.fanout import organization_analysts

    with scratch_database(engine, "bench_reports") as db:
        build_demo_database(db, "small", 42, progress=False)
        chosen = [org for org, _name, user in organization_analysts(db) if user is not None][:organizations]
        for organization in chosen:
            add_login(db, organization)  # tenant logins are the server's: removed below
        try:
            fanned = per_organization(db, prepare(db, [report], {}, notebooks_dir=notebooks_dir), named=True)
            requests = fanned.requests
            seconds, failed = {}, {}
            for count in workers:
                seconds[count], failed[count] = _timed_fanout(db, requests, count, notebooks_dir)
        finally:
            for organization in chosen:
                remove_login(db, organization)
    return {"report": report, "organizations": len(requests), "seconds": seconds, "failed": failed,
            "ratio": seconds[workers[0]] / seconds[workers[-1]]}


def _timed_fanout(engine: Engine, requests, workers: int, notebooks_dir: Path) -> tuple[float, int]:
    from .reports.executor import local_cluster
    from .reports.render import RenderOptions, render

    with local_cluster(workers) as cluster, tempfile.TemporaryDirectory() as output:
        options = RenderOptions(Path(notebooks_dir), Path(output), workers=workers, progress=False,
                                cluster=cluster.scheduler_address)
        started = time.perf_counter()
        results = render(engine, requests, options)
        return time.perf_counter() - started, sum(r.status != "succeeded" for r in results)


def fanout_row(figures: dict) -> dict:
    """Return the comparison row of `reports_fanout`'s figures, in the shape of `bi_workbench.bench.comparison_rows`."""
    counts = sorted(figures["seconds"])
    one, many = figures["seconds"][counts[0]], figures["seconds"][counts[-1]]
    return {"figure": f"{figures['report']} x {figures['organizations']} organizations, {counts[-1]} workers (s)",
            "ours": many, "baseline": f"{counts[0]} worker", "baseline_value": one, "ratio": round(figures["ratio"], 2),
            "target": f"{counts[0]} worker / {counts[-1]}; > 1", "met": figures["ratio"] > 1 and not any(figures["failed"].values())}


# --- every report against the floor of a render ------------------------------------------------------

#: The floor: the smallest notebook a report could be (its parameters, then importing the package).
TRIVIAL_CELLS = ("organization_id = None", "import bi_workbench")
#: Targets: a report renders within this many times the trivial notebook, per scale.
FLOOR_TARGET = {"small": 2.0, "medium": 2.0, "large": 3.0}
#: A sequential scan of a table or partition with at least this many rows counts as a full scan.
FULL_SCAN_ROWS = 20_000


def floor_figures(db: Engine, *, notebooks_dir: Path = Path("notebooks"), names: Sequence[str] = (),
                  repeats: int = 2) -> dict:
    """Return each report's render seconds on ``db`` beside the trivial notebook's, and its full scans.

    Every report of the catalog (or ``names``), with default parameters, and the
    trivial notebook (`TRIVIAL_CELLS`) are rendered the way `report run` renders on a
    worker (`reports.worker.render_task`: a process, papermill, a kernel, the HTML
    export), best of ``repeats``. Then, untimed, each report renders once more for
    one organization (its ``organization_id``, where it has one) with
    `database.plans` recording the plan of every query, and the sequential scans of
    tables over FULL_SCAN_ROWS rows are listed (``plan_status``: how that render
    ended; ``unexplained``: statements whose EXPLAIN failed). Returns ``{"users",
    "floor_seconds", "reports": {name: {"seconds", "ratio", "status", "statements",
    "full_scans", "plan_status", "unexplained", "plan_parameters"}}}``. Raises the
    renderer's errors.
    """
    with tempfile.TemporaryDirectory() as folder:
        timing = _FloorRun(db, Path(notebooks_dir), Path(folder), names)
        floor = min(timing.seconds(timing.trivial_job()) for _ in range(repeats))
        reports = {}
        for request in timing.requests:
            seconds, status = min(timing.timed(timing.job(request)) for _ in range(repeats))
            reports[request.report.name] = {"seconds": seconds, "ratio": seconds / floor, "status": status,
                                            **timing.plans(request)}
        return {"users": timing.users(), "floor_seconds": floor, "reports": reports}


class _FloorRun:
    """Jobs of one database for `floor_figures`: built as `render.build_job` builds them."""

    def __init__(self, db: Engine, notebooks_dir: Path, folder: Path, names: Sequence[str] = ()):
        from .reports.render import RenderOptions, prepare

        self.db, self.folder = db, folder
        self.options = RenderOptions(notebooks_dir, folder / "out", progress=False)
        self.requests = prepare(db, list(names), {}, all_reports=not names, notebooks_dir=notebooks_dir)

    def job(self, request, parameters: dict | None = None) -> dict:
        from .reports.render import RunRequest, build_job

        if parameters is not None:
            request = RunRequest(request.report, {**request.parameters, **parameters})
        return build_job(request, 0, self.folder / "runs", self.db, self.options)

    def trivial_job(self) -> dict:
        import nbformat

        cells = [nbformat.v4.new_code_cell(source) for source in TRIVIAL_CELLS]
        cells[0].metadata["tags"] = ["parameters"]
        notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}})
        return {**self.job(self.requests[0]), "notebook_source": nbformat.writes(notebook), "stem": "trivial",
                "title": "trivial", "parameters": {}}

    def timed(self, job: dict) -> tuple[float, str]:
        from .reports.worker import render_task

        started = time.perf_counter()
        outcome = render_task(job)
        return time.perf_counter() - started, outcome["status"]

    def seconds(self, job: dict) -> float:
        seconds, status = self.timed(job)
        if status != "succeeded":
            raise RuntimeError("the trivial notebook did not render")
        return seconds

    def plans(self, request) -> dict:
        from .database.plans import PLAN_LOG_ENV, full_scans, read_plans

        log = self.folder / f"{request.report.name}.plans.jsonl"
        organization = {"organization_id": self.organization()} \
            if any(p.name == "organization_id" for p in request.report.parameters) else {}
        job = self.job(request, organization)
        job["environment"] = {**job["environment"], PLAN_LOG_ENV: str(log)}
        _seconds, status = self.timed(job)
        records = read_plans(log)
        scans = full_scans(records, self.table_rows(), minimum_rows=FULL_SCAN_ROWS)
        return {"statements": len(records), "full_scans": scans, "plan_status": status,
                "unexplained": sum("plan" not in r for r in records),
                "plan_parameters": {k: str(v) for k, v in organization.items()}}

    def organization(self):
        from .reports.fanout import organization_analysts

        return next(org for org, _name, user in organization_analysts(self.db) if user is not None)

    def table_rows(self) -> dict[str, float]:
        with self.db.connect() as conn:
            return dict(conn.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relkind IN ('r', 'p', 'm')").all())

    def users(self) -> int:
        import sqlalchemy as sa

        from .schema.tables import users

        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar()


def floor_rows(figures: dict) -> list[dict]:
    """Return one comparison row per report of `floor_figures` (with its ``scale``) (see `bench.comparison_rows`).

    Full scans count against a report only where its plans were recorded for one
    organization: a report without an organization parameter (the migration
    checks) reconciles the whole database, which reads every row by definition.
    """
    target = FLOOR_TARGET.get(figures["scale"], 3.0)
    rows = []
    for name, r in figures["reports"].items():
        scans = len(r["full_scans"])
        selective = bool(r["plan_parameters"])
        rows.append({"figure": f"{name}, {figures['scale']} ({figures['users']:,} users, s)", "ours": r["seconds"],
                     "baseline": "trivial notebook", "baseline_value": figures["floor_seconds"],
                     "ratio": round(r["ratio"], 2),
                     "target": f"ours/trivial <= {target:g}; full scans {scans}" + ("" if selective else " (whole database)"),
                     "met": r["status"] == r["plan_status"] == "succeeded" and r["ratio"] <= target
                     and (scans == 0 or not selective)})
    return rows
