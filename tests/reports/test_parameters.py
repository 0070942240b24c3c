"""Parameters are checked against their one declaration before any cell runs."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from bi_workbench.errors import InvalidParameterError, SchemaMissingError, UnknownIdentifierError
from bi_workbench.reports import catalog
from bi_workbench.reports.parameters import coerce, from_namespace, split_for_reports, to_notebook, validate
from bi_workbench.reports.render import prepare

USERS_ORGS = catalog.get("01_users_orgs")


def test_strings_from_the_command_line_become_the_declared_types():
    typed = validate(USERS_ORGS, {
        "organization_id": "6f1c1a4e-0000-4000-8000-000000000001", "industry": "saas", "since": "2024-01-01",
        "until": "2024-03-31", "as_of": "2024-03-31", "mask_contacts": "no", "top_n": "25",
    })
    assert typed == {
        "organization_id": uuid.UUID("6f1c1a4e-0000-4000-8000-000000000001"), "industry": "saas",
        "since": date(2024, 1, 1), "until": date(2024, 3, 31), "as_of": date(2024, 3, 31), "mask_contacts": False,
        "top_n": 25,
    }
    assert {k: to_notebook(v) for k, v in typed.items()}["since"] == "2024-01-01"


def test_missing_parameters_take_their_declared_defaults_and_none_means_all():
    typed = validate(USERS_ORGS, {"organization_id": "none", "industry": ""})
    assert typed == {**USERS_ORGS.defaults(), "organization_id": None, "industry": None}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("top_n", "ten", "report 01_users_orgs: parameter top_n='ten' is not an integer."),
    ("top_n", "0", "report 01_users_orgs: parameter top_n=0 is below the minimum 1."),
    ("top_n", True, "report 01_users_orgs: parameter top_n=True is not an integer."),
    ("since", "31/01/2024", "report 01_users_orgs: parameter since='31/01/2024' is not a date (YYYY-MM-DD) or none."),
    ("organization_id", "acme", "report 01_users_orgs: parameter organization_id='acme' is not a UUID or none."),
    ("mask_contacts", "maybe", "report 01_users_orgs: parameter mask_contacts='maybe' is not true or false."),
    ("mask_contacts", None, "report 01_users_orgs: parameter mask_contacts=None is not allowed: give true or false."),
])
def test_a_value_of_the_wrong_type_is_one_line_naming_report_parameter_and_form(name, value, message):
    with pytest.raises(InvalidParameterError) as error:
        validate(USERS_ORGS, {name: value})
    assert str(error.value) == message


def test_a_value_outside_the_allowed_ones_lists_them():
    with pytest.raises(InvalidParameterError, match=r"bracket='elite' is not one of: emerging, developing, scaling, leading"):
        validate(catalog.get("02_assessments"), {"bracket": "elite"})


def test_as_of_in_the_future_is_refused_and_today_is_fine():
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(InvalidParameterError, match=rf"as_of='{tomorrow}' is not allowed: {tomorrow} is in the future"):
        validate(USERS_ORGS, {"as_of": tomorrow.isoformat()})
    assert validate(USERS_ORGS, {"as_of": date.today().isoformat()})["as_of"] == date.today()


def test_since_after_until_is_refused():
    with pytest.raises(InvalidParameterError, match="since \\(2024-02-01\\) is after until \\(2024-01-01\\)"):
        validate(USERS_ORGS, {"since": "2024-02-01", "until": "2024-01-01"})


def test_an_unknown_parameter_name_lists_the_known_ones():
    with pytest.raises(UnknownIdentifierError, match="unknown parameter\\(s\\) topn; its parameters are: organization_id,"):
        validate(USERS_ORGS, {"topn": "3"})


def test_with_several_reports_a_parameter_goes_to_those_that_declare_it():
    growth = catalog.get("04_growth")
    split = split_for_reports([USERS_ORGS, growth], {"top_n": "3", "seed": "7", "as_of": "2024-01-01"})
    assert split == {"01_users_orgs": {"top_n": "3", "as_of": "2024-01-01"}, "04_growth": {"seed": "7", "as_of": "2024-01-01"}}
    with pytest.raises(UnknownIdentifierError, match="unknown parameter\\(s\\) nope for 01_users_orgs, 04_growth"):
        split_for_reports([USERS_ORGS, growth], {"nope": "1"})


def test_an_unknown_report_lists_the_known_ones():
    with pytest.raises(UnknownIdentifierError, match="no report named '99_nothing'; the reports are: 01_users_orgs, "):
        catalog.get("99_nothing")


def test_typed_values_and_notebook_literals_are_accepted_alike():
    report = catalog.get("03_market_intelligence")
    assert coerce(report, report.parameter("min_confidence"), 1) == 1.0
    assert coerce(report, report.parameter("as_of"), date(2024, 1, 1)) == date(2024, 1, 1)
    with pytest.raises(InvalidParameterError, match="is above the maximum 1"):
        coerce(report, report.parameter("min_confidence"), "1.5")


def test_a_notebook_namespace_must_set_every_declared_parameter():
    namespace = {**USERS_ORGS.defaults(), "unrelated": 1}
    assert from_namespace(USERS_ORGS, namespace) == USERS_ORGS.defaults()
    del namespace["top_n"]
    with pytest.raises(InvalidParameterError, match="the notebook's parameters cell does not set top_n"):
        from_namespace(USERS_ORGS, namespace)


def test_an_organization_that_does_not_exist_is_refused_before_rendering(report_database, example_catalog, tmp_path):
    notebooks = example_catalog.NOTEBOOKS
    with pytest.raises(InvalidParameterError, match="organization_id='00000000-0000-4000-8000-000000000000' names nothing"):
        prepare(report_database, ["example_users"], {"organization_id": "00000000-0000-4000-8000-000000000000"},
                notebooks_dir=notebooks)
    with report_database.connect() as conn:
        org = conn.execute(sa.text("SELECT id FROM organizations")).scalar()
    (request,) = prepare(report_database, ["example_users"], {"organization_id": str(org)}, notebooks_dir=notebooks)
    assert request.parameters["organization_id"] == org


def test_a_database_without_the_schema_is_refused_before_rendering(empty_database, example_catalog):
    with pytest.raises(SchemaMissingError):
        prepare(empty_database, ["example_users"], {}, notebooks_dir=example_catalog.NOTEBOOKS)


def test_a_report_without_its_notebook_is_refused_by_name_and_skipped_by_all(report_database, tmp_path):
    with pytest.raises(Exception, match=r"report 01_users_orgs: its notebook .*01_users_orgs.ipynb does not exist"):
        prepare(report_database, ["01_users_orgs"], {}, notebooks_dir=tmp_path)
    with pytest.raises(Exception, match="no report notebook found in"):
        prepare(report_database, [], {}, all_reports=True, notebooks_dir=tmp_path)
