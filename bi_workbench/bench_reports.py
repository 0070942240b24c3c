"""The reports section of `bi-workbench bench`: the per-organization fan-out on 1 and on 2 Dask workers.

One small report is rendered once per organization (each as that
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
