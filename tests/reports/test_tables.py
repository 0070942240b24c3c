"""Tables for stakeholders: no index, shares as %, money with currency, dates as dates, a dash for missing values."""

import pandas as pd

from bi_workbench.reports.tables import MAX_ROWS, column_kind, human_label, table_html


def test_a_table_reads_as_a_stakeholder_expects():
    frame = pd.DataFrame({"industry": ["SaaS", None], "paying_share": [0.2604, None], "mrr": [21240.0, 3.5],
                          "users": [1200, 3], "period": pd.to_datetime(["2026-01-01", "2026-02-01"])})
    html = table_html(frame)
    assert ">26.0%<" in html and ">$21,240.00<" in html and ">1,200<" in html and ">2026-01-01<" in html
    assert "0.2604" not in html and "NaN" not in html and "None" not in html and "00:00:00" not in html
    assert html.count(">–<") == 2
    assert "row_heading" not in html  # no index column
    assert ">Paying share<" in html and ">MRR<" in html


def test_column_kinds_and_labels():
    assert column_kind("conversion_from_previous", "float64") == "share"
    assert column_kind("arpa_usd", "float64") == "money"
    assert column_kind("complete", "bool") == "text"
    assert human_label("p90_hours_to_read") == "P90 hours to read"


def test_long_tables_are_cut_with_a_count():
    html = table_html(pd.DataFrame({"n": range(MAX_ROWS + 5)}))
    assert "and 5 more rows" in html


def test_values_and_labels_from_the_data_are_escaped():
    html = table_html(pd.DataFrame({"<b>industry</b>": ["<img src=x onerror=alert(1)>"], "users": [1]}))
    assert "<img" not in html and "<b>" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
