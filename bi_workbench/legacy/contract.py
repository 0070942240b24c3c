"""The legacy contract (DESIGN.md, "The legacy contract") as SQLAlchemy Core tables.

These six tables are declared exactly as they exist in the legacy database:
no foreign keys, no uniqueness beyond the primary keys, naive timestamps
(recorded in UTC), NUMERIC without precision. They live on their own
``legacy_metadata`` so that they never mix with the new schema's MetaData.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, Numeric, Table, Text, inspect
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID
from sqlalchemy.engine import Connection

legacy_metadata = MetaData()

_UUID = UUID(as_uuid=True)
_TIMESTAMP = TIMESTAMP(timezone=False)


def _serial_id() -> Column:
    """Return a SERIAL primary key column named ``id``."""
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _texts(*names: str) -> list[Column]:
    """Return one nullable TEXT column per name."""
    return [Column(name, Text) for name in names]


tier2_users = Table(
    "tier2_users", legacy_metadata,
    Column("u_id", _UUID, primary_key=True),
    Column("email", Text, nullable=False),
    *_texts(
        "first_name", "last_name", "phone", "title", "company", "company_size",
        "revenue_range", "industry", "timezone", "linkedin_url", "profile_pic_url",
    ),
    Column("agreed_terms", Boolean),
    Column("agreed_marketing", Boolean),
    Column("role", Text),
    Column("created_at", _TIMESTAMP),
)

#: The answer columns of onboarding_assessments, in the contract's order.
ANSWER_COLUMNS = (
    "growth_metrics", "gtm_strategy", "differentiator", "brand_perception",
    "tech_stack", "process_discipline", "acquisition_channels", "retention_strategy",
    "decision_bottlenecks", "future_success", "benchmark_preferences",
    "unresolved_issue", "business_priorities", "business_overview", "tech_maturity",
    "team_alignment", "funding_status", "growth_pace", "final_confirmation",
    "strategy_decision_method",
)

onboarding_assessments = Table(
    "onboarding_assessments", legacy_metadata,
    Column("o_id", _UUID, primary_key=True),
    Column("u_id", _UUID),
    *_texts(*ANSWER_COLUMNS),
    Column("friction_points", JSONB),
    Column("created_at", _TIMESTAMP),
)

assessment_scoring_results = Table(
    "assessment_scoring_results", legacy_metadata,
    _serial_id(),
    Column("user_id", _UUID),
    Column("score", Numeric),
    Column("bracket", Text),
    Column("category_scores", JSONB),
    Column("recommendations", ARRAY(Text)),
    Column("next_steps", ARRAY(Text)),
    Column("ai_insights", Text),
    Column("confidence", Numeric),
    Column("created_at", _TIMESTAMP),
)

enhanced_market_insights = Table(
    "enhanced_market_insights", legacy_metadata,
    _serial_id(),
    Column("u_id", _UUID),
    Column("industry", Text),
    Column("market_size", JSONB),
    Column("growth_rate", JSONB),
    Column("competition", JSONB),
    Column("sentiment", JSONB),
    Column("full_insight", Text),
    Column("data_sources", JSONB),
    Column("confidence_score", Numeric),
    Column("ai_model_version", Text),
    Column("created_at", _TIMESTAMP),
)

realtime_business_trends = Table(
    "realtime_business_trends", legacy_metadata,
    _serial_id(),
    *_texts("title", "insight", "industry", "source"),
    Column("createdat", _TIMESTAMP),
)

realtime_marketing_playbook = Table(
    "realtime_marketing_playbook", legacy_metadata,
    _serial_id(),
    *_texts("insight", "source"),
    Column("createdat", _TIMESTAMP),
)

#: The six contract tables. None references another, so any order creates them.
LEGACY_TABLES = (
    tier2_users,
    onboarding_assessments,
    assessment_scoring_results,
    enhanced_market_insights,
    realtime_business_trends,
    realtime_marketing_playbook,
)

#: Allowed values of each choice column of onboarding_assessments (DESIGN.md).
#: Anything else, in any letter case, blanks and NULLs also occur in the data.
CHOICE_ANSWERS: dict[str, tuple[str, ...]] = {
    "growth_pace": ("declining", "flat", "steady", "fast", "hypergrowth"),
    "tech_maturity": ("manual", "basic", "integrated", "automated", "ai_driven"),
    "team_alignment": ("misaligned", "partial", "aligned", "highly_aligned"),
    "process_discipline": ("ad_hoc", "documented", "measured", "optimized"),
    "strategy_decision_method": ("gut_feel", "founder_led", "data_informed", "data_driven"),
    "funding_status": ("bootstrapped", "pre_seed", "seed", "series_a", "series_b_plus", "profitable"),
    "final_confirmation": ("yes", "no"),
}


def create_legacy_tables(connection: Connection) -> list[str]:
    """Create the contract tables missing on ``connection``; return the names created, in order."""
    existing = set(inspect(connection).get_table_names())
    missing = [table for table in LEGACY_TABLES if table.name not in existing]
    legacy_metadata.create_all(connection, tables=missing, checkfirst=True)
    return [table.name for table in missing]
