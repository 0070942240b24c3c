"""nbval over report notebooks: committed outputs compare equal on a second run once volatile parts are sanitized."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from nbval.plugin import get_sanitize_patterns

from bi_workbench.reports import ReportParameters, catalog, provenance
from tests.reports.conftest import ROOT, url_of

SANITIZE = ROOT / "notebooks" / "nbval_sanitize.cfg"


def _sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_the_sanitizer_masks_what_changes_from_run_to_run(monkeypatch):
    report = catalog.get("01_users_orgs")
    seen = []
    for url, commit in (("postgresql://a@h:5432/x", "0123456789ab"), ("postgresql+psycopg://b@k:6543/y", "fedcba987654+dirty")):
        monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", url)
        monkeypatch.setattr("bi_workbench.reports.kernel.git_commit", lambda commit=commit: commit)
        record = provenance(ReportParameters(report, report.defaults()))
        seen.append((_sanitize(repr(record)), _sanitize(record._repr_markdown_())))
    assert seen[0] == seen[1] and "RENDERED-AT" in seen[0][0] and "GIT-COMMIT" in seen[0][1]
    assert _sanitize('<div id="4f9f5a3e-2b7c-4d47-9f0a-3c1f6e2d8b11" class="plotly-graph-div">') == \
        '<div id="UUID" class="plotly-graph-div">'
    assert _sanitize("<object at 0x7f3a2c1b9d60>") == "<object at 0xADDRESS>"
    assert _sanitize("CPU times: user 1.21 s, sys: 30.5 ms, total: 1.24 s\nWall time: 1.3 s") == \
        "CPU times: user TIME, sys: TIME, total: TIME\nWall time: TIME"
    assert _sanitize("100%|██████████| 10/10 [00:01<00:00,  9.51it/s]") == "100%|██████████| 10/10 [PROGRESS]"


def test_nbval_passes_on_a_report_notebook_saved_with_its_outputs(report_database, example_catalog, tmp_path):
    """As the notebooks in notebooks/ are committed: executed once, then checked by nbval against a new run."""
    env = {k: v for k, v in os.environ.items() if k != "BI_WORKBENCH_BATCH"}
    env["BI_WORKBENCH_DATABASE_URL"] = url_of(report_database)
    notebook = tmp_path / "example_users.ipynb"
    shutil.copy(example_catalog.NOTEBOOKS / "example_users.ipynb", notebook)
    done = subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", str(notebook), str(notebook)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    nbval = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval", str(notebook)]
    done = subprocess.run([*nbval, "--nbval-sanitize-with", str(SANITIZE)], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\b6 passed\b", done.stdout)  # the six code cells
    unsanitized = subprocess.run(nbval, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert unsanitized.returncode == 1 and "1 failed, 5 passed" in unsanitized.stdout  # the provenance cell, unsanitized
