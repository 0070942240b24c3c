"""Which database login speaks for which organization: tenant_logins, declared on the schema's ``metadata``.

One row per tenant login (`bi-workbench tenant add`): the login role's name
and the organization it is bound to. ``current_tenant()``
(``sql/tenancy.sql``) reads it for ``session_user``, which a login cannot
change, so the organization is a property of who connected, not of a setting
the session could set. Only the owner reads or writes it; analysts have no
privilege on it.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from .tables import TIMESTAMPTZ, metadata

tenant_logins = Table(
    "tenant_logins", metadata,
    Column("role_name", Text, primary_key=True),
    # One login per organization; it goes with its organization.
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=func.now()),
)
