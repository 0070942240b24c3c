"""Compile a metric request into one SQLAlchemy Core SELECT: the entity's rows, grouped and measured.

`selected_rows` is the one query of "the rows of an entity in a selection"; lists,
top-N tables and the metrics all start from it, so a filter is never written twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import FunctionFilter
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import replacement_traverse

from ..errors import InvalidParameterError
from ..schema import tables as t
from .catalog import GRAINS, METRICS, Metric
from .entities import ROLLUPS, Entity, entity as entity_named
from .ownership import industry_key, owner_organization
from .selection import Bounds, row_industry

#: Dimensions every owned entity has, besides its own columns.
COMMON_DIMENSIONS = ("organization", "industry")
#: Extra dimensions of assessments, from their latest score.
SCORE_DIMENSIONS = ("bracket",)


def latest_score_order(scores=t.assessment_scores) -> tuple:
    """The order that makes a score an assessment's latest: greatest created_at (NULL last), then greatest id."""
    return scores.c.created_at.desc().nulls_last(), scores.c.id.desc()


def latest_score_of(assessment_id) -> sa.Subquery:
    """Return a LATERAL subquery of the latest score of the assessment ``assessment_id`` (a correlated column)."""
    s = t.assessment_scores
    return (sa.select(s.c.overall_score, s.c.confidence_score).where(s.c.assessment_id == assessment_id)
            .order_by(*latest_score_order(s)).limit(1).lateral("latest_score"))


def latest_scores(cutoff=None, *, of=None) -> sa.Subquery:
    """Return the latest score of each assessment (scores stamped before ``cutoff``), one row per assessment.

    Latest means the greatest created_at, then the greatest id: the single rule of "an assessment's score"
    (DESIGN.md), shared by the metrics, the reports and the read models. ``of``: an assessment id column
    to correlate to; the result is then a LATERAL subquery of that assessment's latest score (an index
    lookup per assessment: the plan for a few assessments, where the default sorts every score once).
    """
    s = t.assessment_scores
    query = (sa.select(s.c.assessment_id, s.c.id.label("score_id"), sa.cast(s.c.overall_score, sa.Float)
                       .label("overall_score"), sa.cast(s.c.confidence_score, sa.Float).label("confidence_score"),
                       sa.func.lower(sa.func.btrim(s.c.bracket)).label("bracket"), s.c.category_scores,
                       s.c.recommendations, s.c.created_at.label("scored_at")))
    if cutoff is not None:
        query = query.where(s.c.created_at < cutoff)
    if of is not None:
        return query.where(s.c.assessment_id == of).order_by(*latest_score_order(s)).limit(1).lateral("latest_score")
    return query.ext(distinct_on(s.c.assessment_id)).order_by(s.c.assessment_id, *latest_score_order(s)) \
        .subquery("latest_score")


def dimensions_of(entity: Entity) -> tuple[str, ...]:
    """Return the dimensions ``entity``'s metrics can be grouped by."""
    common = tuple(d for d in COMMON_DIMENSIONS if (d != "organization" or entity.ownership != "global")
                   and (d != "industry" or entity.has_industry))
    return common + entity.dimensions + (SCORE_DIMENSIONS if entity.name == "assessment" else ())


@dataclass
class _Rows:
    """The FROM of an entity's rows and the extra columns joined to them."""

    table: object
    frm: object
    extra: list


def _source(entity: Entity, bounds: Bounds) -> _Rows:
    table = entity.table
    if entity.name != "assessment":
        return _Rows(table, table, [])
    if bounds.selection.few_rows:  # look each assessment's score up
        latest = latest_scores(bounds.cutoff, of=table.c.id)
        frm = table.outerjoin(latest, sa.true())
    else:
        latest = latest_scores(bounds.cutoff)
        frm = table.outerjoin(latest, latest.c.assessment_id == table.c.id)
    return _Rows(table, frm, [c for c in latest.c if c.name != "assessment_id"])


def rollup_for(entity_name: str, bounds: Bounds, *, by=(), metrics: Sequence[Metric] = ()) -> Entity | None:
    """Return the rollup (`entities.ROLLUPS`) that gives the same answer as ``entity_name``'s rows, or None.

    A rollup of whole UTC days stands for the rows when every bound of the selection (since, the day
    after until, the as_of cutoff) is a UTC midnight, the dimensions are the common ones (organization,
    industry: its owner columns are the rows') and each of ``metrics`` counts rows or distinct users
    without a row condition; any grain is whole days. As Cube's pre-aggregations are matched to a query:
    the answer never depends on whether one was used.
    """
    rollup = ROLLUPS.get(entity_name)
    if rollup is None or any(name not in COMMON_DIMENSIONS for name in by):
        return None
    if any(not m.counts or m.where is not None or m.kind != "flow" for m in metrics):
        return None
    edges = (bounds.cutoff, bounds.start, bounds.end)
    return rollup if all(edge is None or _midnight(edge) for edge in edges) else None


