"""A list page's JSON decoded and flattened by Arrow, mostly off the interpreter lock.

``Client.fetch`` used to decode each page with orjson and flatten it in Python
(``_frames.normalise``); both hold the interpreter lock, so the page threads took turns
with each other and with the thread reading the network. Arrow's JSON reader parses in
C++ and releases the lock while it does, and its string, number and boolean columns go
to pandas without a Python object per value. ``decode_page`` gives a page's records as
Arrow structs, or None for a body whose frame could differ from what orjson and
``_frames.normalise`` give (the caller then decodes it the usual way); ``frame_of``
turns one or many such pages into that frame (columns, their order, dtypes, values).
Converting many pages at once is what makes it cheap: pandas and Arrow pay per column
and per call, so ``Client.fetch`` converts a few thousand records at a time.

How the body is made to fit:

- Arrow reads newline-delimited objects, not an array: the page is wrapped as one
  object holding the array (``{"r": [...]}``), one row whose list of structs is the
  records. Struct columns are then flattened to the dotted names ``normalise`` gives.
- Arrow turns strings that look like ISO dates into timestamps, which would lose the
  text (``T`` or space, the offset). When it did, the page is read a second time with
  the schema it inferred, those columns declared as strings.
- Arrow cannot tell a missing key from a null one, and ``normalise`` can (NaN and None
  in object columns). The body's quotes are counted against the keys and strings the
  table holds when every present object has all of its struct's keys; a page with a
  missing key, or with escaped quotes (which make the count unreliable), is refused.
- Integers too large for int64 become doubles in Arrow: a page with such a number is
  refused, as is one with mixed types under a name (Arrow refuses those itself),
  non-object records or invalid UTF-8 (which Arrow would keep as it is). ``NaN`` and
  ``Infinity`` are read as the fallback's decoder (the standard library's) reads them.

One difference remains, inside list cells only: a number column of a list of objects
(invoice lines' amounts) is read as floats when any of its values has a fraction, so an
amount written ``100`` comes back as ``100.0`` (equal, but a float) where orjson gives
an int.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Doubles this large may have been integers that did not fit int64.
_INT64_EDGE = 2.0 ** 63


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether pyarrow (the ``sync`` extra) is installed."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.json  # noqa: F401
    except ImportError:
        return False
    return True


def _read(wrapped: bytes, schema: Any = None) -> Any:
    import pyarrow as pa
    import pyarrow.json as pj

    try:
        return pj.read_json(
            io.BytesIO(wrapped),
            read_options=pj.ReadOptions(block_size=len(wrapped) + 1, use_threads=False),
            # JSON strings cannot hold a raw newline: a body without one (what compact
            # serializers write) is one line, which Arrow reads a third faster.
            parse_options=pj.ParseOptions(newlines_in_values=b"\n" in wrapped,
                                          explicit_schema=schema))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _as_text(kind: Any) -> tuple[Any, bool]:
    """``kind`` with every date or timestamp inside it made a string; whether any was."""
    import pyarrow as pa

    if pa.types.is_temporal(kind):
        return pa.string(), True
    if pa.types.is_struct(kind):
        fields, changed = [], False
        for f in kind:
            inner, moved = _as_text(f.type)
            fields.append(f.with_type(inner))
            changed |= moved
        return (pa.struct(fields), True) if changed else (kind, False)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        inner, moved = _as_text(kind.value_type)
        return (pa.list_(inner), True) if moved else (kind, False)
    return kind, False


def _census(array: Any) -> tuple[int, int] | None:
    """``(keys, strings)`` a JSON text of ``array`` holds when no object lacks a key.

    None to refuse: doubles that may have been integers too large for int64.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_struct(kind):
        keys = (len(array) - array.null_count) * kind.num_fields
        strings = 0
        for child in array.flatten():  # the parent's nulls are carried into the children
            inner = _census(child)
            if inner is None:
                return None
            keys, strings = keys + inner[0], strings + inner[1]
        return keys, strings
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _census(array.flatten())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return 0, len(array) - array.null_count
    if pa.types.is_floating(kind) and len(array) > array.null_count:
        largest = pc.max(pc.abs(array)).as_py()
        if largest is not None and largest >= _INT64_EDGE:
            return None
    return 0, 0


def decode_page(body: bytes) -> pa.StructArray | None:
    """The records of a list page as one Arrow struct array (one struct per record).

    Returns None when pyarrow is missing, when Arrow will not take the body, or when
    the frame built from it could differ from ``normalise`` (see the module's notes):
    the caller then decodes it as usual.
    """
    if not available():
        return None
    import pyarrow as pa

    try:
        return _decode(body)
    except (pa.ArrowException, ValueError, TypeError, UnicodeDecodeError):
        return None


