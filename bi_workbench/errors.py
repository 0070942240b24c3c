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


class MigrationError(WorkbenchError):
    """A legacy migration phase could not run or failed; its transaction was rolled back."""

    exit_code = 6


class MigrationOrderError(MigrationError):
    """A migration phase was asked for before the phases it depends on (or phase 5 without consent)."""


class ReconciliationFailedError(MigrationError):
    """The migration checks found unexplained differences; carries the Reconciliation."""

    def __init__(self, message: str, reconciliation=None):
        super().__init__(message)
        self.reconciliation = reconciliation


class InvalidParameterError(WorkbenchError, ValueError):
    """An input value is outside what is allowed; the message names the parameter and the allowed values."""

    exit_code = 2


class InvalidResponsesError(InvalidParameterError):
    """An assessment's ``responses`` is not a JSON object; carries the assessment id."""

    def __init__(self, message: str, assessment_id=None):
        super().__init__(message)
        self.assessment_id = assessment_id


class InvalidRubricError(WorkbenchError, ValueError):
    """A scoring rubric (versioned JSON data) is malformed; the message names the bad entry."""

    exit_code = 2


class SimulationFailedError(WorkbenchError):
    """A stored growth simulation raised; its row was marked ``failed``. Carries ``simulation_id``."""

    def __init__(self, message: str, simulation_id=None):
        super().__init__(message)
        self.simulation_id = simulation_id


class InvalidFilterError(WorkbenchError, ValueError):
    """A loader parameter or filter value has the wrong type or form (names the parameter)."""

    exit_code = 2


class ConcurrencyConflictError(WorkbenchError):
    """An append expected an aggregate at one version and found it at another; nothing was written."""

    exit_code = 7

    def __init__(self, message: str, expected: int | None = None, actual: int | None = None):
        super().__init__(message)
        self.expected, self.actual = expected, actual


class NotFoundError(WorkbenchError, LookupError):
    """A row the caller named (a user, an assessment, a lever) does not exist."""

    exit_code = 2


class TenantAccessError(WorkbenchError, PermissionError):
    """A tenant context was refused: the user is not a member of the organization (or it does not exist)."""

    exit_code = 8


class ReportFailedError(WorkbenchError):
    """One or more reports failed to render; each kept its last good report. Carries the run results."""

    exit_code = 9

    def __init__(self, message: str, results=None):
        super().__init__(message)
        self.results = list(results or [])


class ScheduleConfigError(WorkbenchError, ValueError):
    """The report schedules file is malformed: the message names the file, the entry and what is wrong."""

    exit_code = 2


class LockBusyError(WorkbenchError):
    """An owner's command could not take its locks: another session held them through every retry; nothing changed."""

    exit_code = 10
