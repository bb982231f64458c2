"""API records to Arrow tables with a fixed schema per endpoint, read from the API surface.

A synced dataset is written a page at a time, so every page must come out with the same
columns and types whatever its records hold (a page where every ``note`` is null must
not make ``note`` a null-typed column when the next page has text there). The schema
comes from the endpoint's read DTO in the surface: nested objects become dotted columns,
as in ``Client.fetch``; arrays (lines, tax details, attachments) are kept whole, as JSON
text; date-times (which the API sends without an offset) are naive timestamps. Fields
the surface does not know are kept too, with the type their values suggest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import pyarrow as pa

#: Columns the sync adds to every row (never API fields: they start with an underscore).
SYNCED_AT = "_synced_at"


def _arrow():
    try:
        import pyarrow as pa
    except ImportError as exc:  # pragma: no cover - the extra is missing
        from ._exceptions import ConfigurationError

        raise ConfigurationError("syncing to Parquet needs pyarrow",
                                 hint="pip install 'vnkit[sync]'") from exc
    return pa


def _arrow_type(kind: str):
    pa = _arrow()
    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
            "date-time": pa.timestamp("ms"), "array": pa.string()}.get(kind, pa.string())


@lru_cache(maxsize=64)
def endpoint_schema(endpoint: str, version: str = "v1") -> tuple[tuple[str, Any], ...]:
    """``(dotted column, Arrow type)`` for every leaf field of the endpoint's read DTO.

    Objects are walked into (their leaves are the columns); arrays are one column of JSON
    text, and what is inside them is not walked. Unknown endpoints give ``()``.
    """
    from ._surface import surface

    api = surface()
    op = api.find("GET", f"/{version}/{endpoint.strip('/')}")
    dto = op.record_dto if op is not None else None
    if dto is None:
        return ()
    columns: list[tuple[str, Any]] = []
    arrays: list[str] = []
    for dotted, f in api.walk(dto, depth=6):
        if any(dotted.startswith(prefix + ".") for prefix in arrays):
            continue  # inside an array: kept in the array's JSON text
        if f.kind == "array":
            arrays.append(dotted)
        elif f.kind == "object":
            continue  # its leaves are the columns
        columns.append((dotted, _arrow_type(f.kind)))
    return tuple(columns)


def _is_missing(value: Any) -> bool:
    return value is None or (type(value) is float and math.isnan(value))


def _as_json(values: Sequence[Any]) -> list[str | None]:
    return [None if _is_missing(v) else orjson.dumps(v).decode() for v in values]


def _as_text(values: Sequence[Any]) -> list[str | None]:
    return [None if _is_missing(v) else v if type(v) is str else
            orjson.dumps(v).decode() for v in values]


def _column(values: Sequence[Any], arrow_type: Any):
    """One Arrow column of ``arrow_type``; values that do not fit keep their JSON text.

    Arrow converts the common case in C (``from_pandas`` turns the NaN that marks an
    absent key into null); only a column it refuses is walked in Python.
    """
    pa = _arrow()
    if pa.types.is_timestamp(arrow_type):
        import pyarrow.compute as pc

        try:
            # ISO 8601 text without an offset, as the API sends it.
            return pc.cast(pa.array(values, type=pa.string(), from_pandas=True), arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                TypeError):
            return pa.array(_as_text(values), type=pa.string())
    try:
        return pa.array(values, type=arrow_type, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array(_as_text(values), type=pa.string())


def _inferred(values: Sequence[Any]):
    """A column the surface does not describe: Arrow's own guess, or JSON text."""
    pa = _arrow()
    clean = [None if _is_missing(v) else v for v in values]
    if any(isinstance(v, (list, dict)) for v in clean):
        return pa.array(_as_json(clean), type=pa.string())
    try:
        array = pa.array(clean)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array(_as_text(clean), type=pa.string())
    return array if not pa.types.is_null(array.type) else pa.array(clean, type=pa.string())


def to_table(records: list[dict[str, Any]], endpoint: str, *, synced_at: Any,
             version: str = "v1") -> pa.Table:
    """The records of one page as an Arrow table with the endpoint's fixed columns.

    Parameters
    ----------
    records : list of dict
        Records as the API returned them (``metadata`` is left out).
    endpoint : str
        Endpoint name, for the schema (``customer``).
    synced_at : datetime
        When the page was read (UTC), the ``_synced_at`` column: the later copy of a
        record wins when a dataset holds it twice.
    """
    pa = _arrow()
    flat = _flatten(records)
    data = {name: values for name, values in flat.items()
            if name != "metadata" and not name.startswith("metadata.")}
    n = len(records)
    names: list[str] = []
    arrays: list[Any] = []
    known = endpoint_schema(endpoint, version)
    known_names = {name for name, _ in known}
    for name, arrow_type in known:
        names.append(name)
        values = data.get(name)
        if values is None:
            arrays.append(pa.nulls(n, type=arrow_type))
        elif pa.types.is_string(arrow_type) and name in _array_columns(endpoint, version):
            arrays.append(pa.array(_as_json(values), type=pa.string()))
        else:
            arrays.append(_column(values, arrow_type))
    parents = {name.rsplit(".", i)[0] for name in known_names
               for i in range(1, name.count(".") + 1)}
    for name, values in data.items():
        if name in known_names:
            continue
        if name in parents and all(_is_missing(v) for v in values):
            continue  # a null nested object: its dotted children say so already
        names.append(name)
        arrays.append(_inferred(values))
    names.append(SYNCED_AT)
    arrays.append(pa.array([synced_at] * n, type=pa.timestamp("us", tz="UTC")))
    return pa.Table.from_arrays(arrays, names=names)


def _flatten(records: list[dict[str, Any]]) -> dict[str, Sequence[Any]]:
    """Dotted column name to values, as ``Client.fetch`` names them.

    The column builder under ``_frames.normalise`` is used without the DataFrame around
    it (five times cheaper per page here); should it move, ``normalise`` does the same.
    """
    flat: dict[str, Sequence[Any]] = {}
    if not records:
        return flat
    try:
        from ._frames import _flatten_columns
    except ImportError:  # pragma: no cover - the frame builder was reorganised
        from ._frames import normalise

        frame = normalise(records)
        return {name: frame[name].tolist() for name in frame.columns}
    _flatten_columns(list(records), "", flat, nested_last=True)
    return flat


@lru_cache(maxsize=64)
def _array_columns(endpoint: str, version: str) -> frozenset[str]:
    from ._surface import surface

    api = surface()
    op = api.find("GET", f"/{version}/{endpoint.strip('/')}")
    if op is None or op.record_dto is None:
        return frozenset()
    return frozenset(dotted for dotted, f in api.walk(op.record_dto, depth=6)
                     if f.kind == "array")
