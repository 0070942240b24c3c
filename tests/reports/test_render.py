"""Rendering with papermill into each run's own folder (.ipynb, self-contained .html, run.json), run history,
the index per parameter set, failures, time limits."""

from __future__ import annotations

import json
import re
from datetime import date

import nbformat
import sqlalchemy as sa

from bi_workbench.reports.html import plotly_asset, stylesheet_asset
from tests.reports.conftest import render_example


def _rows(page: str) -> list[tuple[str, str]]:
    """The index's rows: (status class, row HTML), in page order."""
    return re.findall(r'<tr class="(\w+)">(.*?)</tr>', page, re.S)


def _runs(engine):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM report_runs ORDER BY id"))]


def test_a_report_renders_to_a_dated_notebook_and_a_self_contained_html(report_database, render_options):
    options = render_options()
    result = render_example(report_database, options)
    assert result.status == "succeeded", result.error
    folder = (options.output_dir / "example_users" / date.today().isoformat() / f"run-{result.run_id}").absolute()
    assert result.folder == folder
    assert result.outputs == {"ipynb": folder / "example_users.ipynb", "html": folder / "example_users.html",
                              "json": folder / "example_users.json"}
    headlines = json.loads(result.outputs["json"].read_text())
    assert headlines["report"] == "example_users" and headlines["parameters"]["mask_contacts"] is True
    record = json.loads((folder / "run.json").read_text())
    assert record["run_id"] == result.run_id and record["status"] == "succeeded"
    assert record["html"] == f"example_users/{date.today()}/run-{result.run_id}/example_users.html"
    html = result.outputs["html"].read_text()
    asset = options.output_dir / plotly_asset()
    assert f'src="../../../{plotly_asset()}"' in html and 'class="plotly-graph-div"' in html  # plotly.js once per folder
    assert "plotly.js v" in asset.read_text() and "plotly.js v" not in html
    stylesheet = options.output_dir / stylesheet_asset()                    # the lab CSS once per folder too
    assert f'href="../../../{stylesheet_asset()}"' in html and ".jp-Notebook" in stylesheet.read_text()
    assert ".jp-Notebook {" not in html and len(html) < 100_000
    assert not re.search(r"<script[^>]+src=\"https?://", html)              # nothing from a CDN
    assert "CODE-CELL-MARKER" not in html and not re.search(r'class="[^"]*jp-InputArea-editor', html)  # code hidden
    assert "Provenance" in html and "bi-workbench" in html
    nb = nbformat.read(result.outputs["ipynb"], as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    (run,) = _runs(report_database)
    assert run["status"] == "succeeded" and run["report"] == "example_users" and run["schedule_name"] is None
    assert run["parameters"]["mask_contacts"] is True and run["finished_at"] >= run["started_at"]
    assert run["output_paths"] == {"folder": str(folder), **{k: str(v) for k, v in result.outputs.items()}}
    assert run["owner"] is not None and run["lease_expires_at"] is None  # a closed run holds no lease


def test_same_day_runs_with_other_parameters_each_keep_their_own_folder_history_and_index_row(
        report_database, render_options):
    options = render_options()
    saas = render_example(report_database, options, industry="saas")
    retail = render_example(report_database, options, industry="retail")
    typo = render_example(report_database, options, fail="true")   # another parameter set, failing
    assert saas.folder != retail.folder != typo.folder and saas.folder.parent == retail.folder.parent
    assert "a***@acme-analytics.com" in saas.outputs["html"].read_text()
    assert "a***@acme-analytics.com" not in retail.outputs["html"].read_text()   # the first run's file is intact
    assert "b***@fjord-retail.no" in retail.outputs["html"].read_text()
    runs = {r["id"]: r for r in _runs(report_database)}
    for result in (saas, retail, typo):
        assert runs[result.run_id]["output_paths"]["folder"] == str(result.folder)
    assert runs[saas.run_id]["output_paths"]["html"] == str(saas.outputs["html"])
    assert runs[typo.run_id]["output_paths"]["error_notebook"] == str(typo.folder / "failed.ipynb")
    page = (options.output_dir / "index.html").read_text()
    users_rows = [row for _status, row in _rows(page) if "example_users/" in row]
    assert [status for status, row in _rows(page) if "example_users/" in row] == ["failed", "succeeded", "succeeded"]
    for result in (saas, retail):
        assert any(f'href="example_users/{date.today()}/run-{result.run_id}/example_users.html"' in row
                   for row in users_rows)


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
    assert error_notebook == bad.folder / "failed.ipynb" and error_notebook.exists()
    assert "example_users was asked to fail" in error_notebook.read_text()
    assert good.outputs["html"].read_bytes() == good_html and good.outputs["ipynb"].exists()
    assert [r["status"] for r in _runs(report_database)] == ["succeeded", "failed"]
    assert _runs(report_database)[1]["error"] == bad.error
    manifest = json.loads((options.output_dir / "example_users" / "latest.json").read_text())
    (same,) = [s for s in manifest["parameter_sets"].values() if s["last_run"]["parameters"]["fail"]]
    assert same["last_run"]["status"] == "failed" and "last_success" not in same
    (other,) = [s for s in manifest["parameter_sets"].values() if not s["last_run"]["parameters"]["fail"]]
    assert other["last_success"]["run_id"] == good.run_id
    assert not list((options.output_dir / "example_users").glob(".staging-*"))  # no staging folder left behind


def test_the_index_lists_every_report_with_last_run_status_parameters_and_links(report_database, render_options):
    options = render_options()
    render_example(report_database, options)
    render_example(report_database, options, fail="true")
    render_example(report_database, options, name="example_counts", as_of="2024-01-31")
    page = (options.output_dir / "index.html").read_text()
    users = re.search(r'<tr class="failed">.*?</tr>', page, re.S).group(0)
    assert "RuntimeError: example_users was asked to fail" in users
    assert re.search(rf'href="example_users/{date.today()}/run-\d+/failed.ipynb"', users)
    assert "<code>fail=true</code>" in users
    (good,) = [row for status, row in _rows(page) if status == "succeeded" and "example_users/" in row]
    assert re.search(rf'href="example_users/{date.today()}/run-\d+/example_users.html"', good)
    assert "<code>fail=false</code>" in good and "Example: users" not in good  # the report is named on its first row
    counts = re.search(r'<tr class="succeeded"><td><strong>Example: row counts.*?</tr>', page, re.S).group(0)
    assert '<code>as_of=&quot;2024-01-31&quot;</code>' in counts
    assert re.search(rf'href="example_counts/{date.today()}/run-\d+/example_counts.html"', counts)
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
