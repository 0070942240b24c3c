"""Bounds.previous: the period before a selection, of the same length (no database needed)."""

from __future__ import annotations

import datetime as dt

from bi_workbench.metrics import Bounds, Selection

UTC = dt.timezone.utc


def midnight(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), UTC)


def test_only_a_selection_without_organization_industry_dates_or_as_of_is_the_whole_history():
    assert Selection().whole_history and Selection().up_to_bound
    bounded = Selection.of(as_of="2024-01-01")
    assert bounded.up_to_bound and not bounded.whole_history
    org = "9f1c2b6e-0000-0000-0000-000000000001"
    for narrower in (Selection.of(organization_id=org), Selection.of(industry="saas"),
                     Selection.of(since="2026-01-01"), Selection.of(until="2026-01-31")):
        assert not narrower.whole_history and not narrower.up_to_bound, narrower


def test_a_bounded_selection_is_compared_with_the_same_number_of_days_before_it():
    bounds = Bounds(Selection.of(industry="saas", since="2026-04-01", until="2026-05-31"), midnight("2026-06-30"))
    previous = bounds.previous()
    assert previous.selection == Selection.of(industry="saas", since="2026-01-30", until="2026-03-31")
    assert (previous.start, previous.end, previous.cutoff) == (midnight("2026-01-30"), midnight("2026-04-01"),
                                                               midnight("2026-04-01"))
    assert bounds.compared(previous) == "previous 61 days"


def test_the_bound_ends_a_selection_without_until_and_a_part_day_counts_whole():
    cut = dt.datetime(2026, 6, 10, 12, tzinfo=UTC)
    previous = Bounds(Selection.of(since="2026-06-01"), cut).previous()
    assert (previous.start, previous.end) == (midnight("2026-05-22"), midnight("2026-06-01"))


def test_a_selection_without_since_is_compared_with_itself_thirty_days_earlier():
    organization = "9f1c2b6e-0000-4000-8000-000000000001"
    bounds = Bounds(Selection.of(organization_id=organization, until="2026-05-31"), midnight("2026-06-30"))
    previous = bounds.previous()
    assert previous.selection == Selection.of(organization_id=organization)
    assert previous.cutoff == midnight("2026-05-02")
    assert bounds.compared(previous) == "30 days earlier"


def test_no_previous_period_without_data():
    assert Bounds(Selection.of(since="2026-04-01"), None).previous() is None
    assert Bounds(Selection.of(since="2026-04-01"), midnight("2026-03-01")).previous() is None


def test_every_dated_entitys_time_leads_an_index_so_the_latest_time_is_one_index_read():
    from bi_workbench.metrics.entities import ENTITIES
    from bi_workbench.metrics.selection import DATING_ENTITIES

    def leading(index) -> str:
        first = list(index.expressions)[0]
        return getattr(first, "name", None) or str(first).split()[0]

    unindexed = [(ENTITIES[name].table.name, ENTITIES[name].time) for name in DATING_ENTITIES
                 if not any(leading(ix) == ENTITIES[name].time for ix in ENTITIES[name].table.indexes)]
    assert unindexed == []
