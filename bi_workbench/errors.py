"""One exception hierarchy for the workbench.

The Python API raises these as they are; the CLI prints ``str(error)`` as a
single line and exits with ``error.exit_code``. Each message names the problem
and what to do about it.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class of every expected failure of bi-workbench."""

    exit_code = 1


class ConfigurationError(WorkbenchError):
    """A setting is malformed: a database URL, a data folder, a port."""

    exit_code = 2


class DatabaseUnavailableError(WorkbenchError):
    """The PostgreSQL server named by the settings cannot be reached or logged into."""

    exit_code = 3


class EmbeddedServerError(WorkbenchError):
    """The embedded PostgreSQL server could not be initialised, started or stopped."""

    exit_code = 3


class PortInUseError(EmbeddedServerError):
    """The port chosen for the embedded server is taken by another program."""


class SchemaMissingError(WorkbenchError):
    """The database does not hold the workbench schema (run `bi-workbench db init`)."""

    exit_code = 4


class SchemaDriftError(WorkbenchError):
    """The live database differs from the schema model; carries the differences."""

    exit_code = 5

    def __init__(self, message: str, differences: list | None = None):
        super().__init__(message)
        self.differences = list(differences or [])


class SchemaApplyError(WorkbenchError):
    """Applying or upgrading the schema failed; the transaction was rolled back."""

    exit_code = 4


class UnknownIdentifierError(WorkbenchError, LookupError):
    """A table, column, report or parameter name is not one the schema knows."""

    exit_code = 2
