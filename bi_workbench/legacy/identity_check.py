"""The migration check of email identities, written independently of the migration's rule.

Phase 1 groups legacy users by the key of `bi_workbench.legacy.identity`. This module
re-derives the same rule on its own (a regular expression for the trimming; Unicode's
definition of a compatibility caseless match, The Unicode Standard section 3.13 D146,
``NFKD(casefold(NFKD(casefold(NFD(x)))))``, for the comparison) and checks, from the legacy
rows, the bookkeeping and the users as they are:

- every legacy row that is blank after trimming is quarantined as blank, and only those;
- every legacy row mapped to a user (migrated or merged) has that user's address;
- no two users have the same address (case, width and Unicode spaces aside);
- every stored address is trimmed.

Together the first three say: rows of one address are on one user, and rows of different
addresses on different users. It also writes ``expected_user_email`` (temporary: legacy
u_id, the address as it must be stored) for the SQL value checks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy import Column, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Connection

from ..schema import tables as new
from ..schema.bookkeeping import legacy_id_map, migration_quarantine
from .contract import tier2_users
from .temporary import fill, temporary_table

#: Ends of an address that do not count: Unicode white space and the zero-width spaces.
_EDGES = re.compile(r"^[\s\u200b\u2060\ufeff]+|[\s\u200b\u2060\ufeff]+$")
#: Most example ids listed in a finding.
EXAMPLES = 5

expected_user_email = temporary_table(
    "expected_user_email",
    Column("u_id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text),
)


def trimmed(address: str | None) -> str:
    """Return ``address`` without white space or zero-width spaces at its ends ('' for None)."""
    return _EDGES.sub("", address or "")


def caseless(address: str | None) -> str:
    """Return the compatibility-caseless form of a trimmed address (Unicode D146); '' when blank."""
    text = trimmed(address)
    folded = unicodedata.normalize("NFD", text).casefold()
    return trimmed(unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", folded).casefold()))


def identity_findings(connection: Connection, legacy_present: bool) -> list[tuple[str, int, list[str]]]:
    """Return (check name, problem rows, example ids) per identity check (legacy ones only when present)."""
    users = {user_id: email for user_id, email in connection.execute(sa.select(new.users.c.id, new.users.c.email))}
    checks = [_shared_addresses(users), _untrimmed(users)]
    if legacy_present:
        legacy = connection.execute(sa.select(tier2_users.c.u_id, tier2_users.c.email)).all()
        mapped = dict(connection.execute(
            sa.select(legacy_id_map.c.legacy_id, legacy_id_map.c.new_id)
            .where(legacy_id_map.c.legacy_table == tier2_users.name)).all())
        quarantined = dict(connection.execute(
            sa.select(migration_quarantine.c.legacy_id, migration_quarantine.c.reason)
            .where(migration_quarantine.c.legacy_table == tier2_users.name)).all())
        fill(connection, expected_user_email, ((u_id, trimmed(email)) for u_id, email in legacy))
        checks = [_blank(legacy, quarantined), _on_another_address(legacy, mapped, users)] + checks
    return checks


def _blank(legacy, quarantined: dict[str, str]) -> tuple[str, int, list[str]]:
    """Legacy rows blank after trimming but not quarantined as blank, or quarantined as blank but not blank."""
    wrong = sorted(str(u_id) for u_id, email in legacy
                   if (caseless(email) == "") != (quarantined.get(str(u_id)) == "invalid: blank email"))
    return ("legacy addresses blank after trimming not quarantined as blank (or the reverse)", len(wrong),
            wrong[:EXAMPLES])


def _on_another_address(legacy, mapped: dict, users: dict) -> tuple[str, int, list[str]]:
    """Legacy rows mapped to a user whose address is not theirs (case, width and spaces aside)."""
    wrong = sorted(str(u_id) for u_id, email in legacy
                   if str(u_id) in mapped and caseless(users.get(mapped[str(u_id)])) != caseless(email))
    return ("legacy users on a user with another address (Unicode identity)", len(wrong), wrong[:EXAMPLES])


def _shared_addresses(users: dict) -> tuple[str, int, list[str]]:
    """Groups of users sharing one address (case, width and spaces aside)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for user_id, email in users.items():
        groups[caseless(email)].append(str(user_id))
    shared = sorted(min(ids) for ids in groups.values() if len(ids) > 1)
    return ("users sharing one address (Unicode identity)", len(shared), shared[:EXAMPLES])


def _untrimmed(users: dict) -> tuple[str, int, list[str]]:
    """Users whose stored address has white space or zero-width spaces at an end."""
    wrong = sorted(str(user_id) for user_id, email in users.items() if trimmed(email) != email)
    return ("users whose email is stored untrimmed", len(wrong), wrong[:EXAMPLES])

