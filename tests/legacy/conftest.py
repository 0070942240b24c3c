"""Fixtures shared by the legacy migration tests: the hand-written legacy dataset, before and after migrating."""

from __future__ import annotations

import pytest

from bi_workbench.legacy.migrate import migrate

from tests.conftest import filled

from .legacy_data import write_legacy


@pytest.fixture
def legacy_database(schema_database):
    """The schema plus the hand-written legacy dataset, committed, nothing migrated yet."""
    return filled(schema_database, write_legacy)


@pytest.fixture
def migrated(legacy_database):
    """The hand-written dataset migrated through phases 1-4."""
    migrate(legacy_database)
    return legacy_database
