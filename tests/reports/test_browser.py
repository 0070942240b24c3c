"""A look as a reader would: the rendered HTML opened in headless Chromium draws its plotly figures, offline.

Needs Debian's `chromium` (CI's .ci/run installs it). Without it the test fails
and says how to install it: a report nobody has seen drawn is not tested.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.reports.conftest import render_example

INSTALL_HINT = ("headless Chromium is needed to check that the reports draw their figures: "
                "install it with `apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this in CI)")


def chromium() -> str:
    """Return the path of the Chromium executable, or fail the test saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(INSTALL_HINT)


def _headless(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--no-default-browser-check", f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=10000", "--window-size=1280,2000", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def test_the_rendered_report_draws_its_plot_in_a_browser(report_database, render_options, tmp_path):
    result = render_example(report_database, render_options())
    assert result.status == "succeeded", result.error
    url = result.outputs["html"].resolve().as_uri()
    dom = _headless(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'class="main-svg"' in dom.stdout, "plotly did not draw the figure"  # plotly's rendered SVG
    assert "Users by industry" in dom.stdout and "a***@acme-analytics.com" in dom.stdout
    screenshot = tmp_path / "report.png"
    shot = _headless(tmp_path, f"--screenshot={screenshot}", url)
    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
