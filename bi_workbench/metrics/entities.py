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

    ``time``: the column that places a row in time (selection ranges, grains,
    as_of); ``ownership``: one of `ownership.OWNERSHIPS`; ``user``: the column
    naming the row's user (ownership through memberships, the user's industry);
    ``industry``: the row's own industry column, if it has one; ``dimensions``:
    columns an analyst may group by, besides ``organization`` and ``industry``.
    """

    name: str
    table: object
    time: str
    ownership: str
    user: str | None = None
    industry: str | None = None
    dimensions: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    tenant_readable: bool = True

    @property
    def has_industry(self) -> bool:
        """True when a row of this entity can be in an industry (own column or its user's)."""
        return self.industry is not None or self.user is not None


ENTITIES: dict[str, Entity] = {entity.name: entity for entity in (
    Entity("user", t.users, "created_at", "members", user="id", industry="industry",
           dimensions=("company_size", "role", "status"), description="a person with an account"),
    Entity("organization", t.organizations, "created_at", "self", user="owner_id", dimensions=("status",),
           description="a customer organization; its industry is its owner's"),
    Entity("membership", t.organization_members, "joined_at", "row", user="user_id",
           dimensions=("role", "status"), description="a user's membership of an organization"),
    Entity("subscription", t.subscriptions, "created_at", "members", user="user_id",
           dimensions=("plan", "status", "billing_cycle"), description="a user's plan (one per user)"),
    Entity("assessment", t.assessments, "created_at", "row_or_members", user="user_id",
           dimensions=("assessment_type", "status"), description="an assessment a user took"),
    Entity("market_insight", t.market_insights, "created_at", "row_or_members", user="user_id",
           industry="industry", dimensions=("source",), description="a market intelligence document"),
    Entity("business_trend", t.business_trends, "created_at", "global", industry="industry",
           dimensions=("trend_type", "source"), description="a business trend (reference data)"),
    Entity("news_item", t.news_feed, "created_at", "global", dimensions=("category", "source"),
           description="a news item (reference data)"),
    Entity("engagement_signal", t.engagement_intelligence, "created_at", "row_or_members", user="user_id",
           dimensions=("source",), description="an engagement intelligence record"),
    Entity("growth_lever", t.growth_levers, "created_at", "row_or_members", user="user_id",
           dimensions=("status",), description="a lever plan suggested to a user or organization"),
    Entity("simulation", t.simulations, "created_at", "row_or_members", user="user_id",
           dimensions=("simulation_type", "status"), description="a stored growth simulation run"),
    Entity("growth_progress", t.growth_progress, "created_at", "row_or_members", user="user_id",
           dimensions=("status",), description="a milestone of a lever plan"),
    Entity("store_event", t.events, "created_at", "row_or_members", user="user_id",
           dimensions=("aggregate_type", "event_type"), description="an event of the event store"),
    Entity("analytics_event", t.analytics_events, "created_at", "row_or_members", user="user_id",
           dimensions=("event_type", "source"), description="a product analytics event"),
    Entity("session", t.user_sessions, "started_at", "members", user="user_id",
           description="a user's session"),
    Entity("notification", t.notifications, "created_at", "row_or_members", user="user_id",
           dimensions=("type", "priority"), description="a notification sent to a user"),
    Entity("team_message", t.team_messages, "created_at", "row", user="sender_id",
           dimensions=("message_type",), description="a message between members of an organization"),
    Entity("widget", t.dashboard_widgets, "created_at", "row_or_members", user="user_id",
           dimensions=("widget_type",), description="a dashboard widget a user configured"),
    Entity("invitation", t.assessment_invitations, "created_at", "row", user="inviter_id",
           dimensions=("assessment_type", "status"), description="an invitation to take an assessment"),
    Entity("audit_change", t.audit_log, "created_at", "members", user="user_id", dimensions=("table_name", "operation"),
           description="a change recorded by the audit trail, owned by the organizations of the user who made it",
           tenant_readable=False),
    Entity("email_subscription", t.email_subscriptions, "created_at", "members", user="user_id",
           dimensions=("email_type",), description="a user's e-mail subscription"),
)}

#: Tables whose rows belong to their parent's owner (scores to their assessment).
PARENT_ENTITY = {"assessment_scores": ("assessment", "assessment_id")}


def entity(name: str) -> Entity:
    """Return the entity called ``name``; raise InvalidParameterError naming the known entities."""
    try:
        return ENTITIES[name]
    except (KeyError, TypeError):
        raise InvalidParameterError(f"unknown entity {name!r}; known: {', '.join(sorted(ENTITIES))}") from None


def entity_of_table(table_name: str) -> Entity | None:
    """Return the entity stored in ``table_name`` (None for tables no entity uses)."""
    return next((e for e in ENTITIES.values() if e.table.name == table_name), None)
