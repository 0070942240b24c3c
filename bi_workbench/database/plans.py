"""Query plans of what a process reads: every SELECT an engine runs, explained first, one JSON line each.

With ``BI_WORKBENCH_PLAN_LOG=FILE`` in its environment, a process (a report's
kernel) has `bi_workbench.database.get_engine` call `record_plans`: before each
SELECT, the same statement with the same bound parameters runs as ``EXPLAIN
(FORMAT JSON)`` on the same connection, in a savepoint (a plan only: nothing is
executed twice) and ``{"statement", "plan"}`` is appended to FILE. `bi-workbench bench` renders
each report so and reads the plans back with `full_scans`; it never times a
run that records plans.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

PLAN_LOG_ENV = "BI_WORKBENCH_PLAN_LOG"
_READS = ("SELECT", "WITH")


def record_plans(engine: Engine, path: str | os.PathLike) -> None:
    """Append the plan of every SELECT (or WITH) ``engine`` runs to ``path``, one JSON object per line.

    The EXPLAIN gets exactly the statement text and parameters the driver gets, inside a
    savepoint: one that fails is logged as ``{"statement", "error"}`` and leaves the caller's
    transaction as it was. Text holding several statements is not explained (the driver
    would run the ones after the first).
    """
    target = Path(path)

    @event.listens_for(engine, "before_cursor_execute")
    def _explain(conn, cursor, statement, parameters, context, executemany):
        text = statement.strip().rstrip(";")
        if executemany or not text.upper().startswith(_READS) or ";" in text:
            return
        record = {"statement": statement}
        try:
            with cursor.connection.transaction(), cursor.connection.cursor() as explain:
                explain.execute("EXPLAIN (FORMAT JSON) " + text, parameters)
                record["plan"] = explain.fetchone()[0]
        except psycopg.Error as exc:
            record["error"] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        with target.open("a", encoding="utf-8") as log:
            log.write(json.dumps(record, default=str) + "\n")


def read_plans(path: str | os.PathLike) -> list[dict]:
    """Return the ``{"statement", "plan"}`` (or ``"error"``) records of a plan log (empty when there is none)."""
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
        if "plan" not in record:
            continue
        for node in _nodes(record["plan"][0]["Plan"]):
            table = node.get("Relation Name")
            rows = table_rows.get(table)
            if node.get("Node Type") == "Seq Scan" and rows is not None and rows >= minimum_rows:
                found.append({"table": table, "rows": int(rows), "statement": record["statement"][:200]})
    return found
