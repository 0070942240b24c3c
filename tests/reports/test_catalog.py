"""One declaration per report: the notebooks' parameters cells hold exactly the declared defaults."""

from pathlib import Path

import nbformat
import pytest

from bi_workbench.reports import catalog
from bi_workbench.reports.notebooks import cell_assignments, parameter_differences, parameters_cell, scaffold

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@pytest.mark.parametrize("report", catalog.reports(), ids=lambda r: r.name)
def test_each_existing_report_notebook_holds_exactly_the_declared_defaults(report):
    path = NOTEBOOKS / report.notebook
    if not path.exists():
        return  # declared before its notebook is written; `bi-workbench report new NAME` writes a skeleton
    assert parameter_differences(report, path) == []


def _ends_with_provenance(path) -> bool:
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return bool(code) and "provenance(" in code[-1].source


@pytest.mark.parametrize("report", catalog.reports(), ids=lambda r: r.name)
def test_each_existing_report_notebook_ends_with_its_provenance(report):
    path = NOTEBOOKS / report.notebook
    assert not path.exists() or _ends_with_provenance(path), f"{path}: the last code cell must call reports.provenance(params)"


def test_the_example_notebooks_hold_their_declared_defaults(example_catalog):
    for report in (example_catalog.EXAMPLE_USERS, example_catalog.EXAMPLE_COUNTS):
        assert parameter_differences(report, example_catalog.NOTEBOOKS / report.notebook) == []
        assert _ends_with_provenance(example_catalog.NOTEBOOKS / report.notebook)


def test_a_notebook_that_drifted_from_its_declaration_is_told_how(tmp_path):
    report = catalog.get("01_users_orgs")
    nb = scaffold(report)
    parameters_cell(nb).source = parameters_cell(nb).source.replace("top_n = 10", "top_n = 5").replace(
        "mask_contacts = True", "extra = 1")
    nbformat.write(nb, tmp_path / "drifted.ipynb")
    assert parameter_differences(report, tmp_path / "drifted.ipynb") == [
        "mask_contacts: declared, not in the parameters cell",
        "extra: in the parameters cell, not declared",
        "top_n: the cell holds 5, the declaration 10",
    ]


def test_the_skeleton_of_every_report_matches_its_declaration(tmp_path):
    for report in catalog.reports():
        nbformat.write(scaffold(report), tmp_path / report.notebook)
        assert parameter_differences(report, tmp_path / report.notebook) == []
        assert cell_assignments(parameters_cell(scaffold(report)).source) == report.defaults()
        assert _ends_with_provenance(tmp_path / report.notebook)


def test_every_declaration_is_well_formed():
    for report in catalog.reports():
        names = [p.name for p in report.parameters]
        assert len(names) == len(set(names)), report.name
        assert report.notebook == f"{report.name}.ipynb"
        for parameter in report.parameters:
            assert parameter.type in catalog.TYPES and parameter.help
            assert parameter.default is None or not isinstance(parameter.default, (list, dict, set))
        from bi_workbench.reports.parameters import validate

        assert validate(report, {})  # the defaults pass their own checks


def test_list_describes_types_defaults_and_allowed_values():
    bracket = catalog.get("02_assessments").parameter("bracket")
    assert bracket.describe() == ("bracket (str or None, default None; one of emerging, developing, scaling, leading): "
                                  "only scores in this bracket; None for all")
