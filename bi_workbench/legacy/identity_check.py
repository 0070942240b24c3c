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
from collections import Counter, defaultdict

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
#: The trimmed and caseless forms of the address of a user that does not exist.
_NO_USER = ("", "")

expected_user_email = temporary_table(
    "expected_user_email",
    Column("u_id", UUID(as_uuid=True), primary_key=True),
    Column("email", Text),
)


def trimmed(address: str | None) -> str:
    """Return ``address`` without white space or zero-width spaces at its ends ('' for None)."""
    text = address or ""
    if text[:1].isalnum() and text[-1:].isalnum():
        return text  # no space or zero-width space is a letter or a digit: nothing to trim
    return _EDGES.sub("", text)


def caseless(address: str | None) -> str:
    """Return the compatibility-caseless form of a trimmed address (Unicode D146); '' when blank."""
    return _folded(trimmed(address))


def _folded(text: str) -> str:
    """Return the compatibility-caseless form of ``text``, already trimmed."""
    if text.isascii():
        # Every normalization form leaves ASCII as it is, and ASCII case folding is lower().
        return text.lower()
    folded = unicodedata.normalize("NFD", text).casefold()
    return trimmed(unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", folded).casefold()))


def _forms(address: str | None) -> tuple[str, str]:
    """Return ``address`` trimmed, and its compatibility-caseless form."""
    text = trimmed(address)
    return text, _folded(text)


def identity_findings(connection: Connection, legacy_present: bool) -> list[tuple[str, int, list[str]]]:
    """Return (check name, problem rows, example ids) per identity check (legacy ones only when present)."""
    users = dict(_rows(connection, new.users.c.id, new.users.c.email))
    forms = {user_id: _forms(email) for user_id, email in users.items()}
    checks = [_shared_addresses(forms), _untrimmed(users, forms)]
    if legacy_present:
        legacy = [(u_id, *_forms(email), new_id, reason) for u_id, email, new_id, reason in _legacy_rows(connection)]
        fill(connection, expected_user_email, ((u_id, clean) for u_id, clean, *_rest in legacy))
        checks = [_blank(legacy), _on_another_address(legacy, forms)] + checks
    return checks


def _rows(connection: Connection, key, value) -> list[tuple]:
    """Return (key as text, value) of the rows of a table (a UUID as the text its examples show)."""
    return _fetch(connection, sa.select(sa.cast(key, Text), value))


def _legacy_rows(connection: Connection) -> list[tuple]:
    """Return (u_id, email, user it is mapped to, quarantine reason) of every legacy user, ids as text."""
    u_id = sa.cast(tier2_users.c.u_id, Text)
    m, q = legacy_id_map, migration_quarantine
    return _fetch(connection, sa.select(u_id, tier2_users.c.email, sa.cast(m.c.new_id, Text), q.c.reason)
                  .outerjoin(m, sa.and_(m.c.legacy_table == tier2_users.name, m.c.legacy_id == u_id))
                  .outerjoin(q, sa.and_(q.c.legacy_table == tier2_users.name, q.c.legacy_id == u_id)))


def _fetch(connection: Connection, select: sa.Select) -> list[tuple]:
    """Return the rows of ``select`` as plain tuples, read by the driver's cursor (a third of the time of Rows)."""
    compiled = select.compile(dialect=connection.dialect)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _blank(legacy) -> tuple[str, int, list[str]]:
    """Legacy rows blank after trimming but not quarantined as blank, or quarantined as blank but not blank."""
    wrong = sorted(u_id for u_id, _clean, key, _user, reason in legacy
                   if (key == "") != (reason == "invalid: blank email"))
    return ("legacy addresses blank after trimming not quarantined as blank (or the reverse)", len(wrong),
            wrong[:EXAMPLES])


def _on_another_address(legacy, forms: dict) -> tuple[str, int, list[str]]:
    """Legacy rows mapped to a user whose address is not theirs (case, width and spaces aside)."""
    wrong = sorted(u_id for u_id, _clean, key, user, _reason in legacy
                   if user is not None and forms.get(user, _NO_USER)[1] != key)
    return ("legacy users on a user with another address (Unicode identity)", len(wrong), wrong[:EXAMPLES])


def _shared_addresses(forms: dict) -> tuple[str, int, list[str]]:
    """Groups of users sharing one address (case, width and spaces aside)."""
    users_of = Counter(key for _clean, key in forms.values())
    groups: dict[str, list[str]] = defaultdict(list)
    for user_id, (_clean, key) in forms.items():
        if users_of[key] > 1:
            groups[key].append(user_id)
    shared = sorted(min(ids) for ids in groups.values())
    return ("users sharing one address (Unicode identity)", len(shared), shared[:EXAMPLES])


def _untrimmed(users: dict, forms: dict) -> tuple[str, int, list[str]]:
    """Users whose stored address has white space or zero-width spaces at an end."""
    wrong = sorted(user_id for user_id, email in users.items() if forms[user_id][0] != email)
    return ("users whose email is stored untrimmed", len(wrong), wrong[:EXAMPLES])
