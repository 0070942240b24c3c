"""A tenant sees exactly the rows the metrics layer's ownership rule gives the platform analyst for its organization.

Row-level security compiles the same rule (`bi_workbench.metrics.ownership`), so
any figure computed over a tenant's rows equals the platform analyst's figure
for that organization computed through the metrics layer.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bi_workbench.database.tenancy import tenant_engine
from bi_workbench.database.tenant_logins import add_login, remove_login
from bi_workbench.metrics.entities import ENTITIES
from bi_workbench.metrics.catalog import METRICS, SPECIAL
from bi_workbench.metrics.ownership import owned_by
from bi_workbench.reports.headlines import headlines


@pytest.fixture(scope="module")
def organizations(demo_engine, secret_store):
    """The three demo organizations with the most members, each with a tenant login (removed afterwards)."""
    with demo_engine.connect() as conn:
        chosen = list(conn.execute(sa.text(
            "SELECT organization_id FROM organization_members GROUP BY organization_id "
            "ORDER BY count(*) DESC, organization_id LIMIT 3")).scalars())
    for organization in chosen:
        add_login(demo_engine, organization)
    yield chosen
    for organization in chosen:
        remove_login(demo_engine, organization)


def test_row_level_security_and_the_metrics_rule_count_the_same_rows_for_every_entity(demo_engine, organizations):
    counted = {}
    for organization in organizations:
        tenant = tenant_engine(demo_engine, organization)
        for entity in ENTITIES.values():
            if not entity.tenant_readable:
                with tenant.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                    conn.execute(sa.select(sa.func.count()).select_from(entity.table))
                continue
            rule = owned_by(entity.ownership, entity.table, organization, user_column=entity.user)
            with demo_engine.connect() as conn:
                platform = conn.execute(sa.select(sa.func.count()).select_from(entity.table).where(rule)).scalar()
            with tenant.connect() as conn:
                seen = conn.execute(sa.select(sa.func.count()).select_from(entity.table)).scalar()
            assert (entity.name, seen) == (entity.name, platform)
            counted[entity.name] = counted.get(entity.name, 0) + seen
    assert counted["assessment"] > 0 and counted["analytics_event"] > 0  # the demo's organizations have data


def test_a_tenants_headline_numbers_are_the_platform_analysts_for_its_organization(demo_engine, organizations):
    """What a report writes beside itself (reports.headlines), for every metric of the catalogue."""
    names = sorted(name for name in METRICS if name not in SPECIAL)
    for organization in organizations:
        platform = headlines(names, {"organization_id": organization}, demo_engine).records
        tenant = tenant_engine(demo_engine, organization)
        filtered = headlines(names, {"organization_id": organization}, tenant).records
        unfiltered = headlines(names, {}, tenant).records  # a tenant's "every organization" is its own
        values = {r["metric"]: r["value"] for r in platform}
        assert {r["metric"]: r["value"] for r in filtered} == values
        assert {r["metric"]: r["value"] for r in unfiltered} == values
        before = {r["metric"]: r["previous_value"] for r in platform}  # the previous period too
        assert {r["metric"]: r["previous_value"] for r in filtered} == before
        assert {r["metric"]: r["previous_value"] for r in unfiltered} == before
    assert sum(1 for value in values.values() if value) >= len(names) // 2  # mostly non-empty numbers
