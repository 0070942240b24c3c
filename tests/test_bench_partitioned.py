"""The partitioned-load benchmark runs end to end on a small table (its times are printed, never asserted)."""

from __future__ import annotations

import sqlalchemy as sa

from bi_workbench.bench_partitioned import aggregate_in_pandas, bench_partitioned
from bi_workbench.loaders.partitioned import table_partitions


def test_both_sides_of_the_benchmark_compute_the_numbers_sql_computes(schema_database):
    figures = bench_partitioned(schema_database, rows=20_000)
    print(figures)
    assert figures["rows"] == figures["rows_added"] == 20_000
    assert figures["equal"] is True
    assert figures["partitions"] == len(table_partitions("analytics_events", schema_database))
    assert figures["workers"] == 2 and set(figures["seconds"]) == {"dask_partitioned", "pandas_load"}
    with schema_database.connect() as conn:
        in_sql = conn.execute(sa.text(
            "SELECT event_type, count(*), sum((event_data->>'ms')::int) FROM analytics_events GROUP BY 1 ORDER BY 1"
        )).all()
    in_pandas = aggregate_in_pandas(schema_database).groupby("event_type")[["events", "ms"]].sum()
    assert [(t, int(n), int(ms)) for t, (n, ms) in in_pandas.iterrows()] == [tuple(r) for r in in_sql]
