"""What every report figure shares: one plotly template, titles, the "no data" figure, UTC times as plotly draws them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

#: Text of the annotation on a figure drawn from no rows.
NO_DATA = "no data"
#: The name of the reports' plotly template (`pio.templates[TEMPLATE]`).
TEMPLATE = "bi_workbench"
#: The reports' colours, in order (D3's category10: the colours the figures name explicitly, e.g. #1f77b4).
COLORWAY = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf")
#: System fonts only: the reports stay offline.
FONT = {"family": "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif", "size": 13, "color": "#2a2a2a"}
#: The trace types the reports draw: the template keeps plotly_white's defaults of these only, since every figure
#: carries its template (3D, map, polar and carpet defaults would add ~4 KB to each figure of a report).
TRACE_TYPES = ("bar", "scatter", "heatmap", "histogram", "funnel")
_UNUSED_LAYOUT = ("polar", "ternary", "scene", "geo")


def register_template() -> go.layout.Template:
    """Register the reports' template as ``pio.templates["bi_workbench"]`` and make it the default; return it.

    Built on "plotly_white" (its defaults for `TRACE_TYPES`; other trace types drawn ad hoc get the colours
    and font) with `COLORWAY` and `FONT`, titles left-aligned. Called on import of `bi_workbench.figures`, so
    every figure of a report (and any a cell draws ad hoc) looks the same.
    """
    base = pio.templates["plotly_white"].to_plotly_json()
    template = go.layout.Template(data={k: v for k, v in base["data"].items() if k in TRACE_TYPES},
                                  layout={k: v for k, v in base["layout"].items() if k not in _UNUSED_LAYOUT})
    template.layout.update(colorway=list(COLORWAY), font=FONT, title={"x": 0.0, "xanchor": "left", "font": {"size": 17}},
                           margin={"t": 60, "l": 60, "r": 30, "b": 50})
    pio.templates[TEMPLATE] = template
    pio.templates.default = TEMPLATE
    return template


def uses_template(fig: go.Figure) -> bool:
    """Return whether ``fig`` is drawn with the reports' template (`register_template`)."""
    return fig.layout.template == pio.templates[TEMPLATE]


def titled(fig: go.Figure, title: str, x_title: str, y_title: str, **layout) -> go.Figure:
    """Return ``fig`` with the reports' template, its title, axis titles and any other ``layout`` settings set."""
    fig.update_layout(template=pio.templates[TEMPLATE], title={"text": title}, xaxis_title={"text": x_title},
                      yaxis_title={"text": y_title}, **layout)
    return fig


def no_data(title: str, x_title: str, y_title: str, reason: str | None = None) -> go.Figure:
    """Return a figure without traces, titled, with a centred annotation 'no data' (and the reason, if given).

    A report on an empty selection still runs, and says why a chart is blank.
    """
    fig = go.Figure()
    text = NO_DATA if reason is None else f"{NO_DATA}: {reason}"
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 16})
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return titled(fig, title, x_title, y_title)


def naive_utc(values) -> list:
    """Return timestamps (aware or naive UTC, or date text) as naive UTC datetimes, as plotly draws them."""
    return list(pd.to_datetime(pd.Series(values), utc=True).dt.tz_convert(None))


def mark_incomplete(fig: go.Figure, frame, *, period: str = "period", complete: str = "complete") -> go.Figure:
    """Shade the periods of ``frame`` that are not over yet (``complete`` False) and say so in the legend.

    ``frame``: a metrics result with a grain (`bi_workbench.metrics.query`): ``period`` starts and ``complete``.
    A period not yet over holds part of its data, so it must not read as a drop.
    """
    if complete not in frame or frame.empty:
        return fig
    open_periods = frame.loc[~frame[complete].astype(bool), period]
    if open_periods.empty:
        return fig
    starts = pd.Series(sorted(pd.to_datetime(frame[period]).unique()))
    step = starts.diff().median() if len(starts) > 1 else pd.Timedelta(days=1)
    fig.add_vrect(x0=open_periods.min(), x1=starts.iloc[-1] + step, fillcolor="lightgrey", opacity=0.35, line_width=0,
                  annotation_text="period not over", annotation_position="top left")
    return fig
