"""The Arrow page decoder prototype (vnkit._arrow_pages) against vnkit._frames.to_frame.

Pages of fabricated records of many resources, with fields nulled or left out at random:
where Arrow takes the page, the frame must have fetch's columns, in its order, with its
dtypes and values; where it does not, the decoder says so (None) instead of guessing.
"""

from __future__ import annotations

import random

import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnkit._frames import finish_frame, to_frame
from vnkit._surface import surface
from vnkit.sandbox._fabricate import fabricate

pytest.importorskip("pyarrow")

from vnkit._arrow_pages import decode_page, page_frame  # noqa: E402

RESOURCES = ("customer", "supplier", "customerinvoice", "supplierInvoice", "inventory",
             "purchaseorder", "project", "vatCategory")


def _page(endpoint: str, seed: int, count: int, holes: float) -> list[dict]:
    dto = surface().find("GET", f"/v1/{endpoint}").record_dto
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        record = fabricate(dto, rng)
        for name in list(record):
            if rng.random() < holes:
                record[name] = None  # Arrow cannot tell a missing key from a null one
        record["metadata"] = {"totalCount": count, "maxPageSize": 100}
        records.append(record)
    return records


@settings(max_examples=25, deadline=None)
@given(endpoint=st.sampled_from(RESOURCES), seed=st.integers(0, 10_000),
       count=st.integers(1, 8), holes=st.sampled_from([0.0, 0.3]))
def test_arrow_decoded_pages_match_fetch_frames(endpoint, seed, count, holes):
    records = _page(endpoint, seed, count, holes)
    frame = page_frame(orjson.dumps(records))
    if frame is None:
        return  # Arrow refused the page: the caller decodes it the usual way
    got = finish_frame(frame)
    want = to_frame(records)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        left, right = got[column], want[column]
        if pd.api.types.is_datetime64_any_dtype(right):
            # both parsed; Arrow may pick another unit
            assert pd.api.types.is_datetime64_any_dtype(left), column
            assert list(left.astype("datetime64[ns]")) == list(right.astype("datetime64[ns]"))
            continue
        assert left.dtype == right.dtype, (column, left.dtype, right.dtype)
        assert left.isna().tolist() == right.isna().tolist(), column
        assert [v for v in left if not _na(v)] == [v for v in right if not _na(v)], column


def _na(value) -> bool:
    return not isinstance(value, list | dict) and bool(pd.isna(value))


def test_what_arrow_does_not_take_is_refused_not_guessed():
    assert decode_page(b'{"not": "a page"}') is None
    assert decode_page(b'[{"x": 1}, {"x": "one"}]') is None  # one name, two types
    assert decode_page(b"[1, 2]") is None
    table = decode_page(b'[{"a": {"b": 1, "c": "x"}, "d": [1, 2]}]')
    assert table.column_names == ["d", "a.b", "a.c"]
