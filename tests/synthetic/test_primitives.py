"""The deterministic building blocks, without a database."""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np
import pytest

from bi_workbench.errors import UnknownIdentifierError
from bi_workbench.synthetic import SCALES, SMALL, get_scale, legacy_batches
from bi_workbench.synthetic import encode
from bi_workbench.synthetic.primitives import (
    DAY, MISSING, REFERENCE_TS, group_cumsum, group_sequence, numbered, seasonal_times, stream, tokens, uuids,
)


def test_uuids_are_version_4_uuids_of_the_generator_bytes():
    ours = uuids(stream(1, "x"), 50)
    raw = stream(1, "x").bytes(16 * 50)
    assert list(ours) == [str(uuid.UUID(bytes=raw[i:i + 16], version=4)) for i in range(0, len(raw), 16)]
    assert {uuid.UUID(u).version for u in ours} == {4}


def test_streams_are_reproducible_and_independent():
    assert stream(42, "a").random(3).tolist() == stream(42, "a").random(3).tolist()
    assert stream(42, "a").random(3).tolist() != stream(42, "b").random(3).tolist()
    assert stream(42, "a").random(3).tolist() != stream(43, "a").random(3).tolist()


def test_tokens_have_the_length_and_alphabet_asked():
    out = tokens(stream(0, "t"), 1000, 12, b"ab")
    assert {len(t) for t in out} == {12} and set("".join(out)) == {"a", "b"}


def test_seasonal_times_stay_in_their_window_and_favour_weekdays():
    lo = np.full(20_000, REFERENCE_TS - 365 * DAY)
    out = seasonal_times(stream(0, "s"), lo, np.full(20_000, REFERENCE_TS))
    assert (out >= lo).all() and (out <= REFERENCE_TS).all()
    weekday = (out // DAY + 3) % 7
    assert np.mean(weekday >= 5) < 0.7 * 2 / 7


def test_group_helpers():
    assert group_sequence(np.array([2, 0, 3])).tolist() == [0, 1, 0, 1, 2]
    assert group_cumsum(np.array([1, 2, 3, 4, 5]), np.array([2, 3])).tolist() == [1, 3, 3, 7, 12]
    assert numbered(["a", "b", "a", "a"], lambda v, k: f"{v}-{k}").tolist() == ["a", "b", "a-2", "a-3"]


def test_encoders_write_postgresql_text_literals():
    assert encode.timestamps(np.array([0, MISSING])).tolist() == ["1970-01-01T00:00:00+00", None]
    assert encode.timestamps(np.array([0]), tz=False).tolist() == ["1970-01-01T00:00:00"]
    assert encode.numbers(np.array([1.005, np.nan, 2]), 2).tolist() == ["1.00", None, "2.00"]
    assert encode.booleans(np.array([True, False]), null=np.array([False, True])).tolist() == ["t", None]
    assert encode.text_arrays([["a,b", 'say "hi"', "back\\slash"], [], None]).tolist() == [
        '{"a,b","say \\"hi\\"","back\\\\slash"}', "{}", None]
    assert encode.json_values([{"a": 1}, None]).tolist() == ['{"a": 1}', None]


def test_scales_are_frozen_data_known_by_name():
    assert list(SCALES) == ["small", "medium", "large"]
    assert get_scale("small") is SMALL and get_scale(SMALL) is SMALL
    with pytest.raises(dataclasses.FrozenInstanceError):
        SMALL.users = 1
    with pytest.raises(UnknownIdentifierError, match="small, medium, large"):
        get_scale("huge")
    sizes = [(s.users, s.analytics_events) for s in SCALES.values()]
    assert sizes == sorted(sizes) and SCALES["medium"].analytics_events == 1_000_000


def test_batches_are_reproducible_without_a_database():
    first, again = legacy_batches("small", 42), legacy_batches("small", 42)
    assert {t: {c: list(v) for c, v in b.items()} for t, b in first.items()} == \
           {t: {c: list(v) for c, v in b.items()} for t, b in again.items()}
