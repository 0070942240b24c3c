"""The seed's own success metrics (its section 10), measured on the live database.

Table count before and after, on-disk size of the legacy tables against the new
tables that now hold the same data, and the share of scans that used an index.
Each function returns a small DataFrame for the migration-checks notebook.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql
from ..schema.tables import metadata
from .contract import LEGACY_TABLES

#: New tables that receive the legacy tables' data, for a like-for-like size comparison.
MIGRATED_TARGETS = ("users", "assessments", "assessment_scores", "market_insights", "business_trends",
                    "engagement_intelligence")


def _present(connection: Connection, names) -> list[str]:
    existing = set(sa.inspect(connection).get_table_names())
    return [name for name in names if name in existing]


def table_counts(connection: Connection) -> pd.DataFrame:
    """Return one row per side (legacy, new) with the number of its tables present in the database."""
    legacy = _present(connection, [t.name for t in LEGACY_TABLES])
    new = _present(connection, list(metadata.tables))
    return pd.DataFrame({"side": ["legacy", "new"], "tables": [len(legacy), len(new)]})


def _run(connection: Connection, name: str, names: list[str]) -> pd.DataFrame:
    cursor = connection.connection.driver_connection.execute(read_sql("bi_workbench.legacy", f"metrics/{name}.sql"),
                                                              {"names": names})
    return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def size_comparison(connection: Connection) -> pd.DataFrame:
    """Return total and index bytes of the legacy tables and of their migrated targets, one row per side."""
    rows = []
    for side, names in (("legacy", [t.name for t in LEGACY_TABLES]), ("new", list(MIGRATED_TARGETS))):
        sizes = _run(connection, "relation_sizes", _present(connection, names))
        rows.append({"side": side, "tables": len(sizes), "total_bytes": int(sizes["total_bytes"].sum()) if len(sizes) else 0,
                     "index_bytes": int(sizes["index_bytes"].sum()) if len(sizes) else 0})
    frame = pd.DataFrame(rows)
    legacy_bytes = frame.loc[frame.side == "legacy", "total_bytes"].iloc[0]
    frame["relative_to_legacy"] = frame["total_bytes"] / legacy_bytes if legacy_bytes else float("nan")
    return frame


def index_usage(connection: Connection) -> pd.DataFrame:
    """Return, per new table, index scans, sequential scans and the share of scans using an index."""
    usage = _run(connection, "index_usage", list(metadata.tables))
    total = usage["index_scans"] + usage["sequential_scans"]
    usage["index_share"] = (usage["index_scans"] / total.where(total > 0)).astype(float)
    return usage
