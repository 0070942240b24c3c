"""Dashboard latency: `get_user_dashboard` against the seed's join-then-group view, side by side."""

from __future__ import annotations

import time

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..schema.sqlfiles import read_sql
from .dashboard import get_user_dashboard


def _latencies_ms(call, user_ids) -> np.ndarray:
    timings = []
    for user_id in user_ids:
        start = time.perf_counter()
        call(user_id)
        timings.append((time.perf_counter() - start) * 1000)
    return np.array(timings)


def _summary(ms: np.ndarray) -> dict:
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)), "max_ms": float(ms.max())}


def bench_dashboard(engine: Engine, samples: int = 200, seed_samples: int = 40) -> dict:
    """Return p50/p95/max latency in ms of our dashboard read and of the seed's view, and the user count.

    Half the sampled users are the most active (the seed's view is slowest for
    them), half drawn evenly. The seed's view is created as a temporary view
    inside a transaction that is rolled back, so nothing is left behind.
    """
    with engine.connect() as conn:
        users = conn.execute(sa.text("SELECT count(*) FROM users")).scalar()
        sample = conn.execute(sa.text(read_sql("bi_workbench.events", "bench_sample_users.sql")),
                              {"half": max(samples // 2, 1)}).scalars().all()
        if not sample:
            return {"users": users, "ours": None, "seed": None}
        get_user_dashboard(conn, sample[0])  # warm the plan cache and buffers once for both
        ours = _latencies_ms(lambda u: get_user_dashboard(conn, u), sample)
        conn.connection.driver_connection.execute(read_sql("bi_workbench.events", "seed_user_dashboard_summary.sql"))
        seed_query = sa.text(read_sql("bi_workbench.events", "seed_user_dashboard.sql"))
        seed_sample = sample[: max(seed_samples // 2, 1)] + sample[len(sample) // 2:][: max(seed_samples // 2, 1)]
        seed = _latencies_ms(lambda u: conn.execute(seed_query, {"user_id": u}).all(), seed_sample)
        conn.rollback()
    return {"users": users, "ours": {**_summary(ours), "samples": len(sample)},
            "seed": {**_summary(seed), "samples": len(seed_sample)}}
