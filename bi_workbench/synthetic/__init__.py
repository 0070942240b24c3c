"""Deterministic synthetic data for a SaaS BI platform about three years old.

``seed_legacy`` fills the six legacy contract tables; after the migration has
moved tier2_users into ``users``, ``seed_platform`` fills the new-schema tables
that have no legacy source. The same scale and seed give the same database,
ids and timestamps included; nothing depends on the clock (see REFERENCE_DATE).
"""

from .bulk import SyntheticDataError
from .legacy import legacy_batches, seed_legacy
from .platform import PLATFORM_TABLES, seed_platform
from .primitives import REFERENCE_DATE
from .scales import LARGE, MEDIUM, SCALES, SMALL, Scale, get_scale

__all__ = [
    "LARGE", "MEDIUM", "PLATFORM_TABLES", "REFERENCE_DATE", "SCALES", "SMALL", "Scale", "SyntheticDataError",
    "get_scale", "legacy_batches", "seed_legacy", "seed_platform",
]
