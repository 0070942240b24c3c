"""Rendering on a real Dask cluster (`dask scheduler` and two `dask worker` processes on 127.0.0.1): the same
outputs, index and history as one machine; a worker killed mid-run; per-organization runs as each one's analyst."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from bi_workbench.reports import catalog, worker
from bi_workbench.reports.parameters import validate
from bi_workbench.reports.render import RunRequest, prepare, render

_VOLATILE = [re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( UTC)?"),       # rendered at, started at
             re.compile(r"/run-\d+/"), re.compile(r"run #\d+")]


def _normalized(text: str) -> str:
    for pattern in _VOLATILE:
        text = pattern.sub("*", text)
    return text


def _outputs(path: Path) -> list:
    """The outputs of every cell of a rendered notebook, without what differs between two runs (times, run ids)."""
    nb = nbformat.read(path, as_version=4)
    return [_normalized(json.dumps(cell.get("outputs", []), sort_keys=True)) for cell in nb.cells]


def _history(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT report, status, parameters, error FROM report_runs ORDER BY report")).all()


def test_outputs_index_and_history_on_a_cluster_equal_the_single_machine_run(
        report_database, render_options, dask_processes, tmp_path):
    local = render_options(output_dir=tmp_path / "local", cluster=None)       # the renderer's own LocalCluster
    remote = render_options(output_dir=tmp_path / "cluster", cluster=dask_processes.address)
    raw = {"as_of": "2024-01-31"}
    here = render(report_database, prepare(report_database, ["example_users", "example_counts"], raw,
                                           notebooks_dir=local.notebooks_dir), local)
    assert not any((dask_processes.tmpdirs[n] / worker.work_root().name).exists() for n in "ab")
    there = render(report_database, prepare(report_database, ["example_users", "example_counts"], raw,
                                            notebooks_dir=remote.notebooks_dir), remote)
    assert [(r.report, r.status) for r in here] == [(r.report, r.status) for r in there] == [
        ("example_users", "succeeded"), ("example_counts", "succeeded")]
    for a, b in zip(here, there):
        assert _outputs(a.outputs["ipynb"]) == _outputs(b.outputs["ipynb"])
        assert sorted(p.name for p in a.folder.iterdir()) == sorted(p.name for p in b.folder.iterdir())
        assert a.folder.relative_to(local.output_dir.absolute()).parts[:2] == \
            b.folder.relative_to(remote.output_dir.absolute()).parts[:2]
    index = [_normalized((o.output_dir / "index.html").read_text()).split("<tbody>")[1] for o in (local, remote)]
    assert index[0] == index[1]
    runs = _history(report_database)
    assert [tuple(r) for r in runs[::2]] == [tuple(r) for r in runs[1::2]]   # two identical runs per report
    assert any((dask_processes.tmpdirs[n] / worker.work_root().name).is_dir() for n in "ab")  # the cluster rendered


def test_a_worker_killed_mid_run_leaves_every_report_written_exactly_once(report_database, render_options,
                                                                          dask_processes):
    options = render_options(cluster=dask_processes.address)
    report = catalog.get("example_counts")
    requests = [RunRequest(report, validate(report, {"as_of": f"2024-01-0{day}", "sleep_seconds": 4}))
                for day in range(1, 4)]
    results = []
    rendering = threading.Thread(target=lambda: results.extend(render(report_database, requests, options)))
    rendering.start()
    deadline = time.monotonic() + 300
    while not any((f / "executing.ipynb").exists() for f in dask_processes.work_folders("a")):
        assert time.monotonic() < deadline and rendering.is_alive(), "worker a never started a render"
        time.sleep(0.3)
    (killed_folder,) = dask_processes.work_folders("a")
    killed_run = int(killed_folder.name.split("-")[1])
    dask_processes.workers["a"].send_signal(signal.SIGKILL)
    rendering.join(900)
    assert not rendering.is_alive()
    assert [r.status for r in results] == ["succeeded"] * 3, [r.error for r in results]
    assert killed_run in [r.run_id for r in results]
    folders = sorted((options.output_dir / "example_counts").glob("*/run-*"))
    assert sorted(f.name for f in folders) == sorted(f"run-{r.run_id}" for r in results)     # each written once
    for result in results:
        assert sorted(p.name for p in result.folder.iterdir()) == ["example_counts.html", "example_counts.ipynb",
                                                                   "example_counts.json", "run.json"]
        assert json.loads((result.folder / "run.json").read_text())["run_id"] == result.run_id
    assert not list((options.output_dir / "example_counts").glob(".staging-*"))
    with report_database.connect() as conn:
        statuses = conn.execute(sa.text("SELECT status, count(*) FROM report_runs GROUP BY 1")).all()
    assert statuses == [("succeeded", 3)]


@pytest.fixture
def organizations_database(report_database, tmp_path, monkeypatch):
    """The report database with three organizations: Acme (ava analyst, cy member), Fjord (bo admin), Empty (nobody).

    Acme and Fjord have tenant logins (their passwords in a private data folder).
    """
    from bi_workbench.database.tenant_logins import add_login, remove_login

    monkeypatch.setenv("BI_WORKBENCH_DATA_DIR", str(tmp_path / "workbench-data"))
    with report_database.begin() as conn:
        conn.execute(sa.text("INSERT INTO organizations (name, slug) VALUES ('Fjord Retail', 'fjord'), ('Empty Co', 'empty')"))
        conn.execute(sa.text(
            "INSERT INTO organization_members (organization_id, user_id, role) "
            "SELECT o.id, u.id, m.role FROM (VALUES ('acme', 'cy.diaz@acme-analytics.com', 'member'), "
            "('acme', 'ava.chen@acme-analytics.com', 'analyst'), ('fjord', 'bo.berg@fjord-retail.no', 'admin')) "
            "AS m(slug, email, role) JOIN organizations o ON o.slug = m.slug JOIN users u ON u.email = m.email"))
        logins = list(conn.execute(sa.text("SELECT id FROM organizations WHERE slug IN ('acme', 'fjord')")).scalars())
    for organization in logins:
        add_login(report_database, organization)
    yield report_database
    for organization in logins:
        remove_login(report_database, organization)


def test_per_organization_renders_each_report_once_per_organization_as_its_analyst(
        organizations_database, render_options, dask_processes):
    from bi_workbench.reports.fanout import organization_analysts, per_organization

    engine = organizations_database
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.text("SELECT slug, id::text FROM organizations")).all())
        users = dict(conn.execute(sa.text("SELECT email, id::text FROM users")).all())
    analysts = {str(org): (str(user) if user else None) for org, _name, user in organization_analysts(engine)}
    assert analysts == {ids["acme"]: users["ava.chen@acme-analytics.com"], ids["fjord"]: users["bo.berg@fjord-retail.no"],
                        ids["empty"]: None}
    options = render_options(cluster=dask_processes.address)
    fanout = per_organization(engine, prepare(engine, ["example_users"], {}, notebooks_dir=options.notebooks_dir),
                              named=True)
    assert fanout.left_out == [f"organization Empty Co ({ids['empty']}) has no active member to render as; "
                               "example_users left out for it."]
    results = render(engine, fanout.requests, options)
    by_org = {r.parameters["organization_id"]: r for r in results}
    assert set(by_org) == {ids["acme"], ids["fjord"]} and all(r.status == "succeeded" for r in results)
    acme, fjord = by_org[ids["acme"]].outputs["html"].read_text(), by_org[ids["fjord"]].outputs["html"].read_text()
    assert "a***@acme-analytics.com" in acme and "c***@acme-analytics.com" in acme and "fjord-retail" not in acme
    assert "b***@fjord-retail.no" in fjord and "acme-analytics" not in fjord   # row-level security, as that analyst
    rows = [row for row in re.findall(r'<tr class="(\w+)">(.*?)</tr>', (options.output_dir / "index.html").read_text(),
                                      re.S) if "example_users/" in row[1]]
    assert len(rows) == 2                                                       # one row per organization
