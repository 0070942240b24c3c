"""Who a legacy user is: one person per email address, compared Unicode-aware and locale-independently.

The rule (also at the top of ``sql/p1_01_users.sql`` and in the README's migration rules):

1. **Trim.** At both ends of the address, remove every character in ``TRIMMED``: the
   characters Python's ``str.isspace`` counts as spaces (Unicode's White_Space property:
   space, tab, LF, VT, FF, CR, NEL, NO-BREAK SPACE, OGHAM SPACE MARK, EN QUAD to HAIR
   SPACE, LINE and PARAGRAPH SEPARATOR, NARROW NO-BREAK SPACE, MEDIUM MATHEMATICAL SPACE,
   IDEOGRAPHIC SPACE; plus the ASCII separators U+001C-U+001F), and the invisible
   ZERO WIDTH SPACE (U+200B), WORD JOINER (U+2060) and ZERO WIDTH NO-BREAK SPACE / byte
   order mark (U+FEFF) that pasted addresses carry. ``users.email`` stores this trimmed
   text, otherwise as typed (letter case kept).
2. **Key.** ``NFKC(casefold(NFKC(trimmed)))``: compatibility forms unified (fullwidth
   ``ＡＢ`` is ``AB``, the ligature ``ﬁ`` is ``fi``), then Unicode full case folding
   (``É`` is ``é``, ``ß`` is ``ss``, final ``ς`` is ``σ``), normalized again. Two legacy
   rows are the same person when their keys are equal. This is Unicode's compatibility
   caseless match (The Unicode Standard, section 3.13, D146), in composed form.
3. **Blank or too long.** An address that is empty after trimming is quarantined as
   ``invalid: blank email``; one longer than ``MAX_EMAIL_BYTES`` (UTF-8) as
   ``invalid: email longer than 2000 bytes`` (the btree indexes on ``users.email``
   refuse entries over 2,704 bytes).

The key is computed here, in Python (``unicodedata``, the Unicode version of the running
interpreter), never with the server's ``lower()``: a database in the C locale folds only
ASCII, so ``émile`` and ``ÉMILE`` would stay two people. Phase 1 fills two temporary
tables with the keys before its set-based SQL runs (`prepare_identities`).
``migrate check`` verifies the result with its own implementation
(`bi_workbench.legacy.identity_check`), not with this one.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy import Column, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Connection

from ..schema import tables as new
from .carry import MAX_INDEXED_TEXT_BYTES, pending
from .contract import tier2_users
from .temporary import fill, temporary_table

#: Characters trimmed from both ends of an address (see the module docstring).
TRIMMED = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u2060\ufeff"
)
#: Longest address (UTF-8 bytes, after trimming) a user can have: the limit of indexed text.
MAX_EMAIL_BYTES = MAX_INDEXED_TEXT_BYTES
BLANK = "invalid: blank email"
TOO_LONG = f"invalid: email longer than {MAX_EMAIL_BYTES} bytes"


def trim_email(raw: str | None) -> str:
    """Return ``raw`` without the characters of ``TRIMMED`` at either end ('' for None)."""
    return (raw or "").strip(TRIMMED)


def email_key(raw: str | None) -> str:
    """Return the identity key of an address: trimmed, then the compatibility caseless form of The Unicode
    Standard (3.13, D146: NFKD(casefold(NFKD(casefold(NFD(x)))))), stored composed (NFKC); '' when blank.

    Folding twice, from the decomposed form, is what makes the key agree with D146 on every text
    (one fold misses combining sequences such as Greek alpha with perispomeni and ypogegrammeni).

    >>> email_key(" ÉMILE.X@Example.test\\t") == email_key("émile.x@example.test")
    True
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFD", trim_email(raw)).casefold()).casefold()
    return unicodedata.normalize("NFKC", folded).strip(TRIMMED)


def email_problem(raw: str | None) -> str | None:
    """Return the quarantine reason of an address that cannot be a user's, or None when it can."""
    clean = trim_email(raw)
    if not email_key(clean):
        return BLANK
    if len(clean.encode("utf-8")) > MAX_EMAIL_BYTES:
        return TOO_LONG
    return None


# --- the temporary tables phase 1 reads -------------------------------------------------

#: Per pending tier2_users row: the address as stored, its key, or why it cannot be a user.
legacy_email_identity = temporary_table(
    "legacy_email_identity",
    Column("u_id", UUID(as_uuid=True), primary_key=True),
    Column("clean_email", Text),
    Column("email_key", Text),
    Column("problem", Text),
)

#: One user per key among the users already there (the earliest created, then the smallest id).
user_email_identity = temporary_table(
    "user_email_identity",
    Column("email_key", Text, primary_key=True),
    Column("user_id", UUID(as_uuid=True), nullable=False),
)


def prepare_identities(connection: Connection) -> None:
    """Fill ``legacy_email_identity`` (pending legacy rows) and ``user_email_identity`` (every user).

    Both are temporary tables dropped at the end of the transaction; phase 1's steps join them.
    """
    legacy_rows = connection.execute(
        sa.select(tier2_users.c.u_id, tier2_users.c.email).where(pending(tier2_users, tier2_users.c.u_id))
    ).all()
    fill(connection, legacy_email_identity, (_legacy_identity(u_id, email) for u_id, email in legacy_rows))
    users = connection.execute(
        sa.select(new.users.c.id, new.users.c.email)
        .order_by(new.users.c.created_at.asc().nulls_last(), new.users.c.id)
    ).all()
    first: dict[str, object] = {}
    for user_id, email in users:
        first.setdefault(email_key(email), user_id)
    fill(connection, user_email_identity, ((key, user_id) for key, user_id in first.items() if key))


def _legacy_identity(u_id, email: str | None) -> tuple:
    """Return the ``legacy_email_identity`` row of one legacy user."""
    problem = email_problem(email)
    if problem:
        return (u_id, None, None, problem)
    return (u_id, trim_email(email), email_key(email), None)

