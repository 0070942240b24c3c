"""The two metrics with their own shape: `retention` (cohort x period) and `funnel_conversion` (steps).

Both start from `selected_rows`, so the selection means the same as everywhere:
a cohort is the users who signed up in the range (grain: the cohort length),
active in period n with an analytics event of the selection in the n-th
period after their signup period; a period not over at the as_of bound (or past ``until``) has
``retention`` NULL and ``complete`` False. The funnel enters a user at their
first ``steps[0]`` event in the range; step k+1 counts at the first event of its
type at or after step k's (strictly after when the step repeats), within
30 days of entering.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from .catalog import FUNNEL_STEPS
from .compile import rollup_for, selected_rows
from .selection import Bounds

#: A funnel step counts within this many days of entering the funnel.
FUNNEL_WINDOW_DAYS = 30
# 720 hours, not '30 days': a timestamptz plus days counts calendar days in the session's time zone, so
# across a change of daylight saving time the window would be an hour longer or shorter.
_WINDOW = sa.func.make_interval(0, 0, 0, 0, 24 * FUNNEL_WINDOW_DAYS)
MAX_PERIODS = 120


def run(name: str, conn: Connection, bounds: Bounds, *, grain=None, steps=None, periods: int = 12) -> pd.DataFrame:
    """Run the special metric ``name`` (retention or funnel_conversion) on ``conn``."""
    if name == "retention":
        return retention(conn, bounds, grain or "month", periods)
    return funnel(conn, bounds, FUNNEL_STEPS if steps is None else steps)


def retention(conn: Connection, bounds: Bounds, grain: str, periods: int) -> pd.DataFrame:
    """Return cohort, cohort_size, period_number, active_users, retention (NULL until over), complete."""
    if isinstance(periods, bool) or not isinstance(periods, int) or not 0 <= periods <= MAX_PERIODS:
        raise InvalidParameterError(f"periods must be a whole number from 0 to {MAX_PERIODS}; got {periods!r}")
    cohorts = selected_rows("user", bounds, grain=grain).subquery("cohort_users")
    # Who was active when: the day rollup holds it where the bounds allow (`rollup_for`).
    events = selected_rows("analytics_event", bounds, stock=True, grain=grain,
                           rollup=rollup_for("analytics_event", bounds) is not None).subquery("events")
    sizes = conn.execute(sa.select(cohorts.c.period, sa.func.count()).group_by(cohorts.c.period)).all()
    # Each cohort user's active periods first (one row per user and period), then joined to the cohorts: a
    # user is in one cohort, so counting rows counts distinct users, without joining every event. Only the
    # cohort users' events are grouped, unless the cohorts are every user (`Selection.whole_history`).
    active_periods = sa.select(events.c.user_id, events.c.period).distinct()
    if not bounds.selection.whole_history:
        cohort_ids = sa.select(cohorts.c.id)
        if bounds.selection.few_rows:  # listed first, by index: in the events' parallel plan, a scan of every user
            cohort_ids = sa.select(cohort_ids.cte("cohort_ids").prefix_with("MATERIALIZED"))
        active_periods = active_periods.where(events.c.user_id.in_(cohort_ids))
    active_periods = active_periods.subquery("active_periods")
    active = conn.execute(
        sa.select(cohorts.c.period, active_periods.c.period, sa.func.count())
        .join_from(cohorts, active_periods, active_periods.c.user_id == cohorts.c.id)
        .where(active_periods.c.period >= cohorts.c.period)
        .group_by(cohorts.c.period, active_periods.c.period)).all()
    return _retention_cells(sizes, active, grain, periods, bounds.end)


def _retention_cells(sizes, active, grain: str, periods: int, observed_end) -> pd.DataFrame:
    step = pd.DateOffset(months=1) if grain == "month" else pd.DateOffset(weeks=1)
    counts = {(pd.Timestamp(c), pd.Timestamp(p)): n for c, p, n in active}
    end = None if observed_end is None else pd.Timestamp(observed_end).tz_convert(None)
    rows = []
    for cohort, size in sorted(sizes):
        cohort = pd.Timestamp(cohort)
        for number in range(periods + 1):
            start = cohort + step * number
            if end is not None and start >= end:
                break
            complete = end is None or start + step <= end
            users = counts.get((cohort, start), 0)
            rows.append((cohort, size, number, users, users / size if complete else None, complete))
    frame = pd.DataFrame(rows, columns=["cohort", "cohort_size", "period_number", "active_users", "retention",
                                        "complete"])
    return frame.astype({"cohort": "datetime64[ns]", "cohort_size": "int64", "period_number": "int64",
                         "active_users": "int64", "retention": "float64", "complete": "bool"})


def funnel(conn: Connection, bounds: Bounds, steps) -> pd.DataFrame:
    """Return step_number, step, users, conversion_from_previous, conversion_from_first (NaN over 0 users)."""
    steps = _steps(steps)
    events = selected_rows("analytics_event", bounds, stock=True).subquery("events")
    entered = selected_rows("analytics_event", bounds).subquery("entering")
    reached = (sa.select(entered.c.user_id, sa.func.min(entered.c.created_at).label("at"),
                         sa.func.min(entered.c.created_at).label("entered_at"))
               .where(entered.c.event_type == steps[0], entered.c.user_id.is_not(None))
               .group_by(entered.c.user_id).cte("step_1"))
    counts = [sa.select(sa.literal(1).label("n"), sa.func.count().label("users")).select_from(reached)]
    candidates = _in_window(events, reached, steps[1:])
    # Every entered user goes on through every step, ``at`` NULL once a step is missed: the planner's estimate
    # stays the entered users (a chain of inner joins shrank it to 1 row and nested loops over the window).
    when = candidates.c.created_at
    for number, (previous, step) in enumerate(zip(steps, steps[1:]), start=2):
        later = when > reached.c.at if previous == step else when >= reached.c.at
        reached = (sa.select(reached.c.user_id, sa.func.min(when).label("at"), reached.c.entered_at)
                   .join_from(reached, candidates, sa.and_(
                       candidates.c.user_id == reached.c.user_id, candidates.c.event_type == step, later,
                       when <= reached.c.entered_at + _WINDOW),
                       isouter=True)
                   .group_by(reached.c.user_id, reached.c.entered_at).cte(f"step_{number}"))
        counts.append(sa.select(sa.literal(number), sa.func.count(reached.c.at)).select_from(reached))
    users = dict(conn.execute(sa.union_all(*counts)).all())
    frame = pd.DataFrame({"step_number": range(1, len(steps) + 1), "step": steps,
                          "users": [int(users.get(n, 0)) for n in range(1, len(steps) + 1)]})
    base = frame["users"].astype("float64").where(frame["users"] > 0)
    frame["conversion_from_previous"] = frame["users"] / base.shift(1).fillna(base)
    frame["conversion_from_first"] = frame["users"] / base.iloc[0] if len(frame) else []
    return frame.astype({"step_number": "int64", "step": "string", "users": "int64",
                         "conversion_from_previous": "float64", "conversion_from_first": "float64"})


def _in_window(events, entered, later_steps):
    """Return the events a later step can count: of a later step's type, of an entered user, within its window.

    Every step after the first counts at or after the user's entering and within
    `FUNNEL_WINDOW_DAYS` of it, so these few rows, read once, hold every candidate of every
    step; each step then searches them instead of every event again.
    """
    window = (sa.select(events.c.user_id, events.c.event_type, events.c.created_at)
              .join_from(events, entered, events.c.user_id == entered.c.user_id)
              .where(events.c.event_type.in_(sorted(set(later_steps))), events.c.created_at >= entered.c.entered_at,
                     events.c.created_at <= entered.c.entered_at + _WINDOW))
    return window.cte("in_window").prefix_with("MATERIALIZED")


def _steps(steps) -> list[str]:
    if isinstance(steps, str) or not hasattr(steps, "__iter__"):
        raise InvalidParameterError(f"steps must be a list of event types such as ['signup', 'upgrade']; got {steps!r}")
    steps = list(steps)
    if not steps or any(not isinstance(s, str) or not s.strip() or "\x00" in s for s in steps):
        raise InvalidParameterError(f"steps must be one or more non-blank event type names; got {steps!r}")
    return [s.strip() for s in steps]
