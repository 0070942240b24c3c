"""Generated passwords kept in files only their owner can read: the embedded superuser's and tenant logins'.

- The embedded server's superuser password lives beside its data directory,
  in ``.<pgdata name>.password`` (mode 0600): the CLI, the Python API and
  notebook kernels of the same OS user read it, nobody else can.
- Tenant login passwords (``bi-workbench tenant add``) live in one JSON file
  per OS user, ``<data dir>/secrets/tenant-logins.json`` (folder 0700, file
  0600), keyed by server and database, then login role.

Files are written whole to a temporary file of mode 0600 first and renamed
into place, so a reader never sees half a file and the secret is never,
even briefly, readable by others.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

from ..errors import ConfigurationError

#: Bytes of randomness in a generated password (URL-safe base64, 43 characters).
PASSWORD_BYTES = 32
#: The authentication methods the embedded server's pg_hba.conf allows (no ``trust``).
AUTH_METHOD = "scram-sha-256"
#: Databases of the server itself, which no tenant login may enter (it would find TEMP and large objects there).
SERVER_DATABASES = "postgres,template0,template1"
PG_HBA = f"""# Written by bi-workbench: every connection proves its password (SCRAM); no trust.
# Tenant logins (members of bi_analyst) reach the workbench's databases only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   {SERVER_DATABASES}  +bi_analyst                reject
host    {SERVER_DATABASES}  +bi_analyst  127.0.0.1/32  reject
host    {SERVER_DATABASES}  +bi_analyst  ::1/128       reject
local   all       all                 {AUTH_METHOD}
host    all       all   127.0.0.1/32  {AUTH_METHOD}
host    all       all   ::1/128       {AUTH_METHOD}
"""


def new_password() -> str:
    """Return a new random password (43 URL-safe characters: letters, digits, ``-`` and ``_``)."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically as a file of mode 0600 (its folder is made 0700 if new)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:  # mkstemp creates it 0600
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_private(path: Path) -> str | None:
    """Return the text of the secret file ``path``, or None if it does not exist.

    Raises ConfigurationError if others than its owner may read or write it.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & 0o077:
        raise ConfigurationError(f"{path} holds a password but others may read it (mode {mode & 0o777:o}); "
                                 f"run `chmod 600 {path}`.")
    return path.read_text().strip()


# --- the embedded server's superuser ---------------------------------------------


def superuser_password_file(pgdata: Path) -> Path:
    """Return where the superuser password of the cluster in ``pgdata`` is kept (beside it, not in it)."""
    pgdata = Path(pgdata)
    return pgdata.parent / f".{pgdata.name}.password"


def superuser_password(pgdata: Path) -> str | None:
    """Return the embedded cluster's superuser password, or None if it has none yet (made before SCRAM)."""
    return read_private(superuser_password_file(pgdata))


def ensure_superuser_password(pgdata: Path) -> str:
    """Return the cluster's superuser password, generating and storing one if there is none."""
    password = superuser_password(pgdata)
    if password is None:
        password = new_password()
        write_private(superuser_password_file(pgdata), password)
    return password


def write_pg_hba(pgdata: Path) -> None:
    """Write the cluster's pg_hba.conf (SCRAM on the socket and on loopback TCP), owned like ``pgdata``."""
    pgdata = Path(pgdata)
    target = pgdata / "pg_hba.conf"
    write_private(target, PG_HBA)
    owner = pgdata.stat()
    if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
        os.chown(target, owner.st_uid, owner.st_gid)


def hba_is_current(pgdata: Path) -> bool:
    """Return True if the cluster's pg_hba.conf is the one `write_pg_hba` writes (or cannot be read by us)."""
    try:
        return (Path(pgdata) / "pg_hba.conf").read_text() == PG_HBA
    except (FileNotFoundError, PermissionError):
        return True


def hba_trusts_anyone(pgdata: Path) -> bool:
    """Return True if the cluster's pg_hba.conf lets any connection in without a password (``trust``)."""
    try:
        lines = (Path(pgdata) / "pg_hba.conf").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return False
    return any(line.split()[-1:] == ["trust"] for line in lines if line.strip() and not line.lstrip().startswith("#"))


# --- tenant logins ----------------------------------------------------------------


def tenant_store(data_dir: Path) -> Path:
    """Return the file of this OS user's tenant login passwords under the workbench's data folder."""
    return Path(data_dir) / "secrets" / "tenant-logins.json"


def _server_key(url) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _load(store: Path) -> dict:
    text = read_private(store)
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigurationError(f"{store} is not valid JSON; remove it and run `bi-workbench tenant add` again.") from None


def save_tenant_password(store: Path, url, role: str, password: str | None) -> None:
    """Remember ``role``'s password for ``url``'s server and database (None forgets it)."""
    logins = _load(store)
    server = logins.setdefault(_server_key(url), {})
    if password is None:
        server.pop(role, None)
    else:
        server[role] = password
    write_private(store, json.dumps(logins, indent=2, sort_keys=True))


def tenant_password(store: Path, url, role: str) -> str | None:
    """Return the stored password of login ``role`` on ``url``'s server and database, or None."""
    return _load(store).get(_server_key(url), {}).get(role)
