"""Tables a stakeholder reads: every DataFrame a report shows goes through pandas' Styler.

No index column; shares as percentages; money with a currency and thousands
separators; whole numbers with separators; dates as dates; missing values as a
dash; human column labels ("mrr_usd" -> "MRR (USD)"). The column's kind is read
from its name (the metrics' units name them the same way) and its dtype.
`configure_tables` makes it the HTML of every DataFrame in a report's kernel;
the plain-text form (what nbval compares) is unchanged.
"""

from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

MISSING = "–"
_SHARE = re.compile(r"(share|rate|conversion|retention|coverage|percent|pct|probability|ratio_of)")
_MONEY = re.compile(r"(mrr|arpa|revenue|price|usd|tam|sam|som|value_at|arr\b)")
_ACRONYMS = {"mrr": "MRR", "arpa": "ARPA", "usd": "USD", "roi": "ROI", "rice": "RICE", "tam": "TAM", "sam": "SAM",
             "som": "SOM", "cagr": "CAGR", "id": "ID", "p10": "P10", "p50": "P50", "p90": "P90", "utc": "UTC"}


def column_kind(name: str, dtype) -> str:
    """Return how a column is shown: share, money, date, integer, number or text."""
    lowered = str(name).lower()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype):
        return "text"
    if pd.api.types.is_numeric_dtype(dtype):
        if _SHARE.search(lowered):
            return "share"
        if _MONEY.search(lowered):
            return "money"
        return "integer" if pd.api.types.is_integer_dtype(dtype) else "number"
    return "text"


def human_label(name) -> str:
    """Return a column label for people: words, acronyms upper-cased, the first word capitalised."""
    words = [_ACRONYMS.get(w, w) for w in str(name).replace("-", "_").split("_") if w]
    if not words:
        return str(name)
    first = words[0] if words[0].isupper() else words[0][:1].upper() + words[0][1:]
    return " ".join([first, *words[1:]])


_FORMATS = {"share": "{:.1%}", "money": "${:,.2f}", "integer": "{:,.0f}", "number": "{:,.2f}"}


def styled(frame: pd.DataFrame) -> Styler:
    """Return ``frame`` as a Styler formatted for reading (see the module docstring)."""
    shown = frame.copy()
    formats = {}
    for column in shown.columns:
        kind = column_kind(column, shown[column].dtype)
        if kind == "date":
            shown[column] = pd.to_datetime(shown[column]).dt.strftime("%Y-%m-%d")
        elif kind in _FORMATS:
            formats[column] = _FORMATS[kind]
    labels = [human_label(c) for c in shown.columns]
    if len(set(labels)) == len(labels):
        shown.columns = labels
        formats = {human_label(c): f for c, f in formats.items()}
    plain = [c for c in shown.columns if c not in formats]
    return (shown.style.hide(axis="index").format(formats, na_rep=MISSING, escape="html")
            .format(na_rep=MISSING, subset=plain, escape="html").format_index(escape="html", axis=1))


#: Rows shown of a longer table (the rest are counted below it).
MAX_ROWS = 200


def table_html(frame: pd.DataFrame) -> str:
    """Return the HTML of ``frame`` as `styled` shows it (a fixed id, so outputs stay stable)."""
    if frame.columns.has_duplicates or isinstance(frame.columns, pd.MultiIndex):
        return frame.to_html(index=False, na_rep=MISSING)
    html = styled(frame.head(MAX_ROWS)).set_uuid("bw").to_html()
    more = len(frame) - MAX_ROWS
    return html + (f"<p><small>… and {more:,} more rows</small></p>" if more > 0 else "")


def configure_tables(shell=None) -> None:
    """Make `table_html` the HTML form of every DataFrame displayed in this kernel (no-op outside IPython)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
