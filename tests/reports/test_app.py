"""`bi-workbench app`: a report served by Voilà in headless Chromium; a widget change redraws a number."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from playwright import sync_api as playwright

from tests.conftest import free_port
from tests.reports.conftest import url_of
from tests.reports.test_browser import chromium



def wait_for_port(port: int, process, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bi-workbench app exited with {process.returncode}: {process.stdout.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail(f"nothing listens on {port} after {seconds} s")


def _address_with_token(process, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\w+", line)
        if found:
            return found.group(0)
    pytest.fail("Voilà printed no address with an access token")


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(NoRedirect).open(url, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def app(report_database, example_catalog):
    port = free_port()
    env = {**os.environ, "BI_WORKBENCH_DATABASE_URL": url_of(report_database),
           "BI_WORKBENCH_NOTEBOOKS_DIR": str(example_catalog.NOTEBOOKS)}
    process = subprocess.Popen([sys.executable, "-m", "bi_workbench.cli", "app", "example_users", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    wait_for_port(port, process)
    address = _address_with_token(process)
    assert address.startswith(f"http://127.0.0.1:{port}/?token=")
    assert _status(f"http://127.0.0.1:{port}/") != 200      # another local user, without the token, gets no page
    yield address
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _served_here_only(page, address: str) -> list[str]:
    """Refuse every request outside the app's server (the test must not hang on the network); return them."""
    outside = []

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(address.split("?")[0]) and not url.startswith(("blob:", "data:")),
               refuse)
    return outside


def test_changing_a_widget_in_the_app_changes_the_number_on_the_page(app):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        outside = _served_here_only(page, app)
        page.goto(app, timeout=180_000)
        page.get_by_text("Users shown: 3").wait_for(timeout=180_000)
        assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0  # code hidden
        industry = page.locator("select", has=page.locator("option", has_text="retail"))
        industry.select_option(label="saas")
        page.get_by_text("Users shown: 2").wait_for(timeout=120_000)
        browser.close()
    assert outside == []        # the page loads nothing from the internet: it works offline
