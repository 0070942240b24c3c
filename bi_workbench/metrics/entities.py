"""The entities of the platform's data: one row kind each, its table, time column, owner and industry.

Declared once, as data; the selection (`bi_workbench.metrics.selection`), the
metrics (`bi_workbench.metrics.catalog`) and the tenancy policies all read it.
Ownership and industry follow `bi_workbench.metrics.ownership`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InvalidParameterError
from ..schema import tables as t


@dataclass(frozen=True)
class Entity:
    """One kind of row.

    ``ownership``: one of `ownership.OWNERSHIPS`; ``time``: the column that
    places a row in time (selection ranges, grains, as_of; the schema's
    ``created_at`` unless named); ``user``: the column naming the row's user
    (ownership through memberships, the user's industry; ``user_id`` unless
    named, None for reference data);
    ``industry``: the row's own industry column, if it has one; ``dimensions``:
    columns an analyst may group by, besides ``organization`` and ``industry``.
    """

    name: str
    table: object
    ownership: str
    time: str = "created_at"
    user: str | None = "user_id"
    industry: str | None = None
    dimensions: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    tenant_readable: bool = True

    @property
    def has_industry(self) -> bool:
        """True when a row of this entity can be in an industry (own column or its user's)."""
        return self.industry is not None or self.user is not None


ENTITIES: dict[str, Entity] = {entity.name: entity for entity in (
    Entity("user", t.users, "members", user="id", industry="industry", dimensions=("company_size", "role", "status"),
           description="a person with an account"),
    Entity("organization", t.organizations, "self", user="owner_id", dimensions=("status",),
           description="a customer organization; its industry is its owner's"),
    Entity("membership", t.organization_members, "row", time="joined_at", dimensions=("role", "status"),
           description="a user's membership of an organization"),
    Entity("subscription", t.subscriptions, "members", dimensions=("plan", "status", "billing_cycle"),
           description="a user's plan (one per user)"),
    Entity("assessment", t.assessments, "row_or_members", dimensions=("assessment_type", "status"),
           description="an assessment a user took"),
    Entity("market_insight", t.market_insights, "row_or_members", industry="industry", dimensions=("source",),
           description="a market intelligence document"),
    Entity("business_trend", t.business_trends, "global", user=None, industry="industry",
           dimensions=("trend_type", "source"), description="a business trend (reference data)"),
    Entity("news_item", t.news_feed, "global", user=None, dimensions=("category", "source"),
           description="a news item (reference data)"),
    Entity("engagement_signal", t.engagement_intelligence, "row_or_members", dimensions=("source",),
           description="an engagement intelligence record"),
    Entity("growth_lever", t.growth_levers, "row_or_members", dimensions=("status",),
           description="a lever plan suggested to a user or organization"),
    Entity("simulation", t.simulations, "row_or_members", dimensions=("simulation_type", "status"),
           description="a stored growth simulation run"),
    Entity("growth_progress", t.growth_progress, "row_or_members", dimensions=("status",),
           description="a milestone of a lever plan"),
    Entity("store_event", t.events, "row_or_members", dimensions=("aggregate_type", "event_type"),
           description="an event of the event store"),
    Entity("analytics_event", t.analytics_events, "row_or_members", dimensions=("event_type", "source"),
           description="a product analytics event"),
    Entity("session", t.user_sessions, "members", time="started_at", description="a user's session"),
    Entity("notification", t.notifications, "row_or_members", dimensions=("type", "priority"),
           description="a notification sent to a user"),
    Entity("team_message", t.team_messages, "row", user="sender_id", dimensions=("message_type",),
           description="a message between members of an organization"),
    Entity("widget", t.dashboard_widgets, "row_or_members", dimensions=("widget_type",),
           description="a dashboard widget a user configured"),
    Entity("invitation", t.assessment_invitations, "row", user="inviter_id", dimensions=("assessment_type", "status"),
           description="an invitation to take an assessment"),
    Entity("audit_change", t.audit_log, "members", dimensions=("table_name", "operation"), tenant_readable=False,
           description="a change recorded by the audit trail, owned by the organizations of the user who made it"),
    Entity("email_subscription", t.email_subscriptions, "members", dimensions=("email_type",),
           description="a user's e-mail subscription"),
)}

#: Rollups of an entity, by the entity's name: the same owner and user columns as its rows, so its selection
#: and tenant policy are the entity's own; ``time`` is the start (UTC) of the rows' period. Where a query
#: allows (`bi_workbench.metrics.compile.rollup_for`), it reads these instead of every row.
ROLLUPS: dict[str, Entity] = {
    "analytics_event": Entity("analytics_event", t.analytics_event_days, "row_or_members", time="day_start",
                              description="the analytics events of each UTC day, user and organization (events)"),
}

#: Tables whose rows belong to their parent's owner (scores to their assessment, a session's source to its session).
PARENT_ENTITY = {"assessment_scores": ("assessment", "assessment_id"), "rubric_scores": ("assessment", "assessment_id"),
                 "session_sources": ("session", "session_id")}


def entity(name: str) -> Entity:
    """Return the entity called ``name``; raise InvalidParameterError naming the known entities."""
    try:
        return ENTITIES[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(f"unknown entity {name!r}; known: {', '.join(sorted(ENTITIES))}") from None


def entity_of_table(table_name: str) -> Entity | None:
    """Return the entity stored in ``table_name`` (None for tables no entity uses)."""
    return next((e for e in ENTITIES.values() if e.table.name == table_name), None)
