"""`bi-workbench bench`: every performance figure beside its baseline, measured in one process.

Each section runs in scratch databases on the same server (created and dropped
here), so the user's data is never touched:

- loaders: 1M analytics_events rows through our fast path, against a bare binary
  COPY (the floor), pandas.read_sql and ConnectorX;
- domain: vectorised scoring and simulation against the same functions in a loop;
- migration: phases 1-4 on synthetic legacy data, against a plain copy of the rows;
- dashboard: get_user_dashboard's p95 against the seed's join-then-group view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine

from .database.scratch import scratch_database

SECTIONS = ("loaders", "domain", "migration", "dashboard")
DASHBOARD_TARGET_MS = {"small": 10.0, "medium": 10.0, "large": 25.0}


def run_benchmarks(engine: Engine, sections: Sequence[str] = SECTIONS, *, loader_rows: int = 1_000_000,
                   migration_scale: str = "medium", dashboard_scales: Sequence[str] = ("medium",),
                   say: Callable[[str], None] = lambda _: None) -> dict:
    """Return the raw figures of each section asked for (see the module docstring)."""
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
        figures["dashboard"] = {scale: _dashboard(engine, scale, say) for scale in dashboard_scales}
    return figures


def _dashboard(engine: Engine, scale: str, say) -> dict:
    from .events.bench import bench_dashboard
    from .pipeline import build_demo_database

    say(f"dashboard: building the {scale} demo database ...")
    with scratch_database(engine, "bench_dashboard") as db:
        build_demo_database(db, scale, 42, progress=False)
        return bench_dashboard(db)


def comparison_rows(figures: dict) -> list[dict]:
    """Return one row per figure: what, ours, the baseline, their ratio, the target and whether it is met."""
    rows = []
    if "loaders" in figures:
        seconds, ratios = figures["loaders"]["seconds"], figures["loaders"]["ratios"]
        ours = seconds["fast_pyarrow"]
        rows.append(_row("load 1M analytics_events (s)", ours, "bare binary COPY", seconds["copy_binary"],
                         ratios["fast_vs_copy"], "ours/COPY <= 1.5", ratios["fast_vs_copy"] <= 1.5))
        if "read_sql" in seconds:
            rows.append(_row("load 1M analytics_events (s)", ours, "pandas.read_sql", seconds["read_sql"],
                             ratios["read_sql_vs_fast"], "read_sql/ours >= 10", ratios["read_sql_vs_fast"] >= 10))
        if "connectorx_arrow" in seconds:
            rows.append(_row("load 1M analytics_events (s)", ours, "ConnectorX (Arrow)", seconds["connectorx_arrow"],
                             ratios["connectorx_vs_fast"], "ConnectorX/ours > 1", ratios["connectorx_vs_fast"] > 1))
    if "domain" in figures:
        d = figures["domain"]
        rows.append(_row("scoring (assessments/s)", d["scoring_rows_per_second"], "score_responses in a loop",
                         d["scoring_loop_rows_per_second"], d["scoring_speedup"], "ours/loop; 100k < 5 s",
                         d["scoring_seconds"] < 5))
        rows.append(_row("simulation (path-months/s)", d["simulation_path_months_per_second"], "one path at a time",
                         d["simulation_loop_path_months_per_second"], d["simulation_speedup"],
                         "ours/loop; 100k x 36 < 1 s", d["simulation_seconds"] < 1))
    if "migration" in figures:
        m = figures["migration"]
        rows.append(_row(f"migrate {m['scale']} ({m['legacy_rows']:,} legacy rows, s)", m["migrate_s"],
                         "plain copy of the rows", m["plain_copy_s"], m["migrate_s"] / m["plain_copy_s"],
                         "ours/copy; < 60 s", m["migrate_s"] < 60 and m["check_ok"]))
    for scale, d in figures.get("dashboard", {}).items():
        if d["ours"] is None:
            continue
        target = DASHBOARD_TARGET_MS.get(scale, 25.0)
        rows.append(_row(f"get_user_dashboard p95, {scale} ({d['users']:,} users, ms)", d["ours"]["p95_ms"],
                         "the seed's view", d["seed"]["p95_ms"], d["seed"]["p95_ms"] / d["ours"]["p95_ms"],
                         f"seed/ours; < {target:g} ms", d["ours"]["p95_ms"] < target))
    return rows


def _row(figure, ours, baseline_name, baseline, ratio, target, met) -> dict:
    return {"figure": figure, "ours": ours, "baseline": baseline_name, "baseline_value": baseline,
            "ratio": round(float(ratio), 2), "target": target, "met": bool(met)}


def render(rows: list[dict]) -> str:
    """Return the comparison rows as an aligned text table."""
    header = ("figure", "ours", "baseline", "baseline value", "ratio", "ratio is; target", "met")
    body = [(r["figure"], _num(r["ours"]), r["baseline"], _num(r["baseline_value"]), f"{r['ratio']:g}x",
             r["target"], "yes" if r["met"] else "NO") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)) for line in (header, *body))


def _num(value) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"
