"""The loader benchmark runs end to end on a small table (its figures are printed, never asserted)."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from bi_workbench import bench_loaders as bench
from bi_workbench.loaders import load


def test_bench_fills_deterministically_and_reports_every_method(schema_database):
    figures = bench.bench_loaders(schema_database, rows=3_000, repeat=1)
    print(figures)
    assert figures["rows"] == 3_000 and figures["rows_added"] == 3_000
    expected = {"copy_binary", "default", "pyarrow", "objects", "read_sql", "connectorx_arrow", "connectorx_pandas"}
    assert expected == set(figures["seconds"])
    assert all(seconds > 0 for seconds in figures["seconds"].values())
    assert {"default_vs_copy", "pyarrow_vs_copy", "read_sql_vs_default", "connectorx_pandas_vs_default",
            "connectorx_arrow_vs_pyarrow"} <= set(figures["ratios"])
    assert set(figures["targets"]) == {"default_within_1_5x_of_copy", "pyarrow_within_1_5x_of_copy"}
    # filling again adds nothing; a larger target adds only the difference
    assert bench.fill_analytics_events(schema_database, 3_000) == 0
    assert bench.fill_analytics_events(schema_database, 3_500) == 500
    with schema_database.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar_one() == 3_500
        # every event landed in a monthly partition, none in the default one
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_events_default")).scalar_one() == 0
    first = load("analytics_events", engine=schema_database, id=uuid.UUID(int=bench._EVENT_NS | 0))
    assert json.loads(first.to_dict("records")[0]["event_data"]) == {"page": "/p/0", "ms": 0}
    assert first["event_type"].iloc[0] == bench.EVENT_TYPES[0]
    assert str(first["created_at"].iloc[0]) == "2024-01-01 00:00:00+00:00"
