"""The metrics layer: entities, ownership, the selection and the metrics, declared once.

    from bi_workbench import metrics
    metrics.list()                                   # name, definition, unit, entity, grains, dimensions
    metrics.query("avg_overall_score", by="industry", since="2026-04-01", until="2026-06-30")
    metrics.sql("mrr", by="industry")                # the SQL it would run

Rules (DESIGN.md, "One definition of every number"): `ownership` (who owns a row,
a row's industry), `selection` (organization, industry, since/until, as_of),
`catalog` (the metrics), `compile` (one SELECT per request, SQLAlchemy Core).
"""

from .api import compiled, list_metrics, period_complete, period_offset, query, sql
from .catalog import METRICS, PLAN_PRICES, Metric, metric
from .compile import latest_scores, selected_rows
from .selection import Bounds, Selection

list = list_metrics  # noqa: A001 - `metrics.list()` is the catalogue, as the issue names it

__all__ = ["Bounds", "METRICS", "Metric", "PLAN_PRICES", "Selection", "compiled", "latest_scores", "list",
           "list_metrics", "metric", "period_complete", "period_offset", "query", "selected_rows", "sql"]
