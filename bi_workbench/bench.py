"""`bi-workbench bench`: every performance figure beside its baseline, measured in one process.

Each section runs in scratch databases on the same server (created and dropped
here), so the user's data is never touched:

- loaders: 1M analytics_events rows through the default `load()` and its pyarrow
  backend, against a bare binary COPY (the floor), pandas.read_sql and ConnectorX;
- domain: vectorised scoring against the same function in a loop; the compiled
  simulation against a bare NumPy loop of the same exact draws;
- migration: phases 1-4 on synthetic legacy data (rows/s), against a plain copy of the rows;
- dashboard: get_user_dashboard's p95 against the seed's join-then-group view;
- reports: each report's render against a trivial notebook's, and the full scans in its plans;
- fanout, partitioned: reports per organization on 1 and 2 Dask workers; a 10M-row
  aggregation on Dask workers against pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack

from sqlalchemy.engine import Engine

from .database.scratch import scratch_database

SECTIONS = ("loaders", "domain", "migration", "dashboard", "reports", "fanout", "partitioned")
#: get_user_dashboard's p95 target at every scale (ms).
DASHBOARD_TARGET_MS = 10.0


def run_benchmarks(engine: Engine, sections: Sequence[str] = SECTIONS, *, loader_rows: int = 1_000_000,
                   migration_scale: str = "medium", dashboard_scales: Sequence[str] = ("large",),
                   partitioned_rows: int = 10_000_000, report_scales: Sequence[str] = ("medium",),
                   say: Callable[[str], None] = lambda _: None) -> dict:
    """Return the raw figures of each section asked for (see the module docstring).

    ``sections``: a subset of SECTIONS. ``say`` gets one line of progress per step. The demo
    database of a scale is built once per run and shared by the dashboard and reports sections. Example::

        >>> run_benchmarks(engine, ("domain",))["domain"]["simulation_seconds"]
        0.19
    """
    with _DemoDatabases(engine, say) as demos:
        return _sections(engine, sections, demos, loader_rows, migration_scale, dashboard_scales,
                         partitioned_rows, report_scales, say)


def _sections(engine, sections, demos: "_DemoDatabases", loader_rows, migration_scale, dashboard_scales,
              partitioned_rows, report_scales, say) -> dict:
    figures: dict = {}
    if "loaders" in sections:
        from .bench_loaders import bench_loaders

        say(f"loaders: {loader_rows:,} analytics_events rows ...")
        with scratch_database(engine, "bench_loaders") as db:
            from .schema import init_schema

            init_schema(db)
            figures["loaders"] = bench_loaders(db, loader_rows)
    if "domain" in sections:
        from .domain.bench import bench_domain

        say("domain: scoring and simulation ...")
        figures["domain"] = bench_domain()
    if "migration" in sections:
        from .legacy.bench import bench_migration

        say(f"migration: {migration_scale} scale ...")
        figures["migration"] = bench_migration(engine, migration_scale)
    if "dashboard" in sections:
        from .events.bench import bench_dashboard

        figures["dashboard"] = {scale: bench_dashboard(demos.get(scale)) for scale in dashboard_scales}
    if "reports" in sections:
        from .bench_reports import floor_figures
        from .jupyter import notebooks_dir

        figures["reports"] = {}
        for scale in report_scales:
            db = demos.get(scale)
            say(f"reports: every report against the trivial notebook, {scale} scale ...")
            figures["reports"][scale] = {"scale": scale, **floor_figures(db, notebooks_dir=notebooks_dir())}
    if "fanout" in sections:
        from .bench_reports import reports_fanout
        from .jupyter import notebooks_dir

        say("fanout: one report per organization on 1 and 2 Dask workers ...")
        figures["fanout"] = reports_fanout(engine, notebooks_dir=notebooks_dir())
    if "partitioned" in sections:
        from .bench_partitioned import bench_partitioned

        say(f"partitioned: {partitioned_rows:,} analytics_events rows on a local Dask cluster ...")
        with scratch_database(engine, "bench_partitioned") as db:
            from .schema import init_schema

            init_schema(db)
            figures["partitioned"] = bench_partitioned(db, partitioned_rows)
    return figures


class _DemoDatabases(ExitStack):
    """The demo databases of one benchmark run, one scratch database per scale, built on first use and
    dropped when the run (the ``with`` block) ends; the dashboard and reports sections share them."""

    def __init__(self, engine: Engine, say):
        super().__init__()
        self.engine, self.say, self.built = engine, say, {}

    def get(self, scale: str) -> Engine:
        """Return the Engine of the ``scale`` demo database (seed 42), building it the first time."""
        if scale not in self.built:
            from .pipeline import build_demo_database

            self.say(f"building the {scale} demo database ...")
            db = self.enter_context(scratch_database(self.engine, f"bench_{scale}"))
            build_demo_database(db, scale, 42, progress=False)
            self.built[scale] = db
        return self.built[scale]


def comparison_rows(figures: dict) -> list[dict]:
    """Return one row per figure: what, ours, the baseline, their ratio, the target and whether it is met.

    ``met`` is None for a figure given for information (no target). Example::

        >>> comparison_rows({"domain": bench_domain()})[1]["figure"]
        'simulate 100,000 paths x 36 months (s)'
    """
    rows: list[dict] = []
    if "loaders" in figures:
        rows += _loader_rows(figures["loaders"])
    if "domain" in figures:
        rows += _domain_rows(figures["domain"])
    if "migration" in figures:
        m = figures["migration"]
        rows.append(_row(f"migrate {m['scale']} ({m['legacy_rows']:,} legacy rows, rows/s)", m["migrate_rows_per_s"],
                         "plain copy of the rows (rows/s)", m["plain_copy_rows_per_s"],
                         m["plain_copy_rows_per_s"] / m["migrate_rows_per_s"], "copy/ours; check reconciles",
                         m["check_ok"]))
    for scale, d in figures.get("dashboard", {}).items():
        if d["ours"] is None:
            continue
        target = DASHBOARD_TARGET_MS
        rows.append(_row(f"get_user_dashboard p95, {scale} ({d['users']:,} users, ms)", d["ours"]["p95_ms"],
                         "the seed's view", d["seed"]["p95_ms"], d["seed"]["p95_ms"] / d["ours"]["p95_ms"],
                         f"seed/ours; < {target:g} ms", d["ours"]["p95_ms"] < target))
    if "reports" in figures:
        from .bench_reports import floor_rows

        for report_figures in figures["reports"].values():
            rows += floor_rows(report_figures)
    if "fanout" in figures:
        from .bench_reports import fanout_row

        rows.append(fanout_row(figures["fanout"]))
    if "partitioned" in figures:
        p = figures["partitioned"]
        rows.append(_row(f"aggregate {p['rows']:,} analytics_events on {p['workers']} Dask workers (s)",
                         p["seconds"]["dask_partitioned"], "load() into pandas, then groupby",
                         p["seconds"]["pandas_load"], p["ratio_pandas_vs_dask"], "pandas/dask; same numbers",
                         p["equal"]))
    return rows


def _loader_rows(figures: dict) -> list[dict]:
    seconds, ratios, n = figures["seconds"], figures["ratios"], figures["rows"]
    what = f"{n:,} analytics_events (s)"
    rows = [
        _row(f"load() default, {what}", seconds["default"], "bare binary COPY", seconds["copy_binary"],
             ratios["default_vs_copy"], "ours/COPY <= 1.5", ratios["default_vs_copy"] <= 1.5),
        _row(f"load(dtype_backend='pyarrow'), {what}", seconds["pyarrow"], "bare binary COPY", seconds["copy_binary"],
             ratios["pyarrow_vs_copy"], "ours/COPY <= 1.5", ratios["pyarrow_vs_copy"] <= 1.5),
        _row(f"load(uuid_as='uuid', json_as='object'), {what}", seconds["objects"], "bare binary COPY",
             seconds["copy_binary"], ratios["objects_vs_copy"], "ours/COPY; Python objects, no target", None),
    ]
    if "read_sql" in seconds:
        rows.append(_row(f"load() default, {what}", seconds["default"], "pandas.read_sql", seconds["read_sql"],
                         ratios["read_sql_vs_default"], "read_sql/ours > 1", ratios["read_sql_vs_default"] > 1))
    if "connectorx_pandas" in seconds:
        rows.append(_row(f"load() default, {what}", seconds["default"], "ConnectorX (pandas)",
                         seconds["connectorx_pandas"], ratios["connectorx_pandas_vs_default"], "ConnectorX/ours > 1",
                         ratios["connectorx_pandas_vs_default"] > 1))
        rows.append(_row(f"load(dtype_backend='pyarrow'), {what}", seconds["pyarrow"], "ConnectorX (Arrow)",
                         seconds["connectorx_arrow"], ratios["connectorx_arrow_vs_pyarrow"], "ConnectorX/ours > 1",
                         ratios["connectorx_arrow_vs_pyarrow"] > 1))
    return rows


def _domain_rows(d: dict) -> list[dict]:
    return [
        _row("scoring (assessments/s)", d["scoring_rows_per_second"], "score_responses in a loop",
             d["scoring_loop_rows_per_second"], d["scoring_speedup"], "ours/loop; 100k < 5 s", d["scoring_seconds"] < 5),
        _row(f"simulate {d['simulation_paths']:,} paths x {d['simulation_months']} months (s)", d["simulation_seconds"],
             "bare NumPy loop, same exact draws", d["simulation_numpy_loop_seconds"], d["simulation_speedup"],
             "loop/ours; ours < 0.2 s", d["simulation_seconds"] < 0.2),
    ]


def _row(figure, ours, baseline_name, baseline, ratio, target, met) -> dict:
    return {"figure": figure, "ours": ours, "baseline": baseline_name, "baseline_value": baseline,
            "ratio": round(float(ratio), 2), "target": target, "met": None if met is None else bool(met)}


def render(rows: list[dict]) -> str:
    """Return the comparison rows as an aligned text table (``met``: yes, NO, or - for information)."""
    header = ("figure", "ours", "baseline", "baseline value", "ratio", "ratio is; target", "met")
    body = [(r["figure"], _num(r["ours"]), r["baseline"], _num(r["baseline_value"]), f"{r['ratio']:g}x",
             r["target"], "-" if r["met"] is None else "yes" if r["met"] else "NO") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)) for line in (header, *body))


def _num(value) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"
