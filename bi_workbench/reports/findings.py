"""Key findings: a short paragraph of sentences with numbers, written from the metrics layer's results.

In a notebook, under the headline numbers::

    reports.key_findings(headline, conn, bounds, share=users_orgs.SHARE)

gives e.g. "Paying customers rose 14.3% to 80 against the previous 91 days. Users fell
9.7% to 28 against the previous 91 days. The largest industry is SaaS, with 30.6% of
users (88 of 288)." One function per kind of sentence; numbers are formatted as the
headline cards show them (`headlines.shown`) and every value is escaped in the HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from .. import metrics
from .headlines import Headlines, shown
from .tables import human_label

#: Sentences about changes at most (the largest moves first); the paragraph holds 2-4 sentences.
MOST_CHANGES = 2
#: The label of a group whose dimension value is missing.
UNKNOWN = "unknown"


class Findings:
    """The key findings of a report: sentences shown as one paragraph (HTML, escaped) or as plain text."""

    def __init__(self, sentences: Sequence[str]):
        self.sentences = list(sentences)

    def _repr_html_(self) -> str:
        text = " ".join(html.escape(sentence) for sentence in self.sentences)
        return f"<p class='bw-findings'><strong>Key findings.</strong> {text}</p>"

    def __repr__(self) -> str:
        return "Key findings. " + " ".join(self.sentences)


def change_sentence(record: dict) -> str | None:
    """Say how a headline record moved against its previous period; None when the change is undefined.

    ``record``: one of `Headlines.records`. 'Paying customers rose 14.3% to 80 against the previous 91 days.';
    shares move in points ('... fell 1.3 points to 85.4% in the last 30 days.').
    """
    change = record.get("change")
    if change is None or record.get("compared") is None:
        return None
    label = human_label(record["metric"])
    when = (f"against the {record['compared']}" if record["compared"].startswith("previous")
            else f"in the last {record['compared'].removesuffix(' earlier')}")
    if round(change, 3) == 0:
        return f"{label} held at {shown(record)} {when}."
    verb = "rose" if change > 0 else "fell"
    moved = f"{abs(change) * 100:.1f} points" if record["change_unit"] == "points" else f"{abs(change):.1%}"
    return f"{label} {verb} {moved} to {shown(record)} {when}."


def level_sentence(record: dict) -> str:
    """State a headline record's value: 'Active users: 212 in the selection.' (no previous period to compare)."""
    return f"{human_label(record['metric'])}: {shown(record)} in the selection."


def largest_share_sentence(frame, metric: str, dimension: str) -> str | None:
    """Name the group of ``dimension`` holding most of ``metric`` and its share; None when the total is 0.

    ``frame``: `metrics.query(metric, by=dimension)` (one row per group). 'The largest industry is SaaS,
    with 30.6% of users (88 of 288).' The noun is the metric's unit; a missing group value is 'unknown'.
    """
    values = frame[metric].fillna(0.0)
    total = float(values.sum())
    if frame.empty or total <= 0:
        return None
    top = int(values.to_numpy().argmax())  # a position: the frame may be sorted or filtered
    name = frame[dimension].iloc[top]
    name = UNKNOWN if name is None or (isinstance(name, float) and math.isnan(name)) or str(name) == "<NA>" else name
    unit = metrics.metric(metric).unit
    return (f"The largest {human_label(dimension).lower()} is {name}, with {values.iloc[top] / total:.1%} "
            f"of {unit} ({values.iloc[top]:,.0f} of {total:,.0f}).")


def key_findings(headlines: Headlines, conn=None, bounds=None, *, share: tuple[str, str] | None = None,
                 breakdown=None) -> Findings:
    """Return the key findings of a report: 2-4 sentences from its headline numbers and one breakdown.

    The largest changes of ``headlines`` (at most `MOST_CHANGES`; values stated instead when fewer
    changes are defined), then, with ``share`` = (metric, dimension), the largest group of that metric
    in ``bounds`` (`metrics.Bounds`) queried on ``conn`` (an Engine or Connection); or in
    ``breakdown``, that query's frame (columns dimension and metric, one row per group) when the
    report has it already, as a section computed ahead.
    """
    if breakdown is not None and share is None:
        raise ValueError("key_findings: a breakdown needs share=(metric, dimension) to say what it breaks down")
    records = headlines.records
    moved = sorted((r for r in records if change_sentence(r) is not None), key=lambda r: -abs(r["change"]))
    sentences = [change_sentence(r) for r in moved[:MOST_CHANGES]]
    stated = [level_sentence(r) for r in records if r not in moved[:MOST_CHANGES]]
    sentences += stated[:max(0, 2 - len(sentences))]
    if share is not None:
        metric, dimension = share
        if breakdown is None:
            breakdown = metrics.query(metric, by=dimension, engine=conn, bounds=bounds)
        sentence = largest_share_sentence(breakdown, metric, dimension)
        sentences += [sentence] if sentence else []
    return Findings(sentences)
