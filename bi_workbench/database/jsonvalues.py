"""JSON values read from the database: json.loads' exact result, decoded by msgspec where that is the same.

msgspec decodes the small documents of JSONB columns (event data, assessment
responses) several times faster than the standard library, integers of any size
included. It refuses what json.loads accepts only at the edges (a number that
overflows to infinity, a lone surrogate); those documents go to json.loads, so
every document decodes to what json.loads would give.
"""

from __future__ import annotations

import json

import msgspec

_DECODER = msgspec.json.Decoder()


def loads(data: bytes | bytearray | memoryview | str):
    """Return the Python value of the JSON text ``data``, equal to ``json.loads(data)``.

    Raises json.JSONDecodeError (a ValueError) for text that is not JSON, as json.loads does.
    """
    try:
        return _DECODER.decode(data)
    except (msgspec.MsgspecError, UnicodeError):  # UnicodeError: a str holding a lone surrogate
        return json.loads(data if isinstance(data, (bytes, str)) else bytes(data))
