"""Widgets redraw: in a real, interactive kernel, changing a parameter widget runs the cells below it again."""

from __future__ import annotations

import pytest

from tests.kernelclient import data, kernel as kernel_with, printed, run
from tests.reports.conftest import url_of

SETUP = """
from bi_workbench import reports
globals().update(reports.get("example_users").defaults())
params = reports.setup("example_users", globals())
reports.controls("example_users", globals(), lambda p: globals().update(params=p))
"""
SECTION = """
import pandas as pd, sqlalchemy as sa, plotly.express as px
from bi_workbench import get_engine
counts = pd.read_sql(sa.text("SELECT coalesce(industry, 'unknown') AS industry, count(*) AS users FROM users "
                             "WHERE CAST(:i AS text) IS NULL OR industry = :i GROUP BY 1 ORDER BY 1"),
                     get_engine(), params={"i": params["industry"]})
print("USERS", int(counts["users"].sum()))
px.bar(counts, x="industry", y="users").show()
"""
CHANGE = 'from bi_workbench.reports import redraw\nredraw.current().widgets["industry"].value = "saas"'


def figures(outputs) -> list[dict]:
    return data(outputs, "application/vnd.plotly.v1+json")


@pytest.fixture
def kernel(report_database, example_catalog, monkeypatch):
    monkeypatch.delenv("BI_WORKBENCH_BATCH", raising=False)
    with kernel_with(BI_WORKBENCH_INTERACTIVE="1", BI_WORKBENCH_DATABASE_URL=url_of(report_database)) as client:
        yield client


def test_changing_a_widget_redraws_the_numbers_and_figures_below_it(kernel):
    run(kernel, SETUP)
    first = run(kernel, SECTION)
    assert "USERS 3" in printed(first)
    assert sorted(figures(first)[0]["data"][0]["x"]) == ["retail", "saas"]

    redrawn = run(kernel, CHANGE)
    assert "USERS 2" in printed(redrawn)  # the section ran again with industry = saas
    assert figures(redrawn)[0]["data"][0]["x"] == ["saas"]
    assert printed(run(kernel, "print(params['industry'])")).strip() == "saas"  # the globals follow the widget


def test_a_cell_run_again_by_hand_replaces_its_recorded_section(kernel):
    run(kernel, SETUP)
    run(kernel, SECTION)
    run(kernel, SECTION)
    count = f"from bi_workbench.reports import redraw\nprint([c.source for c in redraw.current().cells].count({SECTION!r}))"
    assert printed(run(kernel, count)) == "1\n"
