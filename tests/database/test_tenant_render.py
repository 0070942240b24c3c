"""A report rendered as an organization's analyst writes the platform analyst's headline numbers for it.

The rendered notebooks run in real kernels: the tenant's connect with its login
(row-level security), the platform analyst's with the owner's URL and
``organization_id`` set. Their ``<report>.json`` headline numbers must agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bi_workbench.database.tenant_logins import add_login, remove_login
from bi_workbench.reports.fanout import organization_analysts
from bi_workbench.reports.parameters import validate
from bi_workbench.reports.render import RenderOptions, RunRequest, prepare, render

ROOT = Path(__file__).resolve().parents[2]
#: The assessments report is the one whose migrated rows once went missing under a tenant.
REPORTS = ["02_assessments", "06_dashboard_analytics"]


@pytest.fixture
def organization(demo_engine, secret_store):
    """The demo organization with the most members, its acting member, and a tenant login (removed afterwards)."""
    analysts = {str(org): user for org, _name, user in organization_analysts(demo_engine) if user is not None}
    with demo_engine.connect() as conn:
        chosen = str(conn.exec_driver_sql(
            "SELECT organization_id FROM organization_members GROUP BY organization_id "
            "ORDER BY count(*) DESC, organization_id LIMIT 1").scalar())
    add_login(demo_engine, chosen)
    yield chosen, str(analysts[chosen])
    remove_login(demo_engine, chosen)


def test_reports_rendered_as_a_tenant_write_the_platform_analysts_headline_numbers(demo_engine, organization, tmp_path):
    org, user = organization
    options = RenderOptions(notebooks_dir=ROOT / "notebooks", output_dir=tmp_path / "reports", workers=2,
                            progress=False)
    platform = prepare(demo_engine, REPORTS, {"organization_id": org}, notebooks_dir=options.notebooks_dir)
    tenant = [RunRequest(r.report, validate(r.report, r.notebook_parameters()), tenant=(org, user)) for r in platform]
    results = render(demo_engine, [*platform, *tenant], options)
    assert [r.status for r in results] == ["succeeded"] * 4, [r.error for r in results]
    for as_platform, as_tenant in zip(results[:2], results[2:]):
        numbers = [[(h["metric"], h["value"]) for h in json.loads(r.outputs["json"].read_text())["headlines"]]
                   for r in (as_platform, as_tenant)]
        assert numbers[0] == numbers[1] and len(numbers[0]) >= 3
        assert any(value for _metric, value in numbers[0])     # the organization has data: not 0 = 0
