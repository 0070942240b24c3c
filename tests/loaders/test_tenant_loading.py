"""Loading as one organization: both read paths see only that tenant's rows."""

import pytest
import sqlalchemy as sa

from bi_workbench.database.tenancy import tenant_engine
from bi_workbench.database.tenant_logins import add_login
from bi_workbench.errors import TenantAccessError
from bi_workbench.loaders import count_by, load


@pytest.fixture
def two_orgs(schema_database, tmp_path, monkeypatch):
    """Organizations A and B with one member, one growth lever and a tenant login each; returns their ids."""
    monkeypatch.setenv("BI_WORKBENCH_DATA_DIR", str(tmp_path))  # the tenant passwords' store
    with schema_database.begin() as conn:
        ids = {}
        for name in ("a", "b"):
            user = conn.execute(sa.text(
                "INSERT INTO users (email, first_name, last_name) VALUES (:e, 'X', 'Y') RETURNING id"),
                {"e": f"{name}@x.io"}).scalar_one()
            org = conn.execute(sa.text(
                "INSERT INTO organizations (name, slug) VALUES (:n, :n) RETURNING id"), {"n": name}).scalar_one()
            conn.execute(sa.text("INSERT INTO organization_members (organization_id, user_id, role) VALUES (:o, :u, 'analyst')"),
                         {"o": org, "u": user})
            conn.execute(sa.text("INSERT INTO growth_levers (user_id, organization_id, levers) VALUES (:u, :o, '{x}')"),
                         {"o": org, "u": user})
            ids[name] = (org, user)
    for org, _user in ids.values():
        add_login(schema_database, org)
    return ids


@pytest.mark.parametrize("fast", [False, True])
def test_a_tenant_engine_loads_only_its_organization(schema_database, two_orgs, fast):
    org_a, user_a = two_orgs["a"]
    engine = tenant_engine(schema_database, org_a, user_a)
    levers = load("growth_levers", engine=engine, fast=fast)
    members = load("users", engine=engine, fast=fast)
    assert levers["organization_id"].tolist() == [str(org_a)]
    assert members["email"].tolist() == ["a@x.io"]
    assert load("growth_levers", engine=schema_database, fast=fast).shape[0] == 2  # the plain engine sees both


def test_aggregations_run_as_the_tenant_too(schema_database, two_orgs):
    org_b, user_b = two_orgs["b"]
    counts = count_by("growth_levers", "organization_id", engine=tenant_engine(schema_database, org_b, user_b))
    assert counts["organization_id"].tolist() == [str(org_b)]


def test_a_user_of_another_organization_is_refused(schema_database, two_orgs):
    with pytest.raises(TenantAccessError, match="is not a member of organization"):
        tenant_engine(schema_database, two_orgs["a"][0], two_orgs["b"][1])


def test_the_tenant_setting_makes_every_engine_of_the_process_a_tenant_engine(schema_database, two_orgs, monkeypatch):
    from bi_workbench.database import get_engine

    org_b, user_b = two_orgs["b"]
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", schema_database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BI_WORKBENCH_TENANT", f"{org_b}:{user_b}")
    assert load("growth_levers")["organization_id"].tolist() == [str(org_b)]  # load() uses get_engine()
    monkeypatch.setenv("BI_WORKBENCH_TENANT", f"{org_b}:{two_orgs['a'][1]}")
    with pytest.raises(TenantAccessError, match="is not a member"):
        get_engine()
