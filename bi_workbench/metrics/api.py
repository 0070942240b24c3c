"""The analysts' query API: `list`, `query` and `sql` over the declared metrics.

    from bi_workbench import metrics
    metrics.list()                                        # the catalogue
    metrics.query("avg_overall_score", by="industry", since="2026-01-01", until="2026-03-31")
    print(metrics.sql("mrr", by="industry"))              # the SQL it runs

Results are typed DataFrames, one row per group and period in a stable order:
the dimension columns (text; ``organization`` a UUID string), ``period``
(``datetime64[ns]``, the UTC period start) and ``complete`` (the period is over
before the selection's as_of bound) when a grain is asked for, then one float
column per metric. ``frame.attrs['selection']`` holds the selection applied
(`Bounds.describe`), so every number can be traced to its definition.
"""

from __future__ import annotations

import builtins

import pandas as pd
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidParameterError
from .catalog import GRAINS, METRICS, SPECIAL, Metric, metric as metric_named
from .compile import COMMON_DIMENSIONS, dimensions_of, fused, measured
from .entities import entity as entity_named
from .selection import Bounds, Selection


def list_metrics() -> pd.DataFrame:
    """Return the catalogue: one row per metric with name, definition, unit, entity, kind, grains, dimensions."""
    rows = [{"name": m.name, "definition": m.definition, "unit": m.unit, "entity": m.entity, "kind": m.kind,
             "grains": ", ".join(m.grains), "dimensions": ", ".join(_dimensions(m))} for m in METRICS.values()]
    return pd.DataFrame(rows).astype("string")


def query(metric, by=None, grain=None, organization_id=None, industry=None, since=None, until=None, as_of=None,
          engine=None, *, bounds: Bounds | None = None, steps=None, periods: int = 12) -> pd.DataFrame:
    """Return the values of ``metric`` (a name or a list of names) per group and period, as a DataFrame.

    ``by``: None, a dimension name or a list of them (see `list_metrics`); ``grain``: None or one of
    day, week, month, quarter, year; the selection (``organization_id``, ``industry``, inclusive
    ``since``/``until`` dates, ``as_of``) as in `Selection`; ``engine``: an Engine or Connection
    (default: `bi_workbench.get_engine()`, a tenant engine under BI_WORKBENCH_TENANT).
    ``retention`` (cohort x period; grain = cohort length, ``periods`` after signup) and
    ``funnel_conversion`` (``steps``, default the platform funnel) are queried alone.
    ``bounds``: a selection already resolved (`Selection.resolve`), instead of the selection keywords, so
    every section of a report shares one as_of.
    Raises InvalidParameterError (unknown metric, dimension or grain, a grain the metric does not
    support, until before since, as_of in the future, a value that matches no data) before any query runs.
    """
    names, by, grain = _request(metric, by, grain)
    given = (organization_id, industry, since, until, as_of)
    if bounds is not None and any(value is not None for value in given):
        raise InvalidParameterError("give either bounds or the selection keywords, not both")
    with connection(engine) as conn:
        bounds = bounds or Selection.of(*given).resolve(conn)
        if names[0] in SPECIAL:
            from . import special

            frame = special.run(names[0], conn, bounds, grain=grain, steps=steps, periods=periods)
        else:
            groups = fused([METRICS[name] for name in names])
            frame = _merged([_run(conn, group, bounds, by, grain) for group in groups], by, grain, bounds)
            frame = frame[[c for c in frame.columns if c not in names] + names]  # values in the order asked
    frame.attrs["selection"] = bounds.describe()
    return frame


def sql(metric, by=None, grain=None, organization_id=None, industry=None, since=None, until=None, as_of=None,
        engine=None) -> str:
    """Return the SQL `query` runs for the same arguments (PostgreSQL, values inlined for reading)."""
    names, by, grain = _request(metric, by, grain)
    if names[0] in SPECIAL:
        raise InvalidParameterError(f"{names[0]} is computed in several statements; use query()")
    selection = Selection.of(organization_id, industry, since, until, as_of)
    with connection(engine) as conn:
        bounds = selection.resolve(conn, check_values=False)
    groups = fused([METRICS[name] for name in names])
    return ";\n\n".join(compiled(measured(group, bounds, by, grain)) for group in groups) + ";"


def compiled(statement) -> str:
    """Return ``statement`` as PostgreSQL text with its values inlined (for reading, never for running)."""
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


# --- checking a request ---------------------------------------------------------------------------------------


