"""The native page decoder (vnkit._arrow_pages) gives fetch's frames exactly, or refuses.

Property: for any page, ``page_frame(body)`` is either None (the caller decodes the body
with orjson) or the very frame ``_frames.normalise(orjson.loads(body))`` gives: the same
columns in the same order, dtypes and values (NaN for an absent key, None for a null).
Then ``Client.fetch`` against the sandbox: the same DataFrame with and without the
decoder, pages decoded natively where they can be, and fetch without pyarrow.
"""

from __future__ import annotations

import json
import random
import sys

import orjson
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from vnkit._frames import normalise
from vnkit._surface import surface
from vnkit.sandbox._fabricate import fabricate

pytest.importorskip("pyarrow")

from vnkit import _arrow_pages  # noqa: E402
from vnkit._arrow_pages import decode_page, page_frame  # noqa: E402

_NAMES = st.sampled_from(["a", "b", "id", "name", "amount", "documentDate", "lines",
                          "status", "z"])
_TEXT = st.text(alphabet=st.sampled_from(list('ab :"\\{}[],\u00e5\u20ac\n\t') + ["\U0001f600"]),
                max_size=6)
_DATES = st.sampled_from(["2020-01-14", "2020-01-14T10:00:00", "2020-01-14 10:00:00",
                          "2020-01-14T10:00:00.123", "2020-01-14T10:00:00+02:00",
                          "2020-01-14T10:00:00Z", "not a date"])
_SCALARS = {
    "int": st.integers(-(2**31), 2**31),
    "bigint": st.integers(-(2**64), 2**64),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "number": st.integers(-100, 100) | st.floats(-1e6, 1e6, allow_nan=False),
    "bool": st.booleans(),
    "text": _TEXT,
    "date": _DATES,
    "null": st.none(),
}


@st.composite
def _shapes(draw, depth: int = 2) -> dict:
    """Field name to kind: a scalar kind, ("object", shape), ("list", kind) or "empty"."""
    names = draw(st.lists(_NAMES, min_size=1, max_size=5, unique=True))
    shape = {}
    for name in names:
        choices = list(_SCALARS) + ["empty", "list-int", "list-text"]
        if depth:
            choices += ["object", "object", "list-object"]
        kind = draw(st.sampled_from(choices))
        if kind == "object":
            shape[name] = ("object", draw(_shapes(depth - 1)))
        elif kind == "list-object":
            shape[name] = ("list", ("object", draw(_shapes(0))))
        else:
            shape[name] = kind
    return shape


def _value(draw, kind, nulls: float, missing: float):
    if draw(st.floats(0, 1)) < nulls:
        return None
    if kind == "empty":
        return {}
    if kind == "list-int":
        return draw(st.lists(_SCALARS["number"], max_size=3))
    if kind == "list-text":
        return draw(st.lists(_TEXT | st.none(), max_size=3))
    if isinstance(kind, tuple) and kind[0] == "object":
        return _record(draw, kind[1], nulls, missing)
    if isinstance(kind, tuple) and kind[0] == "list":
        return [_value(draw, kind[1], 0, missing) for _ in range(draw(st.integers(0, 2)))]
    return draw(_SCALARS[kind])


def _record(draw, shape: dict, nulls: float, missing: float) -> dict:
    record = {}
    names = list(shape)
    if draw(st.integers(0, 3)) == 0:  # now and then keys in another order
        names = draw(st.permutations(names))
    for name in names:
        kind = shape[name]
        if missing and draw(st.floats(0, 1)) < missing:
            continue
        record[name] = _value(draw, kind, nulls, missing)
    return record


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_decoded_page_is_normalises_frame_or_refused(data):
    shape = data.draw(_shapes())
    nulls = data.draw(st.sampled_from([0.0, 0.3]))
    missing = data.draw(st.sampled_from([0.0, 0.0, 0.2]))
    count = data.draw(st.integers(1, 6))
    records = [_record(data.draw, shape, nulls, missing) for _ in range(count)]
    if data.draw(st.booleans()):
        for record in records:
            record["metadata"] = {"totalCount": count, "maxPageSize": 100}
    # The standard library's encoder: it writes integers of any size, and non-ASCII
    # text either as it is or as \u escapes.
    body = json.dumps(records, separators=(",", ":"), ensure_ascii=data.draw(st.booleans()))
    got = page_frame(body.encode())
    event("refused" if got is None else "decoded")
    if got is not None:
        pd.testing.assert_frame_equal(got, normalise(records))


