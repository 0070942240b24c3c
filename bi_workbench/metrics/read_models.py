"""The read models (two dashboard views and a materialized view), generated from the metrics' definitions.

The seed's views averaged every stored score and credited an organization with
its members' rows only; here an assessment counts by its latest score
(`compile.latest_score_of`, the rule of `avg_overall_score`) and an organization
owns what `ownership.owned_by` says (its own rows, else its counted members').
Each view aggregates one table per LATERAL subquery, so nothing multiplies.
Revision 0007 (re)creates them from `statements`.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa

from ..schema import tables as t
from .compile import latest_score_of, period_of
from .entities import ENTITIES
from .ownership import counted_membership, owned_by


def _average_latest_score(*conditions):
    a = t.assessments.alias("scored")
    latest = latest_score_of(a.c.id)
    return (sa.select(sa.func.avg(latest.c.overall_score).label("avg_assessment_score"))
            .select_from(a).join(latest, sa.true()).where(*[c(a) for c in conditions]).lateral("sc"))


def _counted(entity_name: str, condition, *extra):
    table = ENTITIES[entity_name].table.alias(f"{entity_name}_rows")
    return (sa.select(sa.func.count().label("n"), *[e(table) for e in extra])
            .where(condition(table)).lateral(f"{entity_name}_n"))


def user_dashboard_summary() -> sa.Select:
    """One row per user: plan, assessments, average latest score, levers, simulations, last activity."""
    u, s = t.users, t.subscriptions
    mine = lambda table: table.c.user_id == u.c.id  # noqa: E731
    assessments = _counted("assessment", mine, lambda a: sa.func.max(a.c.created_at).label("last"))
    scores = _average_latest_score(mine)
    levers, sims = _counted("growth_lever", mine), _counted("simulation", mine)
    activity = _counted("analytics_event", mine, lambda e: sa.func.max(e.c.created_at).label("last"))
    return (sa.select(u.c.id.label("user_id"), u.c.email, u.c.first_name, u.c.last_name, u.c.company, u.c.industry,
                      s.c.plan, s.c.status.label("subscription_status"), assessments.c.n.label("total_assessments"),
                      scores.c.avg_assessment_score, levers.c.n.label("total_growth_levers"),
                      sims.c.n.label("total_simulations"), assessments.c.last.label("last_assessment_date"),
                      activity.c.last.label("last_activity_date"))
            .select_from(u).outerjoin(s, s.c.user_id == u.c.id)
            .join(assessments, sa.true()).join(scores, sa.true()).join(levers, sa.true()).join(sims, sa.true())
            .join(activity, sa.true()))


def organization_analytics() -> sa.Select:
    """One row per organization: counted members, owned assessments, their average latest score, levers, ..."""
    o = t.organizations

    def owned(name):
        entity = ENTITIES[name]
        return lambda table: owned_by(entity.ownership, table, o.c.id, user_column=entity.user)

    m = t.organization_members.alias("counted_member")
    members = (sa.select(sa.func.count(sa.distinct(m.c.user_id)).label("n"))
               .where(m.c.organization_id == o.c.id, counted_membership(m)).lateral("members_n"))
    assessments = _counted("assessment", owned("assessment"), lambda a: sa.func.max(a.c.created_at).label("last"))
    scores = _average_latest_score(owned("assessment"))
    levers, sims = _counted("growth_lever", owned("growth_lever")), _counted("simulation", owned("simulation"))
    activity = _counted("analytics_event", owned("analytics_event"),
                        lambda e: sa.func.max(e.c.created_at).label("last"))
    return (sa.select(o.c.id.label("organization_id"), o.c.name.label("organization_name"),
                      members.c.n.label("member_count"), assessments.c.n.label("total_assessments"),
                      scores.c.avg_assessment_score, levers.c.n.label("total_growth_levers"),
                      sims.c.n.label("total_simulations"), assessments.c.last.label("last_assessment_date"),
                      activity.c.last.label("last_activity_date"))
            .select_from(o).join(members, sa.true()).join(assessments, sa.true()).join(scores, sa.true())
            .join(levers, sa.true()).join(sims, sa.true()).join(activity, sa.true()))


def assessment_analytics_summary() -> sa.Select:
    """Per assessment type and UTC creation month: assessments (scored or not, as the ``assessments`` metric),
    average latest score, high/low performers (of the scored ones)."""
    a = t.assessments
    latest = latest_score_of(a.c.id)
    month = period_of(a.c.created_at, "month")
    return (sa.select(a.c.assessment_type, sa.func.count().label("total_assessments"),
                      sa.func.avg(latest.c.overall_score).label("avg_score"),
                      sa.func.count().filter(latest.c.overall_score >= 4.0).label("high_performers"),
                      sa.func.count().filter(latest.c.overall_score < 2.0).label("low_performers"),
                      sa.func.avg(latest.c.confidence_score).label("avg_confidence"), month.label("month"))
            .select_from(a).outerjoin(latest, sa.true()).group_by(a.c.assessment_type, month))


def recreate(execute) -> None:
    """Run `statements` with ``execute`` (a revision's ``op.execute``, or a connection's ``exec_driver_sql``)."""
    for statement in statements():
        execute(statement)


def statements() -> list[str]:
    """Return the DDL that (re)creates the three read models, their index and the analysts' grants."""
    return list(_statements())


@functools.cache
def _statements() -> tuple[str, ...]:
    # Compiling the three queries takes a sixth of a second; the schema's check and repair ask a dozen times.
    from .api import compiled

    return (
        "DROP VIEW IF EXISTS user_dashboard_summary",
        "DROP VIEW IF EXISTS organization_analytics",
        "DROP MATERIALIZED VIEW IF EXISTS assessment_analytics_summary",
        f"CREATE VIEW user_dashboard_summary WITH (security_invoker = true) AS {compiled(user_dashboard_summary())}",
        f"CREATE VIEW organization_analytics WITH (security_invoker = true) AS {compiled(organization_analytics())}",
        f"CREATE MATERIALIZED VIEW assessment_analytics_summary AS {compiled(assessment_analytics_summary())}",
        "CREATE UNIQUE INDEX ux_assessment_analytics_summary_type_month "
        "ON assessment_analytics_summary (assessment_type, month) NULLS NOT DISTINCT",
        "DO $do$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_analyst') THEN "
        "GRANT SELECT ON user_dashboard_summary, organization_analytics TO bi_analyst; END IF; END $do$",
    )
