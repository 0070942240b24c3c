"""The bookkeeping every step shares (bi_workbench/legacy/books.py): the pending rule applied between
steps, the orphan rule, and a step file's columns checked against the new table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bi_workbench.errors import MigrationError
from bi_workbench.legacy.books import orphans, prune, step_statement
from bi_workbench.legacy.carry import carried_table, prepare_carried
from bi_workbench.legacy.migrate import migrate
from bi_workbench.legacy.phases import ASSESSMENTS, USERS
from bi_workbench.schema.bookkeeping import legacy_id_map, migration_quarantine

from . import legacy_data as data


def _carried_ids(conn, source) -> set[str]:
    carried = carried_table(source)
    return {str(key) for key in conn.execute(sa.select(carried.c[source.key])).scalars()}


def test_prune_keeps_only_the_rows_neither_mapped_nor_quarantined(legacy_database):
    with legacy_database.connect() as conn:
        prepare_carried(conn, USERS, only_pending=True)
        before = _carried_ids(conn, USERS)
        mapped, quarantined = sorted(before)[:2]
        conn.execute(legacy_id_map.insert().values(legacy_table="tier2_users", legacy_id=mapped, new_table="users",
                                                   new_id=mapped, outcome="migrated"))
        conn.execute(migration_quarantine.insert().values(legacy_table="tier2_users", legacy_id=quarantined,
                                                          legacy_row={}, reason="test", phase=1))
        prune(conn, USERS)
        assert _carried_ids(conn, USERS) == before - {mapped, quarantined}


def test_the_orphan_rule_names_every_kind_of_orphan_and_nothing_else(legacy_database):
    migrate(legacy_database, phase=1)
    with legacy_database.connect() as conn:
        carried = prepare_carried(conn, ASSESSMENTS, only_pending=True)
        judged = dict(conn.execute(orphans(ASSESSMENTS, carried)).all())
    assert {str(key): reason for key, reason in judged.items()} == {
        str(data.A5): "orphan: user not found",
        str(data.A6): "orphan: no user id",
        str(data.A7): "orphan: user quarantined",
    }


@pytest.mark.parametrize("select, named", [
    ("SELECT u_id AS legacy_key, u_id AS id, email AS e_mail FROM carried_tier2_users", "e_mail"),
    ("SELECT u_id AS legacy_key, email FROM carried_tier2_users", "none"),
])
def test_a_migrating_step_must_select_the_key_and_columns_of_the_new_table(legacy_database, select, named):
    with legacy_database.connect() as conn:
        prepare_carried(conn, USERS, only_pending=True)
        with pytest.raises(MigrationError, match=rf"tier2_users must select legacy_key .* of users .*: {named}\."):
            step_statement(conn, select, USERS, "migrated", 1)


def test_an_unknown_outcome_is_refused(schema_database):
    with schema_database.connect() as conn, pytest.raises(MigrationError, match="unknown step outcome 'moved'"):
        step_statement(conn, "SELECT 1", USERS, "moved", 1)
