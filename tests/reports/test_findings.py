"""Key findings: sentences with numbers from the headline records and one breakdown of the metrics layer."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from bi_workbench import metrics, reports
from bi_workbench.reports.findings import (Findings, change_sentence, key_findings, largest_share_sentence,
                                           level_sentence)
from bi_workbench.reports.headlines import Headlines


def record(metric, value, previous, change, unit, change_unit="relative", compared="previous 30 days"):
    return {"metric": metric, "value": value, "unit": unit, "previous_value": previous, "change": change,
            "change_unit": change_unit, "compared": compared}


def test_a_change_is_said_with_its_size_its_direction_and_the_new_value():
    assert change_sentence(record("paying_customers", 48, 42, 48 / 42 - 1, "customers")) == \
        "Paying customers rose 14.3% to 48 against the previous 30 days."
    assert change_sentence(record("mrr", 900.0, 1000.0, -0.1, "USD/month", compared="30 days earlier")) == \
        "MRR fell 10.0% to $900.00/mo in the last 30 days."
    assert change_sentence(record("notification_read_rate", 0.45, 0.471, -0.021, "share", "points")) == \
        "Notification read rate fell 2.1 points to 45.0% against the previous 30 days."
    assert change_sentence(record("users", 5, 5, 0.0, "users")) == "Users held at 5 against the previous 30 days."
    assert change_sentence(record("users", 5, 0, None, "users")) is None


def test_the_largest_moves_come_first_and_values_fill_up_to_two_sentences():
    records = [record("users", 110, 100, 0.1, "users"), record("sessions", 50, 100, -0.5, "sessions"),
               record("widgets", 3, 0, None, "widgets")]
    assert key_findings(Headlines(records)).sentences == [
        "Sessions fell 50.0% to 50 against the previous 30 days.", "Users rose 10.0% to 110 against the previous 30 days."]
    alone = key_findings(Headlines([records[2], records[0]])).sentences
    assert alone == ["Users rose 10.0% to 110 against the previous 30 days.", level_sentence(records[2])]
    assert alone[1] == "Widgets: 3 in the selection."


def test_every_value_is_escaped_in_the_paragraph():
    frame = pd.DataFrame({"industry": ["<img src=x onerror=alert(1)>", "retail"], "users": [3.0, 1.0]})
    sentence = largest_share_sentence(frame, "users", "industry")
    assert sentence == "The largest industry is <img src=x onerror=alert(1)>, with 75.0% of users (3 of 4)."
    shown = Findings([sentence])._repr_html_()
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert largest_share_sentence(frame.assign(users=0.0), "users", "industry") is None


def test_the_largest_industry_of_users_agrees_with_hand_written_sql(demo_engine):
    params = {"since": "2026-01-01"}
    with demo_engine.connect() as conn:
        bounds = metrics.Selection.from_params(params).resolve(conn)
        findings = key_findings(reports.headlines(["users", "paying_customers"], params, conn, bounds=bounds),
                                conn, bounds, share=("users", "industry"))
        top, count, total = conn.execute(sa.text(
            "SELECT min(btrim(industry)), count(*), sum(count(*)) OVER () FROM users "
            "WHERE created_at >= '2026-01-01' AND created_at < :cut "
            "GROUP BY lower(regexp_replace(industry, '\\s+', '', 'g')) ORDER BY count(*) DESC, 1 LIMIT 1"),
            {"cut": bounds.cutoff}).one()
    assert 3 <= len(findings.sentences) <= 4
    assert findings.sentences[-1] == (f"The largest industry is {top}, with {count / total:.1%} of users "
                                      f"({count:,} of {total:,}).")
    assert all(any(ch.isdigit() for ch in sentence) for sentence in findings.sentences)


def test_a_breakdown_sorted_or_filtered_names_its_largest_group():
    frame = pd.DataFrame({"event_type": ["page_view", "report_viewed", "signup"], "events": [100, 30, 5]})
    assert largest_share_sentence(frame.sort_values("events"), "events", "event_type") == \
        "The largest event type is page_view, with 74.1% of events (100 of 135)."
    assert largest_share_sentence(frame[frame["events"] < 100], "events", "event_type") == \
        "The largest event type is report_viewed, with 85.7% of events (30 of 35)."
