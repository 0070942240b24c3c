"""Computations of report ``90_migration_checks``: the reconciliation and the seed's success metrics as tables.

The checks themselves are `bi_workbench.legacy.migrate.check` and the frames of
`bi_workbench.legacy.report` / `bi_workbench.legacy.metrics`; the functions here
only turn their results into what the report shows: a verdict line without the
time of the check, totals, findings per section, compact quarantine examples,
sizes in KiB. Every function takes a Reconciliation or DataFrames and returns a
string or a sorted DataFrame; no rows in gives no rows out.
"""

from __future__ import annotations

import json

import pandas as pd

from ..legacy.reconcile import SECTIONS, Reconciliation

#: Characters of a quarantined legacy row shown in `examples_table`.
ROW_TEXT_WIDTH = 160
#: Tables listed by `index_usage_table`.
TABLE_ROWS = 15
_COUNTS = ["legacy_rows", "migrated", "merged", "quarantined", "unexplained"]


def verdict(reconciliation: Reconciliation) -> str:
    """Return the one-line verdict of a migration check, without its time (the same line for the same data).

    Example: ``"Migration check: OK. 1,231 legacy rows in 6 tables = 1,189 migrated + 12 merged +
    30 quarantined, 0 unexplained; 26 of 26 checks pass."``
    """
    rows = {key: 0 for key in _COUNTS}
    accounting = reconciliation.section("accounting")
    for finding in accounting:
        for key in rows:
            rows[key] += int(finding.details.get(key) or 0)
    total = len(reconciliation.findings)
    passed = total - len(reconciliation.problems)
    state = "OK" if reconciliation.ok else f"FAILED ({len(reconciliation.problems)} problem(s))"
    dropped = " The legacy tables have been dropped; the ledger's accounting stands in for them." \
        if reconciliation.legacy_dropped else ""
    if not accounting:
        return f"Migration check: {state}. No legacy table to account for; {passed} of {total} checks pass.{dropped}"
    return (f"Migration check: {state}. {rows['legacy_rows']:,} legacy rows in {len(accounting)} tables = "
            f"{rows['migrated']:,} migrated + {rows['merged']:,} merged + {rows['quarantined']:,} quarantined, "
            f"{rows['unexplained']:,} unexplained; {passed} of {total} checks pass.{dropped}")


def accounting_table(accounting: pd.DataFrame) -> pd.DataFrame:
    """Return `legacy.report.accounting_frame` in the migration's table order with a last row ``total``.

    Counts as int64 (missing counts 0); ``reconciles`` of the total is True when every table reconciles.
    """
    columns = ["legacy_table", *_COUNTS, "reconciles"]
    if accounting.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "legacy_table" else
                                          "bool" if c == "reconciles" else "int64") for c in columns})
    frame = accounting[columns].copy()
    frame[_COUNTS] = frame[_COUNTS].fillna(0).astype("int64")
    total = {"legacy_table": "total", **{k: int(frame[k].sum()) for k in _COUNTS},
             "reconciles": bool(frame["reconciles"].all())}
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame["legacy_table"] = frame["legacy_table"].astype(pd.StringDtype())
    frame["reconciles"] = frame["reconciles"].astype(bool)
    return frame


def findings_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Return per section of `legacy.report.findings_frame`: section, checks, passed, failed (in check order)."""
    columns = ["section", "checks", "passed", "failed"]
    rows = []
    for title in SECTIONS.values():
        part = findings[findings["section"] == title]
        if len(part):
            passed = int(part["ok"].astype(bool).sum())
            rows.append({"section": title, "checks": len(part), "passed": passed, "failed": len(part) - passed})
    return pd.DataFrame(rows, columns=columns).astype({"checks": "int64", "passed": "int64", "failed": "int64"})


def findings_by_section(findings: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Return [(section title, its findings: check, ok, summary)] in check order, failed findings first in each."""
    out = []
    for title in SECTIONS.values():
        part = findings[findings["section"] == title]
        if len(part):
            part = part.assign(_failed=~part["ok"].astype(bool)).sort_values("_failed", ascending=False, kind="stable")
            out.append((title, part[["check", "ok", "summary"]].reset_index(drop=True)))
    return out


