"""Column dtypes from the schema: what each SQL type becomes in a DataFrame, on either read path.

Every column is classified by its SQLAlchemy type into a *kind* (``uuid``,
``timestamptz``, ``numeric``, ...). The kind and the load options decide

* the SQL expression selected (numerics are cast to double precision unless
  Decimals are asked for; JSON and INET are read as text and decoded here),
* the pandas dtype of the result, which is the same whichever path read the
  rows: Python values from psycopg (`from_python`) or Arrow arrays from ADBC
  (`from_arrow`).

Default (``dtype_backend="numpy"``): strings are Arrow-backed (``string[pyarrow]``,
as pandas 3 makes them), so text, UUIDs and JSON come from the Arrow path without
one Python object per value:

==============  ==========================================================
kind            dtype
==============  ==========================================================
uuid            ``string[pyarrow]`` (object of ``uuid.UUID`` with ``uuid_as="uuid"``)
timestamptz     ``datetime64[ns, UTC]``
timestamp/date  ``datetime64[ns]`` (naive; the materialized view's month is UTC)
numeric         ``float64`` (object of ``Decimal`` with ``decimals=True``)
float           ``float64``
integer         ``Int64`` where the column is nullable, else ``int64``
boolean         ``boolean``
text, inet      ``string[pyarrow]``
json            ``string[pyarrow]`` of the JSON text (object of Python values with
                ``json_as="object"``)
array           object of Python lists (nested lists for a multi-dimensional array)
==============  ==========================================================

With ``dtype_backend="pyarrow"`` every column is a ``pd.ArrowDtype`` (strings,
``timestamp[us, tz=UTC]``, ``date32``, ``int64``, ``double``, ``bool``,
``list<string>``); ``uuid_as="uuid"`` / ``json_as="object"`` give object columns.

Values the result cannot hold (see `bi_workbench.loaders.values`): a timestamp or
date of ``infinity``/``-infinity`` or outside the dtype's range (1677-09-21 to
2262-04-11 for ``datetime64[ns]``; years 1 to 9999 for the pyarrow backend, which is
what Python's datetime holds) becomes NaT/null with an `UnrepresentableValueWarning`
naming table, column and count; JSON too deeply nested for Python's parser, asked
for as objects, raises `UnrepresentableValueError`; a multi-dimensional array under
the pyarrow backend (``list<string>`` is one-dimensional) raises it too.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ..errors import InvalidFilterError
from .values import UnrepresentableValueError, UnrepresentableValueWarning

Backend = Literal["numpy", "pyarrow"]
BACKENDS = ("numpy", "pyarrow")

STRING = pd.StringDtype("pyarrow")
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")
NAIVE_NS = np.dtype("datetime64[ns]")


@dataclass(frozen=True)
class Options:
    """How values are represented: Decimals or floats, UUID and JSON as objects or text, dtype backend.

    Example::

        >>> Options.make(dtype_backend="pyarrow")
        Options(decimals=False, uuid_as='str', json_as='str', backend='pyarrow')
    """

    decimals: bool = False
    uuid_as: Literal["uuid", "str"] = "str"
    json_as: Literal["object", "str"] = "str"
    backend: Backend = "numpy"

    @classmethod
    def make(cls, *, decimals=False, uuid_as=None, json_as=None, dtype_backend=None) -> Options:
        """Return validated Options; UUID and JSON default to text on both backends.

        Raises InvalidFilterError naming the bad argument. Example::

            >>> Options.make(decimals=True).decimals
            True
        """
        backend = "numpy" if dtype_backend in (None, "numpy", "numpy_nullable") else dtype_backend
        if backend not in BACKENDS:
            raise InvalidFilterError(f"dtype_backend={dtype_backend!r} is not one of: numpy, pyarrow")
        if not isinstance(decimals, (bool, np.bool_)):
            raise InvalidFilterError(f"decimals={decimals!r} must be True or False")
        uuid_as = "str" if uuid_as is None else uuid_as
        json_as = "str" if json_as is None else json_as
        if uuid_as not in ("uuid", "str"):
            raise InvalidFilterError(f"uuid_as={uuid_as!r} is not one of: uuid, str")
        if json_as not in ("object", "str"):
            raise InvalidFilterError(f"json_as={json_as!r} is not one of: object, str")
        return cls(bool(decimals), uuid_as, json_as, backend)


def kind_of(type_: sa.types.TypeEngine) -> str:
    """Return the kind of a SQLAlchemy type: uuid, timestamptz, timestamp, date, boolean,
    integer, float, numeric, json, array, inet, text, or other.

    Example::

        >>> kind_of(TIMESTAMP(timezone=True)), kind_of(Numeric(3, 2)), kind_of(ARRAY(Text))
        ('timestamptz', 'numeric', 'array')
    """
    if isinstance(type_, sa.DateTime):
        return "timestamptz" if type_.timezone else "timestamp"
    return next((kind for types, kind in _KINDS if isinstance(type_, types)), "other")


#: Type classes and their kind, most specific first (Float is a Numeric).
_KINDS = (
    (sa.Uuid, "uuid"), (sa.Date, "date"), (sa.Boolean, "boolean"), (sa.Integer, "integer"),
    (sa.Float, "float"), (sa.Numeric, "numeric"), (sa.JSON, "json"), (sa.ARRAY, "array"),
    ((pg.INET, pg.CIDR), "inet"), ((sa.String, sa.Enum), "text"),
)


@dataclass(frozen=True)
class ColumnSpec:
    """One output column: its name, kind, nullability, and the SQL expression that reads it.

    Example::

        >>> spec = spec_for(assessment_scores.c.overall_score, Options())
        >>> spec.kind, spec.dtype(Options())
        ('numeric', dtype('float64'))
    """

    name: str
    kind: str
    nullable: bool
    expression: sa.ColumnElement
    table: str = ""

    @property
    def where(self) -> str:
        """``table.column`` for messages."""
        return f"{self.table}.{self.name}" if self.table else self.name

    def dtype(self, options: Options):
        """Return the pandas dtype this column gets under ``options`` (e.g. ``Int64Dtype()``)."""
        return target_dtype(self.kind, self.nullable, options)


def spec_for(column: sa.ColumnElement, options: Options, *, name: str | None = None,
             kind: str | None = None, nullable: bool | None = None) -> ColumnSpec:
    """Return the ColumnSpec reading ``column`` under ``options`` (casts applied in SQL where needed).

    Example::

        >>> str(spec_for(assessment_scores.c.overall_score, Options()).expression)
        'CAST(assessment_scores.overall_score AS DOUBLE PRECISION)'
    """
    name = name or column.name
    kind = kind or kind_of(column.type)
    nullable = getattr(column, "nullable", True) if nullable is None else nullable
    expression = column
    if kind == "numeric" and not options.decimals:
        expression = sa.cast(column, pg.DOUBLE_PRECISION)
    elif kind == "json":
        expression = sa.cast(column, sa.Text)
    elif kind == "array":  # JSON text keeps a multi-dimensional array's shape on both read paths
        expression = sa.cast(sa.func.array_to_json(column), sa.Text)
    elif kind == "inet":
        expression = inet_text(column)
    table = getattr(getattr(column, "table", None), "name", "") or ""
    return ColumnSpec(name, kind, bool(nullable), expression.label(name), table)


def inet_text(column: sa.ColumnElement) -> sa.ColumnElement:
    """Return an INET as the text PostgreSQL displays ('10.0.0.1', '10.0.0.0/8'; ``::text`` would add '/32').

    Example::

        >>> str(inet_text(user_sessions.c.ip_address))
        'abbrev(user_sessions.ip_address)'
    """
    if isinstance(column.type, pg.INET):
        return sa.func.abbrev(column, type_=sa.Text)
    return sa.cast(column, sa.Text)


def target_dtype(kind: str, nullable: bool, options: Options):
    """Return the pandas dtype of a column of ``kind`` under ``options`` (see the module table).

    Example::

        >>> target_dtype("integer", True, Options()), target_dtype("timestamptz", False, Options())
        (Int64Dtype(), datetime64[ns, UTC])
    """
    if options.backend == "pyarrow":
        arrow = _arrow_type(kind, options)
        return np.dtype(object) if arrow is None else pd.ArrowDtype(arrow)
    if kind == "uuid":
        return STRING if options.uuid_as == "str" else np.dtype(object)
    if kind == "json":
        return STRING if options.json_as == "str" else np.dtype(object)
    if kind in ("text", "inet"):
        return STRING
    if kind == "timestamptz":
        return UTC_NS
    if kind in ("timestamp", "date"):
        return NAIVE_NS
    if kind == "float" or (kind == "numeric" and not options.decimals):
        return np.dtype("float64")
    if kind == "integer":
        return pd.Int64Dtype() if nullable else np.dtype("int64")
    if kind == "boolean":
        return pd.BooleanDtype()
    return np.dtype(object)


def _arrow_type(kind: str, options: Options) -> pa.DataType | None:
    """Arrow type of a column under the pyarrow backend, or None for an object column."""
    if kind == "uuid":
        return pa.string() if options.uuid_as == "str" else None
    if kind == "json":
        return pa.string() if options.json_as == "str" else None
    if kind == "numeric" and options.decimals:
        return None
    return {
        "text": pa.string(),
        "inet": pa.string(),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "timestamp": pa.timestamp("us"),
        "date": pa.date32(),
        "float": pa.float64(),
        "numeric": pa.float64(),
        "integer": pa.int64(),
        "boolean": pa.bool_(),
        "array": pa.list_(pa.string()),
    }.get(kind)


# --- Python values (psycopg) -> pandas -------------------------------------------

TIME_KINDS = ("timestamptz", "timestamp", "date")


class _OutOfRange:
    """What the psycopg path reads for a time Python cannot hold (``infinity``, years beyond 1-9999)."""

    def __repr__(self) -> str:
        return "OUT_OF_RANGE"


OUT_OF_RANGE = _OutOfRange()


def from_python(spec: ColumnSpec, values: list, options: Options):
    """Return a pandas array of ``spec``'s dtype from the Python values psycopg returned.

    Example::

        >>> from_python(spec_for(events.c.version, Options()), [1, 2], Options()).dtype
        dtype('int64')
    """
    kind = spec.kind
    if kind in TIME_KINDS:
        return _times_from_python(spec, values, options)
    if kind == "array":
        return arrays_from_json(spec, values, options)
    if kind == "json" and options.json_as == "object":
        return json_objects(values, spec.where)
    if options.backend == "pyarrow":
        arrow = _arrow_type(kind, options)
        if arrow is not None:
            if kind == "uuid":
                values = [None if v is None else str(v) for v in values]
            return pd.arrays.ArrowExtensionArray(pa.array(values, type=arrow))
    if kind == "uuid":
        if options.uuid_as == "str":
            return pd.array([None if v is None else str(v) for v in values], dtype=STRING)
        return _objects(values)
    if kind in ("text", "inet", "json"):
        return pd.array([None if v is None else str(v) for v in values], dtype=STRING)
    if kind == "float" or (kind == "numeric" and not options.decimals):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if kind == "integer":
        if spec.nullable or any(v is None for v in values):
            return pd.array(values, dtype=pd.Int64Dtype())
        return np.array(values, dtype=np.int64)
    if kind == "boolean":
        return pd.array(values, dtype=pd.BooleanDtype())
    return _objects(values)


def time_bounds(kind: str, options: Options) -> tuple:
    """Return the (lowest, highest) Python value of a time ``kind`` the result's dtype holds.

    ``datetime64[ns]`` (numpy backend): 1677-09-21 00:12:43.145225 to 2262-04-11
    23:47:16.854775; pyarrow backend: Python's datetime range (years 1 to 9999). Example::

        >>> time_bounds("date", Options())
        (datetime.date(1677, 9, 22), datetime.date(2262, 4, 11))
    """
    if options.backend == "pyarrow":
        low, high = dt.datetime.min, dt.datetime.max
    else:
        low = (pd.Timestamp.min + pd.Timedelta(1, "us")).floor("us").to_pydatetime()
        high = pd.Timestamp.max.floor("us").to_pydatetime()
    if kind == "date":
        return (low + dt.timedelta(days=1)).date() if low.time() != dt.time() else low.date(), high.date()
    if kind == "timestamptz":
        return low.replace(tzinfo=dt.timezone.utc), high.replace(tzinfo=dt.timezone.utc)
    return low, high


def _times_from_python(spec: ColumnSpec, values: list, options: Options):
    low, high = time_bounds(spec.kind, options)
    clean = [None if v is None or v is OUT_OF_RANGE or not low <= v <= high else v for v in values]
    replaced = sum(1 for v, c in zip(values, clean) if c is None and v is not None)
    if replaced:
        warn_replaced(spec, replaced, options)
    if options.backend == "pyarrow":
        return pd.arrays.ArrowExtensionArray(pa.array(clean, type=_arrow_type(spec.kind, options)))
    if spec.kind == "timestamptz":
        return pd.to_datetime(pd.Series(clean, dtype=object), utc=True).astype(UTC_NS).array
    return pd.to_datetime(pd.Series(clean, dtype=object)).astype(NAIVE_NS).array


def warn_replaced(spec: ColumnSpec, count: int, options: Options) -> None:
    """Warn (UnrepresentableValueWarning) that ``count`` stored times of ``spec`` became missing."""
    low, high = time_bounds(spec.kind, options)
    warnings.warn(
        f"{spec.where}: {count} value(s) are infinite or outside {low} .. {high}, which the "
        f"{spec.dtype(options)} result cannot hold; they are returned as missing (NaT)",
        UnrepresentableValueWarning, stacklevel=6,
    )


def arrays_from_json(spec: ColumnSpec, texts: list, options: Options):
    """Return the array column from its JSON texts (``array_to_json``): lists, nested for more dimensions.

    The pyarrow backend's ``list<string>`` is one-dimensional: a multi-dimensional value
    raises UnrepresentableValueError naming table, column and count. Example::

        >>> arrays_from_json(spec, ['["a","b"]', None, '[["a"],["b"]]'], Options()).tolist()
        [['a', 'b'], None, [['a'], ['b']]]
    """
    values = json_objects(texts, spec.where)
    if options.backend != "pyarrow":
        return values
    nested = sum(1 for v in values if v is not None and any(isinstance(x, list) for x in v))
    if nested:
        raise UnrepresentableValueError(
            f"{spec.where}: {nested} value(s) are multi-dimensional arrays, which the pyarrow backend's "
            "list<string> cannot hold; load this column with dtype_backend='numpy' (nested lists)"
        )
    return pd.arrays.ArrowExtensionArray(pa.array(list(values), type=pa.list_(pa.string())))


def json_objects(texts: list, where: str = "") -> np.ndarray:
    """Return an object array of the Python values of JSON texts (None for NULL).

    The texts are parsed in one ``json.loads`` call (as one JSON array), several times
    faster than one call per value. JSON nested deeper than Python's parser allows
    raises UnrepresentableValueError naming ``where`` and how many values. Example::

        >>> json_objects(['{"a": 1}', None, '[2]']).tolist()
        [{'a': 1}, None, [2]]
    """
    if not texts:
        return _objects([])
    try:
        return _objects(json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]"))
    except RecursionError:
        pass
    parsed, too_deep = [], 0
    for text in texts:
        try:
            parsed.append(None if text is None else json.loads(text))
        except RecursionError:
            too_deep += 1
    if too_deep:
        raise UnrepresentableValueError(
            f"{where}: {too_deep} value(s) are JSON nested deeper than Python's parser allows; "
            "load this column with json_as='str' to get their text"
        )
    return _objects(parsed)


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while many acyclic objects are created (rows, UUIDs, dicts).

    Creating a million dicts otherwise triggers repeated full collections. Example::

        with paused_gc():
            values = json_objects(texts)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # element-wise: lists must stay lists, not become a 2-D array
        out[i] = value
    return out


# --- Arrow arrays (ADBC) -> pandas -----------------------------------------------


def from_arrow(spec: ColumnSpec, array: pa.ChunkedArray, options: Options):
    """Return a pandas array of ``spec``'s dtype from the Arrow column ADBC returned.

    Example::

        >>> from_arrow(spec_for(events.c.version, Options()), pa.chunked_array([[1, 2]]), Options()).dtype
        dtype('int64')
    """
    kind = spec.kind
    array = _plain(array, kind)
    if kind in TIME_KINDS:
        array = _times_in_range(spec, array, options)
    if kind == "uuid":
        if options.uuid_as == "str":  # text already where the reader wrote it as the rows arrived
            text = array if array.type == pa.string() else \
                pa.chunked_array([uuid_text(chunk) for chunk in array.chunks], type=pa.string())
            return pd.arrays.ArrowExtensionArray(text) if options.backend == "pyarrow" else STRING.__from_arrow__(text)
        return uuid_objects(array)
    if kind == "array":
        return arrays_from_json(spec, array.cast(pa.string()).to_pylist(), options)
    if kind == "json" and options.json_as == "object":
        return json_objects(array.cast(pa.string()).to_pylist(), spec.where)
    if kind == "numeric" and options.decimals:
        return _objects([None if v is None else Decimal(v) for v in array.to_pylist()])
    if options.backend == "pyarrow":
        arrow = _arrow_type(kind, options)
        if arrow is not None:
            return pd.arrays.ArrowExtensionArray(array.cast(arrow) if array.type != arrow else array)
        return _objects(array.to_pylist())
    if kind in ("text", "inet", "json"):
        return STRING.__from_arrow__(array.cast(pa.string()))
    if kind == "timestamptz":
        return pd.Series(array.cast(pa.timestamp("us", tz="UTC")).to_pandas()).astype(UTC_NS).array
    if kind in ("timestamp", "date"):
        return pd.Series(array.cast(pa.timestamp("us")).to_pandas()).astype(NAIVE_NS).array
    if kind in ("float", "numeric"):
        return array.cast(pa.float64()).to_numpy()
    if kind == "integer":
        array = array.cast(pa.int64())
        if spec.nullable or array.null_count:
            return pd.Int64Dtype().__from_arrow__(array)
        return array.to_numpy()
    if kind == "boolean":
        return pd.BooleanDtype().__from_arrow__(array)
    return _objects(array.to_pylist())


_EPOCH = dt.datetime(1970, 1, 1)


def _times_in_range(spec: ColumnSpec, array: pa.ChunkedArray, options: Options) -> pa.ChunkedArray:
    """``array`` with the times the result cannot hold (infinity arrives wrapped around) set to null, warned."""
    low, high = time_bounds(spec.kind, options)
    if spec.kind == "date":
        raw = array.cast(pa.int32())
        bounds = [(low - _EPOCH.date()).days, (high - _EPOCH.date()).days]
    else:
        if array.type.unit != "us":
            raise TypeError(f"expected microsecond timestamps from the database, got Arrow type {array.type}")
        raw = array.cast(pa.int64())
        epoch = _EPOCH.replace(tzinfo=low.tzinfo)
        bounds = [(bound - epoch) // dt.timedelta(microseconds=1) for bound in (low, high)]
    outside = pc.or_(pc.less(raw, bounds[0]), pc.greater(raw, bounds[1]))
    replaced = pc.sum(outside).as_py() or 0
    if not replaced:
        return array
    warn_replaced(spec, replaced, options)
    return pc.if_else(outside, pa.scalar(None, array.type), array)


def _plain(array: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """Drop Arrow extension types (arrow.json, PostgreSQL opaque types) down to their storage, except UUIDs."""
    if isinstance(array.type, pa.ExtensionType) and kind != "uuid":
        return pa.chunked_array([chunk.storage for chunk in array.chunks], type=array.type.storage_type)
    return array


_HEX_PAIRS = np.array([ord(a) | (ord(b) << 8) for a in "0123456789abcdef" for b in "0123456789abcdef"], dtype="<u2")
_DASH = ord("-")


def _uuid_bytes(chunk: pa.Array) -> np.ndarray:
    """The 16 bytes of each UUID of an arrow.uuid / fixed_size_binary(16) array, as an (n, 16) uint8 array."""
    storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
    if storage.type != pa.binary(16):
        raise TypeError(f"expected 16-byte UUIDs from the database, got Arrow type {storage.type}")
    n = len(storage)
    data = np.frombuffer(storage.buffers()[1], dtype=np.uint8)
    return data[storage.offset * 16:(storage.offset + n) * 16].reshape(n, 16)


def uuid_text(chunk: pa.Array) -> pa.StringArray:
    """Return the canonical text (``8-4-4-4-12`` lowercase hex) of each UUID of an Arrow UUID array.

    Vectorised with numpy (no Python object per value). Example::

        >>> uuid_text(pa.array([uuid.UUID(int=1).bytes], pa.binary(16)))[0].as_py()
        '00000000-0000-0000-0000-000000000001'
    """
    raw = _uuid_bytes(chunk)
    n = len(raw)
    pairs = _HEX_PAIRS[raw].view(np.uint8)  # (n, 32) hex digits
    dash = np.full((n, 1), _DASH, dtype=np.uint8)
    text = np.concatenate(
        [pairs[:, 0:8], dash, pairs[:, 8:12], dash, pairs[:, 12:16], dash, pairs[:, 16:20], dash, pairs[:, 20:32]], axis=1
    )
    offsets = np.arange(0, (n + 1) * 36, 36, dtype=np.int32)
    storage = chunk.storage if isinstance(chunk, pa.ExtensionArray) else chunk
    validity = storage.buffers()[0] if storage.null_count else None
    if validity is not None and storage.offset:
        validity = pa.array(np.asarray(storage.is_valid())).buffers()[1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text)),
                                       validity, storage.null_count if validity is not None else 0, 0)


def _fast_uuid_factory():
    """A maker of uuid.UUID from an int that skips UUID.__init__'s checks (about 2x faster), if it works here."""
    new, setattr_, cls, unknown = object.__new__, object.__setattr__, uuid.UUID, uuid.SafeUUID.unknown

    def make(value: int) -> uuid.UUID:
        u = new(cls)
        setattr_(u, "int", value)
        setattr_(u, "is_safe", unknown)
        return u

    try:
        probe = make(0x1234567812345678_9ABCDEF09ABCDEF0)
        real = uuid.UUID(int=0x1234567812345678_9ABCDEF09ABCDEF0)
        if probe == real and str(probe) == str(real) and hash(probe) == hash(real) and probe.version == real.version:
            return make
    except Exception:  # pragma: no cover - a Python whose UUID has other internals
        pass
    return lambda value: cls(int=value)  # pragma: no cover


