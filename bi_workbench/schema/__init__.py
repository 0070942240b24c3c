"""The platform schema as code: tables, read models, partitions, versioned upgrades, drift check."""

from . import bookkeeping  # noqa: F401  (registers the migration bookkeeping tables on metadata)
from . import report_runs  # noqa: F401  (registers the report run history on metadata)
from . import tenant_logins  # noqa: F401  (registers the tenant logins on metadata)
from .apply import current_revision, head_revision, init_schema, require_schema, reset_schema
from .tables import metadata

__all__ = ["current_revision", "head_revision", "init_schema", "metadata", "require_schema", "reset_schema"]
