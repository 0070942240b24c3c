"""Rendered HTML shows values from parameters, the data and the environment as text, never as markup."""

from __future__ import annotations

import html
import json
import re

import nbformat
import sqlalchemy as sa

from bi_workbench.database.tenancy import tenant_engine
from bi_workbench.database.tenant_logins import add_login
from bi_workbench.reports import index
from bi_workbench.reports.html import TOC_MIN_SECTIONS, contents, escape_markdown_outputs, notebook_to_html
from bi_workbench.reports.kernel import provenance
from bi_workbench.reports.render import prepare, render
from tests.reports.conftest import render_example

ATTACK = "<img src=x onerror=alert(1)>"


def test_a_parameter_reaches_the_rendered_provenance_as_text(report_database, render_options):
    with report_database.begin() as conn:   # data-borne: an industry the data has, so the parameter is valid
        conn.execute(sa.text("INSERT INTO users (email, first_name, last_name, industry) "
                             "VALUES ('x@example.test', 'First', 'Last', :i)"), {"i": ATTACK})
    result = render_example(report_database, render_options(), industry=ATTACK)
    assert result.status == "succeeded", result.error
    page = result.outputs["html"].read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown to the reader as it was typed


def test_markdown_outputs_lose_their_raw_html_and_markdown_cells_keep_theirs():
    cell = nbformat.v4.new_code_cell("display(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": f"| a | {ATTACK} |",
                                                                   "text/plain": ATTACK})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Written <b>by the author</b>"), cell])
    assert escape_markdown_outputs(nb) == 1
    assert nb.cells[1].outputs[0]["data"]["text/markdown"] == "| a | &lt;img src=x onerror=alert(1)> |"
    page = notebook_to_html(nb, "title <script>")
    assert "<img src=x" not in page and "<b>by the author</b>" in page
    assert "<title>title &lt;script&gt;</title>" in page


def test_the_provenance_table_escapes_every_value():
    table = provenance({"industry": ATTACK, "note": "a | b\nc"})._repr_markdown_()
    assert "<img" not in table and "&lt;img src=x onerror=alert(1)&gt;" in table
    assert "a &#124; b" in table and all(line.count("|") == 3 for line in table.splitlines()[2:] if line)  # no new cell


def test_the_index_page_escapes_parameters_titles_and_errors_and_drops_foreign_links(tmp_path):
    folder = tmp_path / "reports" / "example_users"
    entry = {"status": "failed", "started_at": "2024-01-01T00:00:00", "parameters": {"industry": ATTACK},
             "error": f"boom {ATTACK}", "error_notebook": "javascript:alert(1)"}
    index.record_run(folder, {"status": "succeeded", "started_at": "2023-12-01T00:00:00",
                              "html": "example_users/x.html", "ipynb": "JavaScript:alert(2)"})
    index.record_run(folder, entry)
    manifest = json.loads((folder / index.MANIFEST).read_text())
    manifest["title"] = ATTACK
    (folder / index.MANIFEST).write_text(json.dumps(manifest))
    page = index.write_index(tmp_path / "reports").read_text()
    assert "<img" not in page and "javascript:" not in page.lower()
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 3 and 'href="example_users/x.html"' in page


def test_under_a_tenant_the_kernels_connect_as_its_login(report_database, render_options, tmp_path, monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    with report_database.begin() as conn:
        organization = conn.execute(sa.text("SELECT id FROM organizations")).scalar_one()
    role = add_login(report_database, organization).role
    tenant = tenant_engine(report_database, organization)
    options = render_options()
    requests = prepare(tenant, ["example_users"], {}, notebooks_dir=options.notebooks_dir)
    (result,) = render(report_database, requests, options, kernel_engine=tenant)
    assert result.status == "succeeded", result.error
    page = result.outputs["html"].read_text()
    assert f"{role}:***@" in page and "postgres:***@" not in page  # the provenance's database: the login's URL


def test_a_long_report_gets_a_table_of_contents_of_its_sections_with_escaped_text():
    sections = ["The selection", f"Findings {ATTACK.replace('<', '&lt;')}", "Sign-ups & churn", "Appendix: method"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\nWhat it answers.")] + [
        nbformat.v4.new_markdown_cell(f"## {heading}\n\ntext") for heading in sections])
    page = notebook_to_html(nb, "title")
    nav = page[page.index('<nav class="bw-toc"'):page.index("</nav>")]
    assert page.index("</h1>") < page.index("<nav") < page.index("What it answers")
    assert [text for _, text in contents(page)] == ["The selection", f"Findings {ATTACK}", "Sign-ups & churn",
                                                    "Appendix: method"]
    assert "<img" not in nav and "&lt;img src=x onerror=alert(1)&gt;" in nav and "Sign-ups &amp; churn" in nav
    links = [html.unescape(href) for href in re.findall(r'href="#([^"]*)"', nav)]
    assert links == [id_ for id_, _ in contents(page)]  # every entry links to its heading's id
    assert nav.count("<li>") == len(sections) >= TOC_MIN_SECTIONS


def test_a_short_report_has_no_table_of_contents():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\n## One\n\n## Two")])
    assert 'class="bw-toc"' not in notebook_to_html(nb, "title")