_make_uuid = _fast_uuid_factory()


def uuid_objects(array: pa.ChunkedArray) -> np.ndarray:
    """Return an object array of uuid.UUID (None for NULL) from an Arrow UUID column.

    Example::

        >>> uuid_objects(pa.chunked_array([pa.array([uuid.UUID(int=1).bytes, None], pa.binary(16))]))
        array([UUID('00000000-0000-0000-0000-000000000001'), None], dtype=object)
    """
    out = np.empty(len(array), dtype=object)
    start = 0
    for chunk in array.chunks:
        raw = _uuid_bytes(chunk)
        halves = np.ascontiguousarray(raw).view(">u8")  # (n, 2): high and low 64 bits
        high, low = halves[:, 0].tolist(), halves[:, 1].tolist()
        ints = [(h << 64) | l for h, l in zip(high, low)]
        sample = ints[:1024]
        if len(set(sample)) > 0.8 * len(sample):  # mostly distinct (a key): make each
            made = [_make_uuid(v) for v in ints]
        else:  # repeated values (a foreign key): UUIDs are immutable, so equal ones share one object
            seen: dict[int, uuid.UUID] = {}
            made = [seen.get(v) or seen.setdefault(v, _make_uuid(v)) for v in ints]
        if chunk.null_count:
            for i, valid in enumerate(chunk.is_valid().to_pylist()):
                if not valid:
                    made[i] = None
        out[start:start + len(made)] = made
        start += len(made)
    return out


def empty_frame(specs: list[ColumnSpec], options: Options) -> pd.DataFrame:
    """Return a DataFrame with no rows and ``specs``' columns and dtypes.

    Example::

        >>> empty_frame([spec_for(users.c.email, Options())], Options()).dtypes["email"]
        string
    """
    return pd.DataFrame({s.name: pd.Series([], dtype=s.dtype(options)) for s in specs})
