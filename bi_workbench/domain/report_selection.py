"""A report's selection, resolved once, and what the report modules build on it.

The reports ``01``-``04`` (`users_orgs`, `assessments_report`, `market_report`,
`growth_report`) resolve their parameters once into `bi_workbench.metrics.Bounds`
(`resolve`); every number after that comes from the metrics layer with those
bounds: metrics through `metric_frame` (`bi_workbench.metrics.query` with the
bound already resolved, so every section shares one ``as_of``), lists and
top-N tables through SQLAlchemy Core SELECTs built on
`bi_workbench.metrics.selected_rows`, run with `run`. No filter on
organization, industry, dates or ``as_of`` is written here or in those modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from ..errors import InvalidParameterError

#: Label of a grouping value that is NULL or blank.
UNKNOWN = "unknown"


def resolve(conn: Connection, params: Mapping) -> metrics.Bounds:
    """Return the Bounds of a report's parameters on ``conn``'s data (the report's one resolution).

    Raises InvalidParameterError for a malformed value, ``until`` before ``since``, an
    ``as_of`` in the future, or an organization or industry the data does not have (naming the known ones).
    """
    return metrics.Selection.from_params(params).resolve(checked(conn))


def metric_frame(conn: Connection, bounds: metrics.Bounds, names: str | Sequence[str], by=None,
                 grain=None) -> pd.DataFrame:
    """Return `bi_workbench.metrics.query` of ``names`` for the resolved ``bounds``.

    Columns as `metrics.query` returns them: the ``by`` dimensions, ``period`` and
    ``complete`` with a grain, one float column per metric.
    """
    return metrics.query(names, by=by, grain=grain, bounds=bounds, engine=checked(conn))


def run(conn: Connection, statement, columns: Sequence[str]) -> pd.DataFrame:
    """Return the rows of a Core ``statement`` as a DataFrame with ``columns`` (also when there are none)."""
    rows = checked(conn).execute(statement).all()
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    frame = pd.DataFrame(dict(enumerate(map(list, zip(*rows)))))  # by column: no tuple per row
    frame.columns = list(columns)  # positional, so a repeated name keeps both columns
    return frame


def label(column):
    """A text column as a label in SQL: trimmed, 'unknown' when NULL or blank."""
    return sa.func.coalesce(sa.func.nullif(sa.func.btrim(column), ""), UNKNOWN)


def industry_label(column):
    """The shown industry of a group of rows (an aggregate): its first trimmed spelling, 'unknown' when blank."""
    return sa.func.coalesce(sa.func.min(sa.func.nullif(sa.func.btrim(column), "")), UNKNOWN)


def labelled(values: pd.Series) -> pd.Series:
    """The values of a dimension column of a metrics result as labels: NULL or blank become 'unknown'."""
    return values.astype(object).where(values.notna() & (values.astype("string").str.strip() != ""), UNKNOWN)


def iso_day(value) -> str:
    """Return the UTC date of a timestamp as 'YYYY-MM-DD' ('' for None or NaT)."""
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).strftime("%Y-%m-%d")


def readable(conn: Connection, table: sa.Table) -> bool:
    """Return whether this connection's role may read ``table`` (an organization's analyst may not read
    the platform's own records, e.g. the migration's bookkeeping); a report section then says so."""
    return bool(conn.execute(sa.select(sa.func.has_table_privilege(table.name, "SELECT"))).scalar())


def measures_frame(measures, values) -> pd.DataFrame:
    """Return a two-column table of figures: measure (string) and value (object), one row per measure."""
    return pd.DataFrame({"measure": pd.Series(measures, dtype="string"), "value": pd.Series(values, dtype=object)})


def monthly(frame: pd.DataFrame, counts: Sequence[str]) -> pd.DataFrame:
    """Return a monthly metrics frame (``period``, ``complete``, ``counts``) with missing months added as 0.

    Months between the first and the last period that have no rows get 0 and are
    complete (a month before the last one is over). Counts become int64.
    """
    if frame.empty:
        return frame.astype({c: "int64" for c in counts})
    months = pd.date_range(frame["period"].min(), frame["period"].max(), freq="MS")
    filled = frame.set_index("period").reindex(months).rename_axis("period").reset_index()
    filled[list(counts)] = filled[list(counts)].fillna(0).astype("int64")
    filled["complete"] = filled["complete"].fillna(True).astype(bool)
    return filled


def checked(conn) -> Connection:
    """Return ``conn`` if it is an SQLAlchemy Connection; raise InvalidParameterError otherwise."""
    if not isinstance(conn, Connection):
        raise InvalidParameterError(f"conn must be an SQLAlchemy Connection (engine.connect()); got {type(conn).__name__}")
    return conn
