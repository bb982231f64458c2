"""Pages to Arrow (vnkit._sync_arrow) against vnkit._frames: same columns, same values.

Records of any list resource's read DTO are made by the sandbox's fabricator (so every
field of the surface is exercised), with fields randomly nulled or left out; every
column ``Client.fetch`` would give must come out of ``to_table`` with the same values,
in the Arrow type the surface gives it.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnkit._frames import to_frame
from vnkit._surface import surface
from vnkit._sync_arrow import endpoint_schema, to_table
from vnkit.sandbox._fabricate import fabricate

pa = pytest.importorskip("pyarrow")

RESOURCES = ("customer", "supplier", "customerinvoice", "supplierInvoice", "inventory",
             "purchaseorder", "customerCreditNote", "project")


def _records(endpoint: str, seed: int, count: int, holes: float) -> list[dict]:
    dto = surface().find("GET", f"/v1/{endpoint}").record_dto
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        record = fabricate(dto, rng)
        for name in list(record):
            roll = rng.random()
            if roll < holes / 2:
                record[name] = None
            elif roll < holes:
                del record[name]
        record["metadata"] = {"totalCount": count, "maxPageSize": 100}
        records.append(record)
    return records


def _same(expected, got) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)) \
            or expected is pd.NaT:
        return got is None
    if isinstance(expected, list):
        return got is not None and orjson.loads(got) == expected
    if isinstance(expected, pd.Timestamp):
        return got is not None and pd.Timestamp(got) == expected
    if isinstance(expected, str) and isinstance(got, datetime):
        # A date-time by the surface that fetch's name rule does not know
        # (customDateTimeUTC1): text there, a timestamp here, the same moment.
        return pd.Timestamp(expected) == pd.Timestamp(got)
    if isinstance(expected, float) and isinstance(got, float | int):
        return math.isclose(expected, got)
    return expected == got


@settings(max_examples=25, deadline=None)
@given(endpoint=st.sampled_from(RESOURCES), seed=st.integers(0, 10_000),
       count=st.integers(1, 6), holes=st.sampled_from([0.0, 0.2, 0.6]))
def test_every_fetch_column_comes_out_with_its_values(endpoint, seed, count, holes):
    records = _records(endpoint, seed, count, holes)
    frame = to_frame(records)
    table = to_table(records, endpoint, synced_at=datetime.now(UTC))
    assert table.num_rows == len(frame)
    schema = dict(endpoint_schema(endpoint))
    for column in frame.columns:
        if column not in table.column_names:
            # A nested object null in every record: fetch keeps the parent column, the
            # table its (null) leaves, which every page has.
            children = [c for c in table.column_names if c.startswith(column + ".")]
            assert children and frame[column].isna().all(), column
            assert all(table.column(c).null_count == table.num_rows for c in children)
            continue
        got = table.column(column).to_pylist()
        for want, have in zip(frame[column].tolist(), got):
            assert _same(want, have), (column, want, have)
        if column in schema:
            field_type = table.schema.field(column).type
            # the surface's type, unless values did not fit it (then text)
            assert field_type == schema[column] or pa.types.is_string(field_type)
    # a page's columns do not depend on what its records happen to hold
    known = [name for name, _ in endpoint_schema(endpoint)]
    assert table.column_names[:len(known)] == known
