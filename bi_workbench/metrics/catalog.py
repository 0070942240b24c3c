"""The metrics, declared once as data: name, one-line definition, unit, entity, grains, measure.

A measure is a function of the entity's selected rows (a subquery ``rows`` whose
columns are the entity table's, plus the latest score's for assessments) that
returns one aggregate expression. ``kind`` is ``flow`` (rows whose time falls in
since..until, countable per period) or ``stock`` (the state at the end of the
selection: every row up to until / as_of; subscriptions keep only their current
status, so stocks have no grain). `retention` and `funnel_conversion` are
computed by their own builders (`bi_workbench.metrics.special`).

Sources of the definitions: DESIGN.md ("One definition of every number") and the
reports' glossary (`docs/metrics.md`, generated from this module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..errors import InvalidParameterError
from .ownership import counted_membership

#: Time grains, finest first.
GRAINS = ("day", "week", "month", "quarter", "year")
#: Monthly list price (USD) of each plan by billing cycle; annual plans shown per month. No cycle = monthly.
PLAN_PRICES: dict[str, dict[str, float]] = {
    "free": {"monthly": 0.0, "annual": 0.0},
    "starter": {"monthly": 49.0, "annual": 39.0},
    "pro": {"monthly": 199.0, "annual": 159.0},
    "enterprise": {"monthly": 999.0, "annual": 799.0},
}
#: A paying customer: a subscription on a plan other than these ...
FREE_PLANS = ("free",)
#: ... whose status is one of these.
PAYING_STATUSES = ("active", "past_due")
#: The platform's funnel, in order.
FUNNEL_STEPS = ("signup", "assessment_started", "assessment_completed", "report_viewed", "lever_accepted",
                "simulation_run", "upgrade")


@dataclass(frozen=True)
class Metric:
    """One metric. ``measure(rows)`` -> aggregate; ``where(rows)`` -> extra row condition or None."""

    name: str
    definition: str
    unit: str
    entity: str
    measure: Callable | None
    grains: tuple[str, ...] = GRAINS
    kind: str = "flow"
    where: Callable | None = None
    dimensions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def counts(self) -> bool:
        """True for a count of rows or users: a group or period without rows has 0, not an undefined value."""
        return self.measure in (_count, _distinct_users)

    @property
    def counts_rows(self) -> bool:
        """True for a count of rows."""
        return self.measure is _count

    @property
    def counts_users(self) -> bool:
        """True for a count of distinct users (of the rows' user_id)."""
        return self.measure is _distinct_users


def _count(rows):
    return sa.func.count()


def _distinct_users(rows):
    return sa.func.count(sa.distinct(rows.c.user_id))


def exact_mean(column):
    """The mean of a column of two-decimal scores, summed exactly (numeric): a float sum depends on the
    order the plan reads the rows in, and one number must not differ in its last digit between a tenant's
    query and the platform's."""
    return sa.cast(sa.func.avg(sa.cast(column, sa.Numeric)), sa.Float)


def _share(condition):
    return lambda rows: sa.cast(sa.func.count().filter(condition(rows)), sa.Float) / sa.func.nullif(
        sa.func.count(), 0)


def _paid(rows):
    return sa.func.coalesce(sa.func.lower(rows.c.plan), "").not_in(FREE_PLANS)


def _paying(rows):
    return sa.and_(_paid(rows), sa.func.lower(rows.c.status).in_(PAYING_STATUSES))


def monthly_price(rows):
    """Return the monthly list price (USD) of a subscription row from `PLAN_PRICES` (NULL: plan unknown)."""
    cycle = sa.func.coalesce(sa.func.lower(rows.c.billing_cycle), "monthly")
    cases = [(sa.and_(sa.func.lower(rows.c.plan) == plan, cycle == name), sa.literal(price))
             for plan, cycles in PLAN_PRICES.items() for name, price in cycles.items()]
    return sa.case(*cases, else_=sa.null())


def notification_read(rows):
    """Return the condition that a notification row was read (is_read, or read_at set)."""
    return sa.or_(rows.c.is_read.is_(True), rows.c.read_at.is_not(None))


_METRICS = (
    Metric("users", "Users who signed up (users.created_at in the range).", "users", "user", _count),
    Metric("organizations", "Organizations created in the range.", "organizations", "organization", _count),
    Metric("memberships", "Memberships started (joined_at) in the range; invitations not accepted (status "
           "invited) do not count, as in the ownership rule.", "memberships", "membership", _count,
           where=counted_membership),
    Metric("subscriptions", "Subscriptions started in the range, any plan and status.", "subscriptions",
           "subscription", _count),
    Metric("paying_customers", "Subscriptions on a plan other than free whose status is active or past_due, "
           "at the end of the selection.", "customers", "subscription", _count, (), "stock", _paying),
    Metric("mrr", "Monthly recurring revenue: the monthly list price of every paying customer's plan, "
           "at the end of the selection.", "USD/month", "subscription",
           lambda rows: sa.func.coalesce(sa.func.sum(monthly_price(rows)), 0.0), (), "stock", _paying),
    Metric("arpa", "Average revenue per account: mrr / paying_customers.", "USD/month", "subscription",
           lambda rows: sa.func.avg(monthly_price(rows)), (), "stock", _paying),
    Metric("customer_churn_rate", "Share of paid subscriptions (plan other than free) ever started that are "
           "canceled, at the end of the selection.", "share", "subscription",
           _share(lambda rows: sa.func.lower(rows.c.status) == "canceled"), (), "stock", _paid),
    Metric("assessments", "Assessments created in the range.", "assessments", "assessment", _count),
    Metric("completed_assessments", "Assessments created in the range whose status is completed.", "assessments",
           "assessment", _count, where=lambda rows: sa.func.lower(rows.c.status) == "completed"),
    Metric("scored_assessments", "Assessments created in the range that have a score.", "assessments",
           "assessment", _count, where=lambda rows: rows.c.overall_score.is_not(None)),
    Metric("avg_overall_score", "Mean overall score (0-5) of the assessments created in the range, each by its "
           "latest score.", "score (0-5)", "assessment", lambda rows: exact_mean(rows.c.overall_score)),
    Metric("avg_confidence", "Mean confidence (0-1) of the latest score of each assessment created in the range.",
           "share", "assessment", lambda rows: exact_mean(rows.c.confidence_score)),
    Metric("market_insights", "Market insights created in the range.", "insights", "market_insight", _count),
    Metric("business_trends", "Business trends recorded in the range (reference data).", "trends",
           "business_trend", _count),
    Metric("active_users", "Distinct users with at least one analytics event in the range (or period).", "users",
           "analytics_event", _distinct_users),
    Metric("events", "Analytics events recorded in the range.", "events", "analytics_event", _count),
    Metric("store_events", "Events appended to the event store in the range.", "events", "store_event", _count),
    Metric("sessions", "User sessions started in the range.", "sessions", "session", _count),
    Metric("notifications", "Notifications sent in the range.", "notifications", "notification", _count),
    Metric("notification_read_rate", "Share of the notifications sent in the range that were read "
           "(is_read or read_at set).", "share", "notification", _share(notification_read)),
    Metric("levers", "Growth lever plans suggested in the range.", "lever plans", "growth_lever", _count),
    Metric("simulations", "Growth simulations run in the range.", "simulations", "simulation", _count),
    Metric("widgets", "Dashboard widgets created in the range.", "widgets", "widget", _count),
    Metric("team_messages", "Team messages sent in the range.", "messages", "team_message", _count),
    Metric("retention", "Share of a signup cohort with an analytics event in the n-th period after signup; "
           "periods not yet over, or past the range's end, are NULL or left out.", "share", "user", None,
           ("week", "month")),
    Metric("funnel_conversion", "Users reaching each step of the platform funnel in order (each step's first event "
           "at or after the previous step's, a repeated step strictly after, within 30 days of entering), and the "
           "share of those entering.", "share", "analytics_event", None, ()),
)
METRICS: dict[str, Metric] = {metric.name: metric for metric in _METRICS}
#: Metrics with their own query shape (cohort x period, funnel steps): queried alone.
SPECIAL = ("retention", "funnel_conversion")


def metric(name: str) -> Metric:
    """Return the metric called ``name``; raise InvalidParameterError naming every known metric."""
    try:
        return METRICS[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}") from None