def _request(metric, by, grain):
    names = [metric] if isinstance(metric, str) else builtins.list(metric or [])
    if not names:
        raise InvalidParameterError("metric must name at least one metric; see metrics.list()")
    chosen = [metric_named(name) for name in names]
    if any(m.name in SPECIAL for m in chosen) and len(chosen) > 1:
        raise InvalidParameterError(f"{', '.join(SPECIAL)} are queried alone; got {names}")
    if not isinstance(by, (str, builtins.list, tuple, type(None))):
        raise InvalidParameterError(f"by must be a dimension name or a list of them; got {by!r}")
    by = [] if by is None else [by] if isinstance(by, str) else builtins.list(by)
    for kind, given in (("metric", names), ("dimension", by)):
        repeated = sorted({name for name in given if given.count(name) > 1}, key=str)
        if repeated:
            raise InvalidParameterError(f"{kind} {repeated[0]!r} is asked for twice; name each once")
    if grain is not None and grain not in GRAINS:
        raise InvalidParameterError(f"unknown grain {grain!r}; known grains: {', '.join(GRAINS)}")
    if len({m.entity for m in chosen}) > 1:
        own = [name for name in by if name not in COMMON_DIMENSIONS]
        if own:
            raise InvalidParameterError(f"dimension {own[0]!r} is a column of each metric's own entity "
                                        f"({', '.join(sorted({m.entity for m in chosen}))}); query those metrics "
                                        f"apart, or group by {' or '.join(COMMON_DIMENSIONS)}")
    for m in chosen:
        _check_grain(m, grain)
        _check_dimensions(m, by)
    return [m.name for m in chosen], by, grain


def _check_grain(m: Metric, grain) -> None:
    if grain is None or grain in m.grains:
        return
    if not m.grains:
        raise InvalidParameterError(f"{m.name} has no time grain: it is a state at the end of the selection "
                                    f"(subscriptions keep only their current status); leave grain out")
    raise InvalidParameterError(f"grain {grain!r} is finer than {m.name} supports; allowed: {', '.join(m.grains)}")


def _check_dimensions(m: Metric, by) -> None:
    allowed = _dimensions(m)
    for name in by:
        if name not in allowed:
            raise InvalidParameterError(f"unknown dimension {name!r} for {m.name}; allowed: "
                                        f"{', '.join(allowed) or 'none'}")


def _dimensions(m: Metric) -> tuple[str, ...]:
    return () if m.name in SPECIAL else dimensions_of(entity_named(m.entity))


# --- running --------------------------------------------------------------------------------------------------


def _run(conn: Connection, group: list[Metric], bounds: Bounds, by, grain) -> pd.DataFrame:
    rows = conn.execute(measured(group, bounds, by, grain)).all()
    columns = [*by, *(["period"] if grain else []), *(m.name for m in group)]
    return pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def _merged(frames, by, grain, bounds: Bounds) -> pd.DataFrame:
    keys = [*by, *(["period"] if grain else [])]
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.merge(other, on=keys, how="outer") if keys else pd.concat([frame, other], axis=1)
    for name in by:
        frame[name] = frame[name].astype("string")
    if grain:
        frame["period"] = pd.to_datetime(frame["period"])
        frame.insert(len(keys), "complete", period_complete(frame["period"], grain, bounds))
    value_columns = [c for c in frame.columns if c not in keys and c != "complete"]
    frame[value_columns] = frame[value_columns].astype("float64")
    counted = [c for c in value_columns if METRICS[c].counts]
    frame[counted] = frame[counted].fillna(0.0)   # a group one metric has and another lacks: 0 rows of the other
    return frame.sort_values(keys, na_position="last").reset_index(drop=True) if keys else frame


def period_offset(grain: str) -> pd.DateOffset:
    """Return the length of one period of ``grain`` (a calendar offset)."""
    return {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}[grain]


def period_complete(periods: pd.Series, grain: str, bounds: Bounds) -> pd.Series:
    """Return, per period start (naive UTC), whether the whole period lies inside what the selection observes:
    it starts on or after ``since`` and is over before ``until``'s end and the as_of bound (`Bounds.end`).
    A period cut by the date range or not over yet holds part of its rows, so it must not read as a drop."""
    if bounds.end is None:
        return pd.Series(False, index=periods.index, dtype=bool)
    starts = pd.to_datetime(periods)
    inside = (starts + period_offset(grain)) <= pd.Timestamp(bounds.end).tz_convert(None)
    if bounds.start is not None:
        inside &= starts >= pd.Timestamp(bounds.start).tz_convert(None)
    return inside.astype(bool)


class connection:
    """A Connection from an Engine, a Connection, or the process's default engine."""

    def __init__(self, engine):
        self.engine = engine
        self.owned = None

    def __enter__(self) -> Connection:
        if isinstance(self.engine, Connection):
            return self.engine
        engine = self.engine
        if engine is None:
            from ..database import get_engine

            engine = get_engine()
        if not isinstance(engine, Engine):
            raise InvalidParameterError(f"engine must be an SQLAlchemy Engine or Connection; got {type(engine).__name__}")
        self.owned = engine.connect()
        return self.owned

    def __exit__(self, *exc):
        if self.owned is not None:
            self.owned.close()
