"""Where the database is and where the workbench keeps its files.

Precedence for the database: an explicit URL (``--database-url``), then the
environment variable ``BI_WORKBENCH_DATABASE_URL``, then the embedded server.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .errors import ConfigurationError

DATABASE_URL_ENV = "BI_WORKBENCH_DATABASE_URL"
DATA_DIR_ENV = "BI_WORKBENCH_DATA_DIR"
PORT_ENV = "BI_WORKBENCH_PORT"
#: "ORGANIZATION_ID[:USER_ID]": every engine of this process (and of the notebook
#: kernels it starts) connects as that organization's tenant login; the user
#: (a member of it) is named in the audit trail.
TENANT_ENV = "BI_WORKBENCH_TENANT"

DEFAULT_PORT = 55432
DEFAULT_DATABASE = "bi_workbench"


@dataclass(frozen=True)
class Settings:
    """Resolved settings: an external database URL, or where the embedded server lives."""

    database_url: str | None
    data_dir: Path
    port: int
    database: str = DEFAULT_DATABASE
    #: (organization id, acting user id or None), both validated UUID text.
    tenant: tuple[str, str | None] | None = None

    @property
    def uses_embedded_server(self) -> bool:
        """True when no URL was given, so the embedded server is the database."""
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        """The embedded server's data directory."""
        return self.data_dir / "pgdata"


def _port_from_env() -> int:
    raw = os.environ.get(PORT_ENV)
    if raw is None:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise ConfigurationError(f"{PORT_ENV}={raw!r} is not a port number; give an integer from 1024 to 65535.") from None
    if not 1024 <= port <= 65535:
        raise ConfigurationError(f"{PORT_ENV}={port} is outside 1024-65535; choose a free unprivileged port.")
    return port


def load_settings(database_url: str | None = None) -> Settings:
    """Return the settings in force, from the argument, then the environment, then defaults."""
    url = database_url or os.environ.get(DATABASE_URL_ENV) or None
    return Settings(database_url=url, data_dir=_data_dir_from_env(), port=_port_from_env(), tenant=_tenant_from_env())


def _data_dir_from_env() -> Path:
    raw = os.environ.get(DATA_DIR_ENV)
    data_dir = Path(raw or platformdirs.user_data_dir("bi-workbench")).expanduser()
    # The first existing folder on the way decides: a file there (/dev/null) can never hold a folder.
    existing = next((p for p in (data_dir, *data_dir.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        name = f"{DATA_DIR_ENV}={raw}" if raw else f"the data folder {data_dir}"
        raise ConfigurationError(f"{name} cannot hold the database: {existing} is not a folder; "
                                 f"set {DATA_DIR_ENV} to a folder.")
    return data_dir


def _tenant_from_env() -> tuple[str, str | None] | None:
    raw = os.environ.get(TENANT_ENV)
    if raw is None:
        return None
    if not raw.strip():  # set but blank (e.g. an empty $ORG): never fall back to the owner
        raise ConfigurationError(f"{TENANT_ENV} is set but blank; set it to ORGANIZATION_ID[:USER_ID] "
                                 f"or unset it to run as the owner.")
    organization, separator, user = (part.strip() for part in raw.partition(":"))
    try:
        return str(uuid.UUID(organization)), (str(uuid.UUID(user)) if separator else None)
    except ValueError:
        raise ConfigurationError(
            f"{TENANT_ENV}={raw!r} must be ORGANIZATION_ID or ORGANIZATION_ID:USER_ID (UUIDs).") from None
