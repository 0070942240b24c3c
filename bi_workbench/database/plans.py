"""Query plans of what a process reads: every SELECT an engine runs, explained first, one JSON line each.

With ``BI_WORKBENCH_PLAN_LOG=FILE`` in its environment, a process (a report's
kernel) has `bi_workbench.database.get_engine` call `record_plans`: before each
SELECT, the same statement with the same bound parameters runs as ``EXPLAIN
(FORMAT JSON)`` on the same connection (a plan only: nothing is executed twice)
and ``{"statement", "plan"}`` is appended to FILE. `bi-workbench bench` renders
each report so and reads the plans back with `full_scans`; it never times a
run that records plans.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

PLAN_LOG_ENV = "BI_WORKBENCH_PLAN_LOG"
_READS = ("SELECT", "WITH")


def record_plans(engine: Engine, path: str | os.PathLike) -> None:
    """Append the plan of every SELECT (or WITH) ``engine`` runs to ``path``, one JSON object per line."""
    target = Path(path)

    @event.listens_for(engine, "before_cursor_execute")
    def _explain(conn, cursor, statement, parameters, context, executemany):
        if executemany or not statement.lstrip().upper().startswith(_READS):
            return
        with cursor.connection.cursor() as explain:
            explain.execute("EXPLAIN (FORMAT JSON) " + statement, parameters or None)
            plan = explain.fetchone()[0]
        with target.open("a", encoding="utf-8") as log:
            log.write(json.dumps({"statement": statement, "plan": plan}, default=str) + "\n")


def read_plans(path: str | os.PathLike) -> list[dict]:
    """Return the ``{"statement", "plan"}`` records of a plan log (empty when the file does not exist)."""
    target = Path(path)
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip()]


def _nodes(plan: Mapping) -> Iterator[Mapping]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def full_scans(records: list[dict], table_rows: Mapping[str, float], *, minimum_rows: float) -> list[dict]:
    """Return the sequential scans of tables holding at least ``minimum_rows`` rows in ``records``' plans.

    ``table_rows``: rows per table or partition (``pg_class.reltuples``). Each finding is
    ``{"table", "rows", "statement"}`` (the statement's first 200 characters).
    """
    found = []
    for record in records:
        for node in _nodes(record["plan"][0]["Plan"]):
            table = node.get("Relation Name")
            if node.get("Node Type") == "Seq Scan" and table_rows.get(table, 0) >= minimum_rows:
                found.append({"table": table, "rows": int(table_rows[table]), "statement": record["statement"][:200]})
    return found