def _midnight(instant: dt.datetime) -> bool:
    return instant.tzinfo is not None and instant.astimezone(dt.timezone.utc).time() == dt.time()


def selected_rows(entity_name: str, bounds: Bounds, *, stock: bool = False, dimensions=(), grain=None,
                  where=None, rollup: bool = False) -> Select:
    """Return a SELECT of ``entity_name``'s rows in the selection: every column, plus ``dim_<name>`` and ``period``.

    ``stock``: rows up to the end of the selection, whatever their start (states, not events);
    ``dimensions``: names from `dimensions_of` (``organization`` repeats a row owned through
    memberships once per organization); ``grain``: adds ``period`` (UTC period start) of the
    entity's time column; ``where``: a function of the row columns returning an extra condition;
    ``rollup``: the rows of the entity's rollup instead (`rollup_for` says when that is the same).
    Raises InvalidParameterError for an unknown dimension or grain.
    """
    entity = ROLLUPS[entity_name] if rollup else entity_named(entity_name)
    rows = _source(entity, bounds)
    table, frm = rows.table, rows.frm
    columns = [*table.c, *rows.extra]
    clauses = bounds.where(entity, table, counted=not stock)
    if stock and bounds.end is not None:
        clauses.append(table.c[entity.time] < bounds.end)
    for name in dimensions:
        expression, join = _dimension(entity, table, rows, name)
        if join is not None:
            frm = frm.join(*join)
        if name == "organization" and bounds.selection.organization_id is not None:
            # A row of a shared member belongs to other organizations too; only the selected one is asked about.
            clauses.append(expression == bounds.selection.organization_id)
        columns.append(expression.label(f"dim_{name}"))
    if grain is not None:
        columns.append(period_of(table.c[entity.time], grain).label("period"))
    query = sa.select(*columns).select_from(frm).where(*clauses)
    if where is not None:
        query = query.where(where(_Columns(columns)))
    return query


class _Columns:
    """Column access by name over a list of columns (as ``rows.c.name`` on a subquery)."""

    def __init__(self, columns):
        self.c = _Names({c.name: c for c in columns})


class _Names(dict):
    __getattr__ = dict.__getitem__


def period_of(time_column, grain: str):
    """Return the UTC calendar period (start, timestamp without time zone) of ``time_column`` at ``grain``."""
    if grain not in GRAINS:
        raise InvalidParameterError(f"unknown grain {grain!r}; known grains: {', '.join(GRAINS)}")
    return sa.func.date_trunc(grain, sa.func.timezone("UTC", time_column))


def _dimension(entity: Entity, table, rows: _Rows, name: str):
    if name not in dimensions_of(entity):
        raise InvalidParameterError(f"unknown dimension {name!r} for {entity.name} metrics; known: "
                                    f"{', '.join(dimensions_of(entity)) or 'none'}")
    if name == "organization":
        expression, member, condition = owner_organization(entity.ownership, table, user_column=entity.user)
        return expression, None if member is None else (member, condition, entity.ownership == "row_or_members")
    if name == "industry":
        return industry_key(row_industry(entity, table)), None
    if name in SCORE_DIMENSIONS:
        return next(c for c in rows.extra if c.name == name), None
    return sa.func.lower(sa.func.btrim(sa.cast(table.c[name], sa.Text))), None


def measured(metric: Metric | Sequence[Metric], bounds: Bounds, by=(), grain=None) -> Select:
    """Return the SELECT of ``metric`` grouped by ``by`` (dimension names) and ``grain``: dims, period, value.

    ``metric`` may be several metrics of one `fusion_key`: one pass over their shared rows, one value
    column each (as MetricFlow computes the metrics of one semantic model in one query). Metrics whose
    row conditions differ read the rows any of them counts, each aggregate with its own condition as a
    FILTER, so the groups are those the metrics would give apart.
    """
    chosen = [metric] if isinstance(metric, Metric) else list(metric)
    if len({fusion_key(m) for m in chosen}) != 1:
        raise ValueError(f"metrics {[m.name for m in chosen]} do not share their rows; measure them apart")
    conditions = list(dict.fromkeys(m.where for m in chosen))
    apart = len(conditions) > 1
    where = _any_of(conditions) if apart else conditions[0]
    entity = entity_named(chosen[0].entity)
    rolled = rollup_for(entity.name, bounds, by=by, metrics=chosen) is not None
    rows = selected_rows(entity.name, bounds, stock=chosen[0].kind == "stock", dimensions=by, grain=grain,
                         where=where, rollup=rolled).subquery("rows")
    keys = [rows.c[f"dim_{name}"] for name in by] + ([rows.c.period] if grain else [])
    if any(m.counts_users for m in chosen) and all(m.counts for m in chosen) and "industry" not in by:
        return _counted_per_user(chosen, rows, by, keys, _rows_counted(rows, rolled))
    labels = [_label(entity, rows, name) for name in by]
    values = [_filtered(_rows_counted(rows, rolled) if m.counts_rows else m.measure(rows),
                        m.where(rows) if apart and m.where else None).label(m.name) for m in chosen]
    return (sa.select(*labels, *([rows.c.period] if grain else []), *values).select_from(rows)
            .group_by(*keys).order_by(*keys))


