"""The metrics glossary: every metric with its definition, unit, entity and grains, as Markdown and HTML.

Generated from `bi_workbench.metrics.catalog`, so it cannot drift from the
definitions: ``docs/metrics.md`` in the repository and ``glossary.html`` beside
``reports/index.html`` (linked from it) are both written from here.
"""

from __future__ import annotations

import html
from pathlib import Path

from .. import metrics
from ..metrics.ownership import UNCOUNTED_MEMBERSHIP_STATUSES

RULES = (
    "A row belongs to its own organization when it has one, else to every organization its user is a member of "
    f"(memberships with status {', '.join(UNCOUNTED_MEMBERSHIP_STATUSES)} do not count); a user in two "
    "organizations counts in both, and once in an all-organizations total.",
    "A row's industry is its own industry column where it has one (market insights, business trends), else its "
    "user's; industries compare case- and space-insensitively.",
    "since / until are inclusive dates in UTC on the metric's time column; as_of bounds every row (a date: up to "
    "the end of that day, UTC); without it, the end of the latest day that has data.",
    "With a grain, each period says whether it is complete (over before the as_of bound); figures shade the "
    "periods that are not.",
)


def glossary_markdown() -> str:
    """Return the glossary as Markdown (the text of ``docs/metrics.md``)."""
    lines = ["# Metrics glossary", "", "Generated from `bi_workbench/metrics/catalog.py` by "
             "`bi_workbench.reports.glossary`; do not edit by hand.", "", "## Rules", ""]
    lines += [f"- {rule}" for rule in RULES]
    lines += ["", "## Metrics", "", "| metric | definition | unit | entity | kind | grains | dimensions |",
              "|---|---|---|---|---|---|---|"]
    for row in metrics.list().itertuples(index=False):
        lines.append(f"| `{row.name}` | {row.definition} | {row.unit} | {row.entity} | {row.kind} | "
                     f"{row.grains or '-'} | {row.dimensions or '-'} |")
    return "\n".join(lines) + "\n"


def glossary_html() -> str:
    """Return the glossary as a self-contained HTML page (every value escaped)."""
    e = html.escape
    rules = "".join(f"<li>{e(rule)}</li>" for rule in RULES)
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(str(value))}</td>" for value in row) + "</tr>"
        for row in metrics.list().itertuples(index=False))
    header = "".join(f"<th>{e(c)}</th>" for c in metrics.list().columns)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Metrics glossary</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>Metrics glossary</h1><h2>Rules</h2><ul>{rules}</ul><h2>Metrics</h2>"
            f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></body></html>")


def write_glossary(folder: Path | str) -> Path:
    """Write ``glossary.html`` into ``folder`` (the reports folder) and return its path."""
    path = Path(folder) / "glossary.html"
    path.write_text(glossary_html(), encoding="utf-8")
    return path
