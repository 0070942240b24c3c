"""The JSON decoder of database values gives exactly what json.loads gives, faster where it can."""

import json
import math

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bi_workbench.database import jsonvalues

scalars = st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats(
    allow_nan=False, allow_infinity=False) | st.text()
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                               max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_every_document_decodes_as_json_loads_decodes_it(value):
    text = json.dumps(value)
    # repr, not ==: 1 and 1.0, or 0.0 and -0.0, are equal but not the same value
    assert repr(jsonvalues.loads(text.encode())) == repr(json.loads(text))
    assert repr(jsonvalues.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", [
    "123456789012345678901234567890",  # beyond 64 bits: an int, not a float
    '{"n": -98765432109876543210}',
    '"\\ud800"',  # a lone surrogate
    "1e400",  # infinity, as json.loads reads it
    '{"a": 1, "a": 2}',
])
def test_values_the_fast_decoder_refuses_decode_as_json_loads_does(text):
    got, expected = jsonvalues.loads(memoryview(text.encode())), json.loads(text)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, float):
        assert math.isinf(got)


def test_a_python_string_with_a_lone_surrogate_decodes_as_json_loads_does():
    text = '"\ud800"'  # the character itself, not its escape
    assert jsonvalues.loads(text) == json.loads(text)


def test_text_that_is_not_json_raises_a_value_error():
    with pytest.raises(ValueError):
        jsonvalues.loads(b"{not json")


def test_the_engine_decodes_jsonb_with_it(empty_database):
    big = 2**70
    with empty_database.connect() as conn:
        value = conn.execute(sa.select(sa.func.jsonb_build_object("n", sa.cast(big, sa.Numeric), "s", "x"))).scalar_one()
    assert value == {"n": big, "s": "x"} and isinstance(value["n"], int)
