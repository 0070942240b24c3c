"""The embedded server: start on demand, reuse across processes, stop cleanly, clear errors."""

import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bi_workbench.database import EmbeddedServer, create_engine
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
    engine.dispose()


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


def test_a_non_empty_directory_without_a_cluster_is_refused_with_advice(tmp_path):
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "half-written").write_text("left by an interrupted initdb")
    srv = EmbeddedServer(pgdata, free_port())
    with pytest.raises(EmbeddedServerError, match="holds no PostgreSQL cluster.*db reset --hard"):
        srv.start()
    assert (pgdata / "half-written").exists()  # nothing of the user's is deleted
