"""`seed` under faults: kill -9 of the server, and a full disk; a plain rerun completes the same database."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from tests.faults.conftest import Workbench, assert_one_line, fingerprint
from tests.conftest import free_port

# When to kill: while the legacy tables are being copied (first transaction), and
# after it committed, while the migration and the platform seed run.
MOMENTS = {
    # the legacy tables it creates are locked but not yet visible to other sessions
    "legacy seed": "SELECT EXISTS (SELECT 1 FROM pg_locks AS l WHERE l.locktype = 'relation' "
                   "AND l.mode = 'AccessExclusiveLock' AND l.database = (SELECT oid FROM pg_database "
                   "WHERE datname = current_database()) AND NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = l.relation))",
    "migration and platform seed": "SELECT obj_description('public'::regnamespace, 'pg_namespace') IS NOT NULL",
}


def _assert_same_as_an_uninterrupted_build(workbench, demo_engine):
    engine = create_engine(workbench.url)
    try:
        assert fingerprint(engine) == fingerprint(demo_engine)
        with engine.connect() as conn:  # and the build is no longer marked as in progress
            assert conn.execute(sa.text("SELECT obj_description('public'::regnamespace, 'pg_namespace')")).scalar() is None
    finally:
        engine.dispose()
    code, out, err = workbench.run("migrate", "check")
    assert code == 0, out + err


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill_9_of_the_server_during_seed_then_a_plain_rerun_completes(workbench, demo_engine, moment):
    seeding = workbench.start("seed", "--scale", "small", "--seed", "42")
    workbench.wait_until(MOMENTS[moment], seeding)
    workbench.kill_server()
    _, err = seeding.communicate(timeout=300)
    assert_one_line(seeding.returncode, err)
    code, out, err = workbench.run("seed", "--scale", "small", "--seed", "42")
    assert code == 0, err
    assert "migration check: OK" in out
    _assert_same_as_an_uninterrupted_build(workbench, demo_engine)


@pytest.fixture
def small_disk():
    """A 60 MB tmpfs (the cluster takes about 44 MB, a small seed about 32 MB more); grown with .grow()."""
    # Under /tmp with an open parent, so the server's user reaches it in place (pytest's own folders are 0700).
    mount = Path(tempfile.mkdtemp(prefix="bi-workbench-disk-", dir="/tmp"))
    mount.chmod(0o755)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=60m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root or CAP_SYS_ADMIN")

    class Disk:
        path = mount

        @staticmethod
        def grow(size: str) -> None:
            subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True)

    yield Disk
    subprocess.run(["umount", "-l", str(mount)], check=False)
    shutil.rmtree(mount, ignore_errors=True)


def test_a_full_disk_during_seed_is_one_line_and_a_rerun_with_space_completes(small_disk, demo_engine):
    workbench = Workbench(small_disk.path / "data", free_port())
    try:
        code, _, err = workbench.run("db", "init")
        assert code == 0, err
        code, _, err = workbench.run("seed", "--scale", "small", "--seed", "42")
        assert_one_line(code, err)
        # A full data file is an error the command names; a WAL segment that cannot be written stops the server
        # (PANIC) and the command sees the connection lost. Which comes first depends on the machine's timing.
        server_log = workbench.server.log_file.read_text(errors="replace")
        assert "No space left on device" in err or (
            "the connection to the database was lost" in err and "No space left on device" in server_log), err
        small_disk.grow("400m")
        code, out, err = workbench.run("seed", "--scale", "small", "--seed", "42")
        assert code == 0, err
        _assert_same_as_an_uninterrupted_build(workbench, demo_engine)
    finally:
        workbench.destroy()
