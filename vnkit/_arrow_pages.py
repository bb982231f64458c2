"""Prototype: a list page's JSON decoded and flattened by Arrow, off the interpreter lock.

``Client.fetch`` decodes each page with orjson and flattens it in Python
(``_frames.normalise``); both hold the interpreter lock, so the page threads take turns.
Arrow's JSON reader parses in C++ and releases the lock while it does. It reads
newline-delimited objects, not an array, so the page is wrapped as one object holding
the array (``{"r": [...]}``): one row whose list of structs is the records. Struct columns
are then flattened to the dotted names ``normalise`` gives.

Not wired into the client (``_paging``/``_frames`` belong to the pager's owners): this is
the measured prototype, and ``tests/sync/test_arrow_pages.py`` checks it against
``_frames.to_frame`` on fabricated pages of many resources. Differences it documents:
Arrow cannot tell a missing key from a null one, and infers timestamps from ISO text
itself.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def decode_page(body: bytes) -> pa.Table | None:
    """The records of a list page as an Arrow table with dotted columns.

    Returns None when Arrow will not take the body (not a JSON array of objects, or
    values of incompatible types under one name): the caller then decodes it as usual.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    body = body.strip()
    if not body.startswith(b"["):
        return None
    wrapped = b'{"r":' + body + b"}"
    try:
        table = pj.read_json(
            io.BytesIO(wrapped),
            read_options=pj.ReadOptions(block_size=len(wrapped) + 1, use_threads=False),
            parse_options=pj.ParseOptions(newlines_in_values=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    column = table.column(0).combine_chunks()
    if not pa.types.is_list(column.type) or not pa.types.is_struct(column.type.value_type):
        return None
    records = column.flatten()  # the list's values: one struct per record
    out: dict[str, Any] = {}
    _flatten(records, "", out)
    return pa.table(out) if out else pa.table({})


def _flatten(struct: Any, prefix: str, out: dict[str, Any], *,
             nested_last: bool = True) -> None:
    """Leaves of a struct array under dotted names.

    As ``json_normalize`` (and so ``normalise``) orders them: a record's plain fields
    before its nested objects at the top level, in field order below it.
    """
    import pyarrow as pa

    children = struct.flatten()  # the parent's nulls are carried into the children
    nested = []
    for field, child in zip(struct.type, children):
        name = prefix + field.name
        if pa.types.is_struct(field.type) and field.type.num_fields:
            if nested_last:
                nested.append((name, child))
            else:
                _flatten(child, name + ".", out, nested_last=False)
        else:
            out[name] = child
    for name, child in nested:
        _flatten(child, name + ".", out, nested_last=False)


def page_frame(body: bytes) -> pd.DataFrame | None:
    """``decode_page`` as a DataFrame shaped like ``_frames.normalise`` (list cells as
    Python lists), or None (see ``decode_page``)."""
    import pyarrow as pa

    table = decode_page(body)
    if table is None:
        return None
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if (pa.types.is_list(kind) or pa.types.is_large_list(kind)
                or pa.types.is_struct(kind) or pa.types.is_null(kind)):
            frame[name] = column.to_pylist()  # Python lists, as normalise keeps them
    return frame
