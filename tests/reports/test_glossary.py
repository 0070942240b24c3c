"""The metrics glossary is generated from the catalogue: the committed docs/metrics.md is up to date."""

from pathlib import Path

from bi_workbench import metrics
from bi_workbench.reports.glossary import glossary_html, glossary_markdown, write_glossary

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_the_committed_glossary_equals_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == glossary_markdown()


def test_the_html_glossary_lists_every_metric_escaped(tmp_path):
    page = write_glossary(tmp_path).read_text(encoding="utf-8")
    for name in metrics.METRICS:
        assert f"<td>{name}</td>" in page
    assert "<script" not in glossary_html()