def _any_of(conditions):
    """A row condition true where any of ``conditions`` is (None among them: every row)."""
    if None in conditions:
        return None
    return lambda rows: sa.or_(*(condition(rows) for condition in conditions))


#: Aggregates a metric's measure may use; `_filtered` gives each the metric's own condition.
_AGGREGATES = frozenset({"count", "sum", "avg", "min", "max"})


def _filtered(measure, condition):
    """Return ``measure`` with every aggregate in it restricted to ``condition`` (FILTER), or as is for None.

    NULL in a group where no row meets ``condition``: the group the metric measured apart would not have
    (a sum's coalesce to 0 must not turn a missing group into a value).
    """
    if condition is None:
        return measure

    def restrict(element):
        if isinstance(element, FunctionFilter) or (isinstance(element, FunctionElement)
                                                   and element.name in _AGGREGATES):
            return element.filter(condition)
        return None

    return sa.case((sa.func.count().filter(condition) > 0, replacement_traverse(measure, {}, restrict)))


def _rows_counted(rows, rolled: bool):
    """The number of the entity's rows in a group: count(*), or the sum of a rollup's counts."""
    return sa.cast(sa.func.coalesce(sa.func.sum(rows.c.events), 0), sa.BigInteger) if rolled else sa.func.count()


def _counted_per_user(chosen: Sequence[Metric], rows, by, keys: list, counted) -> Select:
    """Counts of rows and of distinct users, from one count per group and user (``counted``: `_rows_counted`).

    count(DISTINCT user_id) sorts every row of a group; grouped by user first, PostgreSQL hashes
    the rows, and then a group's users are its non-NULL users and its rows the sum of their counts.
    """
    per_user = (sa.select(*keys, rows.c.user_id, counted.label("n")).group_by(*keys, rows.c.user_id)
                .subquery("per_user"))
    outer = [per_user.c[key.name] for key in keys]
    labels = [per_user.c[f"dim_{name}"].label(name) for name in by] + outer[len(by):]
    values = [(sa.func.count(per_user.c.user_id) if m.counts_users else
               sa.cast(sa.func.coalesce(sa.func.sum(per_user.c.n), 0), sa.BigInteger)).label(m.name) for m in chosen]
    return sa.select(*labels, *values).group_by(*outer).order_by(*outer)


def fusion_key(metric: Metric) -> tuple:
    """Return what decides whether metrics share one SELECT (`fused`): their entity and stock or flow
    kind; a count of distinct users also its row condition (it counts per user first, `_counted_per_user`,
    so it cannot filter per metric), as do the metrics it would be measured with."""
    entity = metric.entity
    condition = metric.where if any(m.counts_users for m in METRICS.values() if m.entity == entity) else None
    return entity, metric.kind, condition


def fused(metrics: Sequence[Metric]) -> list[list[Metric]]:
    """Return ``metrics`` in groups of one `fusion_key`, in the order each key first appears."""
    groups: dict[tuple, list[Metric]] = {}
    for m in metrics:
        groups.setdefault(fusion_key(m), []).append(m)
    return list(groups.values())


def _label(entity: Entity, rows, name: str):
    """A dimension's shown value: the industry's most common spelling, the organization's id, else the key."""
    column = rows.c[f"dim_{name}"]
    if name == "industry":
        return sa.func.min(sa.func.btrim(rows.c.get("industry", column))).label(name) if entity.industry else \
            _industry_name(column).label(name)
    return column.label(name)


def _industry_name(key):
    """The display spelling of an industry key: the first spelling users have for it."""
    u = t.users
    return (sa.select(sa.func.min(sa.func.btrim(u.c.industry))).where(industry_key(u.c.industry) == key)
            .scalar_subquery())
