"""Database access: the embedded server's lifecycle and the engine on the database in force."""

from .connection import create_engine, embedded_server, get_engine, normalize_url, resolve_url
from .embedded import EmbeddedServer, ServerStatus

__all__ = ["EmbeddedServer", "ServerStatus", "create_engine", "embedded_server", "get_engine", "normalize_url", "resolve_url"]