def _fabricated(endpoint: str, seed: int, count: int, holes: float) -> list[dict]:
    dto = surface().find("GET", f"/v1/{endpoint}").record_dto
    rng = random.Random(seed)
    records = []
    for _ in range(count):
        record = fabricate(dto, rng)
        for name in list(record):
            if rng.random() < holes:
                record[name] = None
        record["metadata"] = {"totalCount": count, "maxPageSize": 100}
        records.append(record)
    return records


@pytest.mark.parametrize("endpoint", ["customer", "supplier", "customerinvoice",
                                      "supplierInvoice", "inventory", "purchaseorder",
                                      "project", "vatCategory"])
@pytest.mark.parametrize("holes", [0.0, 0.3])
def test_pages_of_the_apis_shapes_are_decoded_natively(endpoint, holes):
    for seed in range(3):
        records = _fabricated(endpoint, seed, 7, holes)
        got = page_frame(orjson.dumps(records))
        assert got is not None, (endpoint, seed)  # the fast path is taken, not refused
        pd.testing.assert_frame_equal(got, normalise(records))


@pytest.mark.parametrize("body", [
    b'{"not": "a page"}', b"[1, 2]", b"[]", b'[{"x": 1}, {"x": "one"}]',
    b'[{"x": 1}, {}]',                      # a missing key: Arrow would say null
    b'[{"x": 9223372036854775808}]',        # past int64: Arrow would make it a double
    b'[{"x": "a\\"b"}]', b'[null, {"x": 1}]', b"[{}]", b"not json",
    b'[{"x": "\xff"}]',                     # not UTF-8: orjson refuses, Arrow would keep it
])
def test_what_could_differ_is_refused(body):
    assert page_frame(body) is None


@pytest.mark.parametrize("body", [b'[{"x": NaN}, {"x": 1.5}]', b'[{"x": -Infinity}]'])
def test_non_standard_literals_decode_as_the_fallback_does(body):
    got = page_frame(body)  # the fallback for these is the standard library's decoder
    if got is not None:
        pd.testing.assert_frame_equal(got, normalise(json.loads(body)))


def test_dates_stay_text_and_nested_objects_are_dotted():
    body = orjson.dumps([{"d": "2020-01-14", "a": {"b": 1, "c": "x"}, "l": [1, 2]},
                         {"d": "2020-01-15T10:00:00+02:00", "a": None, "l": []}])
    frame = page_frame(body)
    assert list(frame.columns) == ["d", "l", "a", "a.b", "a.c"]
    assert frame["d"].tolist() == ["2020-01-14", "2020-01-15T10:00:00+02:00"]
    assert decode_page(body).type.num_fields == 3


# -- through Client.fetch, against the sandbox ----------------------------------------
def _without_decoder(monkeypatch):
    monkeypatch.setattr(_arrow_pages, "decode_page", lambda body: None)


@pytest.mark.parametrize("endpoint", ["customer", "customerinvoice", "supplier"])
def test_fetch_gives_the_same_frame_with_and_without_the_decoder(sandbox_client, endpoint,
                                                                monkeypatch):
    native = []
    fast = sandbox_client.fetch(endpoint, pageSize=40,
                                on_page=lambda page, pager: native.append(page.arrow
                                                                          is not None))
    # Several pages, every one decoded natively but the first (read before any other
    # page is asked for, where the fallback decoder is quicker).
    assert len(native) > 1 and native[0] is False and all(native[1:])
    _without_decoder(monkeypatch)
    slow = sandbox_client.fetch(endpoint, pageSize=40)
    pd.testing.assert_frame_equal(fast, slow)