def quarantine_table(by_reason: pd.DataFrame) -> pd.DataFrame:
    """Return `legacy.report.quarantine_by_reason` with each reason's share of the quarantine (rounded to 4).

    Columns: legacy_table, reason, rows, share; most rows first, then table and reason.
    """
    frame = by_reason.copy()
    frame["rows"] = frame["rows"].astype("int64")
    total = frame["rows"].sum()
    frame["share"] = (frame["rows"] / total).round(4) if total else pd.Series(dtype="float64")
    frame = frame.sort_values(["rows", "legacy_table", "reason"], ascending=[False, True, True])
    return frame.reset_index(drop=True)[["legacy_table", "reason", "rows", "share"]]


def row_text(row, width: int = ROW_TEXT_WIDTH) -> str:
    """Return a legacy row (a mapping) as compact JSON with sorted keys, cut to ``width`` characters with '...'."""
    text = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= width else text[: width - 3] + "..."


def examples_by_reason(examples: pd.DataFrame, width: int = ROW_TEXT_WIDTH) -> list[tuple[str, pd.DataFrame]]:
    """Return [("table: reason", its rows: legacy_id, row)] of `legacy.report.quarantine_examples`.

    Groups ordered by table and reason; rows by legacy id (numerically when every id
    is a number); ``row`` is the quarantined legacy row as `row_text`.
    """
    out = []
    for (table, reason), part in examples.groupby(["legacy_table", "reason"], sort=True):
        ids = part["legacy_id"].astype(str)
        key = pd.to_numeric(ids, errors="coerce") if ids.str.fullmatch(r"\d+").all() else ids
        part = part.assign(_key=key.values).sort_values(["_key"]).reset_index(drop=True)
        shown = pd.DataFrame({"legacy_id": part["legacy_id"].astype(str),
                              "row": [row_text(r, width) for r in part["legacy_row"]]})
        out.append((f"{table}: {reason}", shown))
    return out


def size_table(sizes: pd.DataFrame) -> pd.DataFrame:
    """Return `legacy.metrics.size_comparison` in KiB.

    Columns: side, tables, total_kib, index_kib, data_kib (total minus indexes), relative_to_legacy (rounded to 2).
    """
    frame = pd.DataFrame({
        "side": sizes["side"],
        "tables": sizes["tables"].astype("int64"),
        "total_kib": (sizes["total_bytes"] // 1024).astype("int64"),
        "index_kib": (sizes["index_bytes"] // 1024).astype("int64"),
        "data_kib": ((sizes["total_bytes"] - sizes["index_bytes"]) // 1024).astype("int64"),
        "relative_to_legacy": sizes["relative_to_legacy"].astype(float).round(2),
    })
    return frame.reset_index(drop=True)


def index_usage_summary(usage: pd.DataFrame) -> pd.DataFrame:
    """Return the scans of all new tables together: tables, index_scans, sequential_scans, index_share (to 4)."""
    index_scans = int(usage["index_scans"].sum()) if len(usage) else 0
    sequential = int(usage["sequential_scans"].sum()) if len(usage) else 0
    total = index_scans + sequential
    return pd.DataFrame([{"tables": len(usage), "index_scans": index_scans, "sequential_scans": sequential,
                          "index_share": round(index_scans / total, 4) if total else float("nan")}])


def index_usage_table(usage: pd.DataFrame, n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the ``n`` most scanned new tables of `legacy.metrics.index_usage`, most scans first (share to 4)."""
    frame = usage.assign(scans=usage["index_scans"] + usage["sequential_scans"])
    frame = frame.sort_values(["scans", "table_name"], ascending=[False, True]).head(n)
    return frame[["table_name", "scans", "index_scans", "sequential_scans", "index_share"]].round(
        {"index_share": 4}).reset_index(drop=True)
