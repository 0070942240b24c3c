"""Loaders: tables and read models into pandas DataFrames with the schema's dtypes, fast.

    from bi_workbench.loaders import load, iter_load, count_by_period

    df = load("assessments", organization_id=org, since="2025-01-01")
    for chunk in iter_load("analytics_events", chunksize=100_000, event_type="page_view"):
        ...
    monthly = count_by_period("assessments", "month", since="2025-01-01")

Modules: `catalog` (what can be loaded, time columns), `query` (the SELECT and its
filters, built with SQLAlchemy Core, values always bound), `dtypes` (SQL type ->
pandas dtype), `fast` (Arrow through ADBC over binary COPY), `frames` (rows or
Arrow into DataFrames, the choice of path), `aggregate` (counts in SQL), `values`
(NUL characters and non-finite numbers refused before SQL; stored values pandas
cannot hold, warned about or refused by name).
"""

from .aggregate import PERIODS, count_by, count_by_industry, count_by_period
from .api import iter_load, load, select_for
from .catalog import READ_MODELS, TIME_COLUMNS, relation_names
from .frames import FAST_PATH_MIN_ROWS
from .query import OPERATORS
from .values import UnrepresentableValueError, UnrepresentableValueWarning
from .partitioned import load_partitioned  # needs dask only when called

__all__ = [
    "FAST_PATH_MIN_ROWS",
    "OPERATORS",
    "PERIODS",
    "READ_MODELS",
    "TIME_COLUMNS",
    "UnrepresentableValueError",
    "UnrepresentableValueWarning",
    "count_by",
    "count_by_industry",
    "count_by_period",
    "iter_load",
    "load",
    "load_partitioned",
    "relation_names",
    "select_for",
]
