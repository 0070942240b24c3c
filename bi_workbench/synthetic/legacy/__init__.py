"""Synthetic rows for the six legacy contract tables, with every awkward case the contract allows."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ...legacy.contract import LEGACY_TABLES, create_legacy_tables
from ..bulk import copy_columns, require_empty, set_serial
from ..primitives import stream
from ..scales import Scale, get_scale
from .assessments import generate_assessments, generate_scoring_results
from .intelligence import generate_business_trends, generate_market_insights, generate_marketing_playbook
from .users import generate_users

__all__ = ["legacy_batches", "seed_legacy"]


def legacy_batches(scale: str | Scale = "small", seed: int = 42) -> dict[str, dict]:
    """Return the COPY batch of each legacy table, by table name (no database needed)."""
    scale = get_scale(scale)
    users = generate_users(stream(seed, "legacy.tier2_users"), scale.users)
    assessments = generate_assessments(stream(seed, "legacy.onboarding_assessments"), users)
    return {
        "tier2_users": users.batch,
        "onboarding_assessments": assessments.batch,
        "assessment_scoring_results": generate_scoring_results(
            stream(seed, "legacy.assessment_scoring_results"), users, assessments),
        "enhanced_market_insights": generate_market_insights(stream(seed, "legacy.enhanced_market_insights"), users),
        "realtime_business_trends": generate_business_trends(
            stream(seed, "legacy.realtime_business_trends"), scale.business_trends),
        "realtime_marketing_playbook": generate_marketing_playbook(
            stream(seed, "legacy.realtime_marketing_playbook"), scale.marketing_playbook),
    }


def seed_legacy(connection: Connection, scale: str | Scale = "small", seed: int = 42,
                progress: bool = True) -> dict[str, int]:
    """Fill the legacy tables (created if missing, must be empty); return rows written per table.

    The same ``scale`` and ``seed`` always give the same rows, ids and
    timestamps included. The caller owns the transaction: nothing is committed.
    """
    create_legacy_tables(connection)
    require_empty(connection, LEGACY_TABLES)
    batches = legacy_batches(scale, seed)
    written = {}
    for table in LEGACY_TABLES:
        written[table.name] = copy_columns(connection, table, batches[table.name], progress=progress)
        if "id" in table.c:
            set_serial(connection, table, written[table.name])
    return written
