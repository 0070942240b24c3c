"""The sizes of the synthetic datasets, as data: one frozen dataclass per scale.

Ratios that do not change with size (assessments per user, share of orphans,
...) live beside the generator that uses them; a scale only says how big.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownIdentifierError


@dataclass(frozen=True)
class Scale:
    """How many rows of each independent kind a dataset holds."""

    name: str
    #: rows of legacy tier2_users (duplicates by email included)
    users: int
    #: rows of legacy realtime_business_trends
    business_trends: int
    #: rows of legacy realtime_marketing_playbook
    marketing_playbook: int
    #: rows of news_feed
    news_items: int
    #: analytics_events wanted in total (the count lands within a few % of it)
    analytics_events: int
    #: mean analytics events per user session
    events_per_session: float = 5.0
    #: rows generated and written per COPY block for the largest tables
    chunk_rows: int = 250_000


SMALL = Scale("small", users=300, business_trends=40, marketing_playbook=30,
              news_items=40, analytics_events=3_500)
MEDIUM = Scale("medium", users=10_000, business_trends=1_500, marketing_playbook=800,
               news_items=1_000, analytics_events=1_000_000)
LARGE = Scale("large", users=100_000, business_trends=10_000, marketing_playbook=5_000,
              news_items=5_000, analytics_events=10_000_000)

#: The scales by name.
SCALES: dict[str, Scale] = {scale.name: scale for scale in (SMALL, MEDIUM, LARGE)}


def get_scale(scale: str | Scale) -> Scale:
    """Return the Scale named ``scale`` (or ``scale`` itself if it already is one)."""
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        known = ", ".join(SCALES)
        raise UnknownIdentifierError(f"unknown synthetic data scale {scale!r}; use one of: {known}.") from None
