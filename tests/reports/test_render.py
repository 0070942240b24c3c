"""Rendering with papermill into dated .ipynb and self-contained .html, run history, failures, time limits."""

from __future__ import annotations

import json
import re
from datetime import date

import nbformat
import sqlalchemy as sa

from tests.reports.conftest import render_example


def _runs(engine):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM report_runs ORDER BY id"))]


def test_a_report_renders_to_a_dated_notebook_and_a_self_contained_html(report_database, render_options):
    options = render_options()
    result = render_example(report_database, options)
    assert result.status == "succeeded", result.error
    folder = options.output_dir / "example_users" / date.today().isoformat()
    assert result.outputs == {"ipynb": folder / "example_users.ipynb", "html": folder / "example_users.html",
                              "json": folder / "example_users.json"}
    headlines = json.loads(result.outputs["json"].read_text())
    assert headlines["report"] == "example_users" and headlines["parameters"]["mask_contacts"] is True
    html = result.outputs["html"].read_text()
    assert "plotly.js v" in html and 'class="plotly-graph-div"' in html      # plotly.js inline, the figure drawn by it
    assert not re.search(r"<script[^>]+src=\"https?://", html)              # nothing from a CDN
    assert "CODE-CELL-MARKER" not in html and not re.search(r'class="[^"]*jp-InputArea-editor', html)  # code hidden
    assert "Provenance" in html and "bi-workbench" in html
    nb = nbformat.read(result.outputs["ipynb"], as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    (run,) = _runs(report_database)
    assert run["status"] == "succeeded" and run["report"] == "example_users" and run["schedule_name"] is None
    assert run["parameters"]["mask_contacts"] is True and run["finished_at"] >= run["started_at"]
    assert run["output_paths"]["html"] == str(result.outputs["html"])


def test_contact_details_are_masked_unless_mask_contacts_is_false(report_database, render_options):
    masked = render_example(report_database, render_options())
    plain = render_example(report_database, render_options(output_dir=render_options().output_dir.parent / "plain"),
                           mask_contacts="false")
    for path in (masked.outputs["ipynb"], masked.outputs["html"]):
        text = path.read_text()
        assert "ava.chen@acme-analytics.com" not in text and "415-555-0142" not in text and "555-0199" not in text
        assert "a***@acme-analytics.com" in text and "***-**-42" in text
    for path in (plain.outputs["ipynb"], plain.outputs["html"]):
        text = path.read_text()
        assert "ava.chen@acme-analytics.com" in text and "+1 415-555-0142" in text


def test_a_failing_report_keeps_the_last_good_one_and_is_marked_failed(report_database, render_options):
    options = render_options()
    good = render_example(report_database, options)
    good_html = good.outputs["html"].read_bytes()
    bad = render_example(report_database, options, fail="true")
    assert bad.status == "failed"
    assert bad.error == "RuntimeError: example_users was asked to fail in cell [4]"
    error_notebook = bad.outputs["error_notebook"]
    assert error_notebook.parent == options.output_dir / "example_users" / "failed" and error_notebook.exists()
    assert "example_users was asked to fail" in error_notebook.read_text()
    assert good.outputs["html"].read_bytes() == good_html and good.outputs["ipynb"].exists()
    assert [r["status"] for r in _runs(report_database)] == ["succeeded", "failed"]
    assert _runs(report_database)[1]["error"] == bad.error
    manifest = json.loads((options.output_dir / "example_users" / "latest.json").read_text())
    assert manifest["last_run"]["status"] == "failed" and manifest["last_success"]["run_id"] == good.run_id
    assert not list((options.output_dir / "example_users").glob(".run-*"))  # no work folder left behind


def test_the_index_lists_every_report_with_last_run_status_parameters_and_links(report_database, render_options):
    options = render_options()
    render_example(report_database, options)
    render_example(report_database, options, fail="true")
    render_example(report_database, options, name="example_counts", as_of="2024-01-31")
    page = (options.output_dir / "index.html").read_text()
    users = re.search(r'<tr class="failed">.*?</tr>', page, re.S).group(0)
    assert "example_users" in users and "RuntimeError: example_users was asked to fail" in users
    assert 'href="example_users/failed/' in users and f'href="example_users/{date.today()}/example_users.html"' in users
    assert "<code>fail=true</code>" in users
    counts = re.search(r'<tr class="succeeded">.*?</tr>', page, re.S).group(0)
    assert "example_counts" in counts and '<code>as_of=&quot;2024-01-31&quot;</code>' in counts
    assert f'href="example_counts/{date.today()}/example_counts.html"' in counts
    assert re.search(r'<tr class="never"><td><strong>Users and organizations</strong>', page)  # declared, not run yet


def test_reports_render_in_parallel_and_results_come_back_in_order(report_database, render_options):
    from bi_workbench.reports.render import prepare, render

    options = render_options()
    requests = prepare(report_database, ["example_counts", "example_users"], {"as_of": "2024-01-31"},
                       notebooks_dir=options.notebooks_dir)
    results = render(report_database, requests, options)
    assert [(r.report, r.status) for r in results] == [("example_counts", "succeeded"), ("example_users", "succeeded")]
    assert all(r.parameters["as_of"] == "2024-01-31" for r in results)


def test_a_cell_over_its_time_limit_fails_the_report(report_database, render_options):
    result = render_example(report_database, render_options(cell_timeout=2), name="example_counts", sleep_seconds="30")
    assert result.status == "failed" and "Timeout" in result.error and result.outputs["error_notebook"].exists()


def test_a_report_over_its_overall_time_limit_is_stopped(report_database, render_options):
    result = render_example(report_database, render_options(run_timeout=12), name="example_counts", sleep_seconds="120")
    assert result.status == "failed" and result.error == "stopped after the overall time limit of 12 s"
    assert [r["status"] for r in _runs(report_database)] == ["failed"]


def test_code_can_be_shown_on_request(report_database, render_options):
    result = render_example(report_database, render_options(show_code=True), name="example_counts")
    assert re.search(r'class="[^"]*jp-InputArea-editor', result.outputs["html"].read_text())
