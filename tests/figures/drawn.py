"""What the figure tests of reports 05-07 read off a plotly figure: 'no data', titles, shaded periods."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from bi_workbench.figures.common import NO_DATA, uses_template


def naive(*texts: str) -> pd.Series:
    """Period starts as the metrics layer gives them: naive UTC timestamps."""
    return pd.Series(pd.to_datetime(list(texts)))


def is_no_data(fig: go.Figure) -> bool:
    """The figure has no trace and says 'no data' (and nothing else)."""
    return not fig.data and [a.text for a in fig.layout.annotations] == [NO_DATA]


def has_titles(fig: go.Figure) -> bool:
    """The figure and both its axes have titles, and it is drawn with the reports' template."""
    return bool(fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
                and uses_template(fig))


def shaded(fig: go.Figure) -> list:
    """The start of every shaded span (`figures.common.mark_incomplete`: periods not yet over)."""
    return [pd.Timestamp(shape.x0) for shape in fig.layout.shapes]


def assert_no_data(fig: go.Figure) -> None:
    """Assert the figure is the titled 'no data' figure of an empty frame."""
    assert is_no_data(fig) and has_titles(fig)


def assert_titled(fig: go.Figure) -> None:
    """Assert the figure and its axes have titles and it carries no 'no data' annotation."""
    assert has_titles(fig) and not fig.layout.annotations