def test_fetch_works_without_pyarrow(sandbox_client, monkeypatch):
    with_arrow = sandbox_client.fetch("customer", pageSize=40)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    _arrow_pages.available.cache_clear()
    try:
        assert not _arrow_pages.available()
        native = []
        without = sandbox_client.fetch("customer", pageSize=40, on_page=lambda page, pager:
                                       native.append(page.arrow is not None))
    finally:
        _arrow_pages.available.cache_clear()
    assert native and not any(native)
    pd.testing.assert_frame_equal(with_arrow, without)


def test_records_and_pages_still_give_records(sandbox_client):
    records = sandbox_client.records("customer", pageSize=40)
    pages = list(sandbox_client.pages("customer", pageSize=40))
    assert records and all(isinstance(r, dict) for r in records)
    assert all(page.arrow is None and page.records for page in pages)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_pages_put_together_in_groups_give_the_frame_of_all_at_once(data):
    from vnkit._frames import combine, concat_pages

    shapes = [data.draw(_shapes(1)) for _ in range(2)]
    pages = []
    for _ in range(data.draw(st.integers(1, 9))):
        shape = data.draw(st.sampled_from(shapes))
        missing = data.draw(st.sampled_from([0.0, 0.3]))
        records = [_record(data.draw, shape, 0.3, missing)
                   for _ in range(data.draw(st.integers(1, 4)))]
        pages.append(normalise(records))
    size = data.draw(st.integers(1, 4))
    parts = [concat_pages(pages[i:i + size]) for i in range(0, len(pages), size)]
    pd.testing.assert_frame_equal(combine(parts), combine(pages))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_pages_converted_together_give_the_frame_of_each_page_flattened(data):
    """``fetch`` converts runs of same-typed decoded pages at once (``frame_of``): the
    finished frame is the one of every page flattened by ``normalise`` on its own."""
    from vnkit._arrow_pages import frame_of
    from vnkit._frames import combine

    shape = data.draw(_shapes())
    nulls = data.draw(st.sampled_from([0.0, 0.3]))
    decoded, flattened = [], []
    for _ in range(data.draw(st.integers(2, 6))):
        records = [_record(data.draw, shape, nulls, 0.0)
                   for _ in range(data.draw(st.integers(1, 5)))]
        body = json.dumps(records).encode()  # integers of any size
        arrow = decode_page(body)
        if arrow is None:
            continue
        decoded.append(arrow)
        flattened.append(normalise(records))
    # Runs of one Arrow type, as PageFrames groups them.
    runs: list[list] = []
    for arrow in decoded:
        if runs and runs[-1][0].type == arrow.type:
            runs[-1].append(arrow)
        else:
            runs.append([arrow])
    event(f"{len(decoded)} decoded pages in {len(runs)} run(s)")
    if decoded:
        pd.testing.assert_frame_equal(combine([frame_of(run) for run in runs]),
                                      combine(flattened))


def test_fetch_converts_pages_in_runs_and_still_gives_each_pages_frame(sandbox_client,
                                                                       monkeypatch):
    """A run converted in parts of a few pages gives the frame of the pages one by one."""
    from vnkit import _frames

    pages = []
    monkeypatch.setattr(_frames, "_CONVERT_ROWS", 90)  # three pages of 40 a part
    together = sandbox_client.fetch("customerinvoice", pageSize=40,
                                    on_page=lambda page, pager: pages.append(page))
    assert len(pages) > 3 and all(page.arrow is not None for page in pages[1:])
    one_by_one = _frames.combine([normalise(page.records) if page.arrow is None
                                  else page.frame for page in pages])
    pd.testing.assert_frame_equal(together, one_by_one)
    assert len(together) == pages[0].total_count
