"""The selection: organization, industry, since / until and as_of, compiled into each entity's filter.

One place turns a report's or an analyst's choice into WHERE clauses:

- ``organization_id``: the rows the organization owns (`ownership.owned_by`);
- ``industry``: rows in that industry (`ownership.in_industry`), case- and space-insensitively;
- ``since`` / ``until``: inclusive dates in UTC on the entity's time column
  (``until=2026-03-31`` keeps all of 31 March);
- ``as_of``: an upper bound on every row of every entity, in UTC: a date keeps
  rows up to the end of that day, a datetime rows up to that instant. Without
  it, the end of the latest UTC day that has data in the selection, so a report
  on fixed data does not move with the clock. `Bounds.label` states exactly
  the bound applied.

Every row of every entity is kept only when its time is before the exclusive
``cutoff``; ``since``/``until`` apply to the entity a metric counts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema import tables as t
from ..timeparse import parse_instant
from .entities import ENTITIES, Entity
from .ownership import industry_key, industry_of, in_industry, owned_by

UTC = dt.timezone.utc
#: The parameters of a report or a query that make its selection.
SELECTION_KEYS = ("organization_id", "industry", "since", "until", "as_of")
ONE_DAY = dt.timedelta(days=1)
#: How far back a selection without ``since`` (everything up to its bound) is compared: its value this many days earlier.
EARLIER_DAYS = 30
#: Entities whose latest row dates the data when no as_of is given.
DATING_ENTITIES = ("user", "organization", "membership", "subscription", "assessment", "market_insight",
                   "business_trend", "growth_lever", "simulation", "store_event", "analytics_event", "session",
                   "notification", "team_message", "widget")


@dataclass(frozen=True)
class Selection:
    """What an analyst chose; validated on construction, resolved against the data by `resolve`.

    ``organization_id``: UUID or None; ``industry``: text or None; ``since`` /
    ``until``: dates (inclusive) or None; ``as_of``: a date (end of that day) or
    an aware UTC datetime, or None (the data's own latest day).
    Raises InvalidParameterError for malformed values, ``until`` before ``since``
    or an ``as_of`` in the future.
    """

    organization_id: uuid.UUID | None = None
    industry: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    as_of: dt.date | dt.datetime | None = None

    @classmethod
    def of(cls, organization_id=None, industry=None, since=None, until=None, as_of=None) -> "Selection":
        """Return a Selection from loosely typed values (UUID text, ISO dates, Timestamps...)."""
        return cls(organization_id=_uuid(organization_id), industry=_industry(industry),
                   since=_date(since, "since"), until=_date(until, "until"), as_of=_as_of(as_of))

    @classmethod
    def from_params(cls, params) -> "Selection":
        """Return the Selection of a report's parameters (a mapping with `SELECTION_KEYS`; missing keys are None)."""
        return cls.of(*(params.get(key) for key in SELECTION_KEYS))

    def __post_init__(self):
        if self.since is not None and self.until is not None and self.until < self.since:
            raise InvalidParameterError(f"until ({self.until}) is before since ({self.since}); both are inclusive dates")
        cutoff = _cutoff_of(self.as_of)
        if cutoff is not None and cutoff - ONE_DAY > dt.datetime.now(UTC):
            raise InvalidParameterError(f"as_of {self.as_of} is in the future; give a past date or leave it out")

    @property
    def few_rows(self) -> bool:
        """True when the selection is one organization's: few rows of each table, which queries should
        look up by index (members listed once, a lookup per row) instead of reading whole tables.
        An industry or a date range still selects a large share of the rows."""
        return self.organization_id is not None

    @property
    def up_to_bound(self) -> bool:
        """True when the selection keeps every row up to its bound: no organization, industry, since or until.

        Most rows of each table are selected then (all of them without as_of), so a query may
        read tables whole, applying the bound to each row, rather than first list the selected
        rows to look them up.
        """
        return all(value is None for value in (self.organization_id, self.industry, self.since, self.until))

    @property
    def whole_history(self) -> bool:
        """True when the selection keeps every row of the data: `up_to_bound`, bounded by the data's own latest
        day (no as_of). A query that cannot bound its rows by time should read tables whole only then."""
        return self.up_to_bound and self.as_of is None

    def resolve(self, conn: Connection, *, check_values: bool = True) -> "Bounds":
        """Return the Bounds of this selection on ``conn``'s data (the default as_of looked up there).

        With ``check_values``, an organization that does not exist or an industry that no row has
        raises InvalidParameterError naming the known values.
        """
        if check_values:
            self._check_values(conn)
        cutoff = _cutoff_of(self.as_of)
        if cutoff is None:
            latest = latest_data_time(conn, self)
            cutoff = (dt.datetime.combine(latest.astimezone(UTC).date(), dt.time(), UTC) + ONE_DAY
                      if latest is not None else None)
        return Bounds(self, cutoff)

    def _check_values(self, conn: Connection) -> None:
        if self.organization_id is not None:
            known = conn.execute(sa.select(t.organizations.c.id).where(
                t.organizations.c.id == self.organization_id)).first()
            if known is None:
                names = conn.execute(sa.select(t.organizations.c.id, t.organizations.c.name)
                                     .order_by(t.organizations.c.name).limit(5)).all()
                shown = ", ".join(f"{row.id} ({row.name})" for row in names)
                raise InvalidParameterError(f"organization_id {self.organization_id} is no organization of this "
                                            f"database; known ones include: {shown or 'none'}")
        if self.industry is not None:
            if not industry_known(conn, self.industry):
                raise InvalidParameterError(f"industry {self.industry!r} matches no data; known industries: "
                                            f"{', '.join(known_industries(conn)) or 'none'}")


@dataclass(frozen=True)
class Bounds:
    """A selection resolved against the data: ``cutoff`` is the exclusive upper bound (UTC) on every row."""

    selection: Selection
    cutoff: dt.datetime | None

    @property
    def start(self) -> dt.datetime | None:
        """The inclusive lower bound on the counted entity's time column (UTC midnight of ``since``)."""
        since = self.selection.since
        return None if since is None else dt.datetime.combine(since, dt.time(), UTC)

    @property
    def end(self) -> dt.datetime | None:
        """The exclusive upper bound on the counted entity's time: the day after ``until``, or the cutoff."""
        until = self.selection.until
        after_until = None if until is None or until == dt.date.max else \
            dt.datetime.combine(until, dt.time(), UTC) + ONE_DAY   # the last day has no day after it
        candidates = [c for c in (after_until, self.cutoff) if c is not None]
        return min(candidates) if candidates else None

    @property
    def label(self) -> str:
        """The bound applied, in words: 'data up to 2026-06-30 (end of day, UTC)'."""
        if self.cutoff is None:
            return "no data"
        last = self.cutoff - dt.timedelta(microseconds=1)
        if self.cutoff.time() == dt.time():
            return f"data up to {last.date().isoformat()} (end of day, UTC)"
        return f"data up to {last.isoformat(timespec='seconds')} UTC"

    def previous(self, *, earlier_days: int = EARLIER_DAYS) -> "Bounds | None":
        """Return the bounds of the period before this one, of the same length; None when there is none.

        With ``since``: the ``n`` whole days before ``since`` (``n`` = days from ``since`` to `end`, a part
        day counting whole), bounded by the midnight of ``since``. A flow metric counts what happened in
        those days; a stock metric is read at their end.
        Without ``since`` (everything up to the bound): the same selection ``earlier_days`` days earlier
        (its bound moved back), so a cumulative count compares with itself then.
        Organization and industry are kept. None when the selection holds no data (no cutoff) or ends
        where it starts. Stocks read at an earlier bound keep the subscriptions' current status (the
        schema keeps no status history): a subscription canceled since counts as canceled then too.
        """
        end, start, s = self.end, self.start, self.selection
        if end is None or (start is not None and end <= start):
            return None
        if start is None:
            return Bounds(Selection(s.organization_id, s.industry), end - dt.timedelta(days=earlier_days))
        days = -((start - end) // ONE_DAY)
        return Bounds(Selection(s.organization_id, s.industry, since=s.since - dt.timedelta(days=days),
                                until=s.since - ONE_DAY), start)

    def compared(self, previous: "Bounds") -> str:
        """Name ``previous`` (from `previous`) against this selection: 'previous 30 days' or '30 days earlier'."""
        if self.start is None:
            return f"{(self.end - previous.end) // ONE_DAY} days earlier"
        return f"previous {(previous.end - previous.start) // ONE_DAY} days"

    def where(self, entity: Entity, table=None, *, counted: bool = True) -> list:
        """Return the WHERE clauses of this selection for ``entity``'s rows (``table``: an alias of its table).

        ``counted``: also apply since/until to the entity's time column (the entity a metric counts);
        every row is always bounded by the cutoff.
        """
        table = entity.table if table is None else table
        time = table.c[entity.time]
        clauses = []
        if self.cutoff is not None:
            clauses.append(time < self.cutoff)
        if counted and self.start is not None:
            clauses.append(time >= self.start)
        if counted and self.selection.until is not None:
            clauses.append(time < self.end)
        if self.selection.organization_id is not None and entity.ownership != "global":
            organization = sa.literal(self.selection.organization_id, t.organizations.c.id.type)
            clauses.append(owned_by(entity.ownership, table, organization, user_column=entity.user,
                                    constant=self.selection.few_rows))
        if self.selection.industry is not None and entity.has_industry:
            clauses.append(in_selected_industry(entity, table, self.selection.industry))
        return clauses

    def describe(self) -> dict:
        """Return the selection as JSON-ready data: organization_id, industry, since, until, as_of (the bound)."""
        s = self.selection
        return {"organization_id": None if s.organization_id is None else str(s.organization_id),
                "industry": s.industry, "since": _iso(s.since), "until": _iso(s.until),
                "as_of": None if self.cutoff is None else self.cutoff.isoformat(), "as_of_label": self.label}


def row_industry(entity: Entity, table=None):
    """Return the SQL expression of the industry of ``entity``'s rows (its own column, else its user's)."""
    table = entity.table if table is None else table
    return industry_of(table, own_column=entity.industry, user_column=entity.user)


def in_selected_industry(entity: Entity, table, industry: str):
    """Return the condition that ``entity``'s row is in ``industry`` (own column, else its user's, as a semi-join)."""
    if entity.industry is not None:
        return in_industry(table.c[entity.industry], industry)
    return table.c[entity.user].in_(sa.select(t.users.c.id).where(in_industry(t.users.c.industry, industry)))


def known_industries(conn: Connection) -> list[str]:
    """Return the industries the data has (users', market insights', business trends'), one spelling each, sorted."""
    names = sa.union_all(*(sa.select(sa.func.btrim(column).label("industry")).where(industry_key(column).is_not(None))
                           for column in (t.users.c.industry, t.market_insights.c.industry,
                                          t.business_trends.c.industry))).subquery()
    rows = conn.execute(sa.select(sa.func.min(names.c.industry)).group_by(industry_key(names.c.industry))).scalars()
    return sorted(rows)


def industry_known(conn: Connection, industry: str) -> bool:
    """Return whether any row's industry has the key of ``industry`` (`ownership.industry_key`, computed by the
    server for both sides, so the check and the filter can never disagree)."""
    return bool(conn.execute(industry_known_query(sa.literal(industry, sa.Text))).scalar())


def industry_known_query(industry) -> sa.Select:
    """Return the one-boolean SELECT of `industry_known` for the SQL expression ``industry`` (a literal or a bind)."""
    wanted = industry_key(industry)
    return sa.select(sa.or_(*(sa.exists().where(industry_key(column) == wanted) for column in (
        t.users.c.industry, t.market_insights.c.industry, t.business_trends.c.industry))))


def latest_data_time(conn: Connection, selection: Selection) -> dt.datetime | None:
    """Return the latest time of any row in the selection (ignoring since/until), or None when there is none."""
    unbounded = Bounds(Selection(selection.organization_id, selection.industry), None)
    latest = [sa.select(_latest(ENTITIES[name].table.c[ENTITIES[name].time], selection.few_rows))
              .where(*unbounded.where(ENTITIES[name])).scalar_subquery() for name in DATING_ENTITIES]
    return conn.execute(sa.select(sa.func.greatest(*latest))).scalar()


def _latest(time, few: bool):
    """max(time); for few rows (`Selection.few_rows`) with FILTER (WHERE true), which keeps PostgreSQL from reading
    the time index backwards until one of them turns up (most of the table) and lets it gather them by index first."""
    return sa.func.max(time).filter(sa.true()) if few else sa.func.max(time)


# --- reading loosely typed values ------------------------------------------------------------------------------


def _uuid(value) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameterError(f"organization_id must be a UUID such as '9f1c2b6e-...'; got {value!r}") from None


def _industry(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise InvalidParameterError(f"industry must be non-blank text or None; got {value!r}")
    return value.strip()


def _date(value, name: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    instant = parse_instant(value)
    if instant is None:
        raise InvalidParameterError(f"{name} must be a date such as '2025-01-31'; got {value!r}")
    return instant.date()


def _as_of(value) -> dt.date | dt.datetime | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str) and ":" not in value:   # text without a time of day is a date, however written
        return _date(value, "as_of")
    instant = parse_instant(value)
    if instant is None:
        raise InvalidParameterError(f"as_of must be a date ('2026-06-29') or a datetime; got {value!r}")
    return instant


def _cutoff_of(as_of) -> dt.datetime | None:
    """The exclusive upper bound of an as_of: the day after a date, the next microsecond after an instant."""
    if as_of is None:
        return None
    if isinstance(as_of, dt.datetime):
        return as_of.astimezone(UTC) + dt.timedelta(microseconds=1)
    return dt.datetime.combine(as_of, dt.time(), UTC) + ONE_DAY


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()
