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



def wait_for_port(port: int, process, log, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bi-workbench app exited with {process.returncode}: {log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail(f"nothing listens on {port} after {seconds} s")


def _address_with_token(log, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\w+", log.read_text(errors="replace"))
        if found:
            return found.group(0)
        time.sleep(0.2)
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


def _serve(report_database, example_catalog, log, *names: str):
    """Start `bi-workbench app [NAME]`, its output into the file ``log``; yield the address with its token; stop it.

    Into a file, not a pipe: Voilà logs every request, and a pipe nobody reads fills up and stops it mid-page.
    """
    port = free_port()
    env = {**os.environ, "BI_WORKBENCH_DATABASE_URL": url_of(report_database),
           "BI_WORKBENCH_NOTEBOOKS_DIR": str(example_catalog.NOTEBOOKS)}
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "bi_workbench.cli", "app", *names, "--port", str(port)],
                                   env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, process, log)
        address = _address_with_token(log)
        assert address.startswith(f"http://127.0.0.1:{port}/?token=")
        assert _status(f"http://127.0.0.1:{port}/") != 200      # another local user, without the token, gets no page
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def app(report_database, example_catalog, tmp_path):
    yield from _serve(report_database, example_catalog, tmp_path / "app.log", "example_users")


@pytest.fixture
def every_report_app(report_database, example_catalog, tmp_path):
    yield from _serve(report_database, example_catalog, tmp_path / "app.log")


def _served_here_only(page, address: str) -> list[str]:
    """Refuse every request outside the app's server (the test must not hang on the network); return them."""
    outside = []

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(address.split("?")[0]) and not url.startswith(("blob:", "data:")),
               refuse)
    return outside


def _open_report(page, address: str, text: str, attempts: int = 3) -> None:
    """Open the report and wait for ``text``, loading the page again when its run stalls.

    Voilà 0.5 runs the notebook while the page streams, and the page's widget manager talks to
    the same kernel meanwhile. Now and then (about one load in five on this machine) the run
    stalls after the controls cell: Voilà's debug log ends with that cell's idle status, the
    next cell never runs, and Voilà and the kernel both wait, idle (py-spy), so the page never
    finishes loading. A reader loads it again; so does the test.
    """
    for attempt in range(attempts):
        try:
            page.goto(address, timeout=60_000)
            page.get_by_text(text).wait_for(timeout=60_000)
            return
        except playwright.TimeoutError:
            if attempt == attempts - 1:
                raise


def test_changing_a_widget_in_the_app_changes_the_number_on_the_page(app):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        outside = _served_here_only(page, app)
        _open_report(page, app, "Users shown: 3")
        assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0  # code hidden
        industry = page.locator("select", has=page.locator("option", has_text="retail"))
        industry.select_option(label="saas")
        page.get_by_text("Users shown: 2").wait_for(timeout=120_000)
        browser.close()
    assert outside == []        # the page loads nothing from the internet: it works offline


def test_the_app_of_every_report_lists_them_and_no_page_reaches_the_internet(every_report_app):
    root, token = every_report_app.split("?")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        outside = _served_here_only(page, every_report_app)
        page.goto(every_report_app, timeout=180_000)
        page.get_by_text("users.ipynb").first.wait_for(timeout=60_000)      # the folder's listing
        page.goto(f"{root}voila/render/no-such-report.ipynb?{token}", timeout=180_000)   # an error page
        browser.close()
    assert outside == []
