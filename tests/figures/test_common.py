"""Shared figure behaviour: every figure of reports 05-07 drawn from no rows is titled and says 'no data'."""

from __future__ import annotations

import pandas as pd
import pytest

from bi_workbench.domain import analytics, events_report
from bi_workbench.domain import engagement_report as er
from bi_workbench.domain import notifications_report as nr
from bi_workbench.figures import engagement, notifications
from bi_workbench.figures import events_report as events_figures
from tests.figures.drawn import has_titles, is_no_data

#: figure -> the columns of the frame it draws
NO_ROWS = {
    events_figures.events_by_month: events_report.MONTH_COLUMNS,
    events_figures.events_by_type: events_report.TYPE_COLUMNS,
    events_figures.snapshot_coverage: events_report.SNAPSHOT_COLUMNS,
    events_figures.partition_rows: events_report.PARTITION_COLUMNS,
    lambda f: engagement.active_users(f, "day"): list(analytics.ACTIVE_USERS_COLUMNS),
    engagement.event_mix: list(er.EVENT_MIX_COLUMNS),
    engagement.funnel: list(analytics.FUNNEL_COLUMNS),
    engagement.retention_heatmap: list(analytics.RETENTION_COLUMNS),
    engagement.session_lengths: list(er.SESSION_COLUMNS),
    engagement.widgets_by_type: list(er.WIDGET_COLUMNS),
    engagement.top_organizations: list(er.ORGANIZATION_COLUMNS),
    lambda f: notifications.sent_by_type(f, "month"): list(nr.PER_PERIOD_COLUMNS),
    lambda f: notifications.sent_and_read(f, "month"): list(nr.TOTALS_COLUMNS),
    notifications.read_rates: list(analytics.NOTIFICATION_COLUMNS),
    notifications.priority_mix: list(nr.PRIORITY_COLUMNS),
    notifications.team_messages: list(nr.MESSAGES_BY_ORG_COLUMNS),
    notifications.subscriptions: list(nr.SUBSCRIPTION_COLUMNS),
}


@pytest.mark.parametrize("draw", list(NO_ROWS), ids=range(len(NO_ROWS)))
def test_every_figure_of_no_rows_is_titled_and_says_no_data(draw):
    fig = draw(pd.DataFrame(columns=NO_ROWS[draw]))
    assert is_no_data(fig) and has_titles(fig)


#: Columns a few builders read before they see that a frame is empty.
READ_BEFORE_EMPTY = ["bracket", "category", "question", "stage", "plans", "tam_median_usd_bn", "cagr_median_pct",
                     "insights", "legacy_table"]


def figure_builders() -> list:
    """Every public function of the figure modules that returns a plotly Figure from a frame (helpers excepted)."""
    import importlib
    import inspect
    import pkgutil

    import bi_workbench.figures as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "common":
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [fn for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if fn.__module__ == module.__name__ and not name.startswith("_")
                  and "Figure" in str(inspect.signature(fn).return_annotation)]
    return found


@pytest.mark.parametrize("draw", figure_builders(), ids=lambda fn: f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}")
def test_every_figure_builder_draws_with_the_reports_template(draw):
    import inspect

    import plotly.io as pio

    from bi_workbench.figures.common import COLORWAY, TEMPLATE

    required = [p for p in inspect.signature(draw).parameters.values() if p.default is p.empty]
    fig = draw(pd.DataFrame(columns=READ_BEFORE_EMPTY), *["week"] * (len(required) - 1))
    assert fig.layout.template == pio.templates[TEMPLATE]
    assert list(fig.layout.template.layout.colorway) == list(COLORWAY)
    assert pio.templates.default == TEMPLATE


def test_the_builders_found_are_every_report_figure():
    names = {f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}" for fn in figure_builders()}
    assert len(names) >= 50 and {"engagement.funnel", "growth_report.roi_ranges", "users_orgs.signups_per_month"} <= names