def _decode(body: bytes) -> pa.StructArray | None:
    import pyarrow as pa

    body = body.strip()
    if not body.startswith(b"[") or (b"\\" in body and b'\\"' in body):
        return None  # not an array, or quotes escaped in strings (see below)
    wrapped = b'{"r":' + body + b"}"
    table = _read(wrapped)
    if table is None or table.num_rows != 1 or table.num_columns != 1:
        return None
    text_type, changed = _as_text(table.schema.field(0).type)
    if changed:
        # Strings Arrow took for dates: read again with them declared as text.
        table = _read(wrapped, pa.schema([pa.field("r", text_type)]))
        if table is None:
            return None
    column = table.column(0).combine_chunks()
    if not pa.types.is_list(column.type) or not pa.types.is_struct(column.type.value_type):
        return None
    records = column.flatten()  # the list's values: one struct per record
    if not len(records) or records.null_count or not records.type.num_fields:
        return None  # no records, nulls among them, or records without fields
    # Without escaped quotes, every '"' opens or closes a key or a string value: a
    # body whose objects all have every key of their struct has exactly this many.
    try:
        records.validate(full=True)  # Arrow keeps invalid UTF-8 as it is: refuse it
    except pa.ArrowInvalid:
        return None
    census = _census(records)
    if census is None or 2 * (census[0] + census[1]) != body.count(b'"'):
        return None  # some object lacks a key Arrow filled in as null
    return records


def _flatten(struct: Any, gone: Any, prefix: str, out: list[tuple[str, Any, Any]], *,
             nested_last: bool) -> None:
    """``(dotted name, Arrow array, rows where the name is absent)`` for every column.

    In the order ``normalise`` gives them: at the top a record's plain fields before its
    nested objects, below it in field order. ``gone`` marks rows whose enclosing object
    is null or absent (numpy booleans, or None for none): ``normalise`` has NaN there,
    where a null of the field itself is None. A nested object that is null in some rows
    gets a column of its own ahead of its children, as in ``json_normalize``.
    """
    import pyarrow as pa

    later = []
    for field, child in zip(struct.type, struct.flatten()):
        name = prefix + field.name
        if not pa.types.is_struct(field.type):
            out.append((name, child, gone))
        elif nested_last:
            later.append((name, child))
        else:
            _nested(name, child, gone, out)
    for name, child in later:
        _nested(name, child, gone, out)


def _nested(name: str, child: Any, gone: Any, out: list[tuple[str, Any, Any]]) -> None:
    import pyarrow as pa

    missing = child.is_null().to_numpy(zero_copy_only=False)
    null = missing if gone is None else missing & ~gone  # a JSON null, not an absence
    if null.any():
        # Null here in some records: the parent's own column, None there and NaN
        # where an object is (or nothing at all).
        out.append((name, pa.nulls(len(child)), ~null))
    _flatten(child, missing if missing.any() else None, name + ".", out,
             nested_last=False)


def _objects(array: Any, gone: Any) -> list[Any]:
    """Python values of a column, NaN where it is absent, as ``normalise`` passes them."""
    values = array.to_pylist()
    if gone is not None:
        nan = float("nan")
        for row in gone.nonzero()[0].tolist():
            values[row] = nan
    return values


def page_frame(body: bytes) -> pd.DataFrame | None:
    """The page as ``_frames.normalise(orjson.loads(body))`` gives it, or None.

    None when pyarrow is missing or the body does not fit (see ``decode_page``).
    """
    records = decode_page(body)
    return None if records is None else frame_of([records])


def frame_of(pages: Sequence[Any]) -> pd.DataFrame:
    """Pages from :func:`decode_page`, all of one Arrow type, as one DataFrame.

    The same frame as ``_frames.concat_pages`` of each page's ``normalise`` frame (up to
    the order of the all-null parent columns that ``finish_frame`` drops): converting
    many pages at once costs a fraction of converting each (pandas and Arrow pay per
    column and call, not only per value).
    """
    import pandas as pd
    import pyarrow as pa

    try:
        return _convert(pa.chunked_array(pages) if len(pages) > 1 else pages[0])
    except (pa.ArrowException, ValueError, TypeError):
        # Not seen in practice: the records as Python values, flattened as usual.
        from ._frames import concat_pages, normalise

        return concat_pages([normalise(page.to_pylist()) for page in pages]) \
            if pages else pd.DataFrame()


def _convert(records: Any) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    columns: list[tuple[str, Any, Any]] = []
    _flatten(records, None, "", columns, nested_last=True)
    if not columns:  # records of empty objects only (decode_page refuses those)
        return pd.DataFrame([{}] * len(records))
    # Strings, numbers and booleans without nulls go to pandas in one call (no
    # Python object per value); a null in them is NaN either way. What pandas would
    # hold as objects (lists, nulls, booleans with nulls) is built as normalise
    # builds it, so that pandas infers the same dtype from the same values.
    plain = {}
    for name, array, _gone in columns:
        kind = array.type
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_integer(kind) or pa.types.is_floating(kind)
                or (pa.types.is_boolean(kind) and not array.null_count)):
            plain[name] = array
    # The converted columns as arrays, not Series: a DataFrame built from Series
    # aligns their indexes first, which costs more than the rest of the assembly.
    converted = ({name: series.array for name, series in pa.table(plain).to_pandas().items()}
                 if plain else {})
    return pd.DataFrame({name: converted[name] if name in converted else _objects(array, gone)
                         for name, array, gone in columns})
