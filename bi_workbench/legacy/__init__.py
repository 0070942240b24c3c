"""The legacy side of the migration: the contract tables the migration reads."""

from .contract import CHOICE_ANSWERS, LEGACY_TABLES, create_legacy_tables, legacy_metadata

__all__ = ["CHOICE_ANSWERS", "LEGACY_TABLES", "create_legacy_tables", "legacy_metadata"]
