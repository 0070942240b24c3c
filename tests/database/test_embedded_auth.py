"""The embedded server authenticates every connection: SCRAM with a generated secret only its owner can read."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bi_workbench.database import EmbeddedServer, create_engine
from bi_workbench.database import secrets
from tests.conftest import free_port

PSQL = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = EmbeddedServer(tmp_path_factory.mktemp("auth") / "pgdata", free_port())
    srv.start()
    yield srv
    srv.destroy()


def _psql_as_another_user(url: str) -> subprocess.CompletedProcess:
    """Run psql on ``url`` as the OS user ``nobody`` (when we are root), with no password file or variable."""
    env = {"PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "10", "HOME": "/nonexistent"}
    prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, PSQL, "-X", "-w", url, "-c", "SELECT current_user"], capture_output=True,
                          text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("password", ["wrong", ""])
def test_a_wrong_or_missing_password_from_another_os_user_is_refused(server, password):
    assert os.geteuid() != 0 or pwd.getpwnam("nobody")
    login = f"postgres:{password}" if password else "postgres"  # "": no password at all
    done = _psql_as_another_user(f"postgresql://{login}@127.0.0.1:{server.port}/postgres")
    assert done.returncode != 0
    assert "password authentication failed" in done.stderr or "no password supplied" in done.stderr
    assert "postgres" not in done.stdout


def test_the_socket_is_out_of_reach_of_other_os_users(server):
    done = _psql_as_another_user(f"postgresql://postgres:wrong@/postgres?host={server.pgdata}&port={server.port}")
    assert done.returncode != 0 and done.stdout == ""


def test_the_owner_finds_the_secret_without_typing_it(server):
    engine = create_engine(server.url("postgres"))  # the URL carries the stored secret
    with engine.connect() as conn:
        methods = set(conn.execute(sa.text("SELECT auth_method FROM pg_hba_file_rules")).scalars())
        assert conn.execute(sa.text("SHOW password_encryption")).scalar() == "scram-sha-256"
    engine.dispose()
    assert methods == {"scram-sha-256", "reject"}  # reject: tenant logins in the server's own databases
    secret = secrets.superuser_password_file(server.pgdata)
    assert secret.stat().st_mode & 0o777 == 0o600 and secret.stat().st_uid == os.geteuid()


def test_a_cluster_made_with_trust_gets_a_password_at_its_next_start(tmp_path):
    srv = EmbeddedServer(tmp_path / "pgdata", free_port())
    try:
        srv.start()
        srv.stop()
        # As a cluster of an older workbench: trust everywhere, no stored secret.
        (srv.pgdata / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        secrets.superuser_password_file(srv.pgdata).unlink()
        srv.start()
        assert not secrets.hba_trusts_anyone(srv.pgdata)
        engine = create_engine(srv.url("postgres"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == "postgres"
        engine.dispose()
        wrong = make_url(srv.url("postgres")).set(drivername="postgresql", password="wrong")
        assert _psql_as_another_user(wrong.render_as_string(hide_password=False)).returncode != 0
    finally:
        srv.destroy()


def _proc_field(pid: int, name: str) -> list[str]:
    line = next(line for line in (Path("/proc") / str(pid) / "status").read_text().splitlines()
                if line.startswith(f"{name}:"))
    return line.split()[1:]


def test_the_server_runs_with_its_own_group_never_roots(server):
    """Started by root, the postmaster and its backends have the server user's group only (no gid 0)."""
    engine = create_engine(server.url("postgres"))
    with engine.connect() as conn:
        backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        postmaster = int(_proc_field(backend, "PPid")[0])
        groups = {pid: (_proc_field(pid, "Uid"), _proc_field(pid, "Gid"), _proc_field(pid, "Groups"))
                  for pid in (postmaster, backend)}
    engine.dispose()
    for uid, gid, extra in groups.values():
        if os.geteuid() == 0:
            assert "0" not in uid and "0" not in gid and "0" not in extra
        else:
            assert uid[0] == str(os.geteuid()) and gid[0] == str(os.getegid())
