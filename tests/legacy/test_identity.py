"""Email identity: one person per address by a Unicode-aware, locale-independent rule, and a check
that re-derives the people from the legacy rows with an implementation of its own."""

from __future__ import annotations

import unicodedata
from uuid import UUID

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bi_workbench.legacy.contract import tier2_users
from bi_workbench.legacy.identity import TRIMMED, email_key, email_problem, trim_email
from bi_workbench.legacy.identity_check import caseless, trimmed
from bi_workbench.legacy.migrate import check, migrate
from bi_workbench.schema.bookkeeping import legacy_id_map, migration_quarantine

from . import legacy_data as data
from .legacy_data import write_legacy

IDENTITY_CHECKS = (
    "legacy addresses blank after trimming not quarantined as blank (or the reverse)",
    "legacy users on a user with another address (Unicode identity)",
    "users sharing one address (Unicode identity)",
    "users whose email is stored untrimmed",
)


@pytest.fixture
def people(schema_database):
    """The identity cases of legacy_data, migrated through phases 1-4."""
    with schema_database.begin() as conn:
        write_legacy(conn, {tier2_users: data.IDENTITY_USERS})
    migrate(schema_database)
    return schema_database


def users_of(engine) -> dict:
    """Return {legacy u_id: new user id} of every mapped legacy user."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(legacy_id_map.c.legacy_id, legacy_id_map.c.new_id)
                            .where(legacy_id_map.c.legacy_table == "tier2_users"))
        return {UUID(k): v for k, v in rows}


# --- the rule, as a function ------------------------------------------------------------


def test_the_trimmed_characters_are_every_unicode_space_and_the_zero_width_ones():
    spaces = {c for c in map(chr, range(0x110000)) if c.isspace()}
    assert set(TRIMMED) == spaces | {"\u200b", "\u2060", "\ufeff"}
    assert {"\t", "\r", "\n", "\u00a0", "\u3000", "\u2028", "\u202f"} <= set(TRIMMED)


@pytest.mark.parametrize(("one", "other"), [
    ("émile.x@example.test", "ÉMILE.X@example.test"),                  # non-ASCII letter case
    ("émile.x@example.test", "e\u0301mile.x@example.test"),           # composed / decomposed
    ("emile@example.test", "\uff45\uff4d\uff49\uff4c\uff45@example.test"),  # fullwidth
    ("strasse@example.test", "STRA\u1e9eE@example.test"),             # capital sharp s folds to ss
    ("σοφια@example.test", "ΣΟΦΙΑ@example.test"),                      # Greek
    ("pad@example.test", "\t\r\n\u00a0pad@example.test\u3000\u200b\ufeff"),  # every kind of padding
    ("x\u03ac\u0342\u0345@example.test", "x\u0386\u0342\u0345@example.test"),  # needs D146's second fold
])
def test_addresses_that_differ_only_in_case_form_or_padding_have_one_key(one, other):
    assert email_key(one) == email_key(other)


def test_addresses_that_differ_in_a_letter_have_different_keys():
    assert email_key("émile.x@example.test") != email_key("emile.x@example.test")
    assert email_key("a b@example.test") != email_key("ab@example.test")  # inner spaces count


def test_blank_and_over_long_addresses_cannot_be_a_users():
    assert [email_problem(e) for e in (None, "", "\t", "\r\n", "\u00a0\u200b\u2028")] == ["invalid: blank email"] * 5
    assert email_problem("x" * 1988 + "@example.test") == "invalid: email longer than 2000 bytes"
    assert email_problem(" " + "x" * 1987 + "@example.test\t") is None  # 2,000 bytes once trimmed
    assert trim_email("\tAnn@Example.COM\r\n") == "Ann@Example.COM"


@settings(max_examples=3000, deadline=None)
@given(st.text())
def test_the_checks_implementation_agrees_with_the_migrations_on_any_text(text):
    # Two implementations (NFKC composed vs Unicode's D146 in decomposed form; str.strip vs a
    # regular expression) must define the same people, or the check would fail on a good migration.
    assert trimmed(text) == trim_email(text)
    assert caseless(text) == unicodedata.normalize("NFKD", email_key(text))


@pytest.mark.parametrize("text", ["x\u03ac\u0342\u0345@a.b", "x\u0386\u0342\u0345@a.b", "\u1f80\u0345", "\u0390\u0301"])
def test_the_two_implementations_agree_on_combining_greek(text):
    assert caseless(text) == unicodedata.normalize("NFKD", email_key(text))


# --- the migration ------------------------------------------------------------------------


def test_one_user_per_person_by_unicode_identity(people):
    assert users_of(people) == data.IDENTITY_USER_OF
    with people.connect() as conn:
        emails = dict(conn.execute(sa.text("SELECT id, email FROM users")).all())
        reasons = dict(conn.execute(sa.select(legacy_id_map.c.legacy_id, legacy_id_map.c.reason)
                                    .where(legacy_id_map.c.outcome == "merged")).all())
    assert emails == {data.EMILE: "émile.x@example.test", data.EMILE_ASCII: "emile.x@example.test",
                      data.STRASSE: "strasse@example.test", data.PAD: "pad@example.test"}
    assert set(reasons.values()) == {"duplicate email"}
    assert not any(ch in email for email in emails.values() for ch in TRIMMED)  # stored trimmed


def test_addresses_blank_after_trimming_or_too_long_are_quarantined_with_the_reason(people):
    with people.connect() as conn:
        rows = conn.execute(sa.select(migration_quarantine.c.legacy_id, migration_quarantine.c.reason,
                                      migration_quarantine.c.legacy_row["email"].astext)).all()
    assert {UUID(k): reason for k, reason, _ in rows} == data.IDENTITY_QUARANTINE
    assert {UUID(k): email for k, _, email in rows}[data.ONLY_TAB] == "\t"  # the whole row, as it was


def test_the_check_passes_and_verifies_identities_in_its_own_way(people):
    result = check(people)
    assert result.ok, result.render()
    for name in IDENTITY_CHECKS:
        assert result.finding("integrity", name).ok
    assert result.finding("accounting", "tier2_users").details["by_reason"] == {
        "invalid: blank email": 2, "invalid: email longer than 2000 bytes": 1}


def test_the_check_catches_a_person_split_in_two_as_an_ascii_only_rule_would(people):
    # What lower(btrim(email)) in the C locale did: ÉMILE became a user of their own.
    with people.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, email, first_name, last_name) "
                             "VALUES (:id, 'ÉMILE.X@example.test', '', '')"), {"id": data.EMILE_UP})
        conn.execute(sa.text("UPDATE legacy_id_map SET new_id = :id WHERE legacy_id = :key"),
                     {"id": data.EMILE_UP, "key": str(data.EMILE_UP)})
    result = check(people)
    assert {f.name for f in result.problems} >= {"users sharing one address (Unicode identity)"}
    assert result.finding("integrity", "users sharing one address (Unicode identity)").details["problem_rows"] == 1


def test_the_check_catches_a_padded_email_and_a_blank_one_migrated(people):
    with people.begin() as conn:
        conn.execute(sa.text("UPDATE users SET email = chr(13) || email WHERE id = :id"), {"id": data.PAD})
        conn.execute(sa.text("DELETE FROM migration_quarantine WHERE legacy_id = :id"), {"id": str(data.ONLY_TAB)})
        conn.execute(sa.text("INSERT INTO users (id, email, first_name, last_name) VALUES (:id, chr(9), '', '')"),
                     {"id": data.ONLY_TAB})
        conn.execute(sa.text("INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome) "
                             "VALUES ('tier2_users', :key, 'users', :id, 'migrated')"),
                     {"key": str(data.ONLY_TAB), "id": data.ONLY_TAB})
    failed = {f.name for f in check(people).problems}
    assert {"users whose email is stored untrimmed",
            "legacy addresses blank after trimming not quarantined as blank (or the reverse)"} <= failed


def test_a_platform_sign_up_in_another_unicode_form_absorbs_the_legacy_rows(schema_database):
    platform_user = data.uid("e1f")
    with schema_database.begin() as conn:
        write_legacy(conn, {tier2_users: data.IDENTITY_USERS})
        conn.execute(sa.text("INSERT INTO users (id, email, first_name, last_name) "
                             "VALUES (:id, 'Émile.X@Example.test', 'É', 'X')"), {"id": platform_user})
    migrate(schema_database)
    mapped = users_of(schema_database)
    assert {mapped[u] for u in (data.EMILE, data.EMILE_UP, data.EMILE_NFD, data.EMILE_WIDE)} == {platform_user}
    with schema_database.connect() as conn:
        reason = conn.execute(sa.select(legacy_id_map.c.reason)
                              .where(legacy_id_map.c.legacy_id == str(data.EMILE))).scalar_one()
    assert reason == "email already registered"
    assert check(schema_database).ok


def test_addresses_added_later_join_their_person_on_a_second_run(people):
    late = data.uid("e20")
    with people.begin() as conn:
        write_legacy(conn, {tier2_users: [dict(u_id=late, email="\u00a0ÉMILE.X@EXAMPLE.TEST\r\n",
                                               created_at=data.ts("2025-01-01 00:00:00"))]})
    migrate(people)
    assert users_of(people)[late] == data.EMILE
    assert check(people).ok
